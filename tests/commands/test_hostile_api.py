"""plan and sync against an API that lies: the real CLI, real git, the real server's faults.

Each lying listing must stop the command with exit 1 and a clear message, and change
nothing: the server's state is read before and after through a fault-free server on the
same database file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from tests.commands.test_sync import cli, commit, make_repo, remote_state, write
from tests.helpers import edit, git, named
from tests.live_server import running_server

KEY = "key-hostile-DO-NOT-PRINT-81d2"
PATH = "/v4/model-templates"
HOSTILE_ID = "../../admin/wipe-all?confirm=yes#"
PAGES = ("--max-page-size", "2")  # five templates make three pages


def faulty(kind: str, db: Path) -> Any:
    """A server on DB where every request meets KIND (where it applies), two per page."""
    return running_server("--fault-rate", "1", "--fault-kinds", kind, *PAGES, api_key=KEY, db=db)


def state(db: Path) -> list[dict[str, Any]]:
    """Every template stored in DB, read through a fault-free server."""
    with running_server(api_key=KEY, db=db) as calm:
        return remote_state(calm)


@pytest.fixture
def pending(tmp_path: Path) -> tuple[Path, Path, list[dict[str, Any]]]:
    """(repo, db, state): five templates synced, then an edit, a removal and an addition
    committed, so that any sync planned from a listing would change the server."""
    repo = make_repo(tmp_path / "repo", {f"templates/t{i}.yaml": named(f"m{i}", "acct-1")
                                         for i in range(5)})
    db = tmp_path / "api.db"
    with running_server(api_key=KEY, db=db) as calm:
        assert cli(calm, repo, "sync").returncode == 0
        before = remote_state(calm)
    assert len(before) == 5
    write(repo, {"templates/t0.yaml": edit(named("m0", "acct-1"), "cpus: 2", "cpus: 3"),
                 "templates/t5.yaml": named("m5", "acct-1")})
    git(repo, "rm", "-q", "templates/t4.yaml")
    commit(repo, "pending changes")
    return repo, db, before


@pytest.mark.parametrize(("kind", "problem"), [
    ("stuck-page", "page 2): the answer is page 1, not page 2 as asked: the listing does not "
                   "advance"),
    ("endless", "page 1000): the listing did not end within 1000 pages (1,000,000,000,000 "
                "templates announced at 2 per page)"),
    ("malformed", "page 1): malformed items: item 0 has no id; item 1: name is a list, not a "
                  "string; item 2: id '../../admin/wipe-all?confirm=yes#' is not a plain "
                  "identifier"),
])
def test_a_lying_listing_stops_sync_and_changes_nothing(
        kind: str, problem: str, pending: tuple[Path, Path, list[dict[str, Any]]]) -> None:
    repo, db, before = pending
    with faulty(kind, db) as server:
        done = cli(server, repo, "sync")
        log = server.stderr_lines()
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr == f"template-registry: GET {PATH} (account 'acct-1', {problem}\n"
    assert done.stdout == ""
    assert state(db) == before
    # The models are listed at the same time (and get the fault too); the templates'
    # listing is what the error names.
    templates_faults = [line for line in log if line.startswith(f"fault: GET {PATH} ")]
    assert templates_faults[-1] == (
        f"fault: GET {PATH} -> {kind} (page {problem.split(')')[0].split()[-1]} asked)")
    assert KEY not in done.stderr


def test_plan_refuses_a_lying_listing_too(
        pending: tuple[Path, Path, list[dict[str, Any]]]) -> None:
    repo, db, _ = pending
    with faulty("stuck-page", db) as server:
        done = cli(server, repo, "plan", "--detailed-exitcode")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith(f"template-registry: GET {PATH} (account 'acct-1', page 2): ")


def test_a_trickling_answer_ends_at_the_call_timeout(
        pending: tuple[Path, Path, list[dict[str, Any]]]) -> None:
    repo, db, before = pending
    with running_server("--fault-rate", "1", "--fault-kinds", "trickle", api_key=KEY,
                        db=db) as server:
        started = time.monotonic()
        done = cli(server, repo, "plan", "--call-timeout", "3")
        elapsed = time.monotonic() - started
    assert done.returncode == 1
    assert done.stderr == (f"template-registry: GET {PATH} failed after the 3s call deadline: "
                           "the answer was still arriving at the deadline\n")
    assert done.stdout == ""
    assert 3.0 <= elapsed < 5.0
    assert state(db) == before


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_the_call_timeout_must_be_a_positive_number(tmp_path: Path, value: str) -> None:
    done = subprocess.run([sys.executable, "-m", "registry", "sync", "--call-timeout", value,
                           "--root", str(tmp_path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "Invalid value for '--call-timeout'" in done.stderr


def test_the_same_id_on_two_pages_is_no_duplicate(tmp_path: Path) -> None:
    """Each page after the first repeats the previous page's last template: nothing to do."""
    repo = make_repo(tmp_path / "repo", {f"templates/t{i}.yaml": named(f"m{i}", "acct-1")
                                         for i in range(7)})
    db = tmp_path / "api.db"
    with running_server(api_key=KEY, db=db) as calm:
        assert cli(calm, repo, "sync").returncode == 0
        before = remote_state(calm)
    with faulty("repeat-id", db) as server:
        done = cli(server, repo, "sync")
        log = [line for line in server.stderr_lines()
               if line.startswith(f"fault: GET {PATH} ")]
    assert done.returncode == 0, done.stdout + done.stderr
    commit_id = git(repo, "rev-parse", "HEAD").strip()
    assert done.stdout.splitlines() == [
        f"Plan for HEAD ({commit_id[:12]}); accounts: acct-1",
        "  No changes: the API holds the 7 template(s) of this commit.",
        "Plan: 0 to create, 0 to replace, 0 to delete.",
        "Sync: 0 applied, 0 failed.",
    ]
    assert log == [f"fault: GET {PATH} -> repeat-id (page {page} asked)" for page in (1, 2, 3, 4)]
    assert state(db) == before


