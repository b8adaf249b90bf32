"""Rule `launch-resources`: what Launch's model engine accepts for an endpoint's resources.

A template whose `endpoint_config` Launch would reject is accepted by the API and fails
only later, when someone creates a model from it; these checks move that failure to the
pull request. They follow Launch's own checks (resource_limits.py, k8s_resource_parser.py,
model_endpoint_use_cases.py and the request model in dtos/model_endpoints.py), with the
deployment's numbers taken from a LaunchSettings value. Our additions, stricter than
Launch, are min_workers <= max_workers and a non-negative readiness delay.

A value of the wrong type is the `schema` rule's finding alone: a check that needs such a
value is skipped rather than run on a misreading (`gpus: true` is not "gpus is 0").
"""

from __future__ import annotations

from typing import Any

from registry.enums import ENDPOINT_TYPES
from registry.findings import Finding, shown
from registry.loader import Document, Path
from registry.rules import LAUNCH_RESOURCES
from validators import quantity
from validators.launch_settings import (
    DEFAULT_SETTINGS,
    FORWARDER,
    MAX_WORKERS,
    LaunchSettings,
    NodeLimit,
)

RULE = LAUNCH_RESOURCES
NO_FORWARDER = NodeLimit(0, 0, 0)
ENDPOINT: Path = ("vendor_configuration", "endpoint_config")
RESOURCES: Path = ("vendor_configuration", "fine_tuning_job_bundle_config", "resources")
DELAY: Path = ("vendor_configuration", "bundle_config", "readiness_initial_delay_seconds")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check(doc: Document, settings: LaunchSettings = DEFAULT_SETTINGS) -> list[Finding]:
    """Launch's resource and autoscaling rules for DOC, on the deployment SETTINGS describe."""
    vendor = doc.data.get("vendor_configuration")
    if not isinstance(vendor, dict):
        return []
    findings: list[Finding] = []
    endpoint = vendor.get("endpoint_config")
    if isinstance(endpoint, dict):
        findings += _resources(doc, ENDPOINT, endpoint, settings, FORWARDER)
        findings += _workers(doc, endpoint, settings)
    bundle = vendor.get("bundle_config")
    if isinstance(bundle, dict):
        delay = _int(bundle.get("readiness_initial_delay_seconds"))
        if delay is not None and delay < 0:
            findings.append(doc.finding(
                RULE, DELAY, f"readiness_initial_delay_seconds is {delay}; it must be 0 or more",
                prefer="value"))
    tuning = vendor.get("fine_tuning_job_bundle_config")
    if isinstance(tuning, dict) and isinstance(tuning.get("resources"), dict):
        # A fine-tuning job runs as a batch job: no forwarder beside it.
        findings += _resources(doc, RESOURCES, tuning["resources"], settings, NO_FORWARDER)
    return findings


def _resources(doc: Document, base: Path, config: dict[str, Any], settings: LaunchSettings,
               extra: NodeLimit) -> list[Finding]:
    """GPU count and type together, positive sizes, and the limits of the GPU type's node."""
    findings = _gpus(doc, base, config)
    cpus = _int(config.get("cpus"))
    if cpus is not None and cpus <= 0:
        findings.append(doc.finding(RULE, (*base, "cpus"), f"cpus is {cpus}; it must be positive",
                                    prefer="value"))
        cpus = None
    memory = _size(doc, base, config, "memory", findings)
    storage = _size(doc, base, config, "storage", findings)
    node = _node(config, settings)
    if node is None:
        return findings
    limit, where = node
    if cpus is not None and cpus + extra.cpus > limit.cpus:
        findings.append(_over(doc, base, "cpus", str(cpus), str(extra.cpus) if extra.cpus else "",
                              f"{limit.cpus} CPUs", where))
    for name, asked, added, total in (("memory", memory, extra.memory, limit.memory),
                                      ("storage", storage, extra.storage, limit.storage)):
        if asked is not None and asked + added > total:
            share = quantity.format_bytes(added) if added else ""
            findings.append(_over(doc, base, name, str(config[name]), share,
                                  quantity.format_bytes(total), where))
    return findings


def _gpus(doc: Document, base: Path, config: dict[str, Any]) -> list[Finding]:
    """Launch's pairing: a GPU type needs GPUs and GPUs need a type; no negative count."""
    raw, gpu_type = config.get("gpus"), config.get("gpu_type")
    gpus = _int(raw)
    if raw is not None and gpus is None:
        return []
    if gpus is not None and gpus < 0:
        return [doc.finding(RULE, (*base, "gpus"), f"gpus is {gpus}; it cannot be negative",
                            prefer="value")]
    if isinstance(gpu_type, str) and not gpus:
        count = "not set" if gpus is None else "0"
        return [doc.finding(
            RULE, (*base, "gpu_type"),
            f"gpu_type {shown(gpu_type)} is set but gpus is {count}; Launch rejects a GPU type "
            "without GPUs: set gpus to 1 or more, or remove gpu_type")]
    if gpus and gpu_type is None:
        return [doc.finding(
            RULE, (*base, "gpus"),
            f"gpus is {gpus} but no gpu_type is set; Launch needs the GPU type, e.g. "
            "nvidia-tesla-t4 or nvidia-hopper-h100")]
    return []


