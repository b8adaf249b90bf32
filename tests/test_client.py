"""The API client: retries and backoff, errors, pagination, safe creates, key hygiene."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry import __version__
from registry.client import (
    PRODUCTION_URL,
    ApiClient,
    ApiError,
    AuthError,
    ClientError,
    ConfigError,
    check_url_safe_for_key,
    resolve_base_url,
)
from registry.compare import same_template
from tests.live_server import running_server, template_body

KEY = "sk-secret-key-0123456789"
URL = "https://api.test"
PATH = "/v4/model-templates"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeTime:
    """A clock that only moves when the client sleeps: waits are recorded, never slept."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


class MaxRandom(random.Random):
    """An rng at the top of its range, so that each wait equals its jitter ceiling."""

    def random(self) -> float:
        return 1.0


def make_client(handler: Handler, fake: FakeTime | None = None, **kwargs: Any) -> ApiClient:
    fake = fake or FakeTime()
    kwargs.setdefault("rng", random.Random(1234))
    return ApiClient(URL, KEY, transport=httpx.MockTransport(handler), sleep=fake.sleep,
                     clock=fake.clock, **kwargs)


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None
           ) -> httpx.Response:
    return httpx.Response(status, json=body if body is not None else {"detail": f"status {status}"},
                          headers=headers)


def always(status: int, headers: dict[str, str] | None = None) -> Handler:
    return lambda request: answer(status, headers=headers)


