"""Rule `launch-resources`: Launch's resource and autoscaling rules, at their boundaries.

The numbers are written out here as Launch's resource_limits.py has them, not imported
from the rule, so that a changed limit in the rule fails a test.
"""

from __future__ import annotations

import pytest

from registry.loader import load_document
from tests.helpers import BASE, edit, findings_of, messages_of
from validators import launch_resources
from validators.launch_settings import LaunchSettings, NodeLimit

GI = 2**30
ERROR = "error"
RULE = "launch-resources"
# gpu_type, node name in messages, cpus, memory (Gi), storage (Gi) of one node.
NODES = [
    (None, "CPU-only", 7, 30, 640),
    ("nvidia-tesla-t4", "nvidia-tesla-t4", 63, 250, 640),
    ("nvidia-ampere-a10", "nvidia-ampere-a10", 63, 250, 640),
    ("nvidia-ampere-a100", "nvidia-ampere-a100", 95, 1000, 640),
    ("nvidia-ampere-a100e", "nvidia-ampere-a100e", 95, 1000, 640),
    ("nvidia-hopper-h100", "nvidia-hopper-h100", 191, 2000, 1300),
    ("nvidia-hopper-h100-1g20gb", "nvidia-hopper-h100-1g20gb", 47, 500, 640),
    ("nvidia-hopper-h100-3g40gb", "nvidia-hopper-h100-3g40gb", 95, 1000, 640),
]
# BASE as a STREAMING template, same line layout: the optional healthcheck and predict
# routes (lines 12 and 13) give way to the streaming command and route; per_worker 1.
STREAMING = edit(edit(edit(
    BASE, "endpoint_type: SYNC", "endpoint_type: STREAMING"),
    "    healthcheck_route: /healthz\n    predict_route: /predict\n",
    "    streaming_command: [python, -m, server]\n    streaming_predict_route: /stream\n"),
    "per_worker: 4", "per_worker: 1")


def gpu(text: str, gpus: str, gpu_type: str | None) -> str:
    """TEXT with gpus (line 21) and gpu_type (line 22) added at the end of endpoint_config."""
    lines = f"    per_worker: 4\n    gpus: {gpus}\n"
    if gpu_type is not None:
        lines += f"    gpu_type: {gpu_type}\n"
    return edit(text, "    per_worker: 4\n", lines)


def on_node(gpu_type: str | None, old: str, new: str) -> str:
    """BASE with OLD replaced by NEW, on one GPU of GPU_TYPE (or CPU-only for None)."""
    text = edit(BASE, old, new)
    return text if gpu_type is None else gpu(text, "1", gpu_type)


def tuning(cpus: str, memory: str, storage: str) -> str:
    """BASE with fine-tuning resources: cpus at 19:13, memory at 20:15, storage at 21:16."""
    return edit(BASE, "  endpoint_config:\n", (
        "  fine_tuning_job_bundle_config:\n    registry: r\n    image: trainer\n"
        f"    tag: '2.0'\n    resources:\n      cpus: {cpus}\n      memory: {memory}\n"
        f"      storage: {storage}\n  endpoint_config:\n"))


def check_with(text: str, settings: LaunchSettings) -> list[tuple[int, int, str, str]]:
    doc = load_document(text.encode(), "t.yaml").document
    assert doc is not None
    return [(f.line, f.column, f.rule, f.message)
            for f in launch_resources.check(doc, settings)]


def test_the_base_template_is_valid() -> None:
    assert findings_of(BASE) == []
    assert findings_of(STREAMING) == []


# GPU count and type.

def test_gpus_without_gpu_type() -> None:
    text = gpu(BASE, "2", None)
    assert findings_of(text) == [(21, 5, ERROR, RULE)]
    assert messages_of(text) == ["gpus is 2 but no gpu_type is set; Launch needs the GPU type, "
                                 "e.g. nvidia-tesla-t4 or nvidia-hopper-h100"]


