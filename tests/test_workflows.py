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
from tests.live_server import LiveServer, running_server

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


def steps_of(wf: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(job, step) of every step that runs this repository's action."""
    return [(name, step) for name, job in wf["jobs"].items() for step in job["steps"]
            if step.get("uses") == "./"]


def test_least_privilege_and_one_sync_per_environment_at_a_time() -> None:
    sync, validate, drift = workflow("sync.yml"), workflow("validate.yml"), workflow("drift.yml")
    assert validate["permissions"] == {"contents": "read", "pull-requests": "write"}
    # sync pushes its last-synced records (refs under refs/template-registry/).
    assert sync["permissions"] == {"contents": "write"}
    assert drift["permissions"] == {"contents": "read", "issues": "write"}
    triggers = sync[True]  # PyYAML reads the key `on` as the boolean true
    assert triggers["push"] == {"branches": ["main"]} and "workflow_dispatch" in triggers
    assert drift[True]["schedule"] == [{"cron": "23 6 * * *"}]
    assert "workflow_dispatch" in drift[True]
    # Staging on every merge; production after it, behind the `production` environment
    # (required reviewers); each environment one sync at a time, none cancelled.
    staging, production = sync["jobs"]["staging"], sync["jobs"]["production"]
    assert list(sync["jobs"]) == ["staging", "production"] and "concurrency" not in sync
    assert "needs" not in staging and production["needs"] == "staging"
    assert (staging["environment"], production["environment"]) == ("staging", "production")
    for env, job in (("staging", staging), ("production", production)):
        assert job["concurrency"] == {"group": f"template-registry-sync-{env}",
                                      "cancel-in-progress": False}
    # Each step of an environment has that environment's key and URL, and only the sync
    # jobs have a key that may write.
    url = {"staging": "${{ vars.SGP_STAGING_API_URL }}",
           "production": "${{ vars.SGP_PRODUCTION_API_URL }}"}
    write = {"staging": "${{ secrets.SGP_STAGING_API_KEY }}",
             "production": "${{ secrets.SGP_API_KEY }}"}
    read = {"staging": "${{ secrets.SGP_STAGING_READONLY_API_KEY }}",
            "production": "${{ secrets.SGP_READONLY_API_KEY }}"}
    found = {name: [(job, step["with"]["command"], step["with"].get("env"),
                     step["with"].get("api-key"), step["with"].get("api-url"))
                    for job, step in steps_of(wf)]
             for name, wf in (("sync", sync), ("validate", validate), ("drift", drift))}
    assert found == {
        "sync": [(env, "sync", env, write[env], url[env]) for env in ("staging", "production")],
        "validate": [("validate", "validate", None, None, None),
                     *[("validate", "plan", env, read[env], url[env])
                       for env in ("staging", "production")]],
        "drift": [(env, "drift", env, read[env], url[env]) for env in ("staging", "production")]}
    text = "".join(p.read_text() for p in WORKFLOWS.glob("*.yml"))
    assert set(re.findall(r"\$\{\{\s*secrets\.(\w+)", text)) == {
        "SGP_API_KEY", "SGP_STAGING_API_KEY", "SGP_READONLY_API_KEY",
        "SGP_STAGING_READONLY_API_KEY"}
    for job, step in steps_of(sync):
        assert step["with"]["ref"] == "${{ github.sha }}"
        assert step["with"]["report"] == f"sync-report-{job}.json"
        (upload,) = [s for s in sync["jobs"][job]["steps"]
                     if s.get("uses", "").startswith("actions/upload-artifact@")]
        assert (upload["if"], upload["with"]["name"], upload["with"]["path"]) == (
            "always()", f"sync-report-{job}", f"sync-report-{job}.json")
    plans = [step["with"] for _, step in steps_of(validate) if step["with"]["command"] == "plan"]
    assert all(plan["comment"] is True for plan in plans)
    for wf in (sync, validate, drift):
        for job in wf["jobs"].values():
            (checkout,) = [s for s in job["steps"]
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
    """The runner of one job, with the tool where the action's install step puts it. No
    SGP_* variable of the machine running the tests reaches it."""
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
    outside = {k: v for k, v in os.environ.items() if not k.startswith("SGP_")}
    env = {**outside, "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(temp),
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
SUMMARIZER = "llama-3-8b-batch-summarizer"
RUN = "Run template-registry"
VALIDATE = f"Validate every template in every environment (annotations on the diff): {RUN}"
PLAN = {env: f"Plan what merging would change in {env}: {RUN}"
        for env in ("staging", "production")}
SYNC = {env: f"Sync the templates of this commit to {env}: {RUN}"
        for env in ("staging", "production")}
STAGING_KEY = "staging-workflow-key-never-printed-38"
PRODUCTION_KEY = "production-workflow-key-never-printed-91"
STAGING_ACCOUNTS = ("acct-genai-staging", "acct-search-staging")
PRODUCTION_ACCOUNTS = ("acct-genai-apps", "acct-search-team")


@pytest.fixture
def platforms(tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Staging and production: two servers, two keys, each logging every request. The
    staging key may act in the staging accounts only (403 for any other)."""
    only = [arg for account in STAGING_ACCOUNTS for arg in ("--account", account)]
    with running_server(*only, api_key=STAGING_KEY,
                        request_log=tmp_path / "staging.log") as staging, \
            running_server(api_key=PRODUCTION_KEY,
                           request_log=tmp_path / "production.log") as production:
        yield staging, production


def secrets(staging: LiveServer, production: LiveServer) -> dict[str, str]:
    """The repository's secrets and variables, as the README's table names them."""
    return {"secrets.SGP_STAGING_READONLY_API_KEY": STAGING_KEY,
            "secrets.SGP_READONLY_API_KEY": PRODUCTION_KEY,
            "secrets.SGP_STAGING_API_KEY": STAGING_KEY, "secrets.SGP_API_KEY": PRODUCTION_KEY,
            "vars.SGP_STAGING_API_URL": staging.url,
            "vars.SGP_PRODUCTION_API_URL": production.url}


def held(server: LiveServer, accounts: tuple[str, ...]) -> dict[tuple[str, str], Any]:
    """(account, name) -> template of every template the server holds in ACCOUNTS."""
    found = {}
    with server.client() as client:
        for account in accounts:
            items = client.get("/v4/model-templates",
                               params={"account_id": account, "limit": 1000}).json()["items"]
            found.update({(t["account_id"], t["name"]): t for t in items})
    return found


def endpoint(template: dict[str, Any]) -> tuple[Any, ...]:
    config = template["vendor_configuration"]["endpoint_config"]
    return config["gpu_type"], config["min_workers"], config["max_workers"]


def calls(server: LiveServer) -> list[str]:
    """`METHOD PATH-KIND STATUS` of each request, ids left out."""
    return [" ".join((method, "/".join(path.split("/")[:3]), status))
            for method, path, status in (line.split() for line in server.requests())]


def test_pull_request_checks_then_staging_then_production(
        clone: Path, tmp_path: Path, platforms: tuple[LiveServer, LiveServer]) -> None:
    staging, production = platforms
    text = (clone / EMBEDDING).read_text()
    pull_request(clone, {EMBEDDING: edit(text, "cpus: 4", "cpus: 6")})
    with GitHubStandIn() as github:
        github.add_pull_request(PR)
        context = secrets(staging, production)
        checks = runner(clone, tmp_path, context, github)
        steps = checks.run_job(workflow("validate.yml"))
        assert results(steps) == [(VALIDATE, 0), (PLAN["staging"], 0),
                                  (PLAN["production"], 0)], steps
        assert steps[0].stdout == "8 file(s) checked: no problems found.\n"
        # One plan per environment in the summary, each as its own comment.
        summary = Path(checks.env["GITHUB_STEP_SUMMARY"]).read_text()
        comments = github.comments_on(PR)
        assert [c["body"].split("\n")[0] for c in comments] == [
            "<!-- template-registry-plan env=staging -->",
            "<!-- template-registry-plan env=production -->"]
        parts = summary.split("## Environment `production`\n\n")
        assert parts[0].startswith("## Environment `staging`\n\n### Model templates: Plan: "
                                   "6 to create, 0 to replace, 0 to delete.")
        assert parts[1].startswith("### Model templates: Plan: 6 to create, 0 to replace")
        for env, comment, part in zip(("staging", "production"), comments, parts, strict=True):
            plan, said = part.split(f"Plan comment for {env} on pull request")
            if env == "production":
                plan = "## Environment `production`\n\n" + plan
            assert comment["body"] == (f"<!-- template-registry-plan env={env} -->\n"
                                       f"<!-- part 1/1 -->\n{plan}")
            assert said == f" #{PR}: 1 created. {comment['html_url']}\n"
        assert "<code>acct-genai-staging</code>" in comments[0]["body"]
        assert "acct-genai-staging" not in comments[1]["body"]
        assert "<code>acct-genai-apps</code>" in comments[1]["body"]
        # Each plan listed its own environment's two accounts (templates and models), with
        # its own key (a staging call for a production account would be 403 there).
        listing = ["GET /v4/model-templates 200"] * 2 + ["GET /v4/models 200"] * 2
        assert sorted(calls(staging)) == sorted(calls(production)) == listing

        git(clone, "checkout", "-q", "main")
        git(clone, "merge", "-q", "--ff-only", "pr")
        sha = git(clone, "rev-parse", "HEAD").strip()
        syncer = runner(clone, tmp_path, {**context, "github.sha": sha})
        synced = syncer.run_job(workflow("sync.yml"), "staging")
        assert results(synced) == [(SYNC["staging"], 0)], synced[0].stderr
        report = json.loads((clone / "sync-report-staging.json").read_text())
        assert (report["applied"], report["failed"]) == (6, 0)
        assert sorted(calls(production)) == listing  # the staging job never called it
        assert sorted(calls(staging)) == sorted(
            listing * 3 + ["POST /v4/model-templates 200"] * 6)  # plan, sync, check
        on_staging = held(staging, STAGING_ACCOUNTS)
        assert sorted(account for account, _ in on_staging) == [STAGING_ACCOUNTS[0]] * 3 + [
            STAGING_ACCOUNTS[1]] * 3
        summarizer = on_staging[(STAGING_ACCOUNTS[0], SUMMARIZER)]
        assert endpoint(summarizer) == ("nvidia-tesla-t4", 0, 1)
        assert summarizer["vendor_configuration"]["bundle_config"]["env"] == {
            "LOG_LEVEL": "debug"}
        assert on_staging[(STAGING_ACCOUNTS[1], "bge-large-en-v1.5-embedding")][
            "vendor_configuration"]["endpoint_config"]["cpus"] == 6
        records = tmp_path / "origin.git"
        assert git(records, "for-each-ref", "--format=%(objectname)",
                   "refs/template-registry/synced/").split() == [sha]

        before = calls(staging)
        promoted = syncer.run_job(workflow("sync.yml"), "production")
        assert results(promoted) == [(SYNC["production"], 0)], promoted[0].stderr
        report = json.loads((clone / "sync-report-production.json").read_text())
        assert (report["applied"], report["failed"]) == (6, 0)
        assert calls(staging) == before  # the production job never called staging
        assert sorted(calls(production)) == sorted(
            listing * 3 + ["POST /v4/model-templates 200"] * 6)
        on_production = held(production, PRODUCTION_ACCOUNTS + STAGING_ACCOUNTS)
        assert sorted(account for account, _ in on_production) == [
            PRODUCTION_ACCOUNTS[0]] * 3 + [PRODUCTION_ACCOUNTS[1]] * 3
        summarizer = on_production[(PRODUCTION_ACCOUNTS[0], SUMMARIZER)]
        assert endpoint(summarizer) == ("nvidia-ampere-a10", 2, 10)
        assert summarizer["vendor_configuration"]["bundle_config"]["env"] == {
            "SUMMARY_MAX_CHARS": "4000", "LOG_LEVEL": "info"}
        # One last-synced record per API, both at this commit.
        assert git(records, "for-each-ref", "--format=%(objectname)",
                   "refs/template-registry/synced/").split() == [sha, sha]

        again = [syncer.run_job(workflow("sync.yml"), env)[0]
                 for env in ("staging", "production")]
        assert all("Plan: 0 to create, 0 to replace, 0 to delete." in step.stdout
                   for step in again)
        output = "".join(s.stdout + s.stderr for s in steps + synced + promoted + again)
        reports = "".join(p.read_text() for p in clone.glob("sync-report-*.json"))
        for secret in (STAGING_KEY, PRODUCTION_KEY, github.token):
            assert secret not in output + summary + reports


def test_fork_pull_request_is_validated_and_told_each_plan_was_skipped(
        clone: Path, tmp_path: Path) -> None:
    text = (clone / EMBEDDING).read_text()
    pull_request(clone, {EMBEDDING: edit(text, "cpus: 4", "cpus: 6")})
    checks = runner(clone, tmp_path, {"secrets.SGP_STAGING_READONLY_API_KEY": "",
                                      "secrets.SGP_READONLY_API_KEY": "",
                                      "vars.SGP_STAGING_API_URL": "",
                                      "vars.SGP_PRODUCTION_API_URL": ""}, fork=True)
    steps = checks.run_job(workflow("validate.yml"))
    assert results(steps) == [(VALIDATE, 0), (PLAN["staging"], 0), (PLAN["production"], 0)]
    assert Path(checks.env["GITHUB_STEP_SUMMARY"]).read_text() == "".join(
        f"Plan skipped for {env}: no API key in this run (neither the api-key input nor {var} "
        "is set; a pull request from a fork gets no secrets). Validation still runs.\n"
        for env, var in (("staging", "SGP_STAGING_API_KEY"), ("production", "SGP_API_KEY")))


def test_bad_template_fails_the_checks_with_annotations(clone: Path, tmp_path: Path) -> None:
    text = (clone / EMBEDDING).read_text()
    pull_request(clone, {EMBEDDING: edit(text, "memory: 16Gi", "memory: 16GB")})
    checks = runner(clone, tmp_path, {"secrets.SGP_STAGING_READONLY_API_KEY": "",
                                      "secrets.SGP_READONLY_API_KEY": "",
                                      "vars.SGP_STAGING_API_URL": "",
                                      "vars.SGP_PRODUCTION_API_URL": ""})
    steps = checks.run_job(workflow("validate.yml"))
    assert results(steps) == [(VALIDATE, 1)]  # the plan steps do not run
    assert steps[0].stdout.startswith(f"::error file={EMBEDDING},line=21,col=13,"
                                      "title=launch-resources::memory '16GB'")


def caller(command: str, env: str, step_env: dict[str, str] | None = None) -> dict[str, Any]:
    """A job of one step using the action for ENV, as a registry repository may write it."""
    step: dict[str, Any] = {"name": "Step", "uses": "./", "with": {
        "command": command, "env": env, "api-url": "${{ vars.SGP_STAGING_API_URL }}"}}
    if step_env is not None:
        step["env"] = step_env
    return {"jobs": {"job": {"steps": [step]}}}


def test_the_key_of_an_environment_is_its_own_variable_or_the_input(
        clone: Path, tmp_path: Path, platforms: tuple[LiveServer, LiveServer]) -> None:
    """The action puts `api-key` in the environment's own variable; a caller may set that
    variable on the step instead; any other key in the job (here production's, in
    SGP_API_KEY) is never sent to staging."""
    staging, production = platforms
    context = {"vars.SGP_STAGING_API_URL": staging.url,
               "secrets.SGP_STAGING_READONLY_API_KEY": STAGING_KEY}
    job = runner(clone, tmp_path, context)
    job.env.update({"SGP_API_KEY": PRODUCTION_KEY, "SGP_CLIENT_BASE_URL": production.url})
    (skipped,) = job.run_job(caller("plan", "staging"))
    assert (skipped.returncode, skipped.stdout) == (
        0, "Plan skipped for staging: no API key in this run (neither the api-key input nor "
           "SGP_STAGING_API_KEY is set; a pull request from a fork gets no secrets). "
           "Validation still runs.\n")
    (failed,) = job.run_job(caller("drift", "staging"))
    assert (failed.returncode, failed.stdout) == (
        2, "::error title=template-registry::drift for staging needs an API key (the api-key "
           "input, or SGP_STAGING_API_KEY in the step's env)\n")
    assert staging.requests() == production.requests() == []

    on_step = {"SGP_STAGING_API_KEY": "${{ secrets.SGP_STAGING_READONLY_API_KEY }}"}
    (planned,) = job.run_job(caller("plan", "staging", on_step))
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.startswith("## Environment `staging`\n\n### Model templates: Plan: "
                                     "6 to create")
    assert len(staging.requests()) == 4 and production.requests() == []

    (unknown,) = job.run_job(caller("plan", "prod", on_step))
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert unknown.stderr == ("template-registry: --env prod: no such environment in "
                              "[tool.template-registry.environments] (known: production, "
                              "staging)\n")
