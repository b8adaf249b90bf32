"""Models built from templates survive replacements and block deletes: the real CLI, real git
repositories, the real local server (its request log shows the order of the calls)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.commands.test_sync import KEY, cli, commit, make_repo, remote_state, write
from tests.helpers import edit, git, named
from tests.live_server import LiveServer, running_server


def add_model(server: LiveServer, name: str, template_id: str,
              account: str = "acct-1") -> dict[str, Any]:
    with server.client() as client:
        answer = client.post("/v4/models", json={"name": name, "account_id": account,
                                                 "model_type": "GENERIC",
                                                 "model_template_id": template_id})
    answer.raise_for_status()
    model: dict[str, Any] = answer.json()
    return model


def models(server: LiveServer) -> dict[str, str | None]:
    with server.client() as client:
        answer = client.get("/v4/models", params={"limit": 10000})
    answer.raise_for_status()
    return {m["name"]: m.get("model_template_id") for m in answer.json()["items"]}


def ids(server: LiveServer) -> dict[str, str]:
    return {t["name"]: t["id"] for t in remote_state(server)}


@pytest.fixture
def logged(tmp_path: Path) -> Any:
    log = tmp_path / "requests.log"
    with running_server("--request-log", str(log), api_key=KEY) as live:
        yield live, log


def test_models_move_to_the_new_template_before_the_old_is_deleted(
        tmp_path: Path, logged: tuple[LiveServer, Path]) -> None:
    server, log = logged
    repo = make_repo(tmp_path / "repo", {"templates/a.yaml": named("a", "acct-1"),
                                         "templates/b.yaml": named("b", "acct-1")})
    assert cli(server, repo, "sync").returncode == 0
    old = ids(server)["a"]
    first, second = add_model(server, "chat", old), add_model(server, "chat-eu", old)
    write(repo, {"templates/a.yaml": edit(named("a", "acct-1"), "cpus: 2", "cpus: 3")})
    commit(repo, "more cpus")
    plan = cli(server, repo, "plan")
    assert f"  ~ replace acct-1/a (templates/a.yaml) id {old}: changes " \
           "vendor_configuration.endpoint_config.cpus (used by 2 model(s))" in plan.stdout
    markdown = cli(server, repo, "plan", "--format", "markdown").stdout
    assert "2 model(s): <code>chat</code>, <code>chat-eu</code>" in markdown
    used = json.loads(cli(server, repo, "plan", "--format", "json").stdout)["actions"][0]
    assert sorted(m["name"] for m in used["used_by"]) == ["chat", "chat-eu"]
    log.write_text("")
    done = cli(server, repo, "sync", "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    new = ids(server)["a"]
    assert new != old and models(server) == {"chat": new, "chat-eu": new}
    (outcome,) = json.loads(done.stdout)["outcomes"]
    assert sorted(outcome["moved_models"]) == sorted([first["id"], second["id"]])
    calls = [line.split()[:2] for line in log.read_text().splitlines()]
    writes = [call for call in calls if call[0] in ("POST", "PATCH", "DELETE")]
    assert writes[0] == ["POST", "/v4/model-templates"]
    assert sorted(writes[1:3]) == sorted([["PATCH", f"/v4/models/{first['id']}"],
                                          ["PATCH", f"/v4/models/{second['id']}"]])
    assert writes[3:] == [["DELETE", f"/v4/model-templates/{old}"]]


def test_a_used_template_is_not_deleted_without_the_flag(
        tmp_path: Path, logged: tuple[LiveServer, Path]) -> None:
    server, _ = logged
    repo = make_repo(tmp_path / "repo", {"templates/a.yaml": named("a", "acct-1"),
                                         "templates/keep.yaml": named("keep", "acct-1")})
    assert cli(server, repo, "sync").returncode == 0
    old = ids(server)["a"]
    add_model(server, "chat", old)
    git(repo, "rm", "-q", "templates/a.yaml")
    commit(repo, "remove a")
    refused = cli(server, repo, "sync")
    assert refused.returncode == 1
    assert ("FAILED - delete  acct-1/a id " + old + ": removed from git (used by 1 model(s)): "
            "refused: 1 model(s) use it ('chat') and would be left on a deleted template; move "
            "them first, or run sync --force-delete-used") in refused.stdout.splitlines()
    assert "a" in ids(server)
    forced = cli(server, repo, "sync", "--force-delete-used")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert sorted(ids(server)) == ["keep"] and models(server) == {"chat": old}


def test_status_names_the_models_of_each_template(tmp_path: Path,
                                                  logged: tuple[LiveServer, Path]) -> None:
    server, _ = logged
    repo = make_repo(tmp_path / "repo", {"templates/a.yaml": named("a", "acct-1")})
    assert cli(server, repo, "sync").returncode == 0
    add_model(server, "chat", ids(server)["a"])
    shown = cli(server, repo, "status")
    assert shown.returncode == 0
    assert shown.stdout.splitlines()[1].split()[-1] == "MODELS"
    assert shown.stdout.splitlines()[2].split()[-1] == "chat"
    data = json.loads(cli(server, repo, "status", "--format", "json").stdout)
    assert [m["name"] for m in data["templates"][0]["models"]] == ["chat"]


def test_faults_converge_with_models_present(tmp_path: Path) -> None:
    templates = {f"templates/acct-{i % 3}/t{i:03d}.yaml": named(f"m{i:03d}", f"acct-{i % 3}")
                 for i in range(120)}
    repo = make_repo(tmp_path / "repo", templates)
    db = tmp_path / "api.db"
    with running_server(api_key=KEY, db=db) as calm:
        assert cli(calm, repo, "sync").returncode == 0
        for template in remote_state(calm)[::3]:  # a model on every third template
            add_model(calm, f"model-of-{template['name']}", template["id"],
                      template["account_id"])
    for rel, text in list(templates.items())[::2]:  # replace every other template
        write(repo, {rel: edit(text, "cpus: 2", "cpus: 3")})
    commit(repo, "more cpus for half of them")
    runs = []
    with running_server("--fault-rate", "0.3", "--fault-seed", "11", api_key=KEY,
                        db=db) as faulty:
        for _ in range(3):
            runs.append(cli(faulty, repo, "sync"))
            if runs[-1].returncode == 0:
                break
    assert runs[-1].returncode == 0, runs[-1].stdout[-3000:] + runs[-1].stderr[-3000:]
    with running_server(api_key=KEY, db=db) as calm:
        state = remote_state(calm)
        counts = Counter((t["account_id"], t["name"]) for t in state)
        assert len(state) == 120 and set(counts.values()) == {1}
        live = {t["id"] for t in state}
        placed = models(calm)
        assert len(placed) == 40
        assert all(template_id in live for template_id in placed.values())
        assert cli(calm, repo, "plan", "--detailed-exitcode").returncode == 0
