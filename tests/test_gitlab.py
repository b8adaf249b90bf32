"""The GitLab CI template (ci/gitlab-ci.yml): schema-valid, and its jobs run here, as a
runner would run them (before_script then script, in one bash), in a registry
repository of its own against `template-registry serve`. The install is real: the tool
is cloned from a git repository of this checkout at a commit and installed with every
dependency pinned by hash.

`validate --format codeclimate` is being added on another branch: until it is on this
one, the validate job is run with `--format json` in its place (see `report_format`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from registry.render.formats import choices
from tests.ci_steps import load, registry_repository, tool_copy
from tests.helpers import edit, git, named
from tests.live_server import running_server

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "ci" / "gitlab-ci.yml"
BIN = Path(sys.executable).parent
KEY = "gitlab-key-never-printed-33"


def test_the_template_passes_the_gitlab_ci_schema() -> None:
    done = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema",
                           "vendor.gitlab-ci", str(TEMPLATE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_merge_requests_checks_default_branch_syncs_one_at_a_time() -> None:
    ci = load(TEMPLATE)
    assert ci[".template-registry"]["variables"] == {"GIT_DEPTH": "0"}
    merge_request = [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    validate, plan, sync = (ci[f"template-registry-{name}"] for name in
                            ("validate", "plan", "sync"))
    assert validate["rules"] == merge_request == plan["rules"]
    assert validate["artifacts"] == {"when": "always", "reports": {
        "codequality": "gl-code-quality-report.json"}}
    assert plan["artifacts"] == {"when": "always", "expose_as": "template plan",
                                 "paths": ["template-plan.md"]}
    assert [rule["if"].split(" && ")[0] for rule in sync["rules"]] == [
        "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"] * 2
    assert sync["resource_group"] == "template-registry-sync"
    assert all(job["extends"] == ".template-registry" for job in (validate, plan, sync))


def report_format() -> str:
    return "codeclimate" if "codeclimate" in choices("findings") else "json"


@pytest.fixture(scope="module")
def tool(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """(repository of the tool, its commit, TEMPLATE_REGISTRY_HOME shared by the jobs)."""
    folder = tmp_path_factory.mktemp("tool")
    commit = tool_copy(ROOT, folder / "model-template-registry")
    return folder / "model-template-registry", commit, folder / "home"


def run_job(name: str, repo: Path, tool: tuple[Path, str, Path],
            variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run job NAME of the template in REPO as a runner would."""
    ci = load(TEMPLATE)
    job: dict[str, Any] = {**ci[ci[name]["extends"]], **ci[name]}
    lines = [*job["before_script"], *job["script"]]
    script = "\n".join(lines).replace("--format codeclimate", f"--format {report_format()}")
    source, commit, home = tool
    outside = {k: v for k, v in os.environ.items() if not k.startswith("SGP_")}
    env = {**outside, **ci["variables"], **job["variables"],
           "TEMPLATE_REGISTRY_REPO": str(source), "TEMPLATE_REGISTRY_REF": commit,
           "TEMPLATE_REGISTRY_HOME": str(home), "CI_PROJECT_DIR": str(repo),
           "CI_COMMIT_SHA": git(repo, "rev-parse", "HEAD").strip(),
           "CI_DEFAULT_BRANCH": "main", **variables}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          cwd=repo, env=env, capture_output=True, text=True,
                          timeout=600)


def test_merge_request_then_sync_on_the_default_branch(tmp_path: Path,
                                                       tool: tuple[Path, str, Path]) -> None:
    repo = registry_repository(tmp_path / "registry", tmp_path / "origin.git",
                               {"templates/a.yaml": named("model-a")})
    git(repo, "checkout", "-q", "-b", "change")
    (repo / "templates/b.yaml").write_text(edit(named("model-b"), "memory: 4Gi",
                                                "memory: 4GB"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a second template")
    merge_request = {"CI_PIPELINE_SOURCE": "merge_request_event",
                     "CI_COMMIT_BRANCH": "change"}

    bad = run_job("template-registry-validate", repo, tool, merge_request)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert ("templates/b.yaml:16:13: error launch-resources: memory '4GB' is not a quantity "
            "Launch accepts") in bad.stdout
    report = json.loads((repo / "gl-code-quality-report.json").read_text())
    if report_format() == "codeclimate":
        assert [(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"])
                for i in report] == [("launch-resources", "templates/b.yaml", 16)]
    else:
        assert [(f["rule"], f["path"], f["line"]) for f in report["findings"]] == [
            ("launch-resources", "templates/b.yaml", 16)]

    (repo / "templates/b.yaml").write_text(named("model-b"))
    git(repo, "commit", "-qam", "fix the memory")
    good = run_job("template-registry-validate", repo, tool, merge_request)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "template-registry is already installed" in good.stdout  # one install per home

    skipped = run_job("template-registry-plan", repo, tool, merge_request)
    assert skipped.returncode == 0, skipped.stderr
    assert (repo / "template-plan.md").read_text().startswith(
        "Plan skipped: no API key in this pipeline")

    with running_server(api_key=KEY) as server:
        api = {"SGP_READONLY_API_KEY": KEY, "SGP_CLIENT_BASE_URL": server.url}
        plan = run_job("template-registry-plan", repo, tool, {**merge_request, **api})
        assert plan.returncode == 0, plan.stderr
        assert (repo / "template-plan.md").read_text().startswith(
            "### Model templates: Plan: 2 to create, 0 to replace, 0 to delete.")

        git(repo, "checkout", "-q", "main")
        git(repo, "merge", "-q", "--ff-only", "change")
        push = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main",
                "SGP_API_KEY": KEY, "SGP_CLIENT_BASE_URL": server.url}
        synced = run_job("template-registry-sync", repo, tool, push)
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert json.loads((repo / "sync-report.json").read_text())["applied"] == 2
        head = git(repo, "rev-parse", "HEAD").strip()
        recorded = git(tmp_path / "origin.git", "for-each-ref", "--format=%(objectname)",
                       "refs/template-registry/synced/")
        assert recorded.split() == [head]
        with server.client() as client:
            names = sorted(t["name"] for t in client.get("/v4/model-templates").json()["items"])
        assert names == ["model-a", "model-b"]
        output = "".join(d.stdout + d.stderr for d in (bad, good, skipped, plan, synced))
        assert KEY not in output
