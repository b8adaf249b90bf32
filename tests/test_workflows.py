"""The GitHub workflows: schema-valid, least privilege, and their run steps executed here,
in order, against `template-registry serve` in a clone of this repository."""

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
import yaml

from tests.helpers import edit, git
from tests.live_server import LiveServer, running_server

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
EXPRESSION = re.compile(r"\$\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
KEY = "workflow-key-never-printed-91"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return data


def test_workflows_pass_the_github_workflow_schema() -> None:
    done = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema",
                           "vendor.github-workflows", *map(str, sorted(WORKFLOWS.glob("*.yml")))],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == ["sync.yml", "validate.yml"]


def test_least_privilege_and_no_cancelled_sync() -> None:
    sync, validate = load("sync.yml"), load("validate.yml")
    assert validate["permissions"] == {"contents": "read"}
    # sync pushes its last-synced record (a ref under refs/template-registry/).
    assert sync["permissions"] == {"contents": "write"}
    assert sync["concurrency"] == {"group": "template-registry-sync",
                                   "cancel-in-progress": False}
    triggers = sync[True]  # PyYAML reads the key `on` as the boolean true
    assert triggers["push"] == {"branches": ["main"]} and "workflow_dispatch" in triggers
    keys = [step["env"]["SGP_API_KEY"] for wf in (sync, validate)
            for job in wf["jobs"].values() for step in job["steps"] if "SGP_API_KEY" in
            step.get("env", {})]
    assert keys == ["${{ secrets.SGP_API_KEY }}", "${{ secrets.SGP_READONLY_API_KEY }}"]
    text = (WORKFLOWS / "sync.yml").read_text() + (WORKFLOWS / "validate.yml").read_text()
    assert "${{ secrets." not in text.replace("${{ secrets.SGP_API_KEY }}", "").replace(
        "${{ secrets.SGP_READONLY_API_KEY }}", "")
    assert 'sync --ref "${{ github.sha }}"' in text



@pytest.fixture
def clone(tmp_path: Path) -> Iterator[Path]:
    """A clone of this repository as the runner's checkout sees it, with our .venv.

    Its `origin` is a bare copy, as GitHub's would be: sync pushes its last-synced
    record there, never into this checkout.
    """
    repo, origin = tmp_path / "checkout", tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(ROOT), str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(repo))
    git(repo, "config", "user.email", "ci@example.com")
    git(repo, "config", "user.name", "CI")
    (repo / ".venv").symlink_to(ROOT / ".venv")
    yield repo


def run_steps(workflow: str, repo: Path, values: dict[str, str],
              extra_env: dict[str, str]) -> list[tuple[str, subprocess.CompletedProcess[str]]]:
    """Run the workflow's `run` steps in order, as the runner would, until one fails.

    The install step is skipped (this test runs inside the installed .venv, which is put
    on PATH as that step does); `uses:` steps are the runner's own.
    """
    (job,) = load(workflow)["jobs"].values()
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **extra_env}
    results = []
    for step in job["steps"]:
        if "run" not in step or step.get("id") == "install":
            continue
        step_env = {k: EXPRESSION.sub(lambda m: values[m.group(1)], str(v))
                    for k, v in step.get("env", {}).items()}
        script = EXPRESSION.sub(lambda m: values[m.group(1)], step["run"])
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                              cwd=repo, env={**env, **step_env}, capture_output=True,
                              text=True, timeout=300)
        results.append((step["name"], done))
        if done.returncode != 0:
            break
    return results


def pull_request(repo: Path, change: dict[str, str]) -> None:
    git(repo, "checkout", "-q", "-b", "pr")
    for rel, text in change.items():
        (repo / rel).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "change a template")


def ci_env(tmp_path: Path, server: LiveServer | None) -> dict[str, str]:
    summary = tmp_path / "summary.md"
    summary.write_text("")
    return {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_BASE_REF": "main",
            "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"),
            "TEMPLATE_REGISTRY_CACHE_DIR": str(tmp_path / "cache")}


EMBEDDING = "templates/search/bge-large-embedding.yaml"


def test_pull_request_checks_then_sync_on_main(clone: Path, tmp_path: Path) -> None:
    text = (clone / EMBEDDING).read_text()
    pull_request(clone, {EMBEDDING: edit(text, "cpus: 4", "cpus: 6")})
    with running_server(api_key=KEY) as server:
        values = {"secrets.SGP_READONLY_API_KEY": KEY, "secrets.SGP_API_KEY": KEY,
                  "vars.SGP_CLIENT_BASE_URL": server.url}
        env = ci_env(tmp_path, server)
        steps = run_steps("validate.yml", clone, values, env)
        assert [(name, done.returncode) for name, done in steps] == [
            ("Pre-commit hooks on the changed files", 0),
            ("Validate every template (annotations on the diff)", 0),
            ("Plan what merging would change", 0)]
        summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
        assert summary.startswith("### Model templates: Plan: 6 to create, 0 to replace")

        git(clone, "checkout", "-q", "main")
        git(clone, "merge", "-q", "--ff-only", "pr")
        values["github.sha"] = git(clone, "rev-parse", "HEAD").strip()
        synced = run_steps("sync.yml", clone, values, env)
        assert [(name, done.returncode) for name, done in synced] == [
            ("Sync the templates of this commit", 0)]
        report = json.loads((clone / "sync-report.json").read_text())
        assert (report["applied"], report["failed"]) == (6, 0)
        recorded = git(tmp_path / "origin.git", "for-each-ref", "--format=%(objectname)",
                       "refs/template-registry/synced/")
        assert recorded.split() == [values["github.sha"]]
        again = run_steps("sync.yml", clone, values, env)
        assert "Plan: 0 to create, 0 to replace, 0 to delete." in again[0][1].stdout
        output = "".join(d.stdout + d.stderr for _, d in steps + synced + again)
        assert KEY not in output + summary + json.dumps(report)


def test_fork_pull_request_is_validated_and_told_the_plan_was_skipped(clone: Path,
                                                                       tmp_path: Path) -> None:
    text = (clone / EMBEDDING).read_text()
    pull_request(clone, {EMBEDDING: edit(text, "cpus: 4", "cpus: 6")})
    env = ci_env(tmp_path, None)
    values = {"secrets.SGP_READONLY_API_KEY": "", "vars.SGP_CLIENT_BASE_URL": ""}
    steps = run_steps("validate.yml", clone, values, env)
    assert [done.returncode for _, done in steps] == [0, 0, 0]
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text().startswith(
        "Plan skipped: no API key in this run (a pull request from a fork gets no secrets).")


def test_bad_template_fails_the_checks_with_annotations(clone: Path, tmp_path: Path) -> None:
    text = (clone / EMBEDDING).read_text()
    pull_request(clone, {EMBEDDING: edit(text, "memory: 16Gi", "memory: 16GB")})
    env = ci_env(tmp_path, None)
    steps = run_steps("validate.yml", clone, {"secrets.SGP_READONLY_API_KEY": "",
                                              "vars.SGP_CLIENT_BASE_URL": ""}, env)
    ((name, hook),) = steps
    assert (name, hook.returncode) == ("Pre-commit hooks on the changed files", 1)
    assert f"{EMBEDDING}:21:13: error launch-resources" in hook.stdout
    annotations = subprocess.run([str(BIN / "template-registry"), "validate", "--format",
                                  "github"], cwd=clone, env={**os.environ, **env},
                                 capture_output=True, text=True)
    assert annotations.returncode == 1
    assert annotations.stdout.startswith(f"::error file={EMBEDDING},line=21,col=13,"
                                         "title=launch-resources::memory '16GB'")