def _node(config: dict[str, Any], settings: LaunchSettings) -> tuple[NodeLimit, str] | None:
    """The limits that apply and the node's name: the GPU type's, or CPU-only with no GPUs.

    None when the node is unknown: a type without limits, a type of the wrong type, or
    GPUs without a type (Launch stops at the pairing; guessing a node would mislead).
    """
    gpu_type, gpus = config.get("gpu_type"), config.get("gpus")
    if isinstance(gpu_type, str):
        limit = settings.node_limits.get(gpu_type)
        return None if limit is None else (limit, gpu_type)
    if gpu_type is None and (gpus is None or _int(gpus) == 0):
        limit = settings.node_limits.get(None)
        return None if limit is None else (limit, "CPU-only")
    return None


def _size(doc: Document, base: Path, config: dict[str, Any], name: str,
          findings: list[Finding]) -> int | None:
    """NAME's value in whole bytes as Launch reads it, or None after a finding (or if absent)."""
    text = config.get(name)
    if not isinstance(text, str):
        return None
    value = quantity.parse_bytes(text)
    if value is None:
        hint = quantity.suggest(text)
        tip = (f"; did you mean {hint!r}?" if hint else
               ": digits 0-9 with an optional fraction, then an optional unit (k, M, G, T, P, "
               "E, Ki, Mi, Gi, Ti, Pi, Ei), e.g. '24Gi' or '1.5G'")
        findings.append(doc.finding(RULE, (*base, name),
                                    f"{name} {shown(text)} is not a quantity Launch accepts{tip}",
                                    prefer="value"))
        return None
    if value <= 0:
        # Units hold no digits: a non-zero digit means a fraction that rounded away.
        why = (" rounds to 0 bytes (Launch counts whole bytes)"
               if any(digit in text for digit in "123456789") else " is 0")
        findings.append(doc.finding(RULE, (*base, name),
                                    f"{name} {shown(text)}{why}; it must be positive",
                                    prefer="value"))
        return None
    return value


def _over(doc: Document, base: Path, name: str, asked: str, share: str, total: str,
          node: str) -> Finding:
    plus = f" plus {share} for the forwarder" if share else ""
    return doc.finding(RULE, (*base, name),
                       f"{name} {asked}{plus} exceeds the {total} a {node} node offers",
                       prefer="value")


def _workers(doc: Document, config: dict[str, Any], settings: LaunchSettings) -> list[Finding]:
    """Autoscaling: 0 <= min <= max <= 250, min 0 only where the cluster allows it, and
    per_worker at least 1, exactly 1 for STREAMING. The template's endpoint_type decides
    (launch-routes reports an endpoint_config.endpoint_type that differs from it)."""
    findings: list[Finding] = []
    kind = doc.data.get("endpoint_type")
    kind = kind if kind in ENDPOINT_TYPES else None
    low, high = _int(config.get("min_workers")), _int(config.get("max_workers"))
    per_worker = _int(config.get("per_worker"))

    def add(name: str, message: str) -> None:
        findings.append(doc.finding(RULE, (*ENDPOINT, name), message, prefer="value"))

    for name, value in (("min_workers", low), ("max_workers", high)):
        if value is not None and value < 0:
            add(name, f"{name} is {value}; it cannot be negative")
    if high is not None and high > MAX_WORKERS:
        add("max_workers", f"max_workers {high} exceeds Launch's limit of {MAX_WORKERS}")
    if low is not None and high is not None and 0 <= high < low:
        add("min_workers", f"min_workers {low} is greater than max_workers {high}")
    if low == 0 and kind is not None and kind != "ASYNC" and not settings.scale_from_zero:
        add("min_workers", f"min_workers 0 is allowed only for ASYNC endpoints (this one is "
                           f"{kind}) unless the Launch cluster scales HTTP endpoints from zero; "
                           "set it to 1 or more")
    if per_worker is not None and per_worker <= 0:
        add("per_worker", f"per_worker is {per_worker}; a worker must take at least 1 request "
                          "at a time: set 1 or more")
    elif per_worker is not None and per_worker != 1 and kind == "STREAMING":
        add("per_worker", f"per_worker is {per_worker}; Launch creates a STREAMING endpoint only "
                          "with per_worker 1 (\"Cannot create a streaming endpoint with "
                          "per_worker != 1\"): set it to 1")
    return findings