def test_gpu_type_with_zero_gpus() -> None:
    text = gpu(BASE, "0", "nvidia-tesla-t4")
    assert findings_of(text) == [(22, 5, ERROR, RULE)]
    assert messages_of(text) == [
        "gpu_type 'nvidia-tesla-t4' is set but gpus is 0; Launch rejects a GPU type without "
        "GPUs: set gpus to 1 or more, or remove gpu_type"]


def test_gpu_type_without_gpus() -> None:
    text = edit(BASE, "    per_worker: 4\n", "    per_worker: 4\n    gpu_type: nvidia-tesla-t4\n")
    assert findings_of(text) == [(21, 5, ERROR, RULE)]
    assert messages_of(text) == [
        "gpu_type 'nvidia-tesla-t4' is set but gpus is not set; Launch rejects a GPU type "
        "without GPUs: set gpus to 1 or more, or remove gpu_type"]


def test_negative_gpus() -> None:
    for gpu_type in (None, "nvidia-tesla-t4"):
        text = gpu(BASE, "-1", gpu_type)
        assert findings_of(text) == [(21, 11, ERROR, RULE)]
        assert messages_of(text) == ["gpus is -1; it cannot be negative"]


@pytest.mark.parametrize(("gpus", "gpu_type"), [
    ("0", None), ("1", "nvidia-tesla-t4"), ("64", "nvidia-hopper-h100"),
    ("1000", "nvidia-ampere-a100")])
def test_gpu_counts_launch_accepts(gpus: str, gpu_type: str | None) -> None:
    assert findings_of(gpu(BASE, gpus, gpu_type)) == []


# Per-node limits: each GPU type's node, with the forwarder's 1 CPU, 2Gi and 1G added.

@pytest.mark.parametrize(("gpu_type", "node", "cpus", "memory", "storage"), NODES)
def test_cpus_at_and_over_the_node_limit(gpu_type: str | None, node: str, cpus: int,
                                         memory: int, storage: int) -> None:
    assert findings_of(on_node(gpu_type, "cpus: 2", f"cpus: {cpus - 1}")) == []
    over = on_node(gpu_type, "cpus: 2", f"cpus: {cpus}")
    assert findings_of(over) == [(15, 11, ERROR, RULE)]
    assert messages_of(over) == [
        f"cpus {cpus} plus 1 for the forwarder exceeds the {cpus} CPUs a {node} node offers"]


@pytest.mark.parametrize(("gpu_type", "node", "cpus", "memory", "storage"), NODES)
def test_memory_at_and_over_the_node_limit(gpu_type: str | None, node: str, cpus: int,
                                           memory: int, storage: int) -> None:
    assert findings_of(on_node(gpu_type, "memory: 4Gi", f"memory: {memory - 2}Gi")) == []
    at = (memory - 2) * GI
    assert findings_of(on_node(gpu_type, "memory: 4Gi", f'memory: "{at}"')) == []
    over = on_node(gpu_type, "memory: 4Gi", f'memory: "{at + 1}"')
    assert findings_of(over) == [(16, 13, ERROR, RULE)]
    assert messages_of(over) == [f"memory {at + 1} plus 2Gi for the forwarder exceeds the "
                                 f"{memory}Gi a {node} node offers"]


@pytest.mark.parametrize(("gpu_type", "node", "cpus", "memory", "storage"), NODES)
def test_storage_at_and_over_the_node_limit(gpu_type: str | None, node: str, cpus: int,
                                            memory: int, storage: int) -> None:
    at = storage * GI - 10**9
    assert findings_of(on_node(gpu_type, "storage: 10Gi", f'storage: "{at}"')) == []
    over = on_node(gpu_type, "storage: 10Gi", f'storage: "{at + 1}"')
    assert findings_of(over) == [(17, 14, ERROR, RULE)]
    assert messages_of(over) == [f"storage {at + 1} plus 1G for the forwarder exceeds the "
                                 f"{storage}Gi a {node} node offers"]
    whole = on_node(gpu_type, "storage: 10Gi", f"storage: {storage}Gi")
    assert findings_of(whole) == [(17, 14, ERROR, RULE)]


