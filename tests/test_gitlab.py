"""The GitLab CI template (ci/gitlab-ci.yml): schema-valid, and its jobs run here, as a
runner would run them (before_script then script, in one bash, with the job's variables
after `extends:`), in registry repositories of their own against `template-registry
serve`: one without environments, and one with staging and production on two servers
with two keys. The install is real: the tool is cloned from a git repository of this
checkout at a commit and installed with every dependency pinned by hash."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.ci_steps import load, registry_repository, tool_copy
from tests.helpers import edit, git, named
from tests.live_server import running_server

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "ci" / "gitlab-ci.yml"
BIN = Path(sys.executable).parent
KEY = "gitlab-key-never-printed-33"
STAGING_KEY, PRODUCTION_KEY = "gitlab-staging-key-never-printed-41", "gitlab-prod-key-52"
JOB = "template-registry-{}"
NO_ENVIRONMENTS = {"TEMPLATE_REGISTRY_STAGING_ENV": "", "TEMPLATE_REGISTRY_PRODUCTION_ENV": ""}


def test_the_template_passes_the_gitlab_ci_schema() -> None:
    done = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema",
                           "vendor.gitlab-ci", str(TEMPLATE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def job_of(ci: dict[str, Any], name: str) -> dict[str, Any]:
    """Job NAME with its `extends:` chain merged in, as GitLab merges it: mappings key by
    key (deeply), anything else replaced by the job's own."""
    job = ci[name]
    if "extends" not in job:
        return dict(job)
    return merge(job_of(ci, job["extends"]), {k: v for k, v in job.items() if k != "extends"})


def merge(base: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in own.items():
        merged[key] = (merge(base[key], value) if isinstance(value, dict)
                       and isinstance(base.get(key), dict) else value)
    return merged


def test_merge_requests_plan_each_environment_and_production_follows_staging() -> None:
    ci = load(TEMPLATE)
    assert ci["variables"]["TEMPLATE_REGISTRY_STAGING_ENV"] == "staging"
    assert ci["variables"]["TEMPLATE_REGISTRY_PRODUCTION_ENV"] == "production"
    assert ci[".template-registry"]["variables"] == {"GIT_DEPTH": "0"}
    merge_request = '$CI_PIPELINE_SOURCE == "merge_request_event"'
    validate = ci[JOB.format("validate")]
    assert validate["rules"] == [{"if": merge_request}]
    assert validate["artifacts"] == {"when": "always", "reports": {
        "codequality": "gl-code-quality-report.json"}}
    assert ci[JOB.format("plan-staging")]["rules"] == [
        {"if": f"{merge_request} && $TEMPLATE_REGISTRY_STAGING_ENV"}]
    assert ci[JOB.format("plan-production")]["rules"] == [{"if": merge_request}]
    for env, key, url in (("staging", "SGP_STAGING_READONLY_API_KEY", "SGP_STAGING_API_URL"),
                          ("production", "SGP_READONLY_API_KEY", "SGP_PRODUCTION_API_URL")):
        plan, sync = job_of(ci, JOB.format(f"plan-{env}")), job_of(ci, JOB.format(f"sync-{env}"))
        assert plan["variables"] == {
            "GIT_DEPTH": "0", "TEMPLATE_REGISTRY_ENV": f"$TEMPLATE_REGISTRY_{env.upper()}_ENV",
            "TEMPLATE_REGISTRY_KEY_VARIABLE": key,
            "TEMPLATE_REGISTRY_URL_VARIABLE": url,
            "TEMPLATE_REGISTRY_PLAN": f"template-plan-{env}.md"}
        assert plan["artifacts"] == {"when": "always", "expose_as": f"template plan {env}",
                                     "paths": [f"template-plan-{env}.md"]}
        assert (plan["stage"], sync["stage"]) == ("test", "deploy")
        assert sync["resource_group"] == f"template-registry-sync-{env}"
        assert sync["environment"] == {"name": env, "deployment_tier": env}
        assert sync["variables"]["TEMPLATE_REGISTRY_URL_VARIABLE"] == url
        assert sync["artifacts"] == {"when": "always", "paths": [f"sync-report-{env}.json"]}
    default_branch = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"
    assert ci[JOB.format("sync-staging")]["rules"] == [
        {"if": f'{default_branch} && $CI_PIPELINE_SOURCE == "{source}" && '
               "$TEMPLATE_REGISTRY_STAGING_ENV"} for source in ("push", "web")]
    production = ci[JOB.format("sync-production")]
    assert production["needs"] == [{"job": JOB.format("sync-staging"), "optional": True}]
    assert production["rules"] == [
        {"if": "$CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH", "when": "never"},
        {"if": '$CI_PIPELINE_SOURCE != "push" && $CI_PIPELINE_SOURCE != "web"',
         "when": "never"},
        {"if": "$TEMPLATE_REGISTRY_STAGING_ENV", "when": "manual", "allow_failure": True},
        {"when": "on_success"}]


@pytest.fixture(scope="module")
def tool(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """(repository of the tool, its commit, TEMPLATE_REGISTRY_HOME shared by the jobs)."""
    folder = tmp_path_factory.mktemp("tool")
    commit = tool_copy(ROOT, folder / "model-template-registry")
    return folder / "model-template-registry", commit, folder / "home"


def expand(value: str, env: dict[str, str]) -> str:
    """`$NAME` in a job variable, expanded from the variables defined before it."""
    return re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), m.group(0)), value)