# --- a recording server: which paths does sync really send? ----------------------------


class Recorder(ThreadingHTTPServer):
    """Answers list calls with fixed ITEMS and every other call with success; records all."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        self.items = items
        self.requests: list[tuple[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RecordingHandler(BaseHTTPRequestHandler):
    server: Recorder

    def _answer(self) -> None:
        self.server.requests.append((self.command, self.path))
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        if self.command == "GET" and self.path.startswith(PATH + "?"):
            data: Any = {"items": self.server.items, "total_item_count": len(self.server.items),
                         "current_page": 1, "items_per_page": 1000}
        elif self.command == "GET" and self.path.startswith("/v4/models?"):
            data = {"items": [], "total_item_count": 0, "current_page": 1,
                    "items_per_page": 1000}
        else:
            if self.command == "DELETE":  # sync lists again afterwards: really delete
                gone = self.path.rsplit("/", 1)[-1]
                self.server.items = [i for i in self.server.items
                                     if quote(str(i["id"]), safe="") != gone]
            data = {"success": True, "count": 1}
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the requests are recorded instead."""


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder([])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def run_cli(url: str, repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SGP_API_KEY": KEY, "SGP_CLIENT_BASE_URL": url}
    return subprocess.run([sys.executable, "-m", "registry", *args, "--root", str(repo)],
                          env=env, capture_output=True, text=True, timeout=120)


def listed(name: str, template_id: str, created_at: str) -> dict[str, Any]:
    """The template file `named(name, "acct-1")` as the API would list it."""
    body: dict[str, Any] = yaml.safe_load(named(name, "acct-1"))
    return {**body, "id": template_id, "created_at": created_at}


def test_a_hostile_id_never_reaches_the_server_as_a_path(tmp_path: Path,
                                                         recorder: Recorder) -> None:
    """A newer twin of m0 with a path for an id: once planned as a dedupe, its DELETE went
    to /admin/wipe-all. Now the listing is refused and nothing but the list is sent."""
    repo = make_repo(tmp_path / "repo", {"templates/t0.yaml": named("m0", "acct-1")})
    recorder.items = [listed("m0", "tpl-0", "2024-01-01T00:00:00"),
                      listed("m0", HOSTILE_ID, "2024-01-02T00:00:00")]
    done = run_cli(recorder.url, repo, "sync")
    assert done.returncode == 1
    assert done.stderr == (f"template-registry: GET {PATH} (account 'acct-1', page 1): "
                           "malformed items: item 1: id '../../admin/wipe-all?confirm=yes#' is "
                           "not a plain identifier\n")
    assert sorted(recorder.requests) == [
        ("GET", f"{PATH}?account_id=acct-1&page=1&limit=1000"),
        ("GET", "/v4/models?account_id=acct-1&page=1&limit=1000")]


def test_plain_ids_are_still_percent_encoded(tmp_path: Path, recorder: Recorder) -> None:
    repo = make_repo(tmp_path / "repo", {"templates/t0.yaml": named("m0", "acct-1")})
    recorder.items = [listed("m0", "tpl-0", "2024-01-01T00:00:00"),
                      listed("by-hand", "tpl:9", "2024-01-02T00:00:00")]
    done = run_cli(recorder.url, repo, "sync", "--prune")
    assert done.returncode == 0, done.stdout + done.stderr
    listing = ("GET", f"{PATH}?account_id=acct-1&page=1&limit=1000")
    models = ("GET", "/v4/models?account_id=acct-1&page=1&limit=1000")
    # Templates and models are listed at once (either may come first), before and after.
    assert sorted(recorder.requests[:2]) == [listing, models]
    assert recorder.requests[2] == ("DELETE", f"{PATH}/tpl%3A9")
    assert sorted(recorder.requests[3:]) == [listing, models]