def scripted(*steps: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]
             ) -> tuple[Handler, list[httpx.Request]]:
    """A handler playing `steps` in order (the last one repeats); records the requests."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = steps[min(len(seen), len(steps)) - 1]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)

    return handler, seen


def created(body: dict[str, Any], template_id: str = "tpl-1") -> dict[str, Any]:
    """A template as the API returns it: nulls for absent fields, server fields added."""
    full: dict[str, Any] = {
        "model_creation_parameters_schema": None,
        "model_request_parameters_schema": None,
        "endpoint_protocol": None,
        **body,
        "id": template_id,
        "created_at": "2024-01-01T00:00:00+00:00",
        "created_by_user_id": "u",
        "created_by_identity_type": "user",
        "some_future_field": {"x": 1},
    }
    return full


class FakeApi:
    """A tiny in-memory API for MockTransport: list (paginated), create, delete."""

    def __init__(self, *, report_total: bool = True) -> None:
        self.items: list[dict[str, Any]] = []
        self.calls: Counter[str] = Counter()
        self.report_total = report_total
        self.max_page_size = 10**6  # pages hold at most this many, whatever limit asks
        self.next_id = 0
        self.lock = threading.RLock()  # the client may call it from several threads

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            return self.handle(request)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls[request.method] += 1
        if request.method == "GET":
            page = int(request.url.params["page"])
            limit = min(int(request.url.params["limit"]), self.max_page_size)
            account = request.url.params["account_id"]
            mine = [item for item in self.items if item["account_id"] == account]
            body: dict[str, Any] = {"items": mine[(page - 1) * limit: page * limit],
                                    "current_page": page, "items_per_page": limit}
            body["total_item_count"] = len(mine) if self.report_total else 10**6
            return httpx.Response(200, json=body)
        if request.method == "POST":
            return httpx.Response(200, json=self.store(json.loads(request.content)))
        if request.method == "DELETE":
            template_id = request.url.path.rsplit("/", 1)[1]
            before = len(self.items)
            self.items = [item for item in self.items if item["id"] != template_id]
            if len(self.items) == before:
                return answer(404, {"detail": f"Model template {template_id!r} not found"})
            return httpx.Response(200, json={"success": True, "count": 1})
        return answer(405)

    def store(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.next_id += 1
            item = created(body, f"tpl-{self.next_id}")
            self.items.append(item)
            return item


# --- backoff, Retry-After, limits ------------------------------------------------------


def test_backoff_grows_exponentially_and_is_capped() -> None:
    fake = FakeTime()
    client = make_client(always(503), fake, rng=MaxRandom(), max_attempts=8,
                         backoff_base=0.5, backoff_cap=4.0, retry_deadline=1000)
    with pytest.raises(ApiError) as info:
        client.list_templates("acct")
    assert fake.waits == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    assert client.request_count == 8
    assert info.value.status == 503


def test_jitter_stays_within_bounds() -> None:
    fake = FakeTime()
    client = make_client(always(500), fake, rng=random.Random(7), max_attempts=12,
                         backoff_base=0.25, backoff_cap=2.0, retry_deadline=1000)
    with pytest.raises(ApiError):
        client.list_templates("acct")
    assert len(fake.waits) == 11
    for retry, wait in enumerate(fake.waits):
        assert 0.0 <= wait < min(2.0, 0.25 * 2**retry)
    assert len(set(fake.waits)) == len(fake.waits)  # really random, not a fixed schedule


def test_retry_after_seconds_is_honoured() -> None:
    fake = FakeTime()
    handler, seen = scripted(answer(429, headers={"Retry-After": "3"}),
                             answer(200, {"items": [], "total_item_count": 0}))
    client = make_client(handler, fake, backoff_base=0.01)
    assert client.list_templates("acct") == []
    assert len(seen) == 2
    assert len(fake.waits) == 1 and fake.waits[0] == pytest.approx(3.0)


def test_retry_after_http_date_is_honoured() -> None:
    fake = FakeTime()
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    handler, seen = scripted(answer(503, headers={"Retry-After": when}),
                             answer(200, {"items": [], "total_item_count": 0}))
    client = make_client(handler, fake, backoff_base=0.01)
    client.list_templates("acct")
    assert len(seen) == 2
    assert 8.0 <= fake.waits[0] <= 10.0


def test_retry_after_beyond_the_deadline_stops_at_once() -> None:
    fake = FakeTime()
    client = make_client(always(429, {"Retry-After": "120"}), fake, retry_deadline=60)
    with pytest.raises(ApiError) as info:
        client.list_templates("acct")
    assert client.request_count == 1 and fake.waits == []
    assert info.value.status == 429
    assert "deadline" in str(info.value)


def test_deadline_stops_retries() -> None:
    fake = FakeTime()
    client = make_client(always(502), fake, rng=MaxRandom(), max_attempts=100,
                         backoff_base=1.0, backoff_cap=8.0, retry_deadline=20.0)
    with pytest.raises(ApiError) as info:
        client.list_templates("acct")
    # waits 1, 2, 4, 8 (15 s); the next 8 would pass 20 s
    assert fake.waits == [1.0, 2.0, 4.0, 8.0]
    assert client.request_count == 5
    assert info.value.status == 502


def test_max_attempts_respected_on_connection_errors() -> None:
    fake = FakeTime()
    handler, seen = scripted(httpx.ConnectError("connection refused"))
    client = make_client(handler, fake, max_attempts=4)
    with pytest.raises(ApiError) as info:
        client.list_templates("acct")
    assert len(seen) == 4 == client.request_count
    assert len(fake.waits) == 3
    assert info.value.status is None
    assert "ConnectError" in info.value.detail


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_other_4xx_are_not_retried(status: int) -> None:
    fake = FakeTime()
    client = make_client(always(status), fake)
    with pytest.raises(ApiError) as info:
        client.list_templates("acct")
    assert client.request_count == 1 and fake.waits == []
    assert info.value.status == status
    assert info.value.detail == f"status {status}"


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_raise_auth_error_without_retry(status: int) -> None:
    client = make_client(always(status))
    with pytest.raises(AuthError) as info:
        client.create_template(template_body("a", "acct"))
    assert client.request_count == 1
    assert info.value.status == status


def test_422_detail_is_readable() -> None:
    detail = [
        {"loc": ["body", "name"], "msg": "Field required", "type": "missing"},
        {"loc": ["body", "vendor_configuration", "bundle_config", "tag"],
         "msg": "Input should be a valid string", "type": "string_type"},
    ]
    client = make_client(always_json(422, {"detail": detail}))
    with pytest.raises(ApiError) as info:
        client.create_template(template_body("a", "acct"))
    assert info.value.status == 422
    assert info.value.detail == (
        "body.name: Field required; "
        "body.vendor_configuration.bundle_config.tag: Input should be a valid string"
    )
    assert client.request_count == 1


def always_json(status: int, body: Any) -> Handler:
    return lambda request: httpx.Response(status, json=body)


def test_headers_sent_on_every_call() -> None:
    api = FakeApi()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return api(request)

    client = make_client(handler)
    made = client.create_template(template_body("a", "acct-9"))
    client.list_templates("acct-9")
    client.delete_template(made["id"], "acct-9")
    assert [r.method for r in seen] == ["POST", "GET", "DELETE"]
    for request in seen:
        assert request.headers["x-api-key"] == KEY
        assert request.headers["x-selected-account-id"] == "acct-9"
        assert request.headers["user-agent"] == f"template-registry/{__version__}"
    assert seen[1].url.params["account_id"] == "acct-9"


# --- pagination ------------------------------------------------------------------------


def test_pagination_stops_when_total_is_reached() -> None:
    api = FakeApi()
    for i in range(10):
        api.store(template_body(f"t{i}", "acct"))
    api.store(template_body("other", "acct-other"))
    client = make_client(api, page_size=3)
    items = client.list_templates("acct")
    assert [item["name"] for item in items] == [f"t{i}" for i in range(10)]
    assert api.calls["GET"] == 4  # 3+3+3+1, and 4*3 >= 10: no empty fifth page
    assert "some_future_field" in items[0]  # raw items, unknown fields kept


def test_pagination_exact_multiple_needs_no_extra_call() -> None:
    api = FakeApi()
    for i in range(9):
        api.store(template_body(f"t{i}", "acct"))
    client = make_client(api, page_size=3)
    assert len(client.list_templates("acct")) == 9
    assert api.calls["GET"] == 3


def test_pagination_stops_on_an_empty_page() -> None:
    api = FakeApi(report_total=False)  # a total that never tells us to stop
    for i in range(9):
        api.store(template_body(f"t{i}", "acct"))
    client = make_client(api, page_size=3)
    assert len(client.list_templates("acct")) == 9
    assert api.calls["GET"] == 4  # the fourth page is empty


def test_empty_account_is_one_call() -> None:
    api = FakeApi()
    client = make_client(api, page_size=3)
    assert client.list_templates("acct") == []
    assert api.calls["GET"] == 1


# --- creates whose answer was lost -----------------------------------------------------


class LosingApi(FakeApi):
    """Stores the first `lose` creates, then drops the connection instead of answering."""

    def __init__(self, lose: int = 1, error: Exception | None = None) -> None:
        super().__init__()
        self.lose = lose
        self.error = error or httpx.RemoteProtocolError(
            "Server disconnected without sending a response.")

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and self.lose > 0:
            self.lose -= 1
            self.calls["POST"] += 1
            self.store(json.loads(request.content))
            raise self.error
        return super().__call__(request)


def test_lost_create_answer_adopts_the_stored_template() -> None:
    api = LosingApi()
    client = make_client(api)
    body = template_body("a", "acct")
    result = client.create_template(body)
    assert len(api.items) == 1
    assert result == api.items[0]
    assert api.calls["POST"] == 1
    assert api.calls["GET"] == 1
    assert client.request_count == 2


@pytest.mark.parametrize("error", [httpx.ReadTimeout("timed out"), httpx.ReadError("reset"),
                                   httpx.WriteError("broken pipe")])
def test_other_maybe_sent_errors_also_adopt(error: Exception) -> None:
    api = LosingApi(error=error)
    client = make_client(api)
    result = client.create_template(template_body("a", "acct"))
    assert len(api.items) == 1 and result == api.items[0]
    assert api.calls["POST"] == 1


def test_5xx_on_create_lists_before_retrying() -> None:
    api = FakeApi()
    handler, seen = scripted(answer(500), api)
    client = make_client(handler)
    result = client.create_template(template_body("a", "acct"))
    assert [r.method for r in seen] == ["POST", "GET", "POST"]
    assert len(api.items) == 1 and result == api.items[0]


def test_no_adoption_when_the_listed_template_differs() -> None:
    api = FakeApi()
    # the account holds another body under the name (an older version, say): not ours
    api.store(template_body("a", "acct", endpoint_protocol="VLLM"))
    handler, seen = scripted(httpx.RemoteProtocolError("dropped"), api)
    client = make_client(handler)
    body = template_body("a", "acct")
    result = client.create_template(body)
    assert [r.method for r in seen] == ["POST", "GET", "POST"]
    assert len(api.items) == 2
    assert result == api.items[1] and same_template(body, result)


def test_connect_error_and_429_on_create_retry_without_listing() -> None:
    api = FakeApi()
    handler, seen = scripted(httpx.ConnectError("refused"),
                             answer(429, headers={"Retry-After": "0"}), api)
    client = make_client(handler)
    client.create_template(template_body("a", "acct"))
    assert [r.method for r in seen] == ["POST", "POST", "POST"]
    assert len(api.items) == 1


def test_create_out_of_attempts_still_checks_before_failing() -> None:
    api = LosingApi(lose=1)
    client = make_client(api, max_attempts=1)
    result = client.create_template(template_body("a", "acct"))
    assert result == api.items[0] and api.calls["POST"] == 1


def test_create_outcome_unknown_when_the_check_fails() -> None:
    handler, seen = scripted(httpx.RemoteProtocolError("dropped"), answer(400))
    client = make_client(handler)
    with pytest.raises(ApiError) as info:
        client.create_template(template_body("a", "acct"))
    assert [r.method for r in seen] == ["POST", "GET"]  # never POSTed blindly
    assert "outcome unknown" in str(info.value)


# --- deletes ---------------------------------------------------------------------------


def test_delete_404_after_a_lost_answer_is_already_gone() -> None:
    api = FakeApi()
    made = api.store(template_body("a", "acct"))

    def lose_first_delete(request: httpx.Request) -> httpx.Response:
        api(request)  # done...
        raise httpx.RemoteProtocolError("dropped")  # ...but the answer is lost

    handler, seen = scripted(lose_first_delete, api)
    client = make_client(handler)
    assert client.delete_template(made["id"], "acct") is False
    assert [r.method for r in seen] == ["DELETE", "DELETE"]
    assert api.items == []


def test_delete_returns_true_when_it_deleted() -> None:
    api = FakeApi()
    made = api.store(template_body("a", "acct"))
    client = make_client(api)
    assert client.delete_template(made["id"], "acct") is True
    assert api.items == [] and client.request_count == 1


def test_delete_404_on_first_attempt_means_already_gone() -> None:
    """A concurrent sync deleted it first: idempotent, not a failed action."""
    client = make_client(FakeApi())
    assert client.delete_template("nope", "acct") is False
    assert client.request_count == 1


@pytest.mark.parametrize("status", [400, 409, 410, 422])
def test_delete_other_4xx_are_still_errors(status: int) -> None:
    client = make_client(always(status))
    with pytest.raises(ApiError) as info:
        client.delete_template("tpl-1", "acct")
    assert info.value.status == status
    assert str(info.value) == f"DELETE {PATH}/tpl-1 failed ({status}): status {status}"


# --- answers are untrusted: ids, malformed pages, lying pages, size, deadline ---------

HOSTILE_ID = "../../admin/wipe-all?confirm=yes#"
LIST_WHERE = f"GET {PATH} (account 'acct', page 1)"


def item(template_id: str, name: str = "n", account_id: str = "acct") -> dict[str, Any]:
    return {"id": template_id, "name": name, "account_id": account_id}


def page_answer(items: list[Any], *, total: int | None, page: int = 1,
                per_page: int = 1000) -> httpx.Response:
    body: dict[str, Any] = {"items": items, "current_page": page, "items_per_page": per_page}
    if total is not None:
        body["total_item_count"] = total
    return httpx.Response(200, json=body)


def test_ids_are_percent_encoded_in_paths() -> None:
    handler, seen = scripted(answer(200, {"success": True, "count": 1}))
    client = make_client(handler)
    assert client.delete_template("tpl:1.a_b-C", "acct") is True
    assert seen[0].url.raw_path == b"/v4/model-templates/tpl%3A1.a_b-C"


@pytest.mark.parametrize("bad_id", [HOSTILE_ID, "..", ".", ".hidden", "a/b", "a b", "",
                                    "a" * 201, "caf\u00e9", "a\n", "%2e%2e", "a?b", "a#b"])
def test_ids_that_are_not_plain_identifiers_are_never_sent(bad_id: str) -> None:
    handler, seen = scripted(answer(200, {"success": True, "count": 1}))
    client = make_client(handler)
    with pytest.raises(ApiError) as info:
        client.delete_template(bad_id, "acct")
    assert seen == [] and client.request_count == 0
    assert str(info.value).startswith("refusing the template id ")
    assert str(info.value).endswith(": not a plain identifier, so not safe in a URL")


def test_the_longest_plain_id_is_accepted() -> None:
    handler, seen = scripted(answer(200, {"success": True, "count": 1}))
    make_client(handler).delete_template("a" * 200, "acct")
    assert seen[0].url.path == f"{PATH}/{'a' * 200}"


def test_a_hostile_id_in_a_listing_refuses_the_whole_listing() -> None:
    handler, seen = scripted(page_answer([item("ok-1"), item(HOSTILE_ID)], total=2))
    client = make_client(handler)
    with pytest.raises(ApiError) as info:
        client.list_templates("acct")
    assert str(info.value) == (
        f"{LIST_WHERE}: malformed items: item 1: id '../../admin/wipe-all?confirm=yes#' "
        "is not a plain identifier")
    assert info.value.status == 200 and len(seen) == 1


@pytest.mark.parametrize("created_id", [HOSTILE_ID, None, 7, ["a"]])
def test_a_created_template_must_have_a_plain_id(created_id: Any) -> None:
    body = template_body("a", "acct")
    handler, _ = scripted(answer(200, {**created(body), "id": created_id}))
    with pytest.raises(ApiError) as info:
        make_client(handler).create_template(body)
    assert str(info.value) == (f"POST {PATH}: the created template's id {created_id!r} is not "
                               "a plain identifier")


def test_the_same_id_on_two_pages_is_one_template() -> None:
    """Offset pages shifted by a concurrent insert: page 2 repeats page 1's last item."""
    handler, seen = scripted(
        page_answer([item("t1", "a"), item("t2", "b")], total=4, per_page=2),
        page_answer([item("t2", "b"), item("t3", "c"), item("t4", "d")], total=4, page=2,
                    per_page=2))
    listed = make_client(handler, page_size=2).list_templates("acct")
    assert [(t["id"], t["name"]) for t in listed] == [("t1", "a"), ("t2", "b"), ("t3", "c"),
                                                      ("t4", "d")]
    assert [r.url.params["page"] for r in seen] == ["1", "2"]