def run_job(name: str, repo: Path, tool: tuple[Path, str, Path],
            variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run job NAME of the template in REPO as a runner would; VARIABLES are the project's
    CI/CD variables and the pipeline's (they win over the file's)."""
    ci = load(TEMPLATE)
    job = job_of(ci, name)
    script = "\n".join([*job["before_script"], *job["script"]])
    source, commit, home = tool
    outside = {k: v for k, v in os.environ.items() if not k.startswith("SGP_")}
    env = {**outside, **ci["variables"], "TEMPLATE_REGISTRY_REPO": str(source),
           "TEMPLATE_REGISTRY_REF": commit, "TEMPLATE_REGISTRY_HOME": str(home),
           "CI_PROJECT_DIR": str(repo), "CI_COMMIT_SHA": git(repo, "rev-parse", "HEAD").strip(),
           "CI_DEFAULT_BRANCH": "main", **variables}
    env.update({key: expand(str(value), env) for key, value in job["variables"].items()})
    env.update(variables)
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)


MERGE_REQUEST = {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_COMMIT_BRANCH": "change"}


def test_a_registry_without_environments(tmp_path: Path, tool: tuple[Path, str, Path]) -> None:
    """Both environment variables empty: one API, planned and synced without --env."""
    repo = registry_repository(tmp_path / "registry", tmp_path / "origin.git",
                               {"templates/a.yaml": named("model-a")})
    git(repo, "checkout", "-q", "-b", "change")
    (repo / "templates/b.yaml").write_text(edit(named("model-b"), "memory: 4Gi",
                                                "memory: 4GB"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a second template")
    merge_request = {**MERGE_REQUEST, **NO_ENVIRONMENTS}

    bad = run_job(JOB.format("validate"), repo, tool, merge_request)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert ("templates/b.yaml:16:13: error launch-resources: memory '4GB' is not a quantity "
            "Launch accepts") in bad.stdout
    report = json.loads((repo / "gl-code-quality-report.json").read_text())
    assert [(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"])
            for i in report] == [("launch-resources", "templates/b.yaml", 16)]

    (repo / "templates/b.yaml").write_text(named("model-b"))
    git(repo, "commit", "-qam", "fix the memory")
    good = run_job(JOB.format("validate"), repo, tool, merge_request)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "template-registry is already installed" in good.stdout  # one install per home

    plan_job = JOB.format("plan-production")
    skipped = run_job(plan_job, repo, tool, merge_request)
    assert skipped.returncode == 0, skipped.stderr
    assert (repo / "template-plan-production.md").read_text() == (
        "Plan skipped: no API key in this pipeline (set SGP_READONLY_API_KEY; a merge request "
        "from a fork gets none).\n")

    with running_server(api_key=KEY) as server:
        api = {"SGP_READONLY_API_KEY": KEY, "SGP_CLIENT_BASE_URL": server.url}
        plan = run_job(plan_job, repo, tool, {**merge_request, **api})
        assert plan.returncode == 0, plan.stderr
        assert (repo / "template-plan-production.md").read_text().startswith(
            "### Model templates: Plan: 2 to create, 0 to replace, 0 to delete.")

        git(repo, "checkout", "-q", "main")
        git(repo, "merge", "-q", "--ff-only", "change")
        push = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main", **NO_ENVIRONMENTS,
                "SGP_API_KEY": KEY, "SGP_PRODUCTION_API_URL": server.url}
        synced = run_job(JOB.format("sync-production"), repo, tool, push)
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert json.loads((repo / "sync-report-production.json").read_text())["applied"] == 2
        head = git(repo, "rev-parse", "HEAD").strip()
        recorded = git(tmp_path / "origin.git", "for-each-ref", "--format=%(objectname)",
                       "refs/template-registry/synced/")
        assert recorded.split() == [head]
        with server.client() as client:
            names = sorted(t["name"] for t in client.get("/v4/model-templates").json()["items"])
        assert names == ["model-a", "model-b"]
        output = "".join(d.stdout + d.stderr for d in (bad, good, skipped, plan, synced))
        assert KEY not in output


TWO_ENVIRONMENTS = """\
[tool.template-registry.accounts]
"acct-test" = ["templates/**"]

