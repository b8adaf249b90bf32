"""The bodies of `POST` and `PATCH /v4/models`, and the model records made from them.

The fields and types are those of the official SDK (`scale_gp` 0.1.0a62:
`ModelCreateParams`, `ModelUpdateParams`, `ModelInstance`). As the template create
body, they are read strictly: unknown fields and wrong types are 422, never coerced, so
a client's typo is caught here rather than silently dropped. An optional field may be
sent as null, which means absent (on a PATCH: cleared). Kept free of FastAPI.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from registry.enums import ModelType

ModelVendor = Literal["OPENAI", "COHERE", "GOOGLE", "VERTEX_AI", "ANTHROPIC", "LAUNCH",
                      "LLMENGINE", "BEDROCK", "FIREWORKS_AI", "OTHER"]
ModelView = Literal["Deployments", "ModelGroup"]
Record = dict[str, Any]
# The default of a PATCH field that cannot be null: pydantic never validates a default, so
# a field left out is simply unset; a null sent is validated, and refused.
_NOT_SENT: Any = None


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", protected_namespaces=())


class ModelDetails(_Strict):
    alignments: int | None = None
    languages: int | None = None
    number_of_parameters: int | None = None
    token_context_window: int | None = None


class BaseModelMetadata(_Strict):
    delivery_date: str | None = None
    model_developer: str | None = None
    model_license_url: str | None = None
    model_details: ModelDetails | None = Field(default=None, alias="modelDetails")
    ui_model_section_type: Literal["PARTNER", "OPENSOURCE", "CUSTOM"] | None = None


class _OptionalFields(_Strict):
    """The fields a model may have, all optional, the same in a create and a PATCH."""

    base_model_id: str | None = None
    base_model_metadata: BaseModelMetadata | None = None
    description: str | None = None
    display_name: str | None = None
    model_card: str | None = None
    model_creation_parameters: dict[str, Any] | None = None
    model_group_id: str | None = None
    model_template_id: str | None = None
    model_vendor: ModelVendor | None = None
    training_data_card: str | None = None


class ModelCreate(_OptionalFields):
    """`POST /v4/models`."""

    account_id: str
    model_type: ModelType
    name: str


class ModelUpdate(_OptionalFields):
    """`PATCH /v4/models/{id}`: any of these; `account_id` is not among them (SDK).

    `name` and `model_type` may be left out but not cleared: a null is refused like any
    wrong type."""

    model_type: ModelType = _NOT_SENT
    name: str = _NOT_SENT


def new_model_record(body: ModelCreate, *, user_id: str, identity_type: str) -> Record:
    """The stored model: the body (absent optional fields as null) plus what the server sets.

    A local model is never deployed: no deployments, empty request and response schemas,
    not multi-turn."""
    record: Record = {
        "id": uuid.uuid4().hex,
        **body.model_dump(mode="json", by_alias=True),
        "created_at": datetime.now(UTC).isoformat(),
        "created_by_user_id": user_id,
        "created_by_identity_type": identity_type,
        "deployment_count": 0,
        "request_schema": {},
        "response_schema": {},
        "supports_multi_turn": False,
    }
    return record


def changes(body: ModelUpdate) -> Record:
    """The fields a PATCH sets, as they are stored; each replaces the stored value whole."""
    return body.model_dump(mode="json", by_alias=True, include=body.model_fields_set)


def with_views(record: Record, views: frozenset[str]) -> Record:
    """A model as `ModelInstanceWithViews` for the views asked.

    `Deployments` adds `deployments: []` (a local model has none); `ModelGroup` adds
    nothing, as there are no model groups here (the SDK reads an absent `model_group`
    as null)."""
    if "Deployments" in views:
        return {**record, "deployments": []}
    return record