def test_a_repeated_template_is_not_planned_as_a_duplicate() -> None:
    """The reproduced case: keep-me on pages 1 and 2 was 'deduped' against itself."""
    from registry.plan import Desired, compute_plan

    body = template_body("keep-me", "acct")
    remote = created(body, "keep-me")
    handler, _ = scripted(page_answer([remote], total=2, per_page=1),
                          page_answer([remote], total=2, page=2, per_page=1),
                          page_answer([], total=2, page=3, per_page=1))
    listed = make_client(handler, page_size=1).list_templates("acct")
    assert listed == [remote]
    plan = compute_plan([Desired.from_body("t.yaml", body)], {"acct": listed}, set())
    assert plan.actions == () and plan.unchanged == 1


@pytest.mark.parametrize(("page", "problem"), [
    ([], "the answer is a list, not an object"),
    ({"total_item_count": 1}, "the answer has no items"),
    ({"items": {"id": "a"}}, "items is an object, not a list"),
    ({"items": None}, "items is null, not a list"),
    ({"items": [1]}, "malformed items: item 0 is a number, not an object"),
    ({"items": [["a"]]}, "malformed items: item 0 is a list, not an object"),
    ({"items": [{"name": "n", "account_id": "acct"}]}, "malformed items: item 0 has no id"),
    ({"items": [{"id": "a", "account_id": "acct"}]}, "malformed items: item 0 has no name"),
    ({"items": [{"id": "a", "name": "n"}]}, "malformed items: item 0 has no account_id"),
    ({"items": [{**item("a"), "id": None}]}, "malformed items: item 0: id is null, not a string"),
    ({"items": [{**item("a"), "id": 12}]}, "malformed items: item 0: id is a number, not a string"),
    ({"items": [{**item("a"), "name": ["a"]}]},
     "malformed items: item 0: name is a list, not a string"),
    ({"items": [{**item("a"), "name": {"x": 1}}]},
     "malformed items: item 0: name is an object, not a string"),
    ({"items": [{**item("a"), "account_id": True}]},
     "malformed items: item 0: account_id is a boolean, not a string"),
    ({"items": [item("a", account_id="acct-other")]},
     "malformed items: item 0 (id 'a') belongs to account 'acct-other', not to 'acct' that "
     "was listed"),
    ({"items": [item("x" * 150 + "/")]},
     "malformed items: item 0: id 'xxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxx/' is not a plain "
     "identifier"),
    ({"items": [item("a")], "current_page": "1"},
     "current_page is '1', not a whole number >= 1"),
    ({"items": [item("a")], "total_item_count": -1},
     "total_item_count is -1, not a whole number >= 0"),
    ({"items": [item("a")], "items_per_page": 0}, "items_per_page is 0, not a whole number >= 1"),
    ({"items": [1, {}, item(".."), item("b", "n", "x"), {**item("c"), "name": 1}, [], None]},
     "malformed items: item 0 is a number, not an object; item 1 has no id; item 2: id '..' "
     "is not a plain identifier; item 3 (id 'b') belongs to account 'x', not to 'acct' that "
     "was listed; item 4: name is a number, not a string; and 2 more"),
])
def test_malformed_pages_are_errors_with_a_location(page: Any, problem: str) -> None:
    handler, seen = scripted(answer(200, page))
    client = make_client(handler)
    with pytest.raises(ApiError) as info:
        client.list_templates("acct")
    assert str(info.value) == f"{LIST_WHERE}: {problem}"
    assert info.value.detail == problem
    assert len(seen) == 1  # not retried: the answer is wrong, not lost


