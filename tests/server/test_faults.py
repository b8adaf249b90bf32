"""Fault injection: the seeded chooser, each fault kind in process, real drops and trickles."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from scale_gp import APIResponseValidationError, SGPClient

from registry.server.app import create_asgi
from registry.server.faults import (
    DEFAULT_FAULT_KINDS,
    ENDLESS_TOTAL,
    FAULT_KINDS,
    HOSTILE_ID,
    LIST_ONLY_KINDS,
    TEMPLATES_PATH,
    ConnectionDropped,
    FaultInjector,
    FaultKind,
    parse_fault_kinds,
)
from registry.server.settings import Settings
from registry.server.store import Store
from tests.live_server import model_body, running_server, template_body

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
                      log=log.append, trickle_pause=0.001)
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
    assert set(always) == set(DEFAULT_FAULT_KINDS)  # the default: the first five kinds
    assert all(count > 30 for count in always.values())  # 300 draws, 5 kinds, ~60 each


def test_rate_is_the_fraction_of_failed_requests() -> None:
    results = sequence(FaultInjector(0.2, 3), [("GET", PATH)] * 5000)
    assert 0.17 < sum(kind is not None for kind in results) / 5000 < 0.23


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_rate_outside_zero_to_one_is_refused(rate: float) -> None:
    with pytest.raises(ValueError):
        FaultInjector(rate, 0)


def test_fault_kinds_are_parsed_from_the_option() -> None:
    assert DEFAULT_FAULT_KINDS == ("500", "503", "429", "drop", "drop-after")
    assert parse_fault_kinds("trickle") == ("trickle",)
    assert parse_fault_kinds(" 500, drop  endless,500 ") == ("500", "drop", "endless")
    assert parse_fault_kinds(",".join(FAULT_KINDS)) == FAULT_KINDS
    with pytest.raises(ValueError) as info:
        parse_fault_kinds("500,teapot")
    assert str(info.value) == ("unknown fault kind 'teapot'; the kinds are 500, 503, 429, "
                               "drop, drop-after, trickle, stuck-page, endless, repeat-id, "
                               "malformed")
    with pytest.raises(ValueError, match="no fault kind given"):
        parse_fault_kinds(" , ")


def test_list_only_kinds_go_to_list_requests_only() -> None:
    kinds: tuple[FaultKind, ...] = ("stuck-page", "endless", "repeat-id", "malformed", "503")
    faults = sequence(FaultInjector(1.0, 11, kinds), REQUESTS)
    for (method, path), kind in zip(REQUESTS, faults, strict=True):
        if (method, path) == ("GET", PATH):
            assert kind in kinds
        else:
            assert kind == "503"
    assert set(faults) == set(kinds)


def test_no_applicable_kind_means_no_fault_and_the_draws_stay_two_per_request() -> None:
    only_list = sequence(FaultInjector(0.5, 9, ("malformed",)), REQUESTS)
    plain = sequence(FaultInjector(0.5, 9, ("500",)), REQUESTS)
    assert {kind for (method, _), kind in zip(REQUESTS, only_list, strict=True)
            if method != "GET"} == {None}
    # The same draws decide: a list request fails exactly when it does with another kind.
    assert [kind is not None for kind, (method, _) in zip(only_list, REQUESTS, strict=True)
            if method == "GET"] == [kind is not None for kind, (method, _)
                                    in zip(plain, REQUESTS, strict=True) if method == "GET"]
    assert {"stuck-page", "endless", "repeat-id", "malformed"} == LIST_ONLY_KINDS


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


def seeded(count: int, account: str = "acct-1") -> tuple[Store, list[str]]:
    """A store with COUNT templates t0.. in ACCOUNT, and their ids in creation order."""
    store = Store()
    with TestClient(create_asgi(Settings(api_key=KEY), store),
                    headers={"x-api-key": KEY}) as client:
        ids = [client.post(PATH, json=template_body(f"t{i}", account)).json()["id"]
               for i in range(count)]
    return store, ids


def list_page(client: TestClient, page: int, limit: int = 2) -> dict[str, Any]:
    response = client.get(PATH, params={"account_id": "acct-1", "page": page, "limit": limit})
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def test_trickle_processes_the_request_and_sends_the_whole_answer() -> None:
    store, log = Store(), list[str]()
    client = faulty_client(Scripted("trickle"), store, log)
    response = client.post(PATH, json=template_body("slow"))
    assert response.status_code == 200 and response.json()["name"] == "slow"
    assert [item["name"] for item in store.list(None, page=1, limit=10)[0]] == ["slow"]
    assert log == [f"fault: POST {PATH} -> processed (200), answer trickled a byte every "
                   "0.001s"]


def test_stuck_page_answers_page_one_whatever_is_asked() -> None:
    store, ids = seeded(5)
    log: list[str] = []
    client = faulty_client(Scripted(None, "stuck-page"), store, log)
    first = list_page(client, 1)
    stuck = list_page(client, 3)
    assert stuck == first
    assert (stuck["current_page"], [i["id"] for i in stuck["items"]]) == (1, ids[:2])
    assert log == [f"fault: GET {PATH} -> stuck-page (page 3 asked)"]


def test_endless_claims_an_enormous_total_and_never_ends() -> None:
    store, ids = seeded(5)
    log: list[str] = []
    client = faulty_client(Scripted("endless", "endless", "endless"), store, log)
    second, fourth, ninth = (list_page(client, page) for page in (2, 4, 9))
    assert [i["id"] for i in second["items"]] == ids[2:4]
    assert [i["id"] for i in fourth["items"]] == ids[:2]  # past the end: page 1 again
    assert [i["id"] for i in ninth["items"]] == ids[4:]  # (9 - 1) % 3 + 1 = page 3
    assert {second["total_item_count"], fourth["total_item_count"]} == {ENDLESS_TOTAL}
    assert (second["current_page"], fourth["current_page"], ninth["current_page"]) == (2, 4, 9)
    assert log == [f"fault: GET {PATH} -> endless (page {page} asked)" for page in (2, 4, 9)]


def test_repeat_id_starts_each_later_page_with_the_previous_pages_last_item() -> None:
    store, ids = seeded(5)
    log: list[str] = []
    client = faulty_client(Scripted(*["repeat-id"] * 4), store, log)  # type: ignore[arg-type]
    pages = [[i["id"] for i in list_page(client, page)["items"]] for page in (1, 2, 3, 4)]
    assert pages == [ids[0:2], [ids[1], ids[2], ids[3]], [ids[3], ids[4]], []]
    assert len(log) == 4


def test_malformed_puts_three_bad_items_first() -> None:
    store, ids = seeded(1)
    log: list[str] = []
    client = faulty_client(Scripted("malformed"), store, log)
    items = list_page(client, 1)["items"]
    assert len(items) == 4 and items[3]["id"] == ids[0]
    assert "id" not in items[0] and items[0]["name"] == "t0"
    assert (items[1]["id"], items[1]["name"]) == ("malformed-name", ["a"])
    assert (items[2]["id"], items[2]["name"]) == (HOSTILE_ID, "t0")
    assert HOSTILE_ID == "../../admin/wipe-all?confirm=yes#"
    assert log == [f"fault: GET {PATH} -> malformed (page 1 asked)"]


def test_malformed_on_an_empty_account_still_has_bad_items() -> None:
    client = faulty_client(Scripted("malformed"), Store(), [])
    items = list_page(client, 1)["items"]
    assert [item.get("id") for item in items] == [None, "malformed-name", HOSTILE_ID]
    assert {item["account_id"] for item in items} == {"acct-1"}


@pytest.mark.parametrize("kind", ["stuck-page", "endless", "repeat-id", "malformed"])
def test_list_faults_pass_errors_through(kind: FaultKind) -> None:
    client = faulty_client(Scripted(kind), Store(), [])
    assert client.get(PATH, headers={"x-api-key": "wrong"}).status_code == 401


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


def test_a_real_trickle_sends_a_byte_a_second_and_stops_when_the_client_leaves() -> None:
    with running_server("--fault-rate", "1", "--fault-kinds", "trickle",
                        api_key=KEY) as server, server.client() as client:
        started = time.monotonic()
        with client.stream("GET", PATH) as response:
            assert response.status_code == 200
            assert time.monotonic() - started < 1.0  # the headers come at once
            received = b""
            for chunk in response.iter_raw():
                received += chunk
                if len(received) >= 3:
                    break
        elapsed = time.monotonic() - started
        assert received == b'{"i'  # a byte at a time, a second apart
        assert 2.0 <= elapsed < 3.5
        stop_started = time.monotonic()
        assert server.stop() == 0
        assert time.monotonic() - stop_started < 3  # no trickle left to wait for
    assert [line for line in server.stderr_lines() if line.startswith("fault:")] == [
        f"fault: GET {PATH} -> processed (200), answer trickled a byte every 1s"]
    assert not any("ASGI" in line or "Traceback" in line for line in server.output_lines())



# --- the models calls ----------------------------------------------------------------

MODELS = "/v4/models"


def test_list_only_kinds_go_to_the_models_list_too() -> None:
    requests = [("GET", MODELS), ("POST", MODELS), ("PATCH", MODELS + "/x"),
                ("GET", MODELS + "/x"), ("DELETE", MODELS + "/x")] * 60
    kinds: tuple[FaultKind, ...] = ("stuck-page", "endless", "repeat-id", "malformed", "500")
    faults = sequence(FaultInjector(1.0, 5, kinds), requests)
    assert {kind for (method, path), kind in zip(requests, faults, strict=True)
            if (method, path) != ("GET", MODELS)} == {"500"}
    assert {kind for (method, path), kind in zip(requests, faults, strict=True)
            if (method, path) == ("GET", MODELS)} == set(kinds)


def seeded_models(count: int) -> tuple[Store, list[str]]:
    """A store with COUNT models m0.. in acct-1, and their ids in creation order."""
    store = Store()
    with TestClient(create_asgi(Settings(api_key=KEY), store),
                    headers={"x-api-key": KEY}) as client:
        ids = [client.post(MODELS, json=model_body(f"m{i}")).json()["id"] for i in range(count)]
    return store, ids


def models_page(client: TestClient, page: int) -> dict[str, Any]:
    response = client.get(MODELS, params={"account_id": "acct-1", "page": page, "limit": 2})
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def page_ids(page: dict[str, Any]) -> list[str | None]:
    return [item.get("id") for item in page["items"]]


def test_each_list_fault_lies_about_the_models_list() -> None:
    store, ids = seeded_models(5)
    log: list[str] = []
    client = faulty_client(Scripted("stuck-page", "endless", "repeat-id", "malformed"), store,
                           log)
    stuck, endless, repeated, malformed = (models_page(client, page) for page in (3, 4, 2, 1))
    assert (stuck["current_page"], page_ids(stuck)) == (1, ids[:2])
    assert (endless["total_item_count"], page_ids(endless)) == (ENDLESS_TOTAL, ids[:2])
    assert page_ids(repeated) == [ids[1], ids[2], ids[3]]
    assert page_ids(malformed) == [None, "malformed-name", HOSTILE_ID, *ids[:2]]
    assert malformed["items"][1]["name"] == ["a"]
    assert log == [f"fault: GET {MODELS} -> {kind} (page {page} asked)" for kind, page in (
        ("stuck-page", 3), ("endless", 4), ("repeat-id", 2), ("malformed", 1))]
    assert page_ids(models_page(client, 3)) == ids[4:]  # script done: the truth again


def test_trickle_sends_the_whole_models_page() -> None:
    store, ids = seeded_models(3)
    log: list[str] = []
    client = faulty_client(Scripted("trickle"), store, log)
    assert page_ids(models_page(client, 2)) == ids[2:]
    assert log == [f"fault: GET {MODELS} -> processed (200), answer trickled a byte every "
                   "0.001s"]


def test_drop_after_a_patch_has_changed_the_model() -> None:
    store, [model_id] = seeded_models(1)
    log: list[str] = []
    client = faulty_client(Scripted("drop-after"), store, log)
    with pytest.raises(ConnectionDropped):
        client.patch(f"{MODELS}/{model_id}", json={"display_name": "changed"})
    assert client.get(f"{MODELS}/{model_id}").json()["display_name"] == "changed"
    assert log == [f"fault: PATCH {MODELS}/{model_id} -> processed (200), connection dropped"]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_error_faults_leave_models_untouched(status: int) -> None:
    store, [model_id] = seeded_models(1)
    client = faulty_client(Scripted(*[str(status)] * 3), store, [])  # type: ignore[arg-type]
    assert client.patch(f"{MODELS}/{model_id}", json={"name": "x"}).status_code == status
    assert client.delete(f"{MODELS}/{model_id}").status_code == status
    assert client.post(MODELS, json=model_body("new")).status_code == status
    assert [item["name"] for item in store.list_models(None, page=1, limit=10)[0]] == ["m0"]


def find_seed_for(rate: float, requests: list[tuple[str, str]],
                  wanted: list[FaultKind | None], kinds: tuple[FaultKind, ...]) -> int:
    """The first seed whose faults for `requests` are exactly `wanted`."""
    for seed in range(100_000):
        if sequence(FaultInjector(rate, seed, kinds), requests) == wanted:
            return seed
    raise AssertionError("no seed found")


def test_real_faults_on_the_models_calls() -> None:
    """Through uvicorn: a PATCH whose answer is dropped took effect; a delete that met a 503
    did not; a lying list is refused by the SDK's strict validation."""
    requests = [("POST", TEMPLATES_PATH), ("POST", MODELS), ("PATCH", MODELS + "/id"),
                ("GET", MODELS + "/id"), ("DELETE", MODELS + "/id"), ("GET", MODELS),
                ("GET", MODELS)]
    wanted: list[FaultKind | None] = [None, None, "drop-after", None, "503", "malformed", None]
    kinds: tuple[FaultKind, ...] = ("503", "drop-after", "malformed")
    seed = find_seed_for(0.5, requests, wanted, kinds)
    with running_server("--fault-rate", "0.5", "--fault-seed", str(seed), "--fault-kinds",
                        ",".join(kinds), api_key=KEY) as server, server.client() as client:
        template_id = client.post(TEMPLATES_PATH, json=template_body("t")).json()["id"]
        model_id = client.post(MODELS, json=model_body("m")).json()["id"]
        with pytest.raises(httpx.RemoteProtocolError):
            client.patch(f"{MODELS}/{model_id}", json={"model_template_id": template_id})
        assert client.get(f"{MODELS}/{model_id}").json()["model_template_id"] == template_id
        assert client.delete(f"{MODELS}/{model_id}").status_code == 503
        sdk = SGPClient(api_key=KEY, base_url=server.url, max_retries=0,
                        _strict_response_validation=True)
        with pytest.raises(APIResponseValidationError):
            sdk.models.list()
        assert [model.id for model in sdk.models.list()] == [model_id]
    assert [line for line in server.stderr_lines() if line.startswith("fault:")] == [
        f"fault: PATCH {MODELS}/{model_id} -> processed (200), connection dropped",
        f"fault: DELETE {MODELS}/{model_id} -> 503",
        f"fault: GET {MODELS} -> malformed (page 1 asked)",
    ]
