"""Fault injection: the seeded chooser, each fault kind in process, and real drops."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from registry.server.app import create_asgi
from registry.server.faults import (
    FAULT_KINDS,
    ConnectionDropped,
    FaultInjector,
    FaultKind,
)
from registry.server.settings import Settings
from registry.server.store import Store
from tests.live_server import running_server, template_body

KEY = "fault-test-key"
PATH = "/v4/model-templates"


class Scripted:
    """A chooser that answers from a script, then no fault; records what it was asked."""

    def __init__(self, *kinds: FaultKind | None) -> None:
        self.script = list(kinds)
        self.asked: list[tuple[str, str]] = []

    def choose(self, method: str, path: str) -> FaultKind | None:
        self.asked.append((method, path))
        return self.script.pop(0) if self.script else None


def faulty_client(chooser: Scripted, store: Store, log: list[str],
                  **settings: Any) -> TestClient:
    app = create_asgi(Settings(api_key=KEY, **settings), store, chooser=chooser,
                      log=log.append)
    return TestClient(app, headers={"x-api-key": KEY})


# --- the chooser ---------------------------------------------------------------------


def sequence(injector: FaultInjector, requests: list[tuple[str, str]]) -> list[FaultKind | None]:
    return [injector.choose(method, path) for method, path in requests]


REQUESTS = [("POST", PATH), ("GET", PATH), ("DELETE", PATH + "/x")] * 100


def test_same_seed_same_faults_other_seed_other_faults() -> None:
    first = sequence(FaultInjector(0.5, 42), REQUESTS)
    assert sequence(FaultInjector(0.5, 42), REQUESTS) == first
    assert sequence(FaultInjector(0.5, 43), REQUESTS) != first


def test_each_request_consumes_the_same_draws_whatever_it_is() -> None:
    """So that the faults depend on the seed and the order of requests only."""
    gets = sequence(FaultInjector(0.3, 7), [("GET", PATH)] * 300)
    assert sequence(FaultInjector(0.3, 7), REQUESTS) == gets


def test_rate_zero_never_and_rate_one_always() -> None:
    assert set(sequence(FaultInjector(0.0, 1), REQUESTS)) == {None}
    always = Counter(sequence(FaultInjector(1.0, 1), REQUESTS))
    assert set(always) == set(FAULT_KINDS)
    assert all(count > 30 for count in always.values())  # 300 draws, 5 kinds, ~60 each


def test_rate_is_the_fraction_of_failed_requests() -> None:
    results = sequence(FaultInjector(0.2, 3), [("GET", PATH)] * 5000)
    assert 0.17 < sum(kind is not None for kind in results) / 5000 < 0.23


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_rate_outside_zero_to_one_is_refused(rate: float) -> None:
    with pytest.raises(ValueError):
        FaultInjector(rate, 0)


# --- each kind, in process -----------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503, 429])
def test_error_statuses_are_answered_before_anything_happens(status: int) -> None:
    store, log = Store(), []
    client = faulty_client(Scripted(str(status)), store, log)  # type: ignore[arg-type]
    response = client.post(PATH, json=template_body("never"))
    assert response.status_code == status
    assert set(response.json()) == {"detail"}
    assert response.headers.get("retry-after") == ("1" if status == 429 else None)
    assert store.list(None, page=1, limit=10) == ([], 0)
    assert log == [f"fault: POST {PATH} -> {status}"]
    assert client.get(PATH).json()["total_item_count"] == 0  # script done: no fault


def test_faults_come_before_auth() -> None:
    store, log = Store(), []
    client = faulty_client(Scripted("503"), store, log)
    assert client.get(PATH, headers={"x-api-key": "wrong"}).status_code == 503
    assert client.get(PATH, headers={"x-api-key": "wrong"}).status_code == 401


def test_drop_loses_the_request() -> None:
    store, log = Store(), []
    client = faulty_client(Scripted("drop"), store, log)
    with pytest.raises(ConnectionDropped):
        client.post(PATH, json=template_body("lost"))
    assert store.list(None, page=1, limit=10) == ([], 0)
    assert log == [f"fault: POST {PATH} -> connection dropped"]


def test_drop_after_stores_the_create_then_loses_the_answer() -> None:
    store, log = Store(), []
    client = faulty_client(Scripted("drop-after"), store, log)
    with pytest.raises(ConnectionDropped):
        client.post(PATH, json=template_body("stored-anyway"))
    items = client.get(PATH).json()["items"]
    assert [item["name"] for item in items] == ["stored-anyway"]
    assert log == [f"fault: POST {PATH} -> processed (200), connection dropped"]


def test_drop_after_a_delete_has_deleted() -> None:
    store, log = Store(), []
    chooser = Scripted(None, "drop-after")
    client = faulty_client(chooser, store, log)
    template_id = client.post(PATH, json=template_body("doomed")).json()["id"]
    with pytest.raises(ConnectionDropped):
        client.delete(f"{PATH}/{template_id}")
    assert client.get(f"{PATH}/{template_id}").status_code == 404
    assert log == [f"fault: DELETE {PATH}/{template_id} -> processed (200), connection dropped"]


def test_only_api_calls_are_subject_to_faults() -> None:
    chooser = Scripted("500", "500")
    client = faulty_client(chooser, Store(), [])
    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert chooser.asked == []
    assert client.get(PATH).status_code == 500
    assert chooser.asked == [("GET", PATH)]


def test_latency_delays_api_answers() -> None:
    client = faulty_client(Scripted(), Store(), [], latency_ms=150)
    started = time.monotonic()
    assert client.get(PATH).status_code == 200
    assert time.monotonic() - started >= 0.15


def test_settings_make_a_seeded_injector() -> None:
    """Fault rate 1 through Settings: every API call fails; the log says how."""
    log: list[str] = []
    app = create_asgi(Settings(api_key=KEY, fault_rate=1.0, fault_seed=5), Store(),
                      log=log.append)
    client = TestClient(app, headers={"x-api-key": KEY})
    expected = sequence(FaultInjector(1.0, 5), [("GET", PATH)] * 10)
    for kind in expected:
        if kind in ("drop", "drop-after"):
            with pytest.raises(ConnectionDropped):
                client.get(PATH)
        else:
            assert client.get(PATH).status_code == int(str(kind))
    assert len(log) == 10


# --- real connections ----------------------------------------------------------------


def find_seed(rate: float, wanted: list[FaultKind | None]) -> int:
    """The first seed whose first requests get exactly the `wanted` faults."""
    for seed in range(100_000):
        if sequence(FaultInjector(rate, seed), [("GET", PATH)] * len(wanted)) == wanted:
            return seed
    raise AssertionError("no seed found")


def test_real_drops_are_connection_errors_and_stored_creates_stay() -> None:
    """Through uvicorn: a drop is no HTTP answer at all, and a dropped create is stored."""
    wanted: list[FaultKind | None] = ["drop", "drop-after", None, "429"]
    seed = find_seed(0.5, wanted)
    with running_server("--fault-rate", "0.5", "--fault-seed", str(seed),
                        api_key=KEY) as server, server.client() as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(PATH, json=template_body("dropped"))
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(PATH, json=template_body("stored-then-dropped"))
        listing = client.get(PATH)
        assert listing.status_code == 200
        assert [item["name"] for item in listing.json()["items"]] == ["stored-then-dropped"]
        limited = client.get(PATH)
        assert (limited.status_code, limited.headers["retry-after"]) == (429, "1")
        server.wait_for_output(r"-> 429")
        assert [line for line in server.stderr_lines() if line.startswith("fault:")] == [
            f"fault: POST {PATH} -> connection dropped",
            f"fault: POST {PATH} -> processed (200), connection dropped",
            f"fault: GET {PATH} -> 429",
        ]
    assert not any("Exception" in line or "Traceback" in line for line in server.output_lines())
    assert not any(KEY in line for line in server.output_lines())
