"""`/v4/models` in process (TestClient): every call, its answers, the account and template rules."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.server.deps import LOCAL_USER_ID
from registry.server.store import Store
from tests.live_server import model_body, template_body
from tests.server.conftest import KEY, MakeClient

MODELS = "/v4/models"
TEMPLATES = "/v4/model-templates"
OPTIONAL_FIELDS = ("base_model_id", "base_model_metadata", "description", "display_name",
                   "model_card", "model_creation_parameters", "model_group_id",
                   "model_template_id", "model_vendor", "training_data_card")
SERVER_FIELDS = {"id": None, "created_at": None, "created_by_user_id": LOCAL_USER_ID,
                 "created_by_identity_type": "user", "deployment_count": 0,
                 "request_schema": {}, "response_schema": {}, "supports_multi_turn": False}

def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def new_template(client: TestClient, account_id: str = "acct-1", name: str = "t") -> str:
    template_id: str = ok(client.post(TEMPLATES, json=template_body(name, account_id)))["id"]
    return template_id


def new_model(client: TestClient, name: str = "m", account_id: str = "acct-1",
              **fields: Any) -> dict[str, Any]:
    return ok(client.post(MODELS, json=model_body(name, account_id, **fields)))


def listed(client: TestClient, **params: Any) -> list[str]:
    return [item["name"] for item in ok(client.get(MODELS, params={"limit": 10000,
                                                                    **params}))["items"]]


def errors(response: Any) -> list[tuple[list[Any], str]]:
    assert response.status_code == 422, response.text
    return [(error["loc"], error["type"]) for error in response.json()["detail"]]


# --- create and get ------------------------------------------------------------------


def test_create_answers_every_field_the_sdk_requires(client: TestClient) -> None:
    created = new_model(client, "minimal")
    assert set(created) == {"account_id", "model_type", "name", *OPTIONAL_FIELDS,
                            *SERVER_FIELDS}
    assert {key: created[key] for key in ("account_id", "model_type", "name")} == {
        "account_id": "acct-1", "model_type": "GENERIC", "name": "minimal"}
    assert all(created[key] is None for key in OPTIONAL_FIELDS)
    assert {key: created[key] for key in SERVER_FIELDS if SERVER_FIELDS[key] is not None} == {
        key: value for key, value in SERVER_FIELDS.items() if value is not None}
    assert re.fullmatch(r"[0-9a-f]{32}", created["id"])
    created_at = datetime.fromisoformat(created["created_at"])
    assert created_at.utcoffset() is not None and created_at.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - created_at).total_seconds()) < 60
    assert ok(client.get(f"{MODELS}/{created['id']}")) == created
    assert KEY not in client.get(f"{MODELS}/{created['id']}").text


def test_every_optional_field_is_stored_and_answered(client: TestClient) -> None:
    template_id = new_template(client)
    fields: dict[str, Any] = {
        "base_model_id": "base-1",
        "base_model_metadata": {"delivery_date": "2024-05-01", "model_developer": "Mistral",
                                "model_license_url": "https://example.com/license",
                                "modelDetails": {"alignments": 1, "languages": 12,
                                                 "number_of_parameters": 7,
                                                 "token_context_window": 32768},
                                "ui_model_section_type": "OPENSOURCE"},
        "description": "A chat model", "display_name": "Chat", "model_card": "card",
        "model_creation_parameters": {"model_weights_uri": "s3://w", "n": [1, {"a": None}]},
        "model_group_id": "group-1", "model_template_id": template_id,
        "model_vendor": "LAUNCH", "training_data_card": "data",
    }
    created = new_model(client, "full", model_type="CHAT_COMPLETION", **fields)
    assert {key: created[key] for key in fields} == fields
    assert created["model_type"] == "CHAT_COMPLETION"
    assert ok(client.get(f"{MODELS}/{created['id']}")) == created


def test_nested_metadata_left_out_comes_back_as_null(client: TestClient) -> None:
    created = new_model(client, base_model_metadata={"model_developer": "me"})
    assert created["base_model_metadata"] == {
        "delivery_date": None, "model_developer": "me", "model_license_url": None,
        "modelDetails": None, "ui_model_section_type": None}


def test_same_bodies_make_distinct_models(client: TestClient) -> None:
    assert len({new_model(client, "same")["id"] for _ in range(4)}) == 4
    assert listed(client) == ["same"] * 4


@pytest.mark.parametrize(("body", "expected"), [
    ({"name": "x"}, [(["body", "account_id"], "missing"), (["body", "model_type"], "missing")]),
    (model_body("x", model_type="NOPE"), [(["body", "model_type"], "literal_error")]),
    (model_body("x", colour="red"), [(["body", "colour"], "extra_forbidden")]),
    ({**model_body("x"), "name": 5}, [(["body", "name"], "string_type")]),
    ({**model_body("x"), "name": None}, [(["body", "name"], "string_type")]),
    (model_body("x", model_vendor="ACME"), [(["body", "model_vendor"], "literal_error")]),
    (model_body("x", model_creation_parameters=[1]),
     [(["body", "model_creation_parameters"], "dict_type")]),
    (model_body("x", base_model_metadata={"modelDetails": {"languages": "3"}}),
     [(["body", "base_model_metadata", "modelDetails", "languages"], "int_type")]),
    (model_body("x", base_model_metadata={"model_details": {}}),
     [(["body", "base_model_metadata", "model_details"], "extra_forbidden")]),
])
def test_invalid_create_bodies_are_422(client: TestClient, body: dict[str, Any],
                                       expected: list[tuple[list[Any], str]]) -> None:
    assert errors(client.post(MODELS, json=body)) == expected
    assert listed(client) == []


def test_create_body_not_json_or_empty_is_422(client: TestClient) -> None:
    assert errors(client.post(MODELS, content=b'{"name": ',
                              headers={"content-type": "application/json"})) == [
        (["body", 9], "json_invalid")]
    assert errors(client.post(MODELS, content=b"")) == [(["body"], "missing")]


# --- the template a model names --------------------------------------------------------


def test_a_model_keeps_its_template_id(client: TestClient) -> None:
    template_id = new_template(client)
    created = new_model(client, model_template_id=template_id)
    assert created["model_template_id"] == template_id
    assert ok(client.get(MODELS))["items"][0]["model_template_id"] == template_id


def test_an_unknown_template_is_404(client: TestClient) -> None:
    response = client.post(MODELS, json=model_body("x", model_template_id="no-such"))
    assert (response.status_code, response.json()) == (
        404, {"detail": "Model template 'no-such' not found"})
    assert listed(client) == []


def test_a_template_of_another_account_is_422(client: TestClient) -> None:
    other = new_template(client, "acct-2")
    response = client.post(MODELS, json=model_body("x", "acct-1", model_template_id=other))
    assert response.status_code == 422
    message = (f"model template {other!r} belongs to another account than the model "
               "('acct-1')")
    assert response.json() == {"detail": [{
        "type": "value_error", "loc": ["body", "model_template_id"],
        "msg": f"Value error, {message}", "input": other, "ctx": {"error": message}}]}
    assert listed(client) == []


def test_a_deleted_template_is_unknown(client: TestClient) -> None:
    template_id = new_template(client)
    ok(client.delete(f"{TEMPLATES}/{template_id}"))
    response = client.post(MODELS, json=model_body("x", model_template_id=template_id))
    assert response.status_code == 404


# --- update --------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(client: TestClient) -> None:
    first, second = new_template(client, name="first"), new_template(client, name="second")
    model = new_model(client, "m", description="old", display_name="M",
                      model_template_id=first)
    new_model(client, "after")
    patched = ok(client.patch(f"{MODELS}/{model['id']}",
                              json={"model_template_id": second, "description": None,
                                    "name": "renamed", "model_type": "EMBEDDING"}))
    assert patched == {**model, "model_template_id": second, "description": None,
                       "name": "renamed", "model_type": "EMBEDDING"}
    assert ok(client.get(f"{MODELS}/{model['id']}")) == patched
    assert listed(client) == ["renamed", "after"]  # its place in the order is kept
    assert listed(client, model_type="EMBEDDING") == ["renamed"]


def test_patch_with_nothing_changes_nothing(client: TestClient) -> None:
    model = new_model(client)
    assert ok(client.patch(f"{MODELS}/{model['id']}", json={})) == model


def test_patch_null_template_detaches_the_model(client: TestClient) -> None:
    model = new_model(client, model_template_id=new_template(client))
    patched = ok(client.patch(f"{MODELS}/{model['id']}", json={"model_template_id": None}))
    assert patched["model_template_id"] is None


def test_patch_replaces_nested_values_whole(client: TestClient) -> None:
    model = new_model(client, model_creation_parameters={"a": 1, "b": 2},
                      base_model_metadata={"model_developer": "me"})
    patched = ok(client.patch(f"{MODELS}/{model['id']}", json={
        "model_creation_parameters": {"b": 3},
        "base_model_metadata": {"modelDetails": {"languages": 2}}}))
    assert patched["model_creation_parameters"] == {"b": 3}
    assert patched["base_model_metadata"] == {
        "delivery_date": None, "model_developer": None, "model_license_url": None,
        "modelDetails": {"alignments": None, "languages": 2, "number_of_parameters": None,
                         "token_context_window": None},
        "ui_model_section_type": None}


@pytest.mark.parametrize(("body", "expected"), [
    ({"account_id": "acct-2"}, [(["body", "account_id"], "extra_forbidden")]),
    ({"name": None}, [(["body", "name"], "string_type")]),
    ({"model_type": None}, [(["body", "model_type"], "literal_error")]),
    ({"model_template_id": 5}, [(["body", "model_template_id"], "string_type")]),
    ([], [(["body"], "model_type")]),
])
def test_invalid_patch_bodies_are_422_and_change_nothing(
        client: TestClient, body: Any, expected: list[tuple[list[Any], str]]) -> None:
    model = new_model(client)
    assert errors(client.patch(f"{MODELS}/{model['id']}", json=body)) == expected
    assert errors(client.patch(f"{MODELS}/no-such", json=body)) == expected  # body first
    assert ok(client.get(f"{MODELS}/{model['id']}")) == model


def test_patch_checks_the_template_like_create(client: TestClient) -> None:
    model = new_model(client, model_template_id=new_template(client))
    unknown = client.patch(f"{MODELS}/{model['id']}", json={"model_template_id": "gone",
                                                            "name": "never"})
    assert (unknown.status_code, unknown.json()) == (
        404, {"detail": "Model template 'gone' not found"})
    other = new_template(client, "acct-2")
    assert errors(client.patch(f"{MODELS}/{model['id']}",
                               json={"model_template_id": other})) == [
        (["body", "model_template_id"], "value_error")]
    assert ok(client.get(f"{MODELS}/{model['id']}")) == model


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_model_is_404(client: TestClient, method: str) -> None:
    response = client.request(method, f"{MODELS}/no-such-id", json={})
    assert (response.status_code, response.json()) == (
        404, {"detail": "Model 'no-such-id' not found"})


# --- delete --------------------------------------------------------------------------


def test_delete_is_for_good(client: TestClient) -> None:
    kept, gone = new_model(client, "kept"), new_model(client, "gone")
    response = client.delete(f"{MODELS}/{gone['id']}")
    assert (response.status_code, response.json()) == (200, {"success": True, "count": 1})
    for method in ("GET", "PATCH", "DELETE"):
        assert client.request(method, f"{MODELS}/{gone['id']}", json={}).status_code == 404
    assert ok(client.get(MODELS))["items"] == [kept]


# --- list ----------------------------------------------------------------------------


def test_list_pages_in_creation_order(client: TestClient) -> None:
    for index in range(5):
        new_model(client, f"m{index}")
    pages = [ok(client.get(MODELS, params={"page": page, "limit": 2})) for page in (1, 2, 3, 4)]
    assert [[item["name"] for item in page["items"]] for page in pages] == [
        ["m0", "m1"], ["m2", "m3"], ["m4"], []]
    assert [(p["total_item_count"], p["current_page"], p["items_per_page"]) for p in pages] == [
        (5, 1, 2), (5, 2, 2), (5, 3, 2), (5, 4, 2)]


def test_list_defaults(client: TestClient) -> None:
    assert ok(client.get(MODELS)) == {
        "items": [], "total_item_count": 0, "current_page": 1, "items_per_page": 100}


@pytest.mark.parametrize(("params", "loc", "error_type"), [
    ({"page": 0}, ["query", "page"], "greater_than_equal"),
    ({"limit": 0}, ["query", "limit"], "greater_than_equal"),
    ({"limit": 10001}, ["query", "limit"], "less_than_equal"),
    ({"view": "Deployments,Everything"}, ["query", "view", 1], "literal_error"),
])
def test_invalid_list_parameters_are_422(client: TestClient, params: dict[str, Any],
                                         loc: list[Any], error_type: str) -> None:
    assert errors(client.get(MODELS, params=params)) == [(loc, error_type)]


def test_list_filters_by_type_and_group_and_ignores_sort_by(client: TestClient) -> None:
    new_model(client, "b-chat", model_type="CHAT_COMPLETION", model_group_id="g1")
    new_model(client, "a-embed", model_type="EMBEDDING", model_group_id="g1")
    new_model(client, "c-chat", model_type="CHAT_COMPLETION")
    assert listed(client, model_type="CHAT_COMPLETION") == ["b-chat", "c-chat"]
    assert listed(client, model_group_id="g1") == ["b-chat", "a-embed"]
    assert listed(client, model_group_id="g1", model_type="EMBEDDING") == ["a-embed"]
    assert listed(client, model_type="RERANKING") == []
    assert listed(client, sort_by="name:asc") == ["b-chat", "a-embed", "c-chat"]
    assert ok(client.get(MODELS, params={"model_type": "CHAT_COMPLETION"}))[
        "total_item_count"] == 2


def test_max_page_size_caps_the_models_list(make_client: MakeClient) -> None:
    client = make_client(max_page_size=2)
    for index in range(3):
        new_model(client, f"m{index}")
    page = ok(client.get(MODELS, params={"limit": 1000, "page": 2}))
    assert ([item["name"] for item in page["items"]], page["items_per_page"],
            page["total_item_count"]) == (["m2"], 2, 3)


@pytest.mark.parametrize("params", [{"view": "Deployments"}, {"view": "ModelGroup,Deployments"},
                                    [("view", "ModelGroup"), ("view", "Deployments")]])
def test_the_deployments_view_adds_an_empty_list(client: TestClient, params: Any) -> None:
    model = new_model(client)
    assert ok(client.get(f"{MODELS}/{model['id']}", params=params)) == {
        **model, "deployments": []}
    assert ok(client.get(MODELS, params=params))["items"] == [{**model, "deployments": []}]


def test_the_model_group_view_adds_nothing(client: TestClient) -> None:
    model = new_model(client)
    assert ok(client.get(f"{MODELS}/{model['id']}", params={"view": "ModelGroup"})) == model


# --- auth and accounts ---------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("GET", MODELS), ("POST", MODELS), ("GET", MODELS + "/x"), ("PATCH", MODELS + "/x"),
    ("DELETE", MODELS + "/x")])
@pytest.mark.parametrize(("headers", "detail"), [
    ({}, "Missing API key (send it in x-api-key)"),
    ({"x-api-key": "wrong"}, "Invalid API key"),
])
def test_missing_or_wrong_key_is_401(make_client: MakeClient, method: str, path: str,
                                     headers: dict[str, str], detail: str) -> None:
    client = make_client()
    client.headers.pop("x-api-key")
    response = client.request(method, path, headers=headers, content=b"not json")
    assert (response.status_code, response.json()) == (401, {"detail": detail})


@pytest.fixture
def limited(make_client: MakeClient) -> tuple[TestClient, Store, dict[str, str]]:
    """A key limited to A and B; a model and a template in each of A, B and (stored
    directly) C."""
    store = Store()
    client = make_client(store, accounts=frozenset({"A", "B"}))
    ids = {account: new_model(client, f"in-{account}", account)["id"] for account in "AB"}
    ids |= {f"template-{account}": new_template(client, account) for account in "AB"}
    store.create_model({**model_body("in-C", "C"), **SERVER_FIELDS, "id": "c-model",
                        "created_at": "2024-01-01T00:00:00+00:00"})
    store.create({**template_body("t-C", "C"), "id": "c-template"})
    return client, store, ids


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("POST", MODELS, {"json": model_body("x", "C")}),
    ("GET", MODELS, {"params": {"account_id": "C"}}),
    ("GET", MODELS, {"headers": {"x-selected-account-id": "C"}}),
    ("POST", MODELS, {"json": model_body("x", "A"), "headers": {"x-selected-account-id": "C"}}),
    ("GET", MODELS + "/c-model", {}),
    ("PATCH", MODELS + "/c-model", {"json": {"name": "taken"}}),
    ("DELETE", MODELS + "/c-model", {}),
])
def test_other_accounts_are_403(limited: tuple[TestClient, Store, dict[str, str]], method: str,
                                path: str, kwargs: dict[str, Any]) -> None:
    client, store, _ = limited
    response = client.request(method, path, **kwargs)
    assert (response.status_code, response.json()) == (
        403, {"detail": "This API key may not act in account 'C'"})
    assert store.list_models(None, page=1, limit=100)[1] == 3
    assert store.get_model("c-model") == {**model_body("in-C", "C"), **SERVER_FIELDS,
                                          "id": "c-model",
                                          "created_at": "2024-01-01T00:00:00+00:00"}


def test_a_limited_key_lists_and_changes_its_accounts_only(
        limited: tuple[TestClient, Store, dict[str, str]]) -> None:
    client, _, ids = limited
    assert listed(client) == ["in-A", "in-B"]
    assert listed(client, account_id="B") == ["in-B"]
    assert [item["name"] for item in ok(client.get(
        MODELS, headers={"x-selected-account-id": "A"}))["items"]] == ["in-A"]
    patched = ok(client.patch(f"{MODELS}/{ids['B']}",
                              json={"model_template_id": ids["template-B"]}))
    assert patched["model_template_id"] == ids["template-B"]
    # A template of an account the key may not act in is another account's: 422.
    assert errors(client.post(MODELS, json=model_body("x", "A",
                                                      model_template_id="c-template"))) == [
        (["body", "model_template_id"], "value_error")]
    assert ok(client.delete(f"{MODELS}/{ids['A']}")) == {"success": True, "count": 1}
    assert listed(client) == ["in-B"]


def test_an_unknown_model_is_404_before_the_account_check(
        limited: tuple[TestClient, Store, dict[str, str]]) -> None:
    client, _, _ = limited
    assert client.get(f"{MODELS}/no-such").status_code == 404


# --- deleting a template that models use ---------------------------------------------


def test_deleting_a_used_template_leaves_the_models_a_dangling_id(client: TestClient) -> None:
    template_id = new_template(client)
    model = new_model(client, model_template_id=template_id)
    assert ok(client.delete(f"{TEMPLATES}/{template_id}")) == {"success": True, "count": 1}
    assert ok(client.get(f"{MODELS}/{model['id']}"))["model_template_id"] == template_id
    # The dangling id can be kept by a PATCH that does not name it, not set again.
    assert ok(client.patch(f"{MODELS}/{model['id']}", json={"name": "n"}))["name"] == "n"
    assert client.patch(f"{MODELS}/{model['id']}",
                        json={"model_template_id": template_id}).status_code == 404


def test_the_refuse_option_answers_409_naming_the_models(make_client: MakeClient) -> None:
    client = make_client(refuse_used_template_delete=True)
    used, spare = new_template(client, name="used"), new_template(client, name="spare")
    first = new_model(client, "first", model_template_id=used)
    second = new_model(client, "second", model_template_id=used)
    new_model(client, "elsewhere", model_template_id=spare)
    response = client.delete(f"{TEMPLATES}/{used}")
    assert (response.status_code, response.json()) == (409, {"detail": (
        f"Model template {used!r} is used by 2 model(s): {first['id']}, {second['id']}; move "
        "them to another template (PATCH /v4/models/{id} with model_template_id) or delete "
        "them first")})
    assert ok(client.get(f"{TEMPLATES}/{used}"))["id"] == used

    ok(client.patch(f"{MODELS}/{first['id']}", json={"model_template_id": spare}))
    ok(client.delete(f"{MODELS}/{second['id']}"))
    assert ok(client.delete(f"{TEMPLATES}/{used}")) == {"success": True, "count": 1}
    assert client.delete(f"{TEMPLATES}/{spare}").status_code == 409


def test_a_409_names_at_most_ten_models(make_client: MakeClient) -> None:
    client = make_client(refuse_used_template_delete=True)
    template_id = new_template(client)
    ids = [new_model(client, f"m{i}", model_template_id=template_id)["id"] for i in range(12)]
    detail = client.delete(f"{TEMPLATES}/{template_id}").json()["detail"]
    assert f"is used by 12 model(s): {', '.join(ids[:10])} and 2 more; " in detail


def test_the_refuse_option_keeps_404_and_403_first(make_client: MakeClient) -> None:
    store = Store()
    client = make_client(store, accounts=frozenset({"A"}), refuse_used_template_delete=True)
    store.create({**template_body("t-C", "C"), "id": "c-template"})
    store.create_model({**model_body("m-C", "C", model_template_id="c-template"),
                        **SERVER_FIELDS, "id": "c-model"})
    assert client.delete(f"{TEMPLATES}/no-such").status_code == 404
    assert client.delete(f"{TEMPLATES}/c-template").status_code == 403


class PausingStore(Store):
    """Pauses in the lookup of one template (as a model check does) until released."""

    def __init__(self) -> None:
        super().__init__()
        self.pause_on: str | None = None
        self.paused, self.release = threading.Event(), threading.Event()

    def get(self, template_id: str) -> dict[str, Any] | None:
        found = super().get(template_id)
        if template_id == self.pause_on:
            self.pause_on = None
            self.paused.set()
            self.release.wait(5)
        return found


@pytest.mark.parametrize("call", ["create", "patch"])
def test_a_template_check_and_its_write_are_atomic(make_client: MakeClient, call: str) -> None:
    """A delete that comes between the check of a template and the write of the model
    waits for the write, then sees the model: 409, never a model naming a deleted
    template."""
    store = PausingStore()
    client = make_client(store, refuse_used_template_delete=True)
    template_id, spare = new_template(client), new_template(client, name="spare")
    model = new_model(client, model_template_id=spare)
    answers: dict[str, int] = {}

    def write() -> None:
        if call == "create":
            response = client.post(MODELS, json=model_body("x", model_template_id=template_id))
        else:
            response = client.patch(f"{MODELS}/{model['id']}",
                                    json={"model_template_id": template_id})
        answers["write"] = response.status_code

    def delete() -> None:
        answers["delete"] = client.delete(f"{TEMPLATES}/{template_id}").status_code

    store.pause_on = template_id
    writer = threading.Thread(target=write)
    writer.start()
    assert store.paused.wait(5)
    deleter = threading.Thread(target=delete)
    deleter.start()
    deleter.join(0.3)
    assert answers == {}  # the delete waits for the write's transaction
    store.release.set()
    writer.join(5)
    deleter.join(5)
    assert answers == {"write": 200, "delete": 409}
    assert ok(client.get(f"{TEMPLATES}/{template_id}"))["id"] == template_id
