"""drift.yml, run step by step (through the action's steps) in a clone of this repository
against two `template-registry serve` instances (staging and production, two keys) and a
stand-in of GitHub's REST API: per environment, no issue while its API holds main's
templates, one issue (opened, then updated, never a second) while it differs, closed
when they agree again; one environment's drift never touches the other's issue."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.github_standin import REPOSITORY, GitHubStandIn
from tests.live_server import LiveServer, template_body
from tests.test_workflows import (
    PRODUCTION_KEY,
    STAGING_KEY,
    clone,
    platforms,
    results,
    runner,
    secrets,
    workflow,
)

__all__ = ["clone", "platforms"]  # the fixtures

DRIFT = {env: f"Compare the {env} API with main: Run template-registry"
         for env in ("staging", "production")}
ISSUES = f"/repos/{REPOSITORY}/issues"


def sync(repo: Path, env: str, server: LiveServer) -> None:
    keys = {"SGP_STAGING_API_KEY": STAGING_KEY, "SGP_API_KEY": PRODUCTION_KEY}
    done = subprocess.run([sys.executable, "-m", "registry", "sync", "--no-record", "--env", env,
                           "--api-url", server.url], cwd=repo, env={**os.environ, **keys},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_drift_opens_updates_and_closes_one_issue_per_environment(
        clone: Path, tmp_path: Path, platforms: tuple[LiveServer, LiveServer]) -> None:
    staging, production = platforms
    with GitHubStandIn() as github:
        context = secrets(staging, production)
        sync(clone, "staging", staging)
        sync(clone, "production", production)

        def check(env: str, run_id: str = "1") -> str:
            job = runner(clone, tmp_path, context, github)
            job.env["GITHUB_RUN_ID"] = run_id
            steps = job.run_job(workflow("drift.yml"), env)
            assert results(steps) == [(DRIFT[env], 0)], steps[0].stderr
            output = steps[0].stdout + steps[0].stderr
            assert STAGING_KEY not in output and PRODUCTION_KEY not in output
            assert github.token not in output
            return steps[0].stdout

        assert check("staging").endswith("No changes.\nNo drift in staging: the API holds the "
                                         "templates of git.\n")
        assert check("production").endswith("No drift in production: the API holds the "
                                            "templates of git.\n")
        assert github.issues == {} and github.writes() == []

        with staging.client() as client:  # changes made in staging's UI
            items = client.get("/v4/model-templates").json()["items"]
            (embedding,) = [t for t in items if t["name"] == "bge-large-en-v1.5-embedding"]
            client.delete(f"/v4/model-templates/{embedding['id']}").raise_for_status()
            client.post("/v4/model-templates", json=template_body(
                "made-in-the-ui", "acct-search-staging")).raise_for_status()
        assert check("staging").endswith(f"Drift in staging: opened issue #1. "
                                         f"https://github.test/{REPOSITORY}/issues/1\n")
        assert check("production").endswith("No drift in production: the API holds the "
                                             "templates of git.\n")
        issue = github.issues[1]
        assert issue["title"] == "Model templates: the staging API differs from git"
        assert issue["body"].startswith("<!-- template-registry-drift env=staging -->\n")
        assert ("## Environment `staging`\n\n### Model templates: Plan: 1 to create, 0 to "
                "replace, 0 to delete.") in issue["body"]
        assert ("**Not managed:** 1 template(s) in the managed accounts that no file ever "
                "defined, left alone: <code>acct-search-staging/made-in-the-ui</code>."
                ) in issue["body"]

        with production.client() as client:  # and one in production's
            items = client.get("/v4/model-templates").json()["items"]
            (ner,) = [t for t in items if t["name"] == "spacy-en-core-web-lg-ner"]
            client.delete(f"/v4/model-templates/{ner['id']}").raise_for_status()
        assert check("production").endswith(f"Drift in production: opened issue #2. "
                                             f"https://github.test/{REPOSITORY}/issues/2\n")
        assert check("staging", run_id="2").endswith("Drift in staging: updated issue #1.\n")
        assert sorted(github.issues) == [1, 2]
        assert github.issues[1]["body"].endswith(f"Checked by https://github.test/{REPOSITORY}"
                                                 "/actions/runs/2\n")

        sync(clone, "staging", staging)
        assert check("staging").endswith("No drift in staging: closed issue #1.\n")
        assert check("production").endswith("Drift in production: issue #2 already shows "
                                            "this plan.\n")
        assert [github.issues[n]["state"] for n in (1, 2)] == ["closed", "open"]
        assert github.writes() == [("POST", ISSUES), ("POST", ISSUES),
                                   ("PATCH", f"{ISSUES}/1"),
                                   ("POST", f"{ISSUES}/1/comments"), ("PATCH", f"{ISSUES}/1")]


def test_drift_fails_when_the_plan_fails(clone: Path, tmp_path: Path,
                                         platforms: tuple[LiveServer, LiveServer]) -> None:
    """A plan error (here: production's key sent to staging) is exit 1: the job fails and
    no issue is touched."""
    staging, production = platforms
    with GitHubStandIn() as github:
        context = {**secrets(staging, production),
                   "secrets.SGP_STAGING_READONLY_API_KEY": PRODUCTION_KEY}
        steps = runner(clone, tmp_path, context, github).run_job(workflow("drift.yml"),
                                                                 "staging")
        assert results(steps) == [(DRIFT["staging"], 1)]
        assert "401" in steps[0].stderr
        assert github.requests == []
        assert {line.split()[2] for line in staging.requests()} == {"401"}
