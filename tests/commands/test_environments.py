"""Staging and production from one repository: plan, sync, status and import with --env,
against two real servers with different keys, in a real git repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.commands.test_sync import commit, write
from tests.helpers import init_repo, named
from tests.live_server import LiveServer, running_server

STAGING_KEY, PRODUCTION_KEY = "staging-key-6d1f", "production-key-93ac"
ZERO_WORKERS = ("vendor_configuration:\n  endpoint_config:\n    min_workers: 0\n"
                "    endpoint_type: ASYNC\nendpoint_type: ASYNC\n")


@pytest.fixture
def platforms(tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer, Path, Path]]:
    logs = tmp_path / "staging.log", tmp_path / "production.log"
    with running_server("--request-log", str(logs[0]), api_key=STAGING_KEY) as staging, \
            running_server("--request-log", str(logs[1]), api_key=PRODUCTION_KEY) as production:
        yield staging, production, logs[0], logs[1]


def registry(root: Path, staging: LiveServer, production: LiveServer) -> Path:
    init_repo(root)
    (root / "pyproject.toml").write_text(f"""\
[tool.template-registry.environments.staging]
base_url = "{staging.url}"
api_key_env = "STAGING_KEY"
accounts = {{"acct-1" = "acct-1-staging"}}
overlay = "overlays/staging"

[tool.template-registry.environments.production]
base_url = "{production.url}"
api_key_env = "PRODUCTION_KEY"
accounts = {{"acct-1" = "acct-1-prod"}}
""")
    write(root, {"templates/acct-1/a.yaml": named("a", "acct-1"),
                 "templates/acct-1/b.yaml": named("b", "acct-1"),
                 "overlays/staging/acct-1/a.yaml": "vendor_configuration:\n  endpoint_config:\n"
                                                   "    cpus: 1\n"})
    commit(root, "two templates, a cheaper a in staging")
    return root


def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI with both environments' keys set, and a default key and URL that must never
    be used for an environment."""
    env = {**os.environ, "STAGING_KEY": STAGING_KEY, "PRODUCTION_KEY": PRODUCTION_KEY,
           "SGP_API_KEY": "default-key-never-used", "SGP_CLIENT_BASE_URL": "http://127.0.0.1:9"}
    return subprocess.run([sys.executable, "-m", "registry", *args, "--root", str(repo)],
                          env=env, capture_output=True, text=True, timeout=300)


def held(server: LiveServer, key: str) -> dict[tuple[str, str], dict[str, Any]]:
    with server.client() as client:
        client.headers["x-api-key"] = key
        items = client.get("/v4/model-templates", params={"limit": 10000}).json()["items"]
    return {(t["account_id"], t["name"]): t for t in items}


def statuses(log: Path) -> list[str]:
    return [line.split()[2] for line in log.read_text().splitlines()]


def test_each_environment_gets_its_rendering_with_its_own_key(
        tmp_path: Path, platforms: tuple[LiveServer, LiveServer, Path, Path]) -> None:
    staging, production, staging_log, production_log = platforms
    repo = registry(tmp_path / "repo", staging, production)
    done = run(repo, "sync", "--env", "staging")
    assert done.returncode == 0, done.stdout + done.stderr
    on_staging = held(staging, STAGING_KEY)
    assert sorted(on_staging) == [("acct-1-staging", "a"), ("acct-1-staging", "b")]
    assert on_staging[("acct-1-staging", "a")]["vendor_configuration"]["endpoint_config"][
        "cpus"] == 1
    assert on_staging[("acct-1-staging", "b")]["vendor_configuration"]["endpoint_config"][
        "cpus"] == 2
    # A sync to staging never called production, and sent staging only its own key.
    assert production_log.read_text() == ""
    assert set(statuses(staging_log)) == {"200"}
    assert run(repo, "sync", "--env", "production").returncode == 0
    assert sorted(held(production, PRODUCTION_KEY)) == [("acct-1-prod", "a"),
                                                        ("acct-1-prod", "b")]
    assert set(statuses(production_log)) == {"200"}
    for env in ("staging", "production"):
        again = run(repo, "plan", "--env", env, "--detailed-exitcode")
        assert again.returncode == 0, again.stdout + again.stderr