[tool.template-registry.environments.staging]
base_url = "https://staging.example.com"
api_key_env = "SGP_STAGING_API_KEY"
overlay = "overlays/staging"
accounts = { "acct-test" = "acct-test-staging" }

[tool.template-registry.environments.production]
api_key_env = "SGP_API_KEY"
"""


def test_staging_then_production(tmp_path: Path, tool: tuple[Path, str, Path]) -> None:
    """Each job reaches only its environment's server, with that environment's key."""
    repo = registry_repository(
        tmp_path / "registry", tmp_path / "origin.git",
        {"templates/a.yaml": named("model-a"),
         "overlays/staging/a.yaml": "vendor_configuration:\n  endpoint_config:\n    cpus: 1\n"},
        TWO_ENVIRONMENTS)
    git(repo, "checkout", "-q", "-b", "change")
    (repo / "templates/b.yaml").write_text(named("model-b"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a second template")
    logs = tmp_path / "staging.log", tmp_path / "production.log"
    with running_server("--account", "acct-test-staging", api_key=STAGING_KEY,
                        request_log=logs[0]) as staging, \
            running_server(api_key=PRODUCTION_KEY, request_log=logs[1]) as production:
        project = {"SGP_STAGING_READONLY_API_KEY": STAGING_KEY,
                   "SGP_READONLY_API_KEY": PRODUCTION_KEY,
                   "SGP_STAGING_API_URL": staging.url, "SGP_PRODUCTION_API_URL": production.url,
                   # the default URL and key must never reach an environment's job
                   "SGP_CLIENT_BASE_URL": "http://127.0.0.1:9"}
        planned = {env: run_job(JOB.format(f"plan-{env}"), repo, tool,
                                {**MERGE_REQUEST, **project}) for env in ("staging",
                                                                          "production")}
        for env, done in planned.items():
            assert done.returncode == 0, done.stdout + done.stderr
            assert (repo / f"template-plan-{env}.md").read_text().startswith(
                "### Model templates: Plan: 2 to create, 0 to replace, 0 to delete.")
        assert "<code>acct-test-staging</code>" in (repo / "template-plan-staging.md").read_text()
        listing = ["GET /v4/model-templates 200", "GET /v4/models 200"]
        assert sorted(staging.requests()) == sorted(production.requests()) == listing

        git(repo, "checkout", "-q", "main")
        git(repo, "merge", "-q", "--ff-only", "change")
        push = {**project, "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main",
                "SGP_STAGING_API_KEY": STAGING_KEY, "SGP_API_KEY": PRODUCTION_KEY}
        first = run_job(JOB.format("sync-staging"), repo, tool, push)
        assert first.returncode == 0, first.stdout + first.stderr
        assert sorted(production.requests()) == listing  # the staging job never called it
        second = run_job(JOB.format("sync-production"), repo, tool, push)
        assert second.returncode == 0, second.stdout + second.stderr
        for server, account, cpus in ((staging, "acct-test-staging", 1),
                                      (production, "acct-test", 2)):
            with server.client() as client:
                items = client.get("/v4/model-templates",
                                   params={"account_id": account}).json()["items"]
            assert sorted((t["name"], t["vendor_configuration"]["endpoint_config"]["cpus"])
                          for t in items) == [("model-a", cpus), ("model-b", 2)]
            assert {line.split()[2] for line in server.requests()} == {"200"}
        for env in ("staging", "production"):
            report = json.loads((repo / f"sync-report-{env}.json").read_text())
            assert (report["applied"], report["failed"]) == (2, 0)
        head = git(repo, "rev-parse", "HEAD").strip()
        assert git(tmp_path / "origin.git", "for-each-ref", "--format=%(objectname)",
                   "refs/template-registry/synced/").split() == [head, head]
        output = "".join(d.stdout + d.stderr for d in (*planned.values(), first, second))
        assert STAGING_KEY not in output and PRODUCTION_KEY not in output
