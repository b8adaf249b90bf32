"""plan and sync end to end: the real CLI, real git repositories, the real local server."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from registry.apply import apply_plan
from registry.client import ApiClient
from registry.commands.plan import Options, build_plan
from registry.config import load_config
from tests.helpers import edit, git, init_repo, named
from tests.live_server import LiveServer, running_server, template_body

KEY = "key-DO-NOT-PRINT-4f9a1c"



def make_repo(path: Path, templates: dict[str, str]) -> Path:
    init_repo(path)
    (path / "pyproject.toml").write_text("[tool.template-registry]\n")
    write(path, templates)
    commit(path, "initial templates")
    return path


def write(repo: Path, templates: dict[str, str]) -> None:
    for rel, text in templates.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def cli(server: LiveServer, repo: Path, *args: str,
        key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SGP_API_KEY": key or server.api_key, "SGP_CLIENT_BASE_URL": server.url}
    return subprocess.run([sys.executable, "-m", "registry", *args, "--root", str(repo)],
                          env=env, capture_output=True, text=True, timeout=300)


def remote_state(server: LiveServer) -> list[dict[str, Any]]:
    with server.client() as client:
        answer = client.get("/v4/model-templates", params={"limit": 10000})
    answer.raise_for_status()
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def names(server: LiveServer) -> list[tuple[str, str]]:
    return sorted((t["account_id"], t["name"]) for t in remote_state(server))


@pytest.fixture
def server() -> Any:
    with running_server(api_key=KEY) as live:
        yield live


def test_first_sync_creates_all_then_nothing(tmp_path: Path, server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", {f"templates/t{i}.yaml": named(f"m{i}", "acct-1")
                                         for i in range(5)})
    first = cli(server, repo, "sync")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == "Sync: 5 applied, 0 failed."
    assert "Plan: 5 to create, 0 to replace, 0 to delete." in first.stdout
    assert names(server) == [("acct-1", f"m{i}") for i in range(5)]
    again = cli(server, repo, "plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines()[-1] == "Plan: 0 to create, 0 to replace, 0 to delete."


def test_edit_rename_delete(tmp_path: Path, server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", {"templates/edit.yaml": named("edit", "acct-1"),
                                         "templates/move.yaml": named("move", "acct-1"),
                                         "templates/gone.yaml": named("gone", "acct-1")})
    assert cli(server, repo, "sync").returncode == 0
    before = {t["name"]: t["id"] for t in remote_state(server)}
    write(repo, {"templates/edit.yaml": edit(named("edit", "acct-1"), "cpus: 2", "cpus: 3")})
    commit(repo, "edit")
    (repo / "templates/sub").mkdir()
    git(repo, "mv", "templates/move.yaml", "templates/sub/moved.yaml")
    commit(repo, "rename")
    git(repo, "rm", "-q", "templates/gone.yaml")
    commit(repo, "delete")
    plan = cli(server, repo, "plan", "--format", "json", "--detailed-exitcode")
    assert plan.returncode == 2
    actions = [(a["kind"], a["name"]) for a in json.loads(plan.stdout)["actions"]]
    assert actions == [("replace", "edit"), ("delete", "gone")]
    assert json.loads(plan.stdout)["actions"][0]["changes"] == [
        {"field": "vendor_configuration.endpoint_config.cpus", "before": 2, "after": 3}]
    done = cli(server, repo, "sync")
    assert done.returncode == 0, done.stdout + done.stderr
    after = {t["name"]: t for t in remote_state(server)}
    assert sorted(after) == ["edit", "move"]
    assert after["move"]["id"] == before["move"]
    assert after["edit"]["id"] != before["edit"]
    assert after["edit"]["vendor_configuration"]["endpoint_config"]["cpus"] == 3


def test_uncommitted_changes_are_never_pushed(tmp_path: Path, server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", {"templates/a.yaml": named("a", "acct-1")})
    assert cli(server, repo, "sync").returncode == 0
    write(repo, {"templates/a.yaml": edit(named("a", "acct-1"), "cpus: 2", "cpus: 5"),
                 "templates/new.yaml": named("new", "acct-1")})
    git(repo, "add", "templates/new.yaml")  # staged is not committed either
    done = cli(server, repo, "sync")
    assert done.returncode == 0
    assert "Plan: 0 to create, 0 to replace, 0 to delete." in done.stdout
    (item,) = remote_state(server)
    assert item["vendor_configuration"]["endpoint_config"]["cpus"] == 2


def test_ref_selects_the_commit(tmp_path: Path, server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", {"templates/a.yaml": named("a", "acct-1")})
    first = git(repo, "rev-parse", "HEAD").strip()
    write(repo, {"templates/b.yaml": named("b", "acct-1")})
    commit(repo, "b")
    assert cli(server, repo, "sync", "--ref", first).returncode == 0
    assert names(server) == [("acct-1", "a")]


def test_hand_made_template_survives_unless_prune(tmp_path: Path, server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", {"templates/a.yaml": named("a", "acct-1")})
    with server.client() as client:
        client.post("/v4/model-templates",
                    json=template_body("made-in-ui", "acct-1")).raise_for_status()
    assert cli(server, repo, "sync").returncode == 0
    assert names(server) == [("acct-1", "a"), ("acct-1", "made-in-ui")]
    pruned = cli(server, repo, "sync", "--prune")
    assert pruned.returncode == 0
    assert "delete  acct-1/made-in-ui" in pruned.stdout
    assert names(server) == [("acct-1", "a")]


def test_duplicates_are_deduped(tmp_path: Path, server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", {"templates/a.yaml": named("a", "acct-1")})
    assert cli(server, repo, "sync").returncode == 0
    (original,) = remote_state(server)
    body = {k: v for k, v in original.items() if not k.startswith("created") and k != "id"}
    with server.client() as client:
        for _ in range(2):
            client.post("/v4/model-templates", json=body).raise_for_status()
    assert len(remote_state(server)) == 3
    done = cli(server, repo, "sync")
    assert done.returncode == 0
    assert "dedupe  acct-1/a" in done.stdout
    assert [t["id"] for t in remote_state(server)] == [original["id"]]


def test_invalid_templates_stop_with_exit_2(tmp_path: Path, server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", {
        "templates/a.yaml": edit(named("a", "acct-1"), "endpoint_type: SYNC",
                                 "endpoint_type: sync")})
    done = cli(server, repo, "sync")
    assert done.returncode == 2
    assert "do not validate; nothing was planned" in done.stderr
    assert "templates/a.yaml:3:16: error schema" in done.stderr
    assert remote_state(server) == []
    assert cli(server, repo, "plan", "--detailed-exitcode").returncode == 1


def test_wrong_key_is_exit_2_and_never_printed(tmp_path: Path, server: LiveServer) -> None:
    repo = make_repo(tmp_path / "repo", {"templates/a.yaml": named("a", "acct-1")})
    wrong = "wrong-key-SHOULD-NOT-APPEAR-77"
    done = cli(server, repo, "sync", key=wrong)
    assert done.returncode == 2
    assert "401" in done.stderr or "key" in done.stderr.lower()
    assert wrong not in done.stdout + done.stderr


def test_plain_http_to_a_remote_host_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"templates/a.yaml": named("a", "acct-1")})
    env = {**os.environ, "SGP_API_KEY": KEY}
    done = subprocess.run([sys.executable, "-m", "registry", "plan", "--root", str(repo),
                           "--api-url", "http://api.example.com"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "plain http" in done.stderr
    assert KEY not in done.stdout + done.stderr


def test_plan_and_sync_make_exactly_the_calls_they_need(tmp_path: Path,
                                                        server: LiveServer) -> None:
    templates = {f"templates/{a}/t{i}.yaml": named(f"m{i}", a)
                 for a in ("acct-1", "acct-2") for i in range(4)}
    repo = make_repo(tmp_path / "repo", templates)
    config = load_config(repo)
    with ApiClient(server.url, KEY) as client:
        plan = build_plan(config, Options(), client)
        assert client.request_count == 2 + 2  # one list page per account, templates and models
        report = apply_plan(plan, client, parallelism=4)
        assert not report.failed
        assert client.request_count == 4 + 8  # one call per create
    write(repo, {"templates/acct-1/t0.yaml": edit(named("m0", "acct-1"), "cpus: 2", "cpus: 3")})
    commit(repo, "edit")
    with server.client() as http:
        template_id = next(t["id"] for t in remote_state(server) if t["name"] == "m0")
        for index in range(4):  # four models on the template that is replaced
            http.post("/v4/models", json={"name": f"model-{index}", "account_id": "acct-1",
                                          "model_type": "GENERIC",
                                          "model_template_id": template_id}
                      ).raise_for_status()
    with ApiClient(server.url, KEY, page_size=3) as client:
        plan = build_plan(config, Options(), client)
        # Two pages of three per account for the templates (4 each); for the models, two
        # pages in acct-1 (4 models) and one empty page in acct-2.
        assert client.request_count == 4 + 3
        apply_plan(plan, client)
        # A replacement: one create, one PATCH per model, one delete.
        assert client.request_count == 7 + 1 + 4 + 1


def test_sync_through_faults_converges_without_duplicates(tmp_path: Path) -> None:
    templates = {f"templates/acct-{i % 3}/t{i:03d}.yaml": named(f"m{i:03d}", f"acct-{i % 3}")
                 for i in range(300)}
    repo = make_repo(tmp_path / "repo", templates)
    db = tmp_path / "api.db"
    runs = []
    with running_server("--fault-rate", "0.3", "--fault-seed", "5", api_key=KEY,
                        db=db) as faulty:
        for _ in range(3):
            runs.append(cli(faulty, repo, "sync"))
            if runs[-1].returncode == 0:
                break
        log = "\n".join(faulty.output_lines())
    assert runs[-1].returncode == 0, runs[-1].stdout[-3000:] + runs[-1].stderr[-3000:]
    assert "processed (200), connection dropped" in log  # stored creates lost their answer
    assert "-> 429" in log and "-> 503" in log and "-> 500" in log
    with running_server(api_key=KEY, db=db) as calm:
        state = remote_state(calm)
        counts = Counter((t["account_id"], t["name"]) for t in state)
        assert len(state) == 300
        assert set(counts.values()) == {1}
        assert sorted(counts) == sorted((f"acct-{i % 3}", f"m{i:03d}") for i in range(300))
        final = cli(calm, repo, "plan", "--detailed-exitcode")
        assert final.returncode == 0, final.stdout
    everything = "".join(r.stdout + r.stderr for r in runs) + final.stdout + final.stderr + log
    assert KEY not in everything


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise() -> None:
    from registry.apply import Outcome
    from registry.commands.sync import Progress
    from registry.plan import Action

    outcomes = [Outcome(Action("create", "acct", f"t{i}", f"t{i}.yaml"), created_id=f"id{i}")
                for i in range(3)]
    outcomes[1].ok, outcomes[1].error = False, "503"
    terminal = _Terminal()
    bar = Progress(3, terminal)
    for outcome in outcomes:
        bar.done(outcome)
    bar.finish()
    assert terminal.getvalue().endswith("\r[##############################] 3/3, 1 failed\n")
    assert "\r[##########--------------------] 1/3, 0 failed" in terminal.getvalue()
    log = io.StringIO()
    lines = Progress(3, log)
    for outcome in outcomes:
        lines.done(outcome)
    assert log.getvalue().splitlines() == [
        "Applying 3 action(s)...",
        "ok     + create  acct/t0 (t0.yaml) -> id0",
        "FAILED + create  acct/t1 (t1.yaml) -> id1",
        "ok     + create  acct/t2 (t2.yaml) -> id2",
    ]