def test_a_patch_only_change_replaces_in_its_environment_only(
        tmp_path: Path, platforms: tuple[LiveServer, LiveServer, Path, Path]) -> None:
    staging, production, _, _ = platforms
    repo = registry(tmp_path / "repo", staging, production)
    for env in ("staging", "production"):
        assert run(repo, "sync", "--env", env).returncode == 0
    write(repo, {"overlays/staging/acct-1/a.yaml": "vendor_configuration:\n  endpoint_config:\n"
                                                   "    cpus: 3\n"})
    commit(repo, "a bit more for a in staging")
    plan = run(repo, "plan", "--env", "staging", "--format", "json", "--detailed-exitcode")
    assert plan.returncode == 2, plan.stderr
    (action,) = json.loads(plan.stdout)["actions"]
    assert (action["kind"], action["account_id"], action["name"], action["takeover"]) == (
        "replace", "acct-1-staging", "a", False)
    assert action["changes"] == [{"field": "vendor_configuration.endpoint_config.cpus",
                                  "before": 1, "after": 3}]
    assert run(repo, "plan", "--env", "production", "--detailed-exitcode").returncode == 0
    assert run(repo, "sync", "--env", "staging").returncode == 0
    assert held(staging, STAGING_KEY)[("acct-1-staging", "a")]["vendor_configuration"][
        "endpoint_config"]["cpus"] == 3


def test_a_bad_patch_value_stops_the_plan_of_its_environment_at_its_line(
        tmp_path: Path, platforms: tuple[LiveServer, LiveServer, Path, Path]) -> None:
    staging, production, _, _ = platforms
    repo = registry(tmp_path / "repo", staging, production)
    write(repo, {"overlays/staging/acct-1/a.yaml": "vendor_configuration:\n  endpoint_config:\n"
                                                   "    memory: 24GB\n"})
    commit(repo, "a typo in staging")
    done = run(repo, "plan", "--env", "staging")
    assert done.returncode == 2
    assert "do not validate for environment staging; nothing was planned" in done.stderr
    assert "overlays/staging/acct-1/a.yaml:3:13: error launch-resources: memory '24GB'" \
        in done.stderr
    assert run(repo, "plan", "--env", "production").returncode == 0
    unknown = run(repo, "plan", "--env", "prod")
    assert unknown.returncode == 2
    assert "--env prod: no such environment" in unknown.stderr


def test_status_and_import_in_an_environment(
        tmp_path: Path, platforms: tuple[LiveServer, LiveServer, Path, Path]) -> None:
    staging, production, _, _ = platforms
    repo = registry(tmp_path / "repo", staging, production)
    assert run(repo, "sync", "--env", "production").returncode == 0
    with production.client() as client:
        client.headers["x-api-key"] = PRODUCTION_KEY
        body = json.loads(json.dumps(held(production, PRODUCTION_KEY)[("acct-1-prod", "b")]))
        body["name"] = "made-in-prod"
        for field in ("id", "created_at", "created_by_user_id", "created_by_identity_type"):
            body.pop(field)
        client.post("/v4/model-templates", json=body).raise_for_status()
    shown = run(repo, "status", "--env", "production", "--format", "json")
    data = json.loads(shown.stdout)
    assert [(t["account_id"], t["name"], t["state"]) for t in data["templates"]] == [
        ("acct-1-prod", "a", "in sync"), ("acct-1-prod", "b", "in sync")]
    assert [(u["account_id"], u["name"]) for u in data["not_managed"]] == [
        ("acct-1-prod", "made-in-prod")]
    imported = run(repo, "import", "--env", "production", "--account", "acct-1",
                   "--format", "json")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    (written,) = json.loads(imported.stdout)["written"]
    assert (written["account_id"], written["name"]) == ("acct-1", "made-in-prod")
    assert "account_id: acct-1\n" in (repo / written["path"]).read_text()
    commit(repo, "import made-in-prod")
    assert run(repo, "plan", "--env", "production", "--detailed-exitcode").returncode == 0


def test_two_environments_behind_one_api_keep_their_own_records(tmp_path: Path) -> None:
    """Production may lag staging on one API: its record is its own."""
    with running_server(api_key=STAGING_KEY) as server:
        repo = init_repo(tmp_path / "repo")
        (repo / "pyproject.toml").write_text(f"""\
[tool.template-registry.environments.staging]
base_url = "{server.url}"
api_key_env = "STAGING_KEY"
accounts = {{"acct-1" = "acct-1-staging"}}

[tool.template-registry.environments.production]
base_url = "{server.url}"
api_key_env = "PRODUCTION_KEY"
accounts = {{"acct-1" = "acct-1-prod"}}
""")
        write(repo, {"templates/acct-1/a.yaml": named("a", "acct-1")})
        commit(repo, "a")
        older = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                               text=True, check=True).stdout.strip()
        write(repo, {"templates/acct-1/b.yaml": named("b", "acct-1")})
        commit(repo, "b")
        env = {"PRODUCTION_KEY": STAGING_KEY}  # one API: one key for both here
        assert run(repo, "sync", "--env", "staging").returncode == 0
        done = subprocess.run([sys.executable, "-m", "registry", "sync", "--env", "production",
                               "--ref", older, "--root", str(repo)],
                              env={**os.environ, **env}, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert sorted(held(server, STAGING_KEY)) == [
            ("acct-1-prod", "a"), ("acct-1-staging", "a"), ("acct-1-staging", "b")]