def test_a_malformed_second_page_names_its_page() -> None:
    handler, _ = scripted(page_answer([item("a")], total=2, per_page=1),
                          page_answer([{"id": "b"}], total=2, page=2, per_page=1))
    with pytest.raises(ApiError) as info:
        make_client(handler, page_size=1).list_templates("acct")
    assert str(info.value) == (f"GET {PATH} (account 'acct', page 2): malformed items: "
                               "item 0 has no name")


def test_answers_that_are_not_json_are_errors() -> None:
    handler, _ = scripted(httpx.Response(200, content=b"[" * 100_000),
                          httpx.Response(200, content=b"<html>"))
    client = make_client(handler)
    for _ in range(2):  # nested beyond the recursion limit, then not JSON at all
        with pytest.raises(ApiError) as info:
            client.list_templates("acct")
        assert str(info.value) == f"GET {PATH}: the answer is not JSON"


def test_a_page_that_does_not_advance_stops_the_listing() -> None:
    """stuck-page: asked for page 2, the server answers page 1 again."""
    handler, seen = scripted(page_answer([item("a"), item("b")], total=5, per_page=2))
    with pytest.raises(ApiError) as info:
        make_client(handler, page_size=2).list_templates("acct")
    assert str(info.value) == (f"GET {PATH} (account 'acct', page 2): the answer is page 1, "
                               "not page 2 as asked: the listing does not advance")
    assert len(seen) == 2


