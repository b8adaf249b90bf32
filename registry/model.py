"""The template model: the API's create body, field for field (see docs/api.md).

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


# Field descriptions (they reach editors through the JSON Schema) are written from the API's
# reference page and Launch's behaviour; fields that mean the same in two places share one.
_REGISTRY = ("The container registry the image is pulled from, e.g. "
             "692474966980.dkr.ecr.us-west-2.amazonaws.com.")
_IMAGE = "The image's repository name in that registry."
_TAG = ("The image tag. Pin a version: a moving tag such as latest is flagged, since the image "
        "could then change with no change in git.")
_COMMAND = "The command that starts the server in the container, one list item per argument."
_ENV = ("Environment variables of the container. Refer to secrets (${VAR}, a secret store "
        "path) rather than writing them here.")
_CPUS = "CPUs per worker."
_MEMORY = "Memory per worker, a quantity in Launch's syntax such as 24Gi."
_STORAGE = "Disk per worker, a quantity in Launch's syntax such as 100Gi."
_GPUS = "GPUs per worker; 1 or more needs gpu_type."
_GPU_TYPE = "The GPU model the workers run on; needs gpus of 1 or more."
_ENDPOINT_TYPE = ("How the endpoint serves calls: SYNC (a request, then its answer), ASYNC "
                  "(queued tasks), STREAMING (the answer as it is generated) or BATCH.")


class ParameterSchemaField(_Strict):
    """One parameter a user may set when creating or calling a model."""

    name: str = Field(description="The parameter's name as callers pass it: letters, digits "
                                  "and underscores.")
    type: ParameterType = Field(description="The type of its value: str, int, float or bool.")
    description: str = Field(description="What the parameter does, for the people who set it.")
    required: bool = Field(description="Whether every caller must give a value.")


class ParameterSchema(_Strict):
    """The parameters of one stage (model creation, or each call of the model)."""

    parameters: list[ParameterSchemaField] = Field(description="The parameters, one entry "
                                                               "each.")


class ModelBundleConfiguration(_Strict):
    """The container Launch runs: image, command and the routes it serves."""

    registry: str = Field(description=_REGISTRY)
    image: str = Field(description=_IMAGE)
    tag: str = Field(description=_TAG)
    command: list[str] | None = Field(default=None, description=_COMMAND)
    env: dict[str, str] | None = Field(default=None, description=_ENV)
    streaming_command: list[str] | None = Field(
        default=None, description="The command that starts the server of a STREAMING "
                                  "endpoint, one list item per argument.")
    readiness_initial_delay_seconds: int | None = Field(
        default=None, description="Seconds to wait after the container starts before asking "
                                  "whether it is ready: the time the model takes to load.")
    healthcheck_route: str | None = Field(
        default=None, description="The HTTP route that answers while the server is healthy, "
                                  "e.g. /health.")
    predict_route: str | None = Field(
        default=None, description="The HTTP route that answers a call, e.g. /predict.")
    streaming_predict_route: str | None = Field(
        default=None, description="The HTTP route that streams an answer, for STREAMING "
                                  "endpoints, e.g. /stream.")


class CreateModelEndpointConfig(_Strict):
    """The resources and autoscaling of the Launch endpoint made from the template."""

    cpus: int | None = Field(default=None, description=_CPUS)
    memory: str | None = Field(default=None, description=_MEMORY)
    storage: str | None = Field(default=None, description=_STORAGE)
    gpus: int | None = Field(default=None, description=_GPUS)
    gpu_type: GpuType | None = Field(default=None, description=_GPU_TYPE)
    min_workers: int | None = Field(
        default=None, description="The fewest workers kept running; 0 (scale to zero) only for "
                                  "ASYNC endpoints.")
    max_workers: int | None = Field(
        default=None, description="The most workers Launch scales up to, at most 250.")
    per_worker: int | None = Field(
        default=None, description="Requests one worker serves at once. Launch adds or removes "
                                  "workers, between min_workers and max_workers, to keep each "
                                  "near this load. Must be 1 for STREAMING endpoints.")
    endpoint_type: EndpointType | None = Field(
        default=None, description="The endpoint's type again; must equal the template's "
                                  "endpoint_type.")
    high_priority: bool | None = Field(
        default=None, description="Whether the endpoint's workers are scheduled ahead of "
                                  "ordinary workloads on the cluster.")


class FineTuningResources(_Strict):
    """What the fine-tuning job gets to run on."""

    cpus: int | None = Field(default=None, description="CPUs of the job.")
    memory: str | None = Field(default=None, description="Memory of the job, a quantity such "
                                                         "as 24Gi.")
    storage: str | None = Field(default=None, description="Disk of the job, a quantity such "
                                                          "as 100Gi.")
    gpus: int | None = Field(default=None, description="GPUs of the job.")
    gpu_type: GpuType | None = Field(default=None, description="The GPU model the job runs on.")


class FineTuningJobBundleConfiguration(_Strict):
    """The container that fine-tunes models made from the template."""

    registry: str = Field(description=_REGISTRY)
    image: str = Field(description=_IMAGE)
    tag: str = Field(description=_TAG)
    command: list[str] | None = Field(
        default=None, description="The command that starts the job, one list item per "
                                  "argument.")
    env: dict[str, str] | None = Field(default=None, description=_ENV)
    mount_location: str | None = Field(
        default=None, description="Where the job's configuration is mounted in the container.")
    training_dataset_schema_type: TrainingDatasetSchemaType | None = Field(
        default=None, description="The kind of training data the job reads: GENERATION or "
                                  "RERANKING_QUESTIONS.")
    resources: FineTuningResources | None = Field(
        default=None, description="CPUs, memory, disk and GPUs of the job.")


class LaunchVendorConfiguration(_Strict):
    """How Launch (Scale's self-hosted service that deploys models on Kubernetes) runs it."""

    vendor: Literal["LAUNCH"] | None = Field(
        default=None, description="The service that runs the model; LAUNCH is the only one.")
    bundle_config: ModelBundleConfiguration = Field(
        description="The model server's container: its image, command, environment and "
                    "routes.")
    endpoint_config: CreateModelEndpointConfig | None = Field(
        default=None, description="The resources and autoscaling of the endpoint.")
    fine_tuning_job_bundle_config: FineTuningJobBundleConfiguration | None = Field(
        default=None, description="The container of a job that fine-tunes models made from "
                                  "this template.")


class ModelTemplateRequest(_Strict):
    """The create body of `POST /v4/model-templates`; exactly what a template file holds."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        protected_namespaces=(),
        title="Model template",
        json_schema_extra={"description": "A model template file: the API's create body."},
    )

    name: str = Field(description="The template's name, shown when people pick a template; "
                                  "unique in its account, ignoring case and surrounding "
                                  "spaces.")
    account_id: str = Field(description="The ID of the account that owns the template.")
    endpoint_type: EndpointType = Field(description=_ENDPOINT_TYPE)
    model_type: ModelType = Field(
        description="What the models made from it do: COMPLETION, CHAT_COMPLETION, AGENT, "
                    "EMBEDDING, RERANKING or GENERIC. BUNDLE only shows a model bundle in the "
                    "UI and is not meant to be used directly.")
    vendor_configuration: LaunchVendorConfiguration = Field(
        description="How Launch, Scale's self-hosted service that deploys models on "
                    "Kubernetes, runs the model: its container, resources and autoscaling.")
    model_creation_parameters_schema: ParameterSchema | None = Field(
        default=None, description="Parameters someone may set when creating a model from this "
                                  "template, e.g. a model_weights_uri that swaps the weights "
                                  "the image loads.")
    model_request_parameters_schema: ParameterSchema | None = Field(
        default=None, description="Parameters an end user may pass with each call of the "
                                  "model, in the execution API's model_request_parameters "
                                  "field.")
    endpoint_protocol: EndpointProtocol | None = Field(
        default=None, description="The calling convention the Launch endpoint expects: SGP, "
                                  "COHERE or VLLM.")


class ModelTemplateResponse(ModelTemplateRequest):
    """What the API answers: the request plus server-made fields; unknown fields ignored."""

    model_config = ConfigDict(strict=False, extra="ignore", protected_namespaces=())

    id: str = Field(description="The ID the API gave the template.")
    created_at: datetime = Field(description="When the template was created.")
    created_by_user_id: str = Field(description="The ID of who created it.")
    created_by_identity_type: Literal["user", "service_account"] = Field(
        default="user", description="Whether a user or a service account created it.")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a template file, derived from the model (for editors and CI)."""
    schema = ModelTemplateRequest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
