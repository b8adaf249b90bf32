"""The official SDK (`scale_gp`) as the judge: it must work against the local server unchanged.

Every client here validates answers strictly (`_strict_response_validation=True`), so any
answer that does not fit the SDK's own types fails the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from scale_gp import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SGPClient,
    UnprocessableEntityError,
)
from scale_gp.types import ModelInstance, ModelInstanceWithViews, ModelTemplate
from scale_gp.types.shared import GenericDeleteResponse

from tests.live_server import LiveServer, model_body, running_server, template_body

KEY = "sdk-test-key"
# The second account is only for the templates' pagination test, the third for the models'.
ACCOUNTS = ("acct-sdk-1", "acct-sdk-2", "acct-sdk-3")


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    args = [arg for account in ACCOUNTS for arg in ("--account", account)]
    with running_server(*args, api_key=KEY) as live:
        yield live


def sdk(server: LiveServer, **kwargs: Any) -> SGPClient:
    options: dict[str, Any] = {"api_key": KEY, "base_url": server.url, "max_retries": 0,
                               "_strict_response_validation": True, **kwargs}
    return SGPClient(**options)


def fresh_account() -> str:
    """Not an allowed account: only for the 403 tests."""
    return f"acct-other-{uuid.uuid4().hex[:8]}"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_create_retrieve_delete(server: LiveServer) -> None:
    client = sdk(server)
    name = unique("full")
    created = client.model_templates.create(
        account_id=ACCOUNTS[0],
        name=name,
        endpoint_type="ASYNC",
        model_type="EMBEDDING",
        endpoint_protocol="SGP",
        vendor_configuration={
            "vendor": "LAUNCH",
            "bundle_config": {"registry": "r.example.com", "image": "embed", "tag": "3.2.1",
                              "env": {"A": "1"}, "command": ["run"], "predict_route": "/p"},
            "endpoint_config": {"cpus": 2, "memory": "8Gi", "min_workers": 0,
                                "max_workers": 2, "per_worker": 5, "endpoint_type": "ASYNC",
                                "gpus": 0},
        },
        model_creation_parameters_schema={"parameters": [
            {"name": "weights", "type": "str", "description": "Weights URI", "required": True}]},
        model_request_parameters_schema={"parameters": []},
    )
    assert isinstance(created, ModelTemplate)
    assert (created.name, created.account_id, created.endpoint_type) == (
        name, ACCOUNTS[0], "ASYNC")
    assert created.vendor_configuration.bundle_config.env == {"A": "1"}
    assert created.model_creation_parameters_schema is not None
    assert created.model_creation_parameters_schema.parameters[0].name == "weights"
    assert created.created_by_identity_type == "user"
    assert created.created_at.tzinfo is not None

    assert client.model_templates.retrieve(created.id) == created

    deleted = client.model_templates.delete(created.id)
    assert (deleted.success, deleted.count) == (True, 1)
    with pytest.raises(NotFoundError) as caught:
        client.model_templates.retrieve(created.id)
    assert caught.value.status_code == 404
    with pytest.raises(NotFoundError):
        client.model_templates.delete(created.id)


def test_minimal_template_parses_strictly(server: LiveServer) -> None:
    client = sdk(server)
    created = client.model_templates.create(**template_body(unique("minimal"), ACCOUNTS[0]))
    assert created.endpoint_protocol is None
    assert created.vendor_configuration.endpoint_config is None
    assert client.model_templates.retrieve(created.id).id == created.id


def test_auto_pagination_walks_every_page(server: LiveServer) -> None:
    client = sdk(server, account_id=ACCOUNTS[1])
    assert list(client.model_templates.list(account_id=ACCOUNTS[1])) == []  # only used here
    names = [unique(f"page-{index}") for index in range(7)]
    ids = [client.model_templates.create(**template_body(name, ACCOUNTS[1])).id
           for name in names]

    first = client.model_templates.list(account_id=ACCOUNTS[1], limit=3)
    listed = list(first)  # the SDK fetches page after page until one is empty
    assert [t.id for t in listed] == ids
    assert [t.name for t in listed] == names
    pages = list(first.iter_pages())
    assert [(page.current_page, len(page.items)) for page in pages] == [
        (1, 3), (2, 3), (3, 1), (4, 0)]

    # The selected account (x-selected-account-id) filters a list without account_id.
    assert [t.id for t in client.model_templates.list(limit=2)] == ids


def test_wrong_key_is_authentication_error(server: LiveServer) -> None:
    client = sdk(server, api_key="not-the-key")
    with pytest.raises(AuthenticationError) as caught:
        client.model_templates.list()
    assert caught.value.status_code == 401
    assert caught.value.body == {"detail": "Invalid API key"}


def test_invalid_body_is_unprocessable_entity(server: LiveServer) -> None:
    client = sdk(server)
    body: dict[str, Any] = {**template_body(unique("bad"), ACCOUNTS[0]), "model_type": "NOPE"}
    with pytest.raises(UnprocessableEntityError) as caught:
        client.model_templates.create(**body)
    assert caught.value.status_code == 422
    detail = caught.value.body["detail"]  # type: ignore[index]
    assert [(error["loc"], error["type"]) for error in detail] == [
        (["body", "model_type"], "literal_error")]
    with pytest.raises(UnprocessableEntityError):
        client.model_templates.create(**template_body(unique("x"), ACCOUNTS[0]),
                                      extra_body={"unknown_field": 1})
    with pytest.raises(UnprocessableEntityError):
        client.model_templates.list(limit=10001)


def test_other_accounts_are_permission_denied(server: LiveServer) -> None:
    client = sdk(server)
    other = fresh_account()
    with pytest.raises(PermissionDeniedError) as caught:
        client.model_templates.create(**template_body(unique("x"), other))
    assert caught.value.status_code == 403
    with pytest.raises(PermissionDeniedError):
        client.model_templates.list(account_id=other)
    with pytest.raises(PermissionDeniedError):
        sdk(server, account_id=other).model_templates.list()


def test_sdk_reads_its_environment_variables(server: LiveServer,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SGP_API_KEY", KEY)
    monkeypatch.setenv("SGP_CLIENT_BASE_URL", server.url)
    monkeypatch.setenv("SGP_ACCOUNT_ID", ACCOUNTS[0])
    client = SGPClient(max_retries=0, _strict_response_validation=True)
    created = client.model_templates.create(**template_body(unique("env"), ACCOUNTS[0]))
    assert created.id in {t.id for t in client.model_templates.list(limit=1000)}


# --- models --------------------------------------------------------------------------


def test_model_create_retrieve_update_delete(server: LiveServer) -> None:
    client = sdk(server)
    template = client.model_templates.create(**template_body(unique("base"), ACCOUNTS[0]))
    successor = client.model_templates.create(**template_body(unique("next"), ACCOUNTS[0]))
    name = unique("model")
    created = client.models.create(
        account_id=ACCOUNTS[0], model_type="CHAT_COMPLETION", name=name,
        model_template_id=template.id, model_creation_parameters={"weights": "s3://w"},
        model_vendor="LAUNCH", display_name="Chat", description="d", base_model_id="b",
        model_group_id="g", model_card="card", training_data_card="data",
        base_model_metadata={"model_developer": "me", "model_details": {"languages": 3},
                             "ui_model_section_type": "CUSTOM"},
    )
    assert isinstance(created, ModelInstance)
    assert (created.name, created.account_id, created.model_template_id) == (
        name, ACCOUNTS[0], template.id)
    assert (created.deployment_count, created.request_schema, created.response_schema,
            created.supports_multi_turn, created.created_by_identity_type) == (
        0, {}, {}, False, "user")
    assert created.model_creation_parameters == {"weights": "s3://w"}
    assert created.base_model_metadata is not None
    assert created.base_model_metadata.model_details is not None
    assert created.base_model_metadata.model_details.languages == 3
    assert created.created_at.tzinfo is not None

    retrieved = client.models.retrieve(created.id)
    assert isinstance(retrieved, ModelInstanceWithViews)
    assert retrieved.model_dump() == {**created.model_dump(), "deployments": None,
                                      "model_group": None}
    assert client.models.retrieve(created.id, view=["Deployments", "ModelGroup"]
                                  ).deployments == []

    updated = client.models.update(created.id, model_template_id=successor.id,
                                   display_name="Chat 2")
    assert isinstance(updated, ModelInstance)
    assert updated == created.model_copy(update={"model_template_id": successor.id,
                                                 "display_name": "Chat 2"})
    assert client.models.retrieve(created.id).model_template_id == successor.id

    deleted = client.models.delete(created.id)
    assert isinstance(deleted, GenericDeleteResponse)
    assert (deleted.success, deleted.count) == (True, 1)
    with pytest.raises(NotFoundError) as caught:
        client.models.retrieve(created.id)
    assert caught.value.body == {"detail": f"Model {created.id!r} not found"}
    with pytest.raises(NotFoundError):
        client.models.update(created.id, name="gone")
    with pytest.raises(NotFoundError):
        client.models.delete(created.id)


def test_models_auto_pagination_walks_every_page(server: LiveServer) -> None:
    client = sdk(server, account_id=ACCOUNTS[2])
    assert list(client.models.list(account_id=ACCOUNTS[2])) == []  # only used here
    names = [unique(f"model-{index}") for index in range(7)]
    ids = [client.models.create(**model_body(name, ACCOUNTS[2])).id for name in names]

    first = client.models.list(account_id=ACCOUNTS[2], limit=3, sort_by=["name:desc"],
                               view=["Deployments"])
    listed = list(first)
    assert all(isinstance(model, ModelInstanceWithViews) for model in listed)
    assert [m.id for m in listed] == ids  # sort_by is ignored: creation order
    assert [m.deployments for m in listed] == [[]] * 7
    assert [(page.current_page, len(page.items)) for page in first.iter_pages()] == [
        (1, 3), (2, 3), (3, 1), (4, 0)]
    assert [m.id for m in client.models.list(limit=2)] == ids  # the selected account
    assert [m.id for m in client.models.list(model_type="EMBEDDING")] == []


def test_model_errors_are_the_sdks_error_classes(server: LiveServer) -> None:
    client = sdk(server)
    with pytest.raises(NotFoundError) as unknown:
        client.models.create(**model_body(unique("x"), ACCOUNTS[0]),
                             model_template_id="no-such-template")
    assert unknown.value.body == {"detail": "Model template 'no-such-template' not found"}

    elsewhere = client.model_templates.create(**template_body(unique("t"), ACCOUNTS[2]))
    with pytest.raises(UnprocessableEntityError) as caught:
        client.models.create(**model_body(unique("x"), ACCOUNTS[0]),
                             model_template_id=elsewhere.id)
    detail = caught.value.body["detail"]  # type: ignore[index]
    assert [(error["loc"], error["type"]) for error in detail] == [
        (["body", "model_template_id"], "value_error")]
    client.model_templates.delete(elsewhere.id)

    with pytest.raises(UnprocessableEntityError):
        client.models.create(**model_body(unique("x"), ACCOUNTS[0], model_type="NOPE"))
    with pytest.raises(UnprocessableEntityError):
        client.models.list(limit=10001)
    with pytest.raises(PermissionDeniedError) as denied:
        client.models.create(**model_body(unique("x"), fresh_account()))
    assert denied.value.status_code == 403
    with pytest.raises(AuthenticationError):
        sdk(server, api_key="not-the-key").models.list()


def test_deleting_a_used_template_leaves_a_dangling_id(server: LiveServer) -> None:
    client = sdk(server)
    template = client.model_templates.create(**template_body(unique("t"), ACCOUNTS[0]))
    model = client.models.create(**model_body(unique("m"), ACCOUNTS[0]),
                                 model_template_id=template.id)
    assert client.model_templates.delete(template.id).success is True
    assert client.models.retrieve(model.id).model_template_id == template.id
    client.models.delete(model.id)


def test_a_used_template_delete_is_a_conflict_with_the_option() -> None:
    with running_server("--refuse-used-template-delete", api_key=KEY) as live:
        client = sdk(live)
        used = client.model_templates.create(**template_body("used", ACCOUNTS[0]))
        spare = client.model_templates.create(**template_body("spare", ACCOUNTS[0]))
        model = client.models.create(**model_body("m", ACCOUNTS[0]),
                                     model_template_id=used.id)
        with pytest.raises(ConflictError) as caught:
            client.model_templates.delete(used.id)
        assert caught.value.status_code == 409
        assert caught.value.body == {"detail": (
            f"Model template {used.id!r} is used by 1 model(s): {model.id}; move them to "
            "another template (PATCH /v4/models/{id} with model_template_id) or delete them "
            "first")}
        client.models.update(model.id, model_template_id=spare.id)
        assert client.model_templates.delete(used.id).success is True