def test_pages_that_never_end_stop_one_page_after_the_announced_total() -> None:
    """Pages past the end repeat earlier items and are never empty: 6 at 2 per page -> 4."""
    def cycling(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        first = 2 * ((page - 1) % 2)
        return page_answer([item(f"t{first}"), item(f"t{first + 1}")], total=6, page=page,
                           per_page=2)

    handler, seen = scripted(cycling)
    with pytest.raises(ApiError) as info:
        make_client(handler, page_size=50).list_templates("acct")
    assert str(info.value) == (f"GET {PATH} (account 'acct', page 4): the listing did not end "
                               "within 4 pages (6 templates announced at 2 per page)")
    assert [r.url.params["page"] for r in seen] == ["1", "2", "3", "4"]
    assert {r.url.params["limit"] for r in seen} == {"50"}


def test_an_endless_total_stops_at_the_page_cap() -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return page_answer([item(f"t{page}")], total=10**12, page=page, per_page=1)

    client = make_client(endless, page_size=1)
    with pytest.raises(ApiError) as info:
        client.list_templates("acct")
    assert str(info.value) == (
        f"GET {PATH} (account 'acct', page 1000): the listing did not end within 1000 pages "
        "(1,000,000,000,000 templates announced at 1 per page)")
    assert client.request_count == 1000


def test_without_a_total_the_page_cap_still_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("registry.answers.MAX_PAGES", 7)
    handler, seen = scripted(lambda request: answer(200, {"items": [
        item(f"t{request.url.params['page']}")]}))
    with pytest.raises(ApiError) as info:
        make_client(handler).list_templates("acct")
    assert str(info.value) == (f"GET {PATH} (account 'acct', page 7): the listing did not end "
                               "within 7 pages")
    assert len(seen) == 7


def test_the_item_cap_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("registry.answers.MAX_ITEMS", 5)
    handler, seen = scripted(lambda request: page_answer(
        [item(f"p{request.url.params['page']}-{i}") for i in range(3)], total=10**6,
        page=int(request.url.params["page"]), per_page=3))
    with pytest.raises(ApiError) as info:
        make_client(handler, page_size=3).list_templates("acct")
    assert str(info.value) == (f"GET {PATH} (account 'acct', page 2): more than 5 templates: "
                               "the listing is refused")
    assert len(seen) == 2


def test_the_client_follows_the_page_size_the_server_reports() -> None:
    """Asked for 1000 a page, the server answers 2: three pages for 5 templates."""
    api = FakeApi()
    for i in range(5):
        api.store(template_body(f"t{i}", "acct"))
    api.max_page_size = 2
    client = make_client(api)
    assert [t["name"] for t in client.list_templates("acct")] == [f"t{i}" for i in range(5)]
    assert api.calls["GET"] == 3


class Chunks(httpx.SyncByteStream):
    """A body that arrives in chunks, the fake clock moving `step` seconds per chunk."""

    def __init__(self, chunks: list[bytes], fake: FakeTime | None = None,
                 step: float = 0.0) -> None:
        self.chunks, self.fake, self.step = chunks, fake, step
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            if self.fake is not None:
                self.fake.now += self.step
            self.sent += 1
            yield chunk


def test_an_answer_over_the_size_bound_is_refused() -> None:
    declared, _ = scripted(httpx.Response(200, content=b"x" * 2000))
    with pytest.raises(ApiError) as info:
        make_client(declared, max_answer_bytes=1000).list_templates("acct")
    assert str(info.value) == (f"GET {PATH}: the answer is larger than "
                               f"{1000 / 2**20:g} MiB; refusing it")
    body = Chunks([b"x" * 400] * 10)  # no content-length: counted while reading
    streamed, _ = scripted(httpx.Response(200, stream=body))
    with pytest.raises(ApiError) as info:
        make_client(streamed, max_answer_bytes=1000).list_templates("acct")
    assert info.value.detail == "answer too large"
    assert body.sent == 3  # stopped at the chunk that crossed the bound


def test_the_deadline_covers_reading_the_body() -> None:
    """A body trickling a chunk a second: the call ends at its deadline, not at the end."""
    fake = FakeTime()
    body = Chunks([b" "] * 100, fake, step=1.0)
    handler, seen = scripted(httpx.Response(200, stream=body))
    client = make_client(handler, fake, retry_deadline=5.0)
    with pytest.raises(ApiError) as info:
        client.list_templates("acct")
    assert str(info.value) == (f"GET {PATH} failed after the 5s call deadline: the answer was "
                               "still arriving at the deadline")
    assert body.sent == 5 and len(seen) == 1 and fake.waits == []


def test_the_deadline_covers_attempts_and_waits_together() -> None:
    """Each attempt takes 2 s: with waits of 1, 2 and 4 s, the 20 s deadline ends the call."""
    fake = FakeTime()

    def slow_503(request: httpx.Request) -> httpx.Response:
        fake.now += 2.0
        return answer(503)

    client = make_client(slow_503, fake, rng=MaxRandom(), backoff_base=1.0, retry_deadline=20)
    with pytest.raises(ApiError) as info:
        client.list_templates("acct")
    assert fake.waits == [1.0, 2.0, 4.0]  # at 15 s after the 4th attempt, 8 s more is too late
    assert client.request_count == 4 and fake.now == 15.0
    assert str(info.value) == f"GET {PATH} failed after the 20s call deadline: 503 status 503"


def test_a_lost_create_is_checked_within_its_own_deadline() -> None:
    """The create's answer trickled past the deadline: the check has no time left."""
    fake = FakeTime()
    body = Chunks([b"{"] * 10, fake, step=1.0)
    handler, seen = scripted(httpx.Response(200, stream=body), FakeApi())
    client = make_client(handler, fake, retry_deadline=3.0)
    with pytest.raises(ApiError) as info:
        client.create_template(template_body("a", "acct"))
    assert [r.method for r in seen] == ["POST"]
    assert str(info.value) == (
        f"POST {PATH}: outcome unknown after the answer was still arriving at the deadline, "
        f"and checking it failed: GET {PATH} failed after the 3s call deadline: no time was "
        "left to send it")


def test_a_trickling_server_is_cut_off_at_the_deadline() -> None:
    """Through a real socket: the watchdog shuts it down, the blocked read fails at once."""
    with running_server("--fault-rate", "1", "--fault-kinds", "trickle") as server:
        assert server.api_key is not None
        with ApiClient(server.url, server.api_key, retry_deadline=2.0) as client:
            started = time.monotonic()
            with pytest.raises(ApiError) as info:
                client.list_templates("acct")
            elapsed = time.monotonic() - started
            assert client.request_count == 1
        server.wait_for_output("answer trickled")
    assert 2.0 <= elapsed < 3.0
    assert str(info.value) == (f"GET {PATH} failed after the 2s call deadline: the answer was "
                               "still arriving at the deadline")


# --- configuration and key hygiene -----------------------------------------------------


def test_resolve_base_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SGP_CLIENT_BASE_URL", raising=False)
    assert resolve_base_url(None, None) == PRODUCTION_URL
    assert resolve_base_url(None, "https://config.test/") == "https://config.test"
    monkeypatch.setenv("SGP_CLIENT_BASE_URL", "https://env.test//")
    assert resolve_base_url(None, "https://config.test") == "https://env.test"
    assert resolve_base_url("https://flag.test/", "https://config.test") == "https://flag.test"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost",
                                 "http://[::1]:1", "https://example.com",
                                 "http://127.5.6.7/api", "HTTP://LOCALHOST:9"])
