"""Templates git does not manage: listed, never touched without --prune, and taken over only
with --adopt. The real CLI, real git repositories, the real local server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.commands.test_sync import KEY, cli, commit, make_repo, names, remote_state, write
from tests.helpers import named
from tests.live_server import LiveServer, running_server


@pytest.fixture
def server() -> Any:
    with running_server(api_key=KEY) as live:
        yield live


def hand_made(server: LiveServer, body: dict[str, Any]) -> str:
    with server.client() as client:
        answer = client.post("/v4/model-templates", json=body)
    answer.raise_for_status()
    return str(answer.json()["id"])


def test_hand_made_templates_are_listed_as_not_managed(tmp_path: Path,
                                                       server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", {"templates/a.yaml": named("a", "acct-1")})
    assert cli(server, repo, "sync").returncode == 0
    for name in ("ui-one", "ui-two"):
        hand_made(server, yaml.safe_load(named(name, "acct-1")))
    plan = cli(server, repo, "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr  # no action: nothing to change
    assert ("Not managed: 2 template(s) in the managed accounts that no file ever defined, "
            "left alone: acct-1/ui-one, acct-1/ui-two. `template-registry import` writes them "
            "into git; --prune deletes them.") in plan.stdout.splitlines()
    data = json.loads(cli(server, repo, "plan", "--format", "json").stdout)
    assert [(u["account_id"], u["name"]) for u in data["not_managed"]] == [
        ("acct-1", "ui-one"), ("acct-1", "ui-two")]
    assert "**Not managed:**" in cli(server, repo, "plan", "--format", "markdown").stdout
    assert cli(server, repo, "sync").returncode == 0
    assert names(server) == [("acct-1", "a"), ("acct-1", "ui-one"), ("acct-1", "ui-two")]


def test_an_equal_file_adopts_a_hand_made_template_without_a_call(tmp_path: Path,
                                                                   server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", {"templates/a.yaml": named("a", "acct-1")})
    assert cli(server, repo, "sync").returncode == 0
    made = hand_made(server, yaml.safe_load(named("ui", "acct-1")))
    write(repo, {"templates/ui.yaml": named("ui", "acct-1")})
    commit(repo, "adopt ui")
    plan = cli(server, repo, "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout
    assert cli(server, repo, "sync").returncode == 0
    assert {t["name"]: t["id"] for t in remote_state(server)}["ui"] == made


def test_a_different_file_takes_over_only_with_adopt(tmp_path: Path, server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", {"templates/a.yaml": named("a", "acct-1")})
    assert cli(server, repo, "sync").returncode == 0
    made = hand_made(server, yaml.safe_load(named("ui", "acct-1").replace("cpus: 2",
                                                                          "cpus: 3")))
    write(repo, {"templates/ui.yaml": named("ui", "acct-1")})
    commit(repo, "take over ui")
    plan = cli(server, repo, "plan")
    assert (f"  ! takeover acct-1/ui (templates/ui.yaml) id {made}: changes "
            "vendor_configuration.endpoint_config.cpus; a template no file ever defined has "
            "this name; sync --adopt replaces it") in plan.stdout.splitlines()
    assert plan.stdout.splitlines()[-1] == ("Plan: 0 to create, 0 to replace, 0 to delete; "
                                            "1 takeover(s) need --adopt.")
    refused = cli(server, repo, "sync")
    assert refused.returncode == 1
    assert any(line.startswith("NOT TAKEN OVER ! takeover acct-1/ui")
               for line in refused.stdout.splitlines())
    assert {t["name"]: t["id"] for t in remote_state(server)}["ui"] == made
    adopted = cli(server, repo, "sync", "--adopt")
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert "(made by hand, adopted)" in adopted.stdout
    (ui,) = [t for t in remote_state(server) if t["name"] == "ui"]
    assert ui["id"] != made and ui["vendor_configuration"]["endpoint_config"]["cpus"] == 2
    # From now on it is sync's own: the next edit is an ordinary replacement.
    write(repo, {"templates/ui.yaml": named("ui", "acct-1").replace("cpus: 2", "cpus: 4")})
    commit(repo, "edit ui")
    assert "~ replace acct-1/ui" in cli(server, repo, "plan").stdout
