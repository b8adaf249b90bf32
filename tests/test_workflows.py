"""The GitHub workflows and the action: schema-valid, least privilege, third-party actions
pinned to commits, and the workflows run here, step by step (tests/ci_steps.py), in a
clone of this repository against `template-registry serve` and a stand-in of GitHub's API.

The action's install step is skipped here (the tool is this checkout's .venv, where the
step would have put it); tests/test_action.py runs it for real."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ci_steps import Runner, Step, load
from tests.github_standin import REPOSITORY, GitHubStandIn
from tests.helpers import edit, git
from tests.live_server import running_server

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
KEY = "workflow-key-never-printed-91"
PR = 12
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(.+?)\s*$")


def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOWS / name)


def test_workflows_and_action_pass_their_schemas() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert [p.name for p in files] == ["drift.yml", "sync.yml", "validate.yml"]
    for schema, paths in (("vendor.github-workflows", files),
                          ("vendor.github-actions", [ROOT / "action.yml"])):
        done = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", schema,
                               *map(str, paths)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def uses_lines(text: str) -> list[str]:
    return [m.group(1) for line in text.splitlines() if (m := USES.match(line))]


def test_third_party_actions_are_pinned_to_commits() -> None:
    """Every `uses:` but this repository's own action names a 40-hex commit and, in a
    comment, the version it is; one commit is one version everywhere."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sources = {path.name: path.read_text(encoding="utf-8")
               for path in [*sorted(WORKFLOWS.glob("*.yml")), ROOT / "action.yml"]}
    for section in ("CI: checks on pull requests, sync on main",
                    "Use it from your own registry repository"):
        sources[f"README: {section}"] = readme.split(f"\n## {section}\n")[1].split("\n## ")[0]
    seen: dict[str, str] = {}
    for name, text in sources.items():
        for uses in uses_lines(text):
            if uses == "./" or "/model-template-registry@" in uses:
                continue
            assert PINNED.match(uses), f"{name}: {uses!r} is not pinned to a commit"
            commit, version = uses.split("@", 1)[1].split(" # ")
            assert seen.setdefault(commit, version) == version, uses
    assert seen  # checkout, setup-python and upload-artifact are used


def test_least_privilege_and_no_cancelled_sync() -> None:
    sync, validate, drift = workflow("sync.yml"), workflow("validate.yml"), workflow("drift.yml")
    assert validate["permissions"] == {"contents": "read", "pull-requests": "write"}
    # sync pushes its last-synced record (a ref under refs/template-registry/).
    assert sync["permissions"] == {"contents": "write"}
    assert drift["permissions"] == {"contents": "read", "issues": "write"}
    assert sync["concurrency"] == {"group": "template-registry-sync",
                                   "cancel-in-progress": False}
    triggers = sync[True]  # PyYAML reads the key `on` as the boolean true
    assert triggers["push"] == {"branches": ["main"]} and "workflow_dispatch" in triggers
    assert drift[True]["schedule"] == [{"cron": "23 6 * * *"}]
    assert "workflow_dispatch" in drift[True]
    keys = {name: [step["with"]["api-key"] for job in wf["jobs"].values()
                   for step in job["steps"] if "api-key" in step.get("with", {})]
            for name, wf in (("sync", sync), ("validate", validate), ("drift", drift))}
    assert keys == {"sync": ["${{ secrets.SGP_API_KEY }}"],
                    "validate": ["${{ secrets.SGP_READONLY_API_KEY }}"],
                    "drift": ["${{ secrets.SGP_READONLY_API_KEY }}"]}
    text = "".join(p.read_text() for p in WORKFLOWS.glob("*.yml"))
    assert set(re.findall(r"\$\{\{\s*secrets\.(\w+)", text)) == {"SGP_API_KEY",
                                                                  "SGP_READONLY_API_KEY"}
    (sync_step,) = [s for s in sync["jobs"]["sync"]["steps"] if s.get("uses") == "./"]
    assert sync_step["with"]["ref"] == "${{ github.sha }}"
    for wf in (sync, validate, drift):
        (checkout,) = [s for s in next(iter(wf["jobs"].values()))["steps"]
                       if s.get("uses", "").startswith("actions/checkout@")]
        assert checkout["with"]["fetch-depth"] == 0  # ownership comes from the history


@pytest.fixture
def clone(tmp_path: Path) -> Iterator[Path]:
    """A clone of this repository as the runner's checkout sees it.

    Its `origin` is a bare copy, as GitHub's would be: sync pushes its last-synced
    record there, never into this checkout.
    """
    repo, origin = tmp_path / "checkout", tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(ROOT), str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(repo))
    git(repo, "config", "user.email", "ci@example.com")
    git(repo, "config", "user.name", "CI")
    git(repo, "checkout", "-q", "-B", "main")  # main is the commit under test
    yield repo