def test_safe_urls(url: str) -> None:
    check_url_safe_for_key(url)


@pytest.mark.parametrize("url", ["http://example.com", "ftp://example.com", "example.com",
                                 "http://10.0.0.1", "http://localhost.evil.com",
                                 "https://host:notaport", "http://[::1"])
def test_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        check_url_safe_for_key(url)


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SGP_API_KEY", raising=False)
    monkeypatch.delenv("SGP_CLIENT_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="SGP_API_KEY"):
        ApiClient.from_env(api_url=None, config_base_url=None)
    monkeypatch.setenv("SGP_API_KEY", "")
    with pytest.raises(ConfigError, match="SGP_API_KEY"):
        ApiClient.from_env(api_url=None, config_base_url=None)
    monkeypatch.setenv("SGP_API_KEY", KEY)
    with pytest.raises(ConfigError) as info:
        ApiClient.from_env(api_url="http://example.com", config_base_url=None)
    assert KEY not in str(info.value)
    with ApiClient.from_env(api_url=None, config_base_url="https://config.test") as client:
        assert client.base_url == "https://config.test"
        assert KEY not in repr(client)


def test_key_never_in_errors_repr_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="registry.client")
    errors: list[ClientError] = []

    def echo(status: int) -> Handler:  # a server that (badly) echoes the key
        return lambda request: httpx.Response(
            status, json={"detail": f"bad key {request.headers['x-api-key']}"})

    for status, kind in [(401, AuthError), (403, AuthError), (404, ApiError), (422, ApiError),
                         (503, ApiError), (429, ApiError)]:
        with pytest.raises(kind) as info:
            make_client(echo(status), max_attempts=2).create_template(template_body("a", "a"))
        errors.append(info.value)
    handler, _ = scripted(httpx.ReadTimeout(f"timeout {KEY}"))
    with pytest.raises(ApiError) as lost:
        make_client(handler, max_attempts=2).delete_template("x", "a")
    errors.append(lost.value)
    with pytest.raises(ConfigError) as config:
        ApiClient("http://example.com", KEY)
    errors.append(config.value)
    with pytest.raises(ConfigError) as bad_key:
        ApiClient(URL, KEY + "\n")
    errors.append(bad_key.value)
    for error in errors:
        assert KEY not in str(error) and KEY not in repr(error)
        assert KEY not in getattr(error, "detail", "")
    assert "[REDACTED]" in str(errors[0])
    assert caplog.records and all(KEY not in r.getMessage() for r in caplog.records)
    assert KEY not in repr(make_client(FakeApi()))