def test_limits_of_the_gpu_type_even_when_gpus_is_zero() -> None:
    text = gpu(edit(BASE, "cpus: 2", "cpus: 62"), "0", "nvidia-tesla-t4")
    assert findings_of(text) == [(22, 5, ERROR, RULE)]


def test_no_node_limits_when_gpus_lack_a_type() -> None:
    text = gpu(edit(BASE, "cpus: 2", "cpus: 62"), "1", None)
    assert messages_of(text) == ["gpus is 1 but no gpu_type is set; Launch needs the GPU type, "
                                 "e.g. nvidia-tesla-t4 or nvidia-hopper-h100"]


@pytest.mark.parametrize(("memory", "fits"), [
    ('"30064771072"', True),    # 28Gi: 30Gi with the forwarder's 2Gi
    ('"30064771072.4"', True),  # rounds down to 28Gi
    ('"30064771072.5"', True),  # half to even: down to 28Gi
    ('"28.0000000001Gi"', True),  # 0.1 byte over 28Gi, rounded away
    ('"30064771072.6"', False),
    ('"30064771073.5"', False),  # half to even: up
    ('"30064771073"', False),
])
def test_memory_compared_after_rounding_to_whole_bytes(memory: str, fits: bool) -> None:
    text = edit(BASE, "memory: 4Gi", f"memory: {memory}")
    assert findings_of(text) == ([] if fits else [(16, 13, ERROR, RULE)])


def test_fine_tuning_resources_have_no_forwarder() -> None:
    assert findings_of(tuning("7", "30Gi", "640Gi")) == []
    over = tuning("8", '"32212254721"', "641Gi")
    assert findings_of(over) == [(19, 13, ERROR, RULE), (20, 15, ERROR, RULE),
                                 (21, 16, ERROR, RULE)]
    assert messages_of(over) == ["cpus 8 exceeds the 7 CPUs a CPU-only node offers",
                                 "memory 32212254721 exceeds the 30Gi a CPU-only node offers",
                                 "storage 641Gi exceeds the 640Gi a CPU-only node offers"]


def test_fine_tuning_gpus_without_type() -> None:
    text = edit(tuning("7", "30Gi", "640Gi"), "      cpus: 7\n", "      cpus: 7\n      gpus: 1\n")
    assert findings_of(text) == [(20, 7, ERROR, RULE)]
    assert messages_of(text)[0].startswith("gpus is 1 but no gpu_type is set")


# Sizes and quantity spellings.

@pytest.mark.parametrize(("old", "new", "column", "message"), [
    ("cpus: 2", "cpus: 0", 11, "cpus is 0; it must be positive"),
    ("cpus: 2", "cpus: -1", 11, "cpus is -1; it must be positive"),
    ("storage: 10Gi", "storage: '0Gi'", 14, "storage '0Gi' is 0; it must be positive"),
    ("memory: 4Gi", 'memory: "0.0"', 13, "memory '0.0' is 0; it must be positive"),
    ("memory: 4Gi", 'memory: "0.4"', 13,
     "memory '0.4' rounds to 0 bytes (Launch counts whole bytes); it must be positive"),
    ("memory: 4Gi", 'memory: "0.5"', 13,
     "memory '0.5' rounds to 0 bytes (Launch counts whole bytes); it must be positive"),
    ("storage: 10Gi", 'storage: "0.0000000001Gi"', 14,
     "storage '0.0000000001Gi' rounds to 0 bytes (Launch counts whole bytes); "
     "it must be positive"),
])
def test_sizes_must_be_positive(old: str, new: str, column: int, message: str) -> None:
    line = {"cpus": 15, "memory": 16, "storage": 17}[old.split(":")[0]]
    text = edit(BASE, old, new)
    assert findings_of(text) == [(line, column, ERROR, RULE)]
    assert messages_of(text) == [message]