def runner(repo: Path, tmp_path: Path, context: dict[str, str],
           github: GitHubStandIn | None = None, *, fork: bool = False) -> Runner:
    """The runner of one job, with the tool where the action's install step puts it."""
    temp = tmp_path / "runner-temp"
    temp.mkdir(exist_ok=True)
    if not (temp / "template-registry").exists():
        (temp / "template-registry").symlink_to(ROOT / ".venv")
    summary = tmp_path / "summary.md"
    summary.write_text("")
    event = tmp_path / "event.json"
    head = "someone/registry" if fork else REPOSITORY
    event.write_text(json.dumps({"pull_request": {
        "number": PR, "head": {"repo": {"full_name": head}},
        "base": {"repo": {"full_name": REPOSITORY}}}}))
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(temp),
           "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": REPOSITORY,
           "GITHUB_SERVER_URL": "https://github.test", "GITHUB_RUN_ID": "1",
           "GITHUB_API_URL": github.url if github else "http://127.0.0.1:9",
           "TEMPLATE_REGISTRY_CACHE_DIR": str(tmp_path / "cache")}
    values = {"github.token": github.token if github else "", "runner.temp": str(temp),
              "github.sha": git(repo, "rev-parse", "HEAD").strip(), **context}
    # `uses: ./` is this checkout's action.yml, the one under test (the clone has the
    # committed one).
    return Runner(repo, values, env, actions={"./": ROOT}, skip=frozenset({"install"}))


def results(steps: list[Step]) -> list[tuple[str, int]]:
    return [(step.name, step.returncode) for step in steps]


def pull_request(repo: Path, change: dict[str, str]) -> None:
    git(repo, "checkout", "-q", "-b", "pr")
    for rel, text in change.items():
        (repo / rel).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "change a template")


EMBEDDING = "templates/search/bge-large-embedding.yaml"
VALIDATE = "Validate every template (annotations on the diff): Run template-registry"
PLAN = "Plan what merging would change: Run template-registry"


def test_pull_request_checks_then_sync_on_main(clone: Path, tmp_path: Path) -> None:
    text = (clone / EMBEDDING).read_text()
    pull_request(clone, {EMBEDDING: edit(text, "cpus: 4", "cpus: 6")})
    with running_server(api_key=KEY) as server, GitHubStandIn() as github:
        github.add_pull_request(PR)
        context = {"secrets.SGP_READONLY_API_KEY": KEY, "secrets.SGP_API_KEY": KEY,
                   "vars.SGP_CLIENT_BASE_URL": server.url}
        checks = runner(clone, tmp_path, context, github)
        steps = checks.run_job(workflow("validate.yml"))
        assert results(steps) == [(VALIDATE, 0), (PLAN, 0)], steps
        assert steps[0].stdout == "6 file(s) checked: no problems found.\n"
        summary = Path(checks.env["GITHUB_STEP_SUMMARY"]).read_text()
        assert summary.startswith("### Model templates: Plan: 6 to create, 0 to replace")
        ((comment),) = github.comments_on(PR)
        plan = summary.split("Plan comment on pull request")[0]
        assert comment["body"] == f"<!-- template-registry-plan -->\n<!-- part 1/1 -->\n{plan}"
        assert summary.endswith(f"Plan comment on pull request #{PR}: 1 created. "
                                f"{comment['html_url']}\n")

        git(clone, "checkout", "-q", "main")
        git(clone, "merge", "-q", "--ff-only", "pr")
        sha = git(clone, "rev-parse", "HEAD").strip()
        syncer = runner(clone, tmp_path, {**context, "github.sha": sha})
        synced = syncer.run_job(workflow("sync.yml"))
        assert results(synced) == [("Sync the templates of this commit: Run template-registry",
                                    0)]
        report = json.loads((clone / "sync-report.json").read_text())
        assert (report["applied"], report["failed"]) == (6, 0)
        recorded = git(tmp_path / "origin.git", "for-each-ref", "--format=%(objectname)",
                       "refs/template-registry/synced/")
        assert recorded.split() == [sha]
        again = syncer.run_job(workflow("sync.yml"))
        assert "Plan: 0 to create, 0 to replace, 0 to delete." in again[0].stdout
        output = "".join(s.stdout + s.stderr for s in steps + synced + again)
        assert KEY not in output + summary + json.dumps(report)
        assert github.token not in output + summary


def test_fork_pull_request_is_validated_and_told_the_plan_was_skipped(clone: Path,
                                                                       tmp_path: Path) -> None:
    text = (clone / EMBEDDING).read_text()
    pull_request(clone, {EMBEDDING: edit(text, "cpus: 4", "cpus: 6")})
    checks = runner(clone, tmp_path, {"secrets.SGP_READONLY_API_KEY": "",
                                      "vars.SGP_CLIENT_BASE_URL": ""}, fork=True)
    steps = checks.run_job(workflow("validate.yml"))
    assert results(steps) == [(VALIDATE, 0), (PLAN, 0)]
    assert Path(checks.env["GITHUB_STEP_SUMMARY"]).read_text() == (
        "Plan skipped: no API key in this run (a pull request from a fork gets no secrets). "
        "Validation still runs.\n")


def test_bad_template_fails_the_checks_with_annotations(clone: Path, tmp_path: Path) -> None:
    text = (clone / EMBEDDING).read_text()
    pull_request(clone, {EMBEDDING: edit(text, "memory: 16Gi", "memory: 16GB")})
    checks = runner(clone, tmp_path, {"secrets.SGP_READONLY_API_KEY": "",
                                      "vars.SGP_CLIENT_BASE_URL": ""})
    steps = checks.run_job(workflow("validate.yml"))
    assert results(steps) == [(VALIDATE, 1)]  # the plan step does not run
    assert steps[0].stdout.startswith(f"::error file={EMBEDDING},line=21,col=13,"
                                      "title=launch-resources::memory '16GB'")