# --- against the real local server -----------------------------------------------------


def test_round_trip_against_the_local_server() -> None:
    with running_server() as server:
        assert server.api_key is not None
        with ApiClient(server.url, server.api_key, page_size=3) as client:
            made = [client.create_template(template_body(f"t{i:02d}", "acct-rt"))
                    for i in range(10)]
            for body_name, template in zip(range(10), made, strict=True):
                assert template["name"] == f"t{body_name:02d}" and template["id"]
            before = client.request_count
            listed = client.list_templates("acct-rt")
            assert client.request_count - before == 4  # pages of 3,3,3,1
            assert [t["id"] for t in listed] == [t["id"] for t in made]
            assert all(same_template(template_body(t["name"], "acct-rt"), t) for t in listed)
            for template in made:
                client.delete_template(template["id"], "acct-rt")
            before = client.request_count
            assert client.list_templates("acct-rt") == []
            assert client.request_count - before == 1
            assert client.delete_template(made[0]["id"], "acct-rt") is False  # already gone
        with ApiClient(server.url, "wrong-key") as intruder, pytest.raises(AuthError):
            intruder.list_templates("acct-rt")


FAULT_SEED = "7"  # under this seed the run below meets several drop-after faults on POST


def test_creates_through_faults_are_stored_exactly_once(tmp_path: Path) -> None:
    db = tmp_path / "api.db"
    names = [f"faulty-{i:02d}" for i in range(40)]
    started = time.monotonic()
    with running_server("--fault-rate", "0.5", "--fault-seed", FAULT_SEED, db=db) as server:
        assert server.api_key is not None
        with ApiClient(server.url, server.api_key, backoff_base=0.01, backoff_cap=0.1,
                       retry_deadline=30.0, max_attempts=30,
                       sleep=lambda seconds: time.sleep(min(seconds, 0.02))) as client:
            for name in names:
                assert client.create_template(template_body(name, "acct-f"))["name"] == name
        fault_lines = server.stderr_lines()
    drop_after_posts = [line for line in fault_lines
                        if line.startswith(f"fault: POST {PATH} -> processed (")
                        and line.endswith("connection dropped")]
    assert drop_after_posts, "the seed must exercise lost create answers"
    with running_server(db=db) as server:
        assert server.api_key is not None
        with ApiClient(server.url, server.api_key, max_attempts=1) as client:
            listed = client.list_templates("acct-f")
    assert len(listed) == 40
    assert sorted(t["name"] for t in listed) == names
    assert time.monotonic() - started < 30