@pytest.mark.parametrize("memory", [
    '"1.5"', '"0.6"', "1k", "512Mi", "4G", "4Gi", "0.5Gi", "4096Ki", "1.25Gi", "28Gi", "'4000000k'",
])
def test_memory_spellings_launch_accepts(memory: str) -> None:
    assert findings_of(edit(BASE, "memory: 4Gi", f"memory: {memory}")) == []


SYNTAX = ("is not a quantity Launch accepts: digits 0-9 with an optional fraction, then an "
          "optional unit (k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei), e.g. '24Gi' or '1.5G'")


@pytest.mark.parametrize(("memory", "shown", "tip"), [
    ("1e3", "'1e3'", SYNTAX),
    ('"+1Gi"', "'+1Gi'", SYNTAX),
    ('"-1Gi"', "'-1Gi'", SYNTAX),
    (".5Gi", "'.5Gi'", SYNTAX),
    ("1.Gi", "'1.Gi'", SYNTAX),
    ("1u", "'1u'", SYNTAX),
    ("1n", "'1n'", SYNTAX),
    ('"١٢Gi"', "'١٢Gi'", SYNTAX),
    ("500m", "'500m'", "is not a quantity Launch accepts; did you mean '500Mi'?"),
    ("24GB", "'24GB'", "is not a quantity Launch accepts; did you mean '24Gi'?"),
    ("24gi", "'24gi'", "is not a quantity Launch accepts; did you mean '24Gi'?"),
    ("24 Gi", "'24 Gi'", "is not a quantity Launch accepts; did you mean '24Gi'?"),
    ('"24Gi\\n"', "'24Gi\\n'", "is not a quantity Launch accepts; did you mean '24Gi'?"),
])
def test_memory_spellings_launch_refuses(memory: str, shown: str, tip: str) -> None:
    text = edit(BASE, "memory: 4Gi", f"memory: {memory}")
    assert findings_of(text) == [(16, 13, ERROR, RULE)]
    assert messages_of(text) == [f"memory {shown} {tip}"]


def test_storage_spelling_refused_too() -> None:
    text = edit(BASE, "storage: 10Gi", "storage: 1e12")
    assert findings_of(text) == [(17, 14, ERROR, RULE)]
    assert messages_of(text) == [f"storage '1e12' {SYNTAX}"]


# Workers.

def test_max_workers_limit() -> None:
    assert findings_of(edit(BASE, "max_workers: 2", "max_workers: 250")) == []
    text = edit(BASE, "max_workers: 2", "max_workers: 251")
    assert findings_of(text) == [(19, 18, ERROR, RULE)]
    assert messages_of(text) == ["max_workers 251 exceeds Launch's limit of 250"]


@pytest.mark.parametrize(("old", "new", "line", "message"), [
    ("min_workers: 1", "min_workers: -1", 18, "min_workers is -1; it cannot be negative"),
    ("max_workers: 2", "max_workers: -1", 19, "max_workers is -1; it cannot be negative"),
])
def test_negative_workers(old: str, new: str, line: int, message: str) -> None:
    text = edit(edit(BASE, "endpoint_type: SYNC", "endpoint_type: ASYNC"), old, new)
    assert findings_of(text) == [(line, 18, ERROR, RULE)]
    assert messages_of(text) == [message]


def test_min_workers_above_max_workers() -> None:
    """Launch does not check this; Kubernetes' autoscaler refuses it later, so we do."""
    text = edit(edit(BASE, "min_workers: 1", "min_workers: 3"), "max_workers: 2", "max_workers: 1")
    assert findings_of(text) == [(18, 18, ERROR, RULE)]
    assert messages_of(text) == ["min_workers 3 is greater than max_workers 1"]
    assert findings_of(edit(BASE, "min_workers: 1", "min_workers: 2")) == []


