"""`status`: each template of the commit with its remote ids and state, then the templates
git does not manage. The real CLI against the real server, in a real git repository."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.commands.test_sync import KEY, cli, commit, make_repo, remote_state, write
from tests.helpers import named
from tests.live_server import running_server


def test_status_shows_ids_states_and_what_git_does_not_manage(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"templates/a.yaml": named("a", "acct-1"),
                                         "templates/b.yaml": named("b", "acct-1")})
    with running_server(api_key=KEY) as server:
        assert cli(server, repo, "sync").returncode == 0
        with server.client() as client:
            client.post("/v4/model-templates",
                        json=yaml.safe_load(named("ui", "acct-1"))).raise_for_status()
        write(repo, {"templates/b.yaml": named("b", "acct-1").replace("cpus: 2", "cpus: 3"),
                     "templates/c.yaml": named("c", "acct-1")})
        commit(repo, "edit b, add c")
        ids = {t["name"]: t["id"] for t in remote_state(server)}
        shown = cli(server, repo, "status")
        assert shown.returncode == 1, shown.stdout + shown.stderr
        lines = shown.stdout.splitlines()
        assert lines[0].startswith("Status of HEAD (")
        assert [line.split() for line in lines[1:5]] == [
            ["STATE", "ACCOUNT", "NAME", "PATH", "REMOTE", "ID(S)", "MODELS"],
            ["in", "sync", "acct-1", "a", "templates/a.yaml", ids["a"], "-"],
            ["differs", "acct-1", "b", "templates/b.yaml", ids["b"], "-"],
            ["missing", "acct-1", "c", "templates/c.yaml", "-", "-"]]
        assert lines[6].startswith("Not managed (1: made by hand;")
        assert lines[8].split() == ["acct-1", "ui", ids["ui"]]
        assert lines[-1] == "1 in sync, 1 differ, 1 missing, 1 not managed."
        data = json.loads(cli(server, repo, "status", "--format", "json").stdout)
        assert [(t["name"], t["state"], t["remote_ids"]) for t in data["templates"]] == [
            ("a", "in sync", [ids["a"]]), ("b", "differs", [ids["b"]]), ("c", "missing", [])]
        assert data["not_managed"] == [{"account_id": "acct-1", "name": "ui",
                                        "remote_ids": [ids["ui"]]}]
        assert cli(server, repo, "sync").returncode == 0
        after = cli(server, repo, "status")
        assert after.returncode == 0
        assert after.stdout.splitlines()[-1] == "3 in sync, 0 differ, 0 missing, 1 not managed."