def test_one_client_shared_by_threads_counts_every_request() -> None:
    api = FakeApi()
    client = make_client(api)
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: client.create_template(template_body(f"t{i}", "acct")),
                                range(64)))
    assert len({r["id"] for r in results}) == 64
    assert client.request_count == 64 == api.calls["POST"]


# --- models ---------------------------------------------------------------------------------


def model(model_id: str, template_id: str | None, account: str = "acct-1") -> dict[str, Any]:
    return {"id": model_id, "name": f"model {model_id}", "account_id": account,
            "model_template_id": template_id}


def test_models_are_listed_and_checked_like_templates() -> None:
    page = {"items": [model("m1", "tpl-1"), model("m1", "tpl-1"), model("m2", None)],
            "total_item_count": 2, "current_page": 1, "items_per_page": 100}
    handler, seen = scripted(answer(200, page))
    with make_client(handler) as client:
        assert [m["id"] for m in client.list_models("acct-1")] == ["m1", "m2"]
    assert seen[0].url.path == "/v4/models"
    bad = {"items": [model("m1", "../x")], "total_item_count": 1, "current_page": 1}
    with make_client(scripted(answer(200, bad))[0]) as client, pytest.raises(ApiError) as info:
        client.list_models("acct-1")
    assert str(info.value) == ("GET /v4/models (account 'acct-1', page 1): malformed items: "
                               "item 0: model_template_id '../x' is not a plain identifier")


def test_moving_a_model_sends_one_patch_and_checks_the_answer() -> None:
    handler, seen = scripted(answer(200, model("m1", "tpl-new")))
    with make_client(handler) as client:
        assert client.move_model("m1", "tpl-new", "acct-1")["model_template_id"] == "tpl-new"
    assert [(r.method, r.url.path, json.loads(r.content)) for r in seen] == [
        ("PATCH", "/v4/models/m1", {"model_template_id": "tpl-new"})]
    wrong = scripted(answer(200, model("m1", "tpl-old")))[0]
    with make_client(wrong) as client, pytest.raises(ApiError, match="does not show the model"):
        client.move_model("m1", "tpl-new", "acct-1")


def test_a_lost_patch_answer_is_checked_by_reading_the_model() -> None:
    handler, seen = scripted(httpx.ReadError("connection reset"),
                             answer(200, model("m1", "tpl-new")))
    with make_client(handler) as client:
        assert client.move_model("m1", "tpl-new", "acct-1")["id"] == "m1"
    assert [(r.method, r.url.path) for r in seen] == [("PATCH", "/v4/models/m1"),
                                                       ("GET", "/v4/models/m1")]


def test_an_unsafe_model_id_is_refused_before_any_request() -> None:
    handler, seen = scripted(answer(200, {}))
    with make_client(handler) as client, pytest.raises(ApiError, match="refusing the model id"):
        client.move_model("../admin", "tpl-new", "acct-1")
    assert seen == []