@pytest.mark.parametrize(("text", "kind"), [
    (BASE, "SYNC"), (STREAMING, "STREAMING"),
    (edit(BASE, "endpoint_type: SYNC", "endpoint_type: BATCH"), "BATCH"),
])
def test_min_workers_zero_refused_for_http_endpoints(text: str, kind: str) -> None:
    zero = edit(text, "min_workers: 1", "min_workers: 0")
    assert findings_of(zero) == [(18, 18, ERROR, RULE)]
    assert messages_of(zero) == [
        f"min_workers 0 is allowed only for ASYNC endpoints (this one is {kind}) unless the "
        "Launch cluster scales HTTP endpoints from zero; set it to 1 or more"]
    assert check_with(zero, LaunchSettings(scale_from_zero=True)) == []


def test_min_workers_zero_for_async() -> None:
    text = edit(edit(BASE, "endpoint_type: SYNC", "endpoint_type: ASYNC"),
                "min_workers: 1", "min_workers: 0")
    assert findings_of(text) == []


@pytest.mark.parametrize(("per_worker", "message"), [
    ("0", "per_worker is 0; a worker must take at least 1 request at a time: set 1 or more"),
    ("-2", "per_worker is -2; a worker must take at least 1 request at a time: set 1 or more"),
])
def test_per_worker_must_be_positive(per_worker: str, message: str) -> None:
    for text in (BASE, STREAMING):
        bad = text.replace("    per_worker: 4\n", "    per_worker: 1\n").replace(
            "per_worker: 1", f"per_worker: {per_worker}")
        assert findings_of(bad) == [(20, 17, ERROR, RULE)]
        assert messages_of(bad) == [message]


def test_streaming_per_worker_must_be_one() -> None:
    assert findings_of(STREAMING) == []
    text = edit(STREAMING, "per_worker: 1", "per_worker: 2")
    assert findings_of(text) == [(20, 17, ERROR, RULE)]
    assert messages_of(text) == [
        "per_worker is 2; Launch creates a STREAMING endpoint only with per_worker 1 "
        "(\"Cannot create a streaming endpoint with per_worker != 1\"): set it to 1"]


@pytest.mark.parametrize("per_worker", ["1", "20", "21", "70", "1000"])
def test_async_per_worker_has_no_cap(per_worker: str) -> None:
    """Launch's cap of 20 is on concurrent_requests_per_worker, which templates do not carry."""
    text = edit(edit(BASE, "endpoint_type: SYNC", "endpoint_type: ASYNC"),
                "per_worker: 4", f"per_worker: {per_worker}")
    assert findings_of(text) == []


def test_negative_readiness_delay() -> None:
    text = edit(BASE, "    predict_route: /predict\n",
                "    predict_route: /predict\n    readiness_initial_delay_seconds: -1\n")
    assert findings_of(text) == [(14, 38, ERROR, RULE)]
    assert messages_of(text) == ["readiness_initial_delay_seconds is -1; it must be 0 or more"]
    assert findings_of(text.replace("seconds: -1", "seconds: 0")) == []


# A value of the wrong type: one finding, from the schema rule (or yaml-implicit-type).

