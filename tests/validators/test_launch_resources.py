"""Rule `launch-resources`: Launch's resource rules, with the forwarder's share."""

from __future__ import annotations

import pytest

from tests.helpers import BASE, edit, findings_of, messages_of


def gpu(text: str, gpus: str, gpu_type: str | None) -> str:
    """TEXT with gpus (line 21) and gpu_type (line 22) added at the end of endpoint_config."""
    lines = f"    per_worker: 4\n    gpus: {gpus}\n"
    if gpu_type is not None:
        lines += f"    gpu_type: {gpu_type}\n"
    return edit(text, "    per_worker: 4\n", lines)


def test_gpus_without_gpu_type() -> None:
    text = gpu(BASE, "2", None)
    assert findings_of(text) == [(21, 5, "error", "launch-resources")]
    assert "no gpu_type is set" in messages_of(text)[0]


def test_gpu_type_with_zero_gpus() -> None:
    text = gpu(BASE, "0", "nvidia-tesla-t4")
    assert findings_of(text) == [(22, 5, "error", "launch-resources")]
    assert "gpus is 0" in messages_of(text)[0]


def test_min_workers_above_max_workers() -> None:
    text = edit(BASE, "min_workers: 1", "min_workers: 3")
    text = edit(text, "max_workers: 2", "max_workers: 1")
    assert findings_of(text) == [(18, 18, "error", "launch-resources")]
    assert messages_of(text) == ["min_workers 3 is greater than max_workers 1"]


def test_memory_not_a_quantity_suggests_binary_unit() -> None:
    text = edit(BASE, "memory: 4Gi", "memory: 24GB")
    assert findings_of(text) == [(16, 13, "error", "launch-resources")]
    assert messages_of(text) == [
        "memory '24GB' is not a Kubernetes quantity; did you mean '24Gi'?"]


def test_cpus_over_a_t4_node() -> None:
    text = gpu(edit(BASE, "cpus: 2", "cpus: 100"), "1", "nvidia-tesla-t4")
    assert findings_of(text) == [(15, 11, "error", "launch-resources")]
    assert messages_of(text) == [
        "cpus 100 plus 1 for the forwarder exceeds the 63 CPUs a nvidia-tesla-t4 node offers"]


def test_forwarder_share_tips_the_balance() -> None:
    at_limit = gpu(edit(BASE, "cpus: 2", "cpus: 62"), "1", "nvidia-tesla-t4")
    assert findings_of(at_limit) == []
    over = at_limit.replace("cpus: 62", "cpus: 63")
    assert findings_of(over) == [(15, 11, "error", "launch-resources")]


def test_memory_limit_counts_forwarder() -> None:
    text = edit(BASE, "memory: 4Gi", "memory: 29Gi")
    assert findings_of(text) == [(16, 13, "error", "launch-resources")]
    assert messages_of(text) == [
        "memory 29Gi plus 2Gi for the forwarder exceeds the 30Gi a CPU-only node offers"]
    assert findings_of(edit(BASE, "memory: 4Gi", "memory: 28Gi")) == []


def test_storage_limit_on_h100() -> None:
    text = gpu(edit(BASE, "storage: 10Gi", "storage: 1300Gi"), "8", "nvidia-hopper-h100")
    assert findings_of(text) == [(17, 14, "error", "launch-resources")]
    fits = text.replace("storage: 1300Gi", "storage: 1290Gi")
    assert findings_of(fits) == []


def test_cpu_only_node_limit() -> None:
    text = edit(BASE, "cpus: 2", "cpus: 7")
    assert findings_of(text) == [(15, 11, "error", "launch-resources")]


@pytest.mark.parametrize(("field", "value"), [("cpus", "0"), ("memory", "0"),
                                              ("storage", "'0Gi'"), ("cpus", "-1")])
def test_sizes_must_be_positive(field: str, value: str) -> None:
    line = {"cpus": 15, "memory": 16, "storage": 17}[field]
    old = {"cpus": "cpus: 2", "memory": "memory: 4Gi", "storage": "storage: 10Gi"}[field]
    text = edit(BASE, old, f"{field}: {value}")
    found = findings_of(text)
    if field == "memory":  # a bare 0 is an integer in YAML: the user must quote it
        assert found == [(line, 13, "error", "yaml-implicit-type")]
    else:
        assert found == [(line, len(field) + 7, "error", "launch-resources")]


def test_max_workers_limit() -> None:
    text = edit(BASE, "max_workers: 2", "max_workers: 251")
    assert findings_of(text) == [(19, 18, "error", "launch-resources")]


def test_min_workers_zero_only_for_async() -> None:
    text = edit(BASE, "min_workers: 1", "min_workers: 0")
    assert findings_of(text) == [(18, 18, "error", "launch-resources")]
    async_text = edit(text, "endpoint_type: SYNC", "endpoint_type: ASYNC")
    assert findings_of(async_text) == []


def test_async_per_worker_limit() -> None:
    text = edit(edit(BASE, "endpoint_type: SYNC", "endpoint_type: ASYNC"),
                "per_worker: 4", "per_worker: 21")
    assert findings_of(text) == [(20, 17, "error", "launch-resources")]
    assert findings_of(text.replace("per_worker: 21", "per_worker: 20")) == []


def test_fine_tuning_resources_checked_without_forwarder() -> None:
    text = BASE.replace("  endpoint_config:\n", (
        "  fine_tuning_job_bundle_config:\n    registry: r\n    image: trainer\n"
        "    tag: '2.0'\n    resources:\n      cpus: 7\n      gpus: 1\n"
        "  endpoint_config:\n"))
    assert findings_of(text) == [(20, 7, "error", "launch-resources")]
    assert "no gpu_type" in messages_of(text)[0]
