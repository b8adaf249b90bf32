"""The closed value sets of the create body, in one import-light module.

The model (registry/model.py) builds its fields from these types, and the CLI its choices
from these tuples, so `validate` and `new` can never disagree about what is allowed.
Importing this costs only `typing`: the pre-commit hook may import it.
"""

from __future__ import annotations

from typing import Literal, get_args

EndpointType = Literal["SYNC", "ASYNC", "STREAMING", "BATCH"]
# BUNDLE is documented as "not to be used directly", but the API accepts it.
ModelType = Literal[
    "COMPLETION", "CHAT_COMPLETION", "AGENT", "EMBEDDING", "RERANKING", "GENERIC", "BUNDLE"
]
EndpointProtocol = Literal["SGP", "COHERE", "VLLM"]
GpuType = Literal[
    "nvidia-tesla-t4",
    "nvidia-ampere-a10",
    "nvidia-ampere-a100",
    "nvidia-ampere-a100e",
    "nvidia-hopper-h100",
    "nvidia-hopper-h100-1g20gb",
    "nvidia-hopper-h100-3g40gb",
]
ParameterType = Literal["str", "int", "float", "bool"]
TrainingDatasetSchemaType = Literal["GENERATION", "RERANKING_QUESTIONS"]

ENDPOINT_TYPES: tuple[str, ...] = get_args(EndpointType)
MODEL_TYPES: tuple[str, ...] = get_args(ModelType)
ENDPOINT_PROTOCOLS: tuple[str, ...] = get_args(EndpointProtocol)
GPU_TYPES: tuple[str, ...] = get_args(GpuType)
PARAMETER_TYPES: tuple[str, ...] = get_args(ParameterType)
TRAINING_DATASET_SCHEMA_TYPES: tuple[str, ...] = get_args(TrainingDatasetSchemaType)
