"""The numbers of a Launch deployment that the `launch-resources` rule checks against.

They are Launch's defaults (model_engine_server/common/resource_limits.py and
model_endpoint_use_cases.py), held in one immutable value so that a registry whose
cluster differs (other node sizes, HTTP endpoints that scale from zero) can pass its own
without the rule changing: the rule is a pure function of the document and this value.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

_GI = 2**30


class NodeLimit(NamedTuple):
    """What one node offers a worker: CPUs, and memory and storage in bytes."""

    cpus: int
    memory: int
    storage: int


# Keyed by gpu_type; None is a CPU-only node.
NODE_LIMITS: Mapping[str | None, NodeLimit] = MappingProxyType({
    None: NodeLimit(7, 30 * _GI, 640 * _GI),
    "nvidia-tesla-t4": NodeLimit(63, 250 * _GI, 640 * _GI),
    "nvidia-ampere-a10": NodeLimit(63, 250 * _GI, 640 * _GI),
    "nvidia-ampere-a100": NodeLimit(95, 1000 * _GI, 640 * _GI),
    "nvidia-ampere-a100e": NodeLimit(95, 1000 * _GI, 640 * _GI),
    "nvidia-hopper-h100": NodeLimit(191, 2000 * _GI, 1300 * _GI),
    "nvidia-hopper-h100-1g20gb": NodeLimit(47, 500 * _GI, 640 * _GI),
    "nvidia-hopper-h100-3g40gb": NodeLimit(95, 1000 * _GI, 640 * _GI),
})
# The forwarder container Launch runs beside a model endpoint's own (1 CPU, 2Gi, 1G).
FORWARDER = NodeLimit(1, 2 * _GI, 10**9)
MAX_WORKERS = 250


class LaunchSettings(NamedTuple):
    """How the Launch deployment behind the API is set up; the defaults are Launch's own."""

    # Launch's can_scale_http_endpoint_from_zero: min_workers 0 for every endpoint type.
    scale_from_zero: bool = False
    node_limits: Mapping[str | None, NodeLimit] = NODE_LIMITS


DEFAULT_SETTINGS = LaunchSettings()
