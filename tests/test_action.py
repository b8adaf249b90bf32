"""The action from a registry repository of its own, as the README shows it.

A registry repository (templates and a pyproject.toml, no copy of this tool) is made in a
temporary folder. It uses the pre-commit hook by path and commit (the README's hook
snippet, with this checkout as a git repository for the URL), and runs the jobs of the
README's workflow with `uses: <your-org>/model-template-registry@<commit>` resolved to
that repository, step by step (tests/ci_steps.py): the action's own install (the lock,
`--require-hashes`) included, against `template-registry serve` and a stand-in of
GitHub's REST API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.ci_steps import Runner, Step, registry_repository, tool_copy
from tests.github_standin import REPOSITORY, GitHubStandIn
from tests.helpers import edit, git, named
from tests.live_server import running_server

ROOT = Path(__file__).resolve().parents[1]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
ACTION = "<your-org>/model-template-registry"
KEY = "action-key-never-printed-58"
PR = 3


def readme_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Use it from your own registry repository\n", 1)[1].split("\n## ")[0]


def readme_workflow_text() -> str:
    return readme_section().split("```yaml\n", 1)[1].split("```\n", 1)[0]


def readme_workflow() -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load(readme_workflow_text())
    return data


def readme_hook(tool: Path, commit: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using the hook from another repository\n", 1)[1]
    snippet = section.split("```yaml\n", 1)[1].split("```\n", 1)[0]
    return edit(edit(snippet, f"https://github.com/{ACTION}", str(tool)), "<commit>", commit)


@pytest.fixture(scope="module")
def tool(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """(this checkout as a repository, its commit, the runner's temp folder, shared by the
    jobs as on one machine: the action installs once)."""
    folder = tmp_path_factory.mktemp("action")
    commit = tool_copy(ROOT, folder / "model-template-registry")
    (folder / "runner-temp").mkdir()
    return folder / "model-template-registry", commit, folder / "runner-temp"


def test_the_readme_workflow_passes_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "templates.yml"
    path.write_text(readme_workflow_text())
    done = subprocess.run([str(Path(sys.executable).with_name("check-jsonschema")),
                           "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def runner(repo: Path, tool: tuple[Path, str, Path], tmp_path: Path, github: GitHubStandIn,
           context: dict[str, str]) -> Runner:
    source, _, temp = tool
    summary = tmp_path / "summary.md"
    summary.write_text("")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {
        "number": PR, "head": {"repo": {"full_name": REPOSITORY}},
        "base": {"repo": {"full_name": REPOSITORY}}}}))
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(temp),
           "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": REPOSITORY,
           "GITHUB_API_URL": github.url, "GITHUB_SERVER_URL": "https://github.test",
           "GITHUB_RUN_ID": "5", "TEMPLATE_REGISTRY_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("VIRTUAL_ENV", None)
    values = {"github.token": github.token, "runner.temp": str(temp),
              "github.sha": git(repo, "rev-parse", "HEAD").strip(), **context}
    python = str(Path(sys.base_prefix) / "bin" / "python3")  # what setup-python would give
    return Runner(repo, values, env, actions={ACTION: source},
                  given_outputs={"actions/setup-python": {"python-path": python}})


def results(steps: list[Step]) -> list[tuple[str, int]]:
    return [(step.name, step.returncode) for step in steps]


def test_a_registry_repository_uses_the_hook_and_the_action(
        tmp_path: Path, tool: tuple[Path, str, Path]) -> None:
    source, commit, temp = tool
    repo = registry_repository(tmp_path / "registry", tmp_path / "origin.git",
                               {"templates/a.yaml": named("model-a")})
    assert not (repo / "registry").exists() and not (repo / "action.yml").exists()

    # The hook, by path and commit, as the README's snippet has it.
    (repo / ".pre-commit-config.yaml").write_text(readme_hook(source, commit))
    git(repo, "checkout", "-q", "-b", "change")
    (repo / "templates/b.yaml").write_text(edit(named("model-b"), "cpus: 2", "cpus: 0"))
    git(repo, "add", "-A")
    hook_env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")}
    hook_env.pop("VIRTUAL_ENV", None)
    blocked = subprocess.run([str(PRE_COMMIT), "run", "--all-files"], cwd=repo, env=hook_env,
                             capture_output=True, text=True, timeout=600)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert ("templates/b.yaml:15:11: error launch-resources: cpus is 0; it must be positive\n"
            in blocked.stdout)
    git(repo, "commit", "-qm", "a second template", "--no-verify")

    workflow = readme_workflow()
    with running_server(api_key=KEY) as server, GitHubStandIn() as github:
        github.add_pull_request(PR)
        secrets = {"secrets.SGP_READONLY_API_KEY": KEY, "secrets.SGP_API_KEY": KEY,
                   "vars.SGP_CLIENT_BASE_URL": server.url}
        checks = runner(repo, tool, tmp_path, github, secrets)
        failed = checks.run_job(workflow, "validate")
        assert results(failed) == [
            ("Validate: Install template-registry (hash-pinned)", 0),
            ("Validate: Run template-registry", 1)], failed[0].stderr + failed[-1].stderr
        assert failed[1].stdout.startswith("::error file=templates/b.yaml,line=15,col=11,"
                                           "title=launch-resources::cpus is 0; it must be positive")
        installed = [line.split("==")[0].lower() for line in subprocess.run(
            [str(temp / "template-registry/bin/python"), "-m", "pip", "freeze"],
            capture_output=True, text=True, check=True).stdout.splitlines()]
        assert "httpx" in installed and "gitpython" in installed
        assert not {"fastapi", "uvicorn", "pytest", "pre-commit"} & set(installed)

        (repo / "templates/b.yaml").write_text(named("model-b"))
        git(repo, "commit", "-qam", "fix the cpus")
        checks = runner(repo, tool, tmp_path, github, secrets)
        passed = checks.run_job(workflow, "validate")
        assert results(passed) == [
            ("Validate: Install template-registry (hash-pinned)", 0),
            ("Validate: Run template-registry", 0),
            ("Plan: Install template-registry (hash-pinned)", 0),
            ("Plan: Run template-registry", 0)], passed[-1].stderr
        assert passed[2].stdout.startswith("template-registry is already installed")
        shortcut = temp / "template-registry-bin" / "template-registry"  # for later steps
        assert set(checks.path) == {str(shortcut.parent)}
        assert shortcut.resolve() == (temp / "template-registry/bin/template-registry").resolve()
        summary = Path(checks.env["GITHUB_STEP_SUMMARY"]).read_text()
        assert summary.startswith("### Model templates: Plan: 2 to create, 0 to replace")
        ((comment),) = github.comments_on(PR)
        assert comment["body"].startswith("<!-- template-registry-plan -->\n<!-- part 1/1 -->\n"
                                          "### Model templates: Plan: 2 to create")

        git(repo, "checkout", "-q", "main")
        git(repo, "merge", "-q", "--ff-only", "change")
        syncer = runner(repo, tool, tmp_path, github, secrets)
        synced = syncer.run_job(workflow, "sync")
        assert results(synced)[-1] == ("Sync: Run template-registry", 0), synced[-1].stderr
        assert json.loads((repo / "sync-report.json").read_text())["applied"] == 2
        assert git(tmp_path / "origin.git", "for-each-ref", "--format=%(objectname)",
                   "refs/template-registry/synced/").split() == [syncer.context["github.sha"]]

        drift = runner(repo, tool, tmp_path, github, secrets).run_job(workflow, "drift")
        assert results(drift)[-1] == ("Drift: Run template-registry", 0), drift[-1].stderr
        assert drift[-1].stdout.endswith("No drift: the API holds the templates of git.\n")
        with server.client() as client:  # someone deletes a template in the UI
            (b,) = [t for t in client.get("/v4/model-templates").json()["items"]
                    if t["name"] == "model-b"]
            client.delete(f"/v4/model-templates/{b['id']}").raise_for_status()
        drift = runner(repo, tool, tmp_path, github, secrets).run_job(workflow, "drift")
        assert results(drift)[-1] == ("Drift: Run template-registry", 0), drift[-1].stderr
        assert drift[-1].stdout.endswith("Drift: opened issue #4. "
                                         f"https://github.test/{REPOSITORY}/issues/4\n")
        assert "Plan: 1 to create, 0 to replace, 0 to delete." in github.issues[4]["body"]

        output = "".join(s.stdout + s.stderr for s in failed + passed + synced + drift)
        assert KEY not in output + summary and github.token not in output + summary