@pytest.mark.parametrize(("text", "expected"), [
    (gpu(BASE, '"1"', "nvidia-tesla-t4"), [(21, 11, ERROR, "schema")]),
    (gpu(BASE, "true", "nvidia-tesla-t4"), [(21, 11, ERROR, "schema")]),
    (gpu(BASE, "false", "nvidia-tesla-t4"), [(21, 11, ERROR, "schema")]),
    (gpu(BASE, "1.5", None), [(21, 11, ERROR, "schema")]),
    (gpu(edit(BASE, "cpus: 2", "cpus: 60"), '"1"', None), [(21, 11, ERROR, "schema")]),
    (gpu(BASE, "0", "5"), [(22, 15, ERROR, "schema")]),
    (gpu(BASE, "1", "[nvidia-tesla-t4]"), [(22, 15, ERROR, "schema")]),
    (edit(BASE, "cpus: 2", 'cpus: "2"'), [(15, 11, ERROR, "schema")]),
    (edit(BASE, "cpus: 2", 'cpus: "100"'), [(15, 11, ERROR, "schema")]),
    (edit(BASE, "cpus: 2", 'cpus: "0"'), [(15, 11, ERROR, "schema")]),
    (edit(BASE, "cpus: 2", "cpus: 1.5"), [(15, 11, ERROR, "schema")]),
    (edit(BASE, "cpus: 2", "cpus: true"), [(15, 11, ERROR, "schema")]),
    (edit(BASE, "memory: 4Gi", "memory: 0"), [(16, 13, ERROR, "yaml-implicit-type")]),
    (edit(BASE, "memory: 4Gi", "memory: 99999999999999"), [(16, 13, ERROR, "yaml-implicit-type")]),
    (edit(BASE, "storage: 10Gi", "storage: [10Gi]"), [(17, 14, ERROR, "schema")]),
    (edit(BASE, "min_workers: 1", "min_workers: 1.5"), [(18, 18, ERROR, "schema")]),
    (edit(BASE, "min_workers: 1", 'min_workers: "0"'), [(18, 18, ERROR, "schema")]),
    (edit(BASE, "min_workers: 1", 'min_workers: "5"'), [(18, 18, ERROR, "schema")]),
    (edit(BASE, "max_workers: 2", 'max_workers: "300"'), [(19, 18, ERROR, "schema")]),
    (edit(BASE, "max_workers: 2", "max_workers: true"), [(19, 18, ERROR, "schema")]),
    (edit(BASE, "per_worker: 4", 'per_worker: "0"'), [(20, 17, ERROR, "schema")]),
    (edit(STREAMING, "per_worker: 1", 'per_worker: "4"'), [(20, 17, ERROR, "schema")]),
    (edit(STREAMING, "per_worker: 1", "per_worker: 1.0"), [(20, 17, ERROR, "schema")]),
    (edit(edit(BASE, "endpoint_type: SYNC", "endpoint_type: sync"),
          "min_workers: 1", "min_workers: 0"), [(3, 16, ERROR, "schema")]),
])
def test_wrong_type_reported_once(text: str, expected: list[tuple[int, int, str, str]]) -> None:
    assert findings_of(text) == expected


# The deployment's settings.

def test_node_limits_from_settings() -> None:
    small = LaunchSettings(node_limits={None: NodeLimit(cpus=3, memory=6 * GI, storage=20 * GI)})
    assert check_with(BASE, small) == []
    text = edit(edit(BASE, "cpus: 2", "cpus: 3"), "memory: 4Gi", "memory: 5Gi")
    assert check_with(text, small) == [
        (15, 11, RULE, "cpus 3 plus 1 for the forwarder exceeds the 3 CPUs a CPU-only node offers"),
        (16, 13, RULE, "memory 5Gi plus 2Gi for the forwarder exceeds the 6Gi a CPU-only node "
                       "offers")]
    assert check_with(text, LaunchSettings()) == []


def test_gpu_type_without_limits_in_settings_skips_the_limits() -> None:
    only_cpu = LaunchSettings(node_limits={None: NodeLimit(7, 30 * GI, 640 * GI)})
    text = gpu(edit(BASE, "cpus: 2", "cpus: 500"), "1", "nvidia-tesla-t4")
    assert check_with(text, only_cpu) == []
    assert check_with(text, LaunchSettings()) == [
        (15, 11, RULE, "cpus 500 plus 1 for the forwarder exceeds the 63 CPUs a "
                       "nvidia-tesla-t4 node offers")]
