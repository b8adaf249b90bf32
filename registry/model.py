"""The template model: the API's create body, field for field (see shared/spec/api.md).

One model serves the validators, the exported JSON Schema, the local server and the
client, so that what `validate` accepts is exactly what the API accepts. It is strict:
unknown fields are errors, strings are never coerced from numbers or booleans, and the
enums are closed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from registry.enums import (  # noqa: F401 - re-exported for the model's users
    ENDPOINT_TYPES,
    GPU_TYPES,
    EndpointProtocol,
    EndpointType,
    GpuType,
    ModelType,
    ParameterType,
    TrainingDatasetSchemaType,
)

# The fields of the create body: the only ones compared between git and the API.
CREATE_FIELDS: tuple[str, ...] = (
    "name",
    "account_id",
    "endpoint_type",
    "model_type",
    "vendor_configuration",
    "model_creation_parameters_schema",
    "model_request_parameters_schema",
    "endpoint_protocol",
)


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", protected_namespaces=())


class ParameterSchemaField(_Strict):
    """One parameter a user may set when creating or calling a model."""

    name: str
    type: ParameterType
    description: str
    required: bool


class ParameterSchema(_Strict):
    parameters: list[ParameterSchemaField]


class ModelBundleConfiguration(_Strict):
    """The container Launch runs: image, command and the routes it serves."""

    registry: str
    image: str
    tag: str
    command: list[str] | None = None
    env: dict[str, str] | None = None
    streaming_command: list[str] | None = None
    readiness_initial_delay_seconds: int | None = None
    healthcheck_route: str | None = None
    predict_route: str | None = None
    streaming_predict_route: str | None = None


class CreateModelEndpointConfig(_Strict):
    """The resources and autoscaling of the Launch endpoint made from the template."""

    cpus: int | None = None
    memory: str | None = Field(default=None, description="A Kubernetes quantity, e.g. 24Gi")
    storage: str | None = Field(default=None, description="A Kubernetes quantity, e.g. 100Gi")
    gpus: int | None = None
    gpu_type: GpuType | None = None
    min_workers: int | None = None
    max_workers: int | None = None
    per_worker: int | None = None
    endpoint_type: EndpointType | None = None
    high_priority: bool | None = None


class FineTuningResources(_Strict):
    cpus: int | None = None
    memory: str | None = None
    storage: str | None = None
    gpus: int | None = None
    gpu_type: GpuType | None = None


class FineTuningJobBundleConfiguration(_Strict):
    registry: str
    image: str
    tag: str
    command: list[str] | None = None
    env: dict[str, str] | None = None
    mount_location: str | None = None
    training_dataset_schema_type: TrainingDatasetSchemaType | None = None
    resources: FineTuningResources | None = None


class LaunchVendorConfiguration(_Strict):
    vendor: Literal["LAUNCH"] | None = None
    bundle_config: ModelBundleConfiguration
    endpoint_config: CreateModelEndpointConfig | None = None
    fine_tuning_job_bundle_config: FineTuningJobBundleConfiguration | None = None


class ModelTemplateRequest(_Strict):
    """The create body of `POST /v4/model-templates`; exactly what a template file holds."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        protected_namespaces=(),
        title="Model template",
        json_schema_extra={"description": "A model template file: the API's create body."},
    )

    name: str
    account_id: str
    endpoint_type: EndpointType
    model_type: ModelType
    vendor_configuration: LaunchVendorConfiguration
    model_creation_parameters_schema: ParameterSchema | None = None
    model_request_parameters_schema: ParameterSchema | None = None
    endpoint_protocol: EndpointProtocol | None = None


class ModelTemplateResponse(ModelTemplateRequest):
    """What the API answers: the request plus server-made fields; unknown fields ignored."""

    model_config = ConfigDict(strict=False, extra="ignore", protected_namespaces=())

    id: str
    created_at: datetime
    created_by_user_id: str
    created_by_identity_type: Literal["user", "service_account"] = "user"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a template file, derived from the model (for editors and CI)."""
    schema = ModelTemplateRequest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
