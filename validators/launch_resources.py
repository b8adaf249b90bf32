"""Rule `launch-resources`: what Launch's model engine accepts for an endpoint's resources.

A template whose `endpoint_config` Launch would reject is accepted by the API and fails
only later, when someone creates a model from it; these checks move that failure to the
pull request. The limits are Launch's (resource_limits.py, model_endpoint_use_cases.py),
as listed in shared/spec/api.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from registry.findings import Finding
from registry.loader import Document, Path
from validators import quantity

RULE = "launch-resources"
MAX_WORKERS = 250
MAX_ASYNC_PER_WORKER = 20
_GI = Decimal(2) ** 30


class NodeLimit(NamedTuple):
    cpus: int
    memory: Decimal
    storage: Decimal


def _limit(cpus: int, memory_gi: int, storage_gi: int) -> NodeLimit:
    return NodeLimit(cpus, memory_gi * _GI, storage_gi * _GI)


NODE_LIMITS: dict[str | None, NodeLimit] = {
    None: _limit(7, 30, 640),
    "nvidia-tesla-t4": _limit(63, 250, 640),
    "nvidia-ampere-a10": _limit(63, 250, 640),
    "nvidia-ampere-a100": _limit(95, 1000, 640),
    "nvidia-ampere-a100e": _limit(95, 1000, 640),
    "nvidia-hopper-h100": _limit(191, 2000, 1300),
    "nvidia-hopper-h100-1g20gb": _limit(47, 500, 640),
    "nvidia-hopper-h100-3g40gb": _limit(95, 1000, 640),
}
# What a model endpoint adds beside the model's own container.
FORWARDER = NodeLimit(1, 2 * _GI, Decimal(10) ** 9)
NO_FORWARDER = NodeLimit(0, Decimal(0), Decimal(0))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check(doc: Document) -> list[Finding]:
    vendor = doc.data.get("vendor_configuration")
    if not isinstance(vendor, dict):
        return []
    findings: list[Finding] = []
    endpoint = vendor.get("endpoint_config")
    if isinstance(endpoint, dict):
        base: Path = ("vendor_configuration", "endpoint_config")
        findings += _resources(doc, base, endpoint, FORWARDER)
        findings += _workers(doc, base, endpoint)
    bundle = vendor.get("bundle_config")
    if isinstance(bundle, dict):
        delay = _int(bundle.get("readiness_initial_delay_seconds"))
        if delay is not None and delay < 0:
            findings.append(doc.finding(
                RULE, ("vendor_configuration", "bundle_config", "readiness_initial_delay_seconds"),
                f"readiness_initial_delay_seconds is {delay}; it must be 0 or more",
                prefer="value"))
    tuning = vendor.get("fine_tuning_job_bundle_config")
    if isinstance(tuning, dict) and isinstance(tuning.get("resources"), dict):
        base = ("vendor_configuration", "fine_tuning_job_bundle_config", "resources")
        findings += _resources(doc, base, tuning["resources"], NO_FORWARDER)
    return findings


def _resources(doc: Document, base: Path, config: dict[str, Any],
               extra: NodeLimit) -> list[Finding]:
    """GPU pairing, positive sizes, quantities, and the per-node limits for the GPU type."""
    findings: list[Finding] = []
    gpus = _int(config.get("gpus"))
    gpu_type = config.get("gpu_type")
    if gpu_type is not None and not gpus:
        findings.append(doc.finding(
            RULE, (*base, "gpu_type"),
            f"gpu_type {gpu_type!r} is set but gpus is {gpus or 0}; Launch rejects a GPU type "
            "without GPUs: set gpus to 1 or more, or remove gpu_type"))
    if gpus is not None and gpus < 0:
        findings.append(doc.finding(RULE, (*base, "gpus"), f"gpus is {gpus}; it cannot be negative",
                                    prefer="value"))
    elif gpus and gpu_type is None:
        findings.append(doc.finding(
            RULE, (*base, "gpus"),
            f"gpus is {gpus} but no gpu_type is set; Launch needs the GPU type, e.g. "
            "nvidia-tesla-t4 or nvidia-hopper-h100"))
    cpus = _int(config.get("cpus"))
    if cpus is not None and cpus <= 0:
        findings.append(doc.finding(RULE, (*base, "cpus"), f"cpus is {cpus}; it must be positive",
                                    prefer="value"))
        cpus = None
    sizes = {name: _quantity(doc, base, config, name, findings) for name in ("memory", "storage")}
    node_key = gpu_type if (gpus and isinstance(gpu_type, str)) else None
    if node_key not in NODE_LIMITS:
        return findings
    limit = NODE_LIMITS[node_key]
    node = node_key or "CPU-only"
    if cpus is not None and cpus + extra.cpus > limit.cpus:
        findings.append(doc.finding(
            RULE, (*base, "cpus"),
            f"cpus {cpus}{_forwarder(extra.cpus, str(extra.cpus))} exceeds the {limit.cpus} "
            f"CPUs a {node} node offers", prefer="value"))
    for name, total, share in (("memory", limit.memory, "2Gi"), ("storage", limit.storage, "1G")):
        asked, added = sizes[name], getattr(extra, name)
        if asked is not None and asked + added > total:
            findings.append(doc.finding(
                RULE, (*base, name),
                f"{name} {config[name]}{_forwarder(added, share)} exceeds the "
                f"{quantity.format_bytes(total)} a {node} node offers", prefer="value"))
    return findings


def _forwarder(added: object, share: str) -> str:
    return f" plus {share} for the forwarder" if added else ""


def _quantity(doc: Document, base: Path, config: dict[str, Any], name: str,
              findings: list[Finding]) -> Decimal | None:
    text = config.get(name)
    if not isinstance(text, str):
        return None
    value = quantity.parse(text)
    if value is None:
        hint = quantity.suggest(text)
        tip = f"; did you mean {hint!r}?" if hint else " such as '24Gi' or '500M'"
        findings.append(doc.finding(
            RULE, (*base, name),
            f"{name} {text!r} is not a Kubernetes quantity{tip}", prefer="value"))
        return None
    if value <= 0:
        findings.append(doc.finding(RULE, (*base, name), f"{name} {text!r} must be positive",
                                    prefer="value"))
        return None
    return value


def _workers(doc: Document, base: Path, config: dict[str, Any]) -> list[Finding]:
    """Autoscaling bounds: 0 <= min <= max <= 250, min 0 only for ASYNC, ASYNC per_worker <= 20."""
    findings: list[Finding] = []
    kind = config.get("endpoint_type")
    if not isinstance(kind, str):
        kind = doc.data.get("endpoint_type")
    low, high = _int(config.get("min_workers")), _int(config.get("max_workers"))
    per_worker = _int(config.get("per_worker"))
    for name, value in (("min_workers", low), ("max_workers", high), ("per_worker", per_worker)):
        if value is not None and value < 0:
            findings.append(doc.finding(RULE, (*base, name),
                                        f"{name} is {value}; it cannot be negative",
                                        prefer="value"))
    if high is not None and high > MAX_WORKERS:
        findings.append(doc.finding(RULE, (*base, "max_workers"),
                                    f"max_workers {high} exceeds Launch's limit of {MAX_WORKERS}",
                                    prefer="value"))
    if low is not None and high is not None and 0 <= high < low:
        findings.append(doc.finding(RULE, (*base, "min_workers"),
                                    f"min_workers {low} is greater than max_workers {high}",
                                    prefer="value"))
    if low == 0 and kind != "ASYNC":
        findings.append(doc.finding(
            RULE, (*base, "min_workers"),
            f"min_workers 0 is allowed only for ASYNC endpoints (this one is {kind}); "
            "set it to 1 or more", prefer="value"))
    if per_worker == 0:
        findings.append(doc.finding(RULE, (*base, "per_worker"),
                                    "per_worker 0 would never serve a request; set 1 or more",
                                    prefer="value"))
    if kind == "ASYNC" and per_worker is not None and per_worker > MAX_ASYNC_PER_WORKER:
        findings.append(doc.finding(
            RULE, (*base, "per_worker"),
            f"per_worker {per_worker} exceeds Launch's limit of {MAX_ASYNC_PER_WORKER} for "
            "ASYNC endpoints", prefer="value"))
    return findings
