"""drift.yml, run step by step (through the action's steps) in a clone of this repository
against `template-registry serve` and a stand-in of GitHub's REST API: no issue while
the API holds main's templates, one issue (opened, then updated, never a second) while
it differs, closed when they agree again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.github_standin import REPOSITORY, GitHubStandIn
from tests.live_server import LiveServer, running_server, template_body
from tests.test_workflows import clone, results, runner, workflow

__all__ = ["clone"]  # the fixture

KEY = "drift-key-never-printed-19"
DRIFT = "Compare the API with main: Run template-registry"


def sync(repo: Path, server: LiveServer) -> None:
    env = {**os.environ, "SGP_API_KEY": KEY, "SGP_CLIENT_BASE_URL": server.url}
    done = subprocess.run([sys.executable, "-m", "registry", "sync", "--no-record"], cwd=repo,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_drift_opens_updates_and_closes_one_issue(clone: Path, tmp_path: Path) -> None:
    with running_server(api_key=KEY) as server, GitHubStandIn() as github:
        context = {"secrets.SGP_READONLY_API_KEY": KEY, "vars.SGP_CLIENT_BASE_URL": server.url}
        sync(clone, server)

        quiet = runner(clone, tmp_path, context, github)
        steps = quiet.run_job(workflow("drift.yml"))
        assert results(steps) == [(DRIFT, 0)], steps[0].stderr
        assert steps[0].stdout.endswith("No changes.\nNo drift: the API holds the templates "
                                        "of git.\n")
        assert github.issues == {} and github.writes() == []

        with server.client() as client:  # changes made in the UI
            items = client.get("/v4/model-templates").json()["items"]
            (embedding,) = [t for t in items if t["name"] == "bge-large-en-v1.5-embedding"]
            client.delete(f"/v4/model-templates/{embedding['id']}").raise_for_status()
            client.post("/v4/model-templates", json=template_body(
                "made-in-the-ui", "acct-search-team")).raise_for_status()
        drifted = runner(clone, tmp_path, context, github)
        steps = drifted.run_job(workflow("drift.yml"))
        assert results(steps) == [(DRIFT, 0)], steps[0].stderr
        assert steps[0].stdout.endswith(f"Drift: opened issue #1. https://github.test/"
                                        f"{REPOSITORY}/issues/1\n")
        body = github.issues[1]["body"]
        assert body.startswith("<!-- template-registry-drift -->\n")
        assert "### Model templates: Plan: 1 to create, 0 to replace, 0 to delete." in body
        assert ("**Not managed:** 1 template(s) in the managed accounts that no file ever "
                "defined, left alone: <code>acct-search-team/made-in-the-ui</code>.") in body
        summary = Path(drifted.env["GITHUB_STEP_SUMMARY"]).read_text()
        assert summary.endswith("Drift: opened issue #1. https://github.test/"
                                f"{REPOSITORY}/issues/1\n")

        again = runner(clone, tmp_path, context, github)
        again.env["GITHUB_RUN_ID"] = "2"
        steps = again.run_job(workflow("drift.yml"))
        assert steps[0].stdout.endswith("Drift: updated issue #1.\n")
        assert list(github.issues) == [1]
        assert github.issues[1]["body"].endswith(f"Checked by https://github.test/{REPOSITORY}"
                                                 "/actions/runs/2\n")

        sync(clone, server)
        steps = runner(clone, tmp_path, context, github).run_job(workflow("drift.yml"))
        assert results(steps) == [(DRIFT, 0)], steps[0].stderr
        assert steps[0].stdout.endswith("No drift: closed issue #1.\n")
        assert github.issues[1]["state"] == "closed"
        assert github.writes() == [("POST", f"/repos/{REPOSITORY}/issues"),
                                   ("PATCH", f"/repos/{REPOSITORY}/issues/1"),
                                   ("POST", f"/repos/{REPOSITORY}/issues/1/comments"),
                                   ("PATCH", f"/repos/{REPOSITORY}/issues/1")]
        output = "".join(s.stdout + s.stderr for s in steps)
        assert KEY not in output and github.token not in output


def test_drift_fails_when_the_plan_fails(clone: Path, tmp_path: Path) -> None:
    """A plan error (here: a wrong key) is exit 1: the job fails and no issue is touched."""
    with running_server(api_key=KEY) as server, GitHubStandIn() as github:
        context = {"secrets.SGP_READONLY_API_KEY": "wrong-key",
                   "vars.SGP_CLIENT_BASE_URL": server.url}
        steps = runner(clone, tmp_path, context, github).run_job(workflow("drift.yml"))
        assert results(steps) == [(DRIFT, 1)]
        assert "401" in steps[0].stderr
        assert github.requests == []
