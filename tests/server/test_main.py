"""`template-registry serve` as a real process: start, announce, stop, refuse, survive SIGKILL."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from registry.server.main import url_for
from tests.live_server import (
    KEY_ENV,
    REPO_ROOT,
    LiveServer,
    model_body,
    running_server,
    start_server,
    template_body,
)

PATH = "/v4/model-templates"


def run_serve(*args: str, env_key: str | None = None, timeout: float = 20.0,
              ) -> subprocess.CompletedProcess[str]:
    """Run a `serve` that is expected to exit by itself (it refuses to start)."""
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
    if env_key is not None:
        env[KEY_ENV] = env_key
    return subprocess.run([sys.executable, "-m", "registry", "serve", *args],
                          capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=REPO_ROOT, check=False)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_prints_one_url_line_serves_and_stops_cleanly(sig: signal.Signals) -> None:
    with running_server() as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert int(server.url.rsplit(":", 1)[1]) > 0  # --port 0 printed the real port
        assert server.stdout_lines() == [f"Serving the model-templates API on {server.url}"]
        with server.client() as client:
            assert client.get(PATH).status_code == 200
        assert server.stop(sig) == 0
    assert server.stderr_lines() == []


def test_stops_while_clients_keep_connections_open() -> None:
    with running_server() as server:
        client = server.client()  # a keep-alive connection stays open in its pool
        assert client.get(PATH).status_code == 200
        started = time.monotonic()
        assert server.stop() == 0
        assert time.monotonic() - started < 5
        client.close()


def test_refuses_to_start_without_a_key() -> None:
    result = run_serve("--port", "0")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "refusing to start without an API key" in result.stderr
    assert "--api-key" in result.stderr and KEY_ENV in result.stderr


def test_insecure_starts_without_a_key() -> None:
    with running_server(api_key=None) as server, httpx.Client(base_url=server.url) as client:
        assert client.post(PATH, json=template_body("open")).status_code == 200
        assert client.get(PATH).json()["total_item_count"] == 1
    assert any("--insecure" in line for line in server.stderr_lines())


def test_key_from_the_option_works_too() -> None:
    """running_server passes the key in the environment; --api-key is the other way."""
    with running_server("--api-key", "option-key", api_key=None) as server:
        assert httpx.get(server.url + PATH).status_code == 401
        assert httpx.get(server.url + PATH, headers={"x-api-key": "option-key"}).status_code == 200


def test_the_key_is_never_printed(tmp_path: Path) -> None:
    secret = "sk-live-0123456789abcdef-secret"
    with running_server("--fault-rate", "0.5", "--fault-seed", "3", "--latency-ms", "1",
                        api_key=secret, db=tmp_path / "api.db") as server:
        with server.client() as client:
            for index in range(20):
                try:
                    client.post(PATH, json=template_body(f"t{index}"))
                    client.get(PATH, headers={"x-api-key": secret + "-wrong"})
                except httpx.TransportError:
                    pass
        server.wait_for_output("fault: ")
    output = "\n".join(server.output_lines())
    assert secret not in output
    assert "fault: " in output


def test_unknown_fault_kinds_are_refused() -> None:
    result = run_serve("--port", "0", "--fault-rate", "1", "--fault-kinds", "drop,teapot",
                       env_key="k")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "template-registry: --fault-kinds: unknown fault kind 'teapot'; the kinds are 500, "
        "503, 429, drop, drop-after, trickle, stuck-page, endless, repeat-id, malformed\n")


def test_the_fault_settings_are_announced() -> None:
    with running_server("--fault-rate", "0.5", "--fault-seed", "4", "--fault-kinds",
                        "trickle,endless") as server:
        pass
    assert server.stderr_lines() == ["faults: rate 0.5, seed 4, kinds trickle,endless"]


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_serve("--port", str(port), env_key="k")
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert result.stdout == ""


def test_unusable_database_is_a_clear_error(tmp_path: Path) -> None:
    result = run_serve("--port", "0", "--db", str(tmp_path / "missing" / "api.db"), env_key="k")
    assert result.returncode == 1
    assert "cannot open the database" in result.stderr


def test_url_for_formats_hosts() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert url_for("127.0.0.1", sock) == f"http://127.0.0.1:{port}"
        assert url_for("::1", sock) == f"http://[::1]:{port}"
        assert url_for("", sock) == f"http://0.0.0.0:{port}"


def test_database_persists_across_restarts(tmp_path: Path) -> None:
    db = tmp_path / "api.db"
    with running_server(db=db) as server, server.client() as client:
        kept = client.post(PATH, json=template_body("kept")).json()
        gone = client.post(PATH, json=template_body("gone")).json()
        assert client.delete(f"{PATH}/{gone['id']}").status_code == 200
    with running_server(db=db) as server, server.client() as client:
        assert client.get(PATH).json()["items"] == [kept]
        assert client.get(f"{PATH}/{gone['id']}").status_code == 404


def test_sigkill_mid_stream_keeps_every_acknowledged_create(tmp_path: Path) -> None:
    db = tmp_path / "api.db"
    acknowledged: list[str] = []
    lock, done = threading.Lock(), threading.Event()
    server = start_server(db=db)

    def write(writer: int) -> None:
        with server.client(timeout=5) as client:
            for index in range(100_000):
                if done.is_set():
                    return
                try:
                    response = client.post(PATH, json=template_body(f"w{writer}-{index}"))
                except httpx.TransportError:
                    return  # the server is gone
                assert response.status_code == 200
                with lock:
                    acknowledged.append(response.json()["id"])

    writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    try:
        for thread in writers:
            thread.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 60 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.kill() == -signal.SIGKILL  # mid-stream: the writers are still going
    finally:
        server.kill()
        done.set()
        for thread in writers:
            thread.join(10)
    assert len(acknowledged) >= 60

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with running_server(db=db) as again, again.client() as client:
        page = client.get(PATH, params={"limit": 10000}).json()
    stored = [item["id"] for item in page["items"]]
    assert page["total_item_count"] == len(stored) == len(set(stored))
    assert set(acknowledged) <= set(stored)
    # At most one create per writer was committed but never acknowledged.
    assert len(stored) - len(acknowledged) <= len(writers)


def test_sixteen_concurrent_clients_get_consistent_answers(tmp_path: Path) -> None:
    threads_count, per_thread = 16, 6
    barrier = threading.Barrier(threads_count)
    problems: list[str] = []
    kept: dict[int, list[str]] = {}

    def work(server: LiveServer, n: int) -> None:
        account = f"acct-{n}"
        with server.client() as client:
            barrier.wait()
            ids = [client.post(PATH, json=template_body(f"t{i}", account)).json()["id"]
                   for i in range(per_thread)]
            everything = client.get(PATH, params={"limit": 10000}).json()
            if everything["total_item_count"] != len(everything["items"]):
                problems.append("total differs from the items listed")
            for template_id in ids[::2]:
                if client.delete(f"{PATH}/{template_id}").json() != {"success": True,
                                                                     "count": 1}:
                    problems.append(f"delete of {template_id} failed")
            own = client.get(PATH, params={"account_id": account}).json()
            if [item["id"] for item in own["items"]] != ids[1::2]:
                problems.append(f"{account} lists {own['items']!r}")
            kept[n] = ids[1::2]

    with running_server(db=tmp_path / "api.db") as server:
        threads = [threading.Thread(target=work, args=(server, n))
                   for n in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        with server.client() as client:
            final = client.get(PATH, params={"limit": 10000}).json()
    assert problems == []
    expected = {template_id for ids in kept.values() for template_id in ids}
    assert len(expected) == threads_count * per_thread // 2
    assert final["total_item_count"] == len(final["items"]) == len(expected)
    assert {item["id"] for item in final["items"]} == expected


def test_max_page_size_caps_every_page() -> None:
    with running_server("--max-page-size", "2", api_key="k") as server, \
            server.client() as client:
        for index in range(5):
            client.post(PATH, json=template_body(f"t{index}")).raise_for_status()
        page = client.get(PATH, params={"limit": 1000, "page": 2}).json()
        assert (page["items_per_page"], page["total_item_count"], page["current_page"]) == (
            2, 5, 2)
        assert [item["name"] for item in page["items"]] == ["t2", "t3"]
        assert len(client.get(PATH, params={"limit": 1}).json()["items"]) == 1


MODELS = "/v4/models"


def test_a_version_1_database_is_served_with_its_templates_and_gains_models(
        tmp_path: Path) -> None:
    db = tmp_path / "v1.db"
    old = {**template_body("old"), "id": "old-id", "created_at": "2024-01-01T00:00:00+00:00",
           "created_by_user_id": "u", "created_by_identity_type": "user"}
    conn = sqlite3.connect(db)
    conn.executescript("""
        CREATE TABLE templates (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
                                account_id TEXT NOT NULL, body TEXT NOT NULL);
        CREATE INDEX templates_by_account ON templates (account_id, seq);
        PRAGMA user_version = 1;
    """)
    conn.execute("INSERT INTO templates (id, account_id, body) VALUES (?, ?, ?)",
                 ("old-id", "acct-1", json.dumps(old)))
    conn.commit()
    conn.close()
    with running_server(db=db) as server, server.client() as client:
        assert client.get(PATH).json()["items"] == [old]
        model = client.post(MODELS, json=model_body("m", model_template_id="old-id")).json()
        assert model["model_template_id"] == "old-id"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()
    with running_server(db=db) as server, server.client() as client:
        assert client.get(MODELS).json()["items"] == [model]


def test_concurrent_moves_and_deletes_never_leave_a_dangling_template(tmp_path: Path) -> None:
    """With --refuse-used-template-delete, models move between templates while templates
    are deleted: no model ends up naming a deleted template (the deterministic proof of
    the transaction is test_models.py's; this is the real process under load)."""
    movers, rounds = 6, 15
    moved_among = 6  # of 8 templates: the last two are never used, so always deletable
    problems: list[str] = []
    with running_server("--refuse-used-template-delete", db=tmp_path / "api.db") as server, \
            server.client() as client:
        templates = [client.post(PATH, json=template_body(f"t{i}")).json()["id"]
                     for i in range(8)]
        barrier = threading.Barrier(movers + 1)

        def move(n: int) -> None:
            with server.client() as own:
                model_id = own.post(MODELS, json=model_body(
                    f"m{n}", model_template_id=templates[n % 2])).json()["id"]
                barrier.wait()
                for index in range(rounds):
                    target = templates[(n + index) % moved_among]
                    status = own.patch(f"{MODELS}/{model_id}",
                                       json={"model_template_id": target}).status_code
                    if status not in (200, 404):
                        problems.append(f"PATCH answered {status}")

        def delete() -> None:
            with server.client() as own:
                barrier.wait()
                for template_id in reversed(templates):
                    status = own.delete(f"{PATH}/{template_id}").status_code
                    if status not in (200, 409):
                        problems.append(f"DELETE answered {status}")

        threads = [threading.Thread(target=move, args=(n,)) for n in range(movers)]
        threads.append(threading.Thread(target=delete))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        models = client.get(MODELS, params={"limit": 10000}).json()["items"]
        alive = {item["id"] for item in client.get(PATH, params={"limit": 10000}).json()[
            "items"]}
    assert problems == []
    assert len(models) == movers
    assert {model["model_template_id"] for model in models} <= alive
    assert not alive & set(templates[moved_among:])
