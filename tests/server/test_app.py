"""The API in process (TestClient): every call, its answers and its error shapes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.model import ModelTemplateRequest
from registry.server.deps import LOCAL_USER_ID
from registry.server.store import Store
from tests.live_server import template_body
from tests.server.conftest import KEY, MakeClient

PATH = "/v4/model-templates"
SERVER_FIELDS = {"id", "created_at", "created_by_user_id", "created_by_identity_type"}

def full_body(name: str = "full", account_id: str = "acct-1") -> dict[str, Any]:
    schema = {"parameters": [
        {"name": "model_weights_uri", "type": "str", "description": "Weights", "required": True},
    ]}
    return template_body(
        name, account_id,
        endpoint_type="STREAMING",
        model_type="CHAT_COMPLETION",
        endpoint_protocol="VLLM",
        model_creation_parameters_schema=schema,
        model_request_parameters_schema={"parameters": []},
        vendor_configuration={
            "vendor": "LAUNCH",
            "bundle_config": {
                "registry": "r.example.com", "image": "llm", "tag": "2.1.0",
                "command": ["serve"], "env": {"MODE": "chat"}, "streaming_command": ["stream"],
                "readiness_initial_delay_seconds": 30, "healthcheck_route": "/health",
                "predict_route": "/predict", "streaming_predict_route": "/stream",
            },
            "endpoint_config": {
                "cpus": 4, "memory": "24Gi", "storage": "100Gi", "gpus": 1,
                "gpu_type": "nvidia-ampere-a10", "min_workers": 1, "max_workers": 3,
                "per_worker": 2, "endpoint_type": "STREAMING", "high_priority": False,
            },
            "fine_tuning_job_bundle_config": {
                "registry": "r.example.com", "image": "ft", "tag": "1.0.0",
                "mount_location": "/config", "training_dataset_schema_type": "GENERATION",
                "resources": {"cpus": 2, "memory": "8Gi", "gpus": 1,
                              "gpu_type": "nvidia-tesla-t4"},
            },
        },
    )


def create(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(PATH, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def list_names(client: TestClient, **params: Any) -> list[str]:
    response = client.get(PATH, params={"limit": 10000, **params})
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


# --- create and get ------------------------------------------------------------------


@pytest.mark.parametrize("body", [template_body("minimal"), full_body()], ids=["minimal", "full"])
def test_create_answers_the_request_plus_server_fields(client: TestClient,
                                                       body: dict[str, Any]) -> None:
    created = create(client, body)
    expected = ModelTemplateRequest.model_validate(body).model_dump(mode="json")
    assert {k: v for k, v in created.items() if k not in SERVER_FIELDS} == expected
    assert set(created) == set(expected) | SERVER_FIELDS
    assert re.fullmatch(r"[0-9a-f]{32}", created["id"])
    created_at = datetime.fromisoformat(created["created_at"])
    assert created_at.utcoffset() is not None and created_at.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - created_at).total_seconds()) < 60
    assert created["created_by_user_id"] == LOCAL_USER_ID
    assert created["created_by_identity_type"] == "user"
    assert KEY not in client.get(PATH + "/" + created["id"]).text
    assert client.get(PATH + "/" + created["id"]).json() == created


def test_optional_fields_absent_come_back_as_null(client: TestClient) -> None:
    created = create(client, template_body("minimal"))
    assert created["endpoint_protocol"] is None
    assert created["model_creation_parameters_schema"] is None
    assert created["vendor_configuration"]["endpoint_config"] is None
    assert created["vendor_configuration"]["bundle_config"]["command"] is None


def test_ids_are_unique_and_same_bodies_make_distinct_templates(client: TestClient) -> None:
    ids = {create(client, template_body("same"))["id"] for _ in range(5)}
    assert len(ids) == 5
    assert list_names(client) == ["same"] * 5


# --- list ----------------------------------------------------------------------------


def test_list_pages_in_creation_order(client: TestClient) -> None:
    for index in range(5):
        create(client, template_body(f"t{index}"))
    pages = [client.get(PATH, params={"page": page, "limit": 2}).json() for page in (1, 2, 3, 4)]
    assert [[item["name"] for item in page["items"]] for page in pages] == [
        ["t0", "t1"], ["t2", "t3"], ["t4"], []]
    assert [(p["total_item_count"], p["current_page"], p["items_per_page"]) for p in pages] == [
        (5, 1, 2), (5, 2, 2), (5, 3, 2), (5, 4, 2)]


def test_list_defaults(client: TestClient) -> None:
    assert client.get(PATH).json() == {
        "items": [], "total_item_count": 0, "current_page": 1, "items_per_page": 100}
    assert client.get(PATH, params={"limit": 10000}).status_code == 200


@pytest.mark.parametrize(("params", "loc", "error_type"), [
    ({"page": 0}, ["query", "page"], "greater_than_equal"),
    ({"page": "x"}, ["query", "page"], "int_parsing"),
    ({"limit": 0}, ["query", "limit"], "greater_than_equal"),
    ({"limit": 10001}, ["query", "limit"], "less_than_equal"),
])
def test_invalid_query_parameters_are_422(client: TestClient, params: dict[str, Any],
                                          loc: list[str], error_type: str) -> None:
    response = client.get(PATH, params=params)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (loc, error_type)
    assert isinstance(error["msg"], str) and error["msg"]


# --- delete and 404 ------------------------------------------------------------------


def test_delete_is_for_good(client: TestClient) -> None:
    kept, gone = create(client, template_body("kept")), create(client, template_body("gone"))
    response = client.delete(PATH + "/" + gone["id"])
    assert (response.status_code, response.json()) == (200, {"success": True, "count": 1})
    assert client.get(PATH + "/" + gone["id"]).status_code == 404
    assert client.delete(PATH + "/" + gone["id"]).status_code == 404
    assert client.get(PATH).json()["items"] == [kept]
    assert client.get(PATH).json()["total_item_count"] == 1


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_unknown_id_is_404(client: TestClient, method: str) -> None:
    response = client.request(method, PATH + "/no-such-id")
    assert response.status_code == 404
    assert response.json() == {"detail": "Model template 'no-such-id' not found"}


# --- 422 on the create body ----------------------------------------------------------


def body_errors(client: TestClient, content: bytes | str) -> list[dict[str, Any]]:
    response = client.post(PATH, content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    errors: list[dict[str, Any]] = response.json()["detail"]
    assert all(set(error) >= {"loc", "msg", "type"} for error in errors)
    return errors


def test_body_not_json_is_422(client: TestClient) -> None:
    [error] = body_errors(client, b'{"name": ')
    assert (error["loc"], error["type"], error["msg"]) == (
        ["body", 9], "json_invalid", "JSON decode error")
    [error] = body_errors(client, b"\xff\xfe\xfa")
    assert error["type"] == "json_invalid"


def test_empty_body_is_422(client: TestClient) -> None:
    assert body_errors(client, b"") == [
        {"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]


def test_body_not_an_object_is_422(client: TestClient) -> None:
    [error] = body_errors(client, "[1, 2]")
    assert (error["loc"], error["type"]) == (["body"], "model_type")


@pytest.mark.parametrize(("change", "loc", "error_type"), [
    ({"colour": "red"}, ["body", "colour"], "extra_forbidden"),
    ({"name": 5}, ["body", "name"], "string_type"),
    ({"endpoint_type": "FAST"}, ["body", "endpoint_type"], "literal_error"),
    ({"vendor_configuration": {"bundle_config": {"registry": "r", "image": "i"}}},
     ["body", "vendor_configuration", "bundle_config", "tag"], "missing"),
])
def test_invalid_body_fields_are_422_with_body_prefixed_loc(
        client: TestClient, change: dict[str, Any], loc: list[Any], error_type: str) -> None:
    [error] = body_errors(client, json.dumps({**template_body("bad"), **change}))
    assert (error["loc"], error["type"]) == (loc, error_type)
    assert list_names(client) == []


def test_missing_fields_are_all_reported(client: TestClient) -> None:
    errors = body_errors(client, '{"name": "x"}')
    assert [(e["loc"], e["type"]) for e in errors] == [
        (["body", field], "missing")
        for field in ("account_id", "endpoint_type", "model_type", "vendor_configuration")]


# --- auth ----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("GET", PATH), ("POST", PATH), ("GET", PATH + "/x"), ("DELETE", PATH + "/x")])
@pytest.mark.parametrize(("headers", "detail"), [
    ({}, "Missing API key (send it in x-api-key)"),
    ({"x-api-key": "wrong"}, "Invalid API key"),
])
def test_missing_or_wrong_key_is_401(make_client: MakeClient, method: str, path: str,
                                     headers: dict[str, str], detail: str) -> None:
    client = make_client()
    client.headers.pop("x-api-key")
    response = client.request(method, path, headers=headers, json=template_body("x"))
    assert (response.status_code, response.json()) == (401, {"detail": detail})


def test_auth_comes_before_validation(make_client: MakeClient) -> None:
    client = make_client()
    client.headers.pop("x-api-key")
    assert client.get(PATH, params={"page": 0}).status_code == 401
    assert client.post(PATH, content=b"not json").status_code == 401


def test_insecure_mode_needs_no_key(make_client: MakeClient) -> None:
    client = make_client(api_key=None)
    created = create(client, template_body("open"))
    assert client.get(PATH + "/" + created["id"]).status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}


def test_health_needs_no_key(make_client: MakeClient) -> None:
    client = make_client()
    client.headers.pop("x-api-key")
    assert client.get("/healthz").status_code == 200


# --- accounts ------------------------------------------------------------------------


@pytest.fixture
def limited(make_client: MakeClient) -> tuple[TestClient, Store, dict[str, str]]:
    """A key limited to A and B, with one template in each of A, B and (stored directly) C."""
    store = Store()
    client = make_client(store, accounts=frozenset({"A", "B"}))
    ids = {account: create(client, template_body(f"in-{account}", account))["id"]
           for account in ("A", "B")}
    outside = template_body("in-C", "C")
    outside.update(id="c-template", created_at="2024-01-01T00:00:00+00:00",
                   created_by_user_id="someone", created_by_identity_type="user")
    store.create(outside)
    ids["C"] = "c-template"
    return client, store, ids


def test_limited_key_lists_only_its_accounts(limited: tuple[TestClient, Store,
                                                            dict[str, str]]) -> None:
    client, _, _ = limited
    assert list_names(client) == ["in-A", "in-B"]
    assert client.get(PATH).json()["total_item_count"] == 2
    assert list_names(client, account_id="B") == ["in-B"]
    assert list_names(client, account_id="A") == ["in-A"]


def test_selected_account_header_filters_the_list(
        limited: tuple[TestClient, Store, dict[str, str]]) -> None:
    client, _, _ = limited
    response = client.get(PATH, params={"limit": 10000}, headers={"x-selected-account-id": "B"})
    assert [item["name"] for item in response.json()["items"]] == ["in-B"]
    # An explicit account_id wins over the header.
    response = client.get(PATH, params={"account_id": "A"},
                          headers={"x-selected-account-id": "B"})
    assert [item["name"] for item in response.json()["items"]] == ["in-A"]


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("POST", PATH, {"json": template_body("x", "C")}),
    ("GET", PATH, {"params": {"account_id": "C"}}),
    ("GET", PATH, {"headers": {"x-selected-account-id": "C"}}),
    ("POST", PATH, {"json": template_body("x", "A"), "headers": {"x-selected-account-id": "C"}}),
    ("GET", PATH + "/c-template", {}),
    ("DELETE", PATH + "/c-template", {}),
    ("GET", PATH + "/c-template", {"headers": {"x-selected-account-id": "C"}}),
])
def test_other_accounts_are_403(limited: tuple[TestClient, Store, dict[str, str]], method: str,
                                path: str, kwargs: dict[str, Any]) -> None:
    client, store, _ = limited
    response = client.request(method, path, **kwargs)
    assert response.status_code == 403
    assert response.json() == {"detail": "This API key may not act in account 'C'"}
    assert store.list(None, page=1, limit=100)[1] == 3
    assert store.get("c-template") is not None


def test_limited_key_works_in_its_accounts(
        limited: tuple[TestClient, Store, dict[str, str]]) -> None:
    client, _, ids = limited
    assert client.get(PATH + "/" + ids["A"], headers={"x-selected-account-id": "B"}).json()[
        "name"] == "in-A"
    assert client.delete(PATH + "/" + ids["B"]).json() == {"success": True, "count": 1}
    assert client.get(PATH + "/missing").status_code == 404
    assert list_names(client) == ["in-A"]


def test_unlimited_key_sees_every_account_and_header_filters(client: TestClient) -> None:
    for account in ("X", "Y", "X"):
        create(client, template_body(f"in-{account}", account))
    assert list_names(client) == ["in-X", "in-Y", "in-X"]
    response = client.get(PATH, headers={"x-selected-account-id": "Y"})
    assert [item["name"] for item in response.json()["items"]] == ["in-Y"]
    assert response.json()["total_item_count"] == 1


def test_there_is_no_update_call(client: TestClient) -> None:
    created = create(client, template_body("immutable"))
    for method in ("PUT", "PATCH"):
        response = client.request(method, PATH + "/" + created["id"], json=template_body("new"))
        assert (response.status_code, response.json()) == (405, {"detail": "Method Not Allowed"})
    assert client.get(PATH + "/" + created["id"]).json() == created
