"""registry.cost and registry.prices: the instance a worker lands on, and the month's cost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from registry.cost import CostReport, Delta, Estimate, Row, Total, delta, estimate, total
from registry.model import GPU_TYPES
from registry.prices import DEFAULT_INSTANCES, DEFAULT_TABLE, MIG_SHARES, price_table

ROOT = Path(__file__).resolve().parent.parent
TABLE = price_table()


def body(gpu_type: Any = None, gpus: int | None = None, cpus: Any = 2,
         memory: Any = "4Gi", low: Any = 1, high: Any = 2) -> dict[str, Any]:
    config: dict[str, Any] = {"cpus": cpus, "memory": memory, "min_workers": low,
                              "max_workers": high}
    if gpu_type is not None:
        config.update(gpu_type=gpu_type, gpus=gpus)
    return {"vendor_configuration": {"endpoint_config": config}}


def chosen(gpu_type: str | None, gpus: int | None, cpus: int, memory: str) -> tuple[str, float]:
    found = estimate(body(gpu_type, gpus, cpus, memory), TABLE)
    assert found.hourly is not None, found.reason
    return found.instance, found.hourly


def test_the_mistral_example_costs_1186_to_9484_a_month() -> None:
    template = yaml.safe_load((ROOT / "templates/genai/mistral-7b-streaming.yaml").read_text())
    found = estimate(template, TABLE)
    assert (found.instance, found.hourly, found.min_workers, found.max_workers) == (
        "g5.4xlarge", 1.624, 1, 8)
    assert found.floor == pytest.approx(1185.52)
    assert found.ceiling == pytest.approx(9484.16)
    assert found.to_dict() == {"instance": "g5.4xlarge", "hourly": 1.624, "min_workers": 1,
                               "max_workers": 8, "floor": 1185.52, "ceiling": 9484.16,
                               "reason": None}


@pytest.mark.parametrize(("cpus", "memory", "instance"), [
    (15, "62Gi", "g5.4xlarge"),  # 16 vCPUs and 64Gi with the forwarder: just fits
    (16, "62Gi", "g5.8xlarge"),  # one CPU over
    (15, str(62 * 2**30 + 1), "g5.8xlarge"),  # one byte over
    (3, "14Gi", "g5.xlarge"),  # the smallest size, exactly full
    (3, "15Gi", "g5.2xlarge"),
])
def test_cpu_and_memory_boundaries(cpus: int, memory: str, instance: str) -> None:
    assert chosen("nvidia-ampere-a10", 1, cpus, memory)[0] == instance


@pytest.mark.parametrize(("gpu_type", "gpus", "instance"), [
    ("nvidia-ampere-a10", 2, "g5.12xlarge"),  # 4 GPUs, cheaper than g5.24xlarge
    ("nvidia-ampere-a10", 4, "g5.12xlarge"),
    ("nvidia-ampere-a10", 5, "g5.48xlarge"),
    ("nvidia-tesla-t4", 3, "g4dn.12xlarge"),
    ("nvidia-tesla-t4", 8, "g4dn.metal"),
    ("nvidia-hopper-h100", 1, "p5.4xlarge"),
    ("nvidia-hopper-h100", 2, "p5.48xlarge"),
    ("nvidia-ampere-a100", 1, "p4d.24xlarge"),
    ("nvidia-ampere-a100e", 1, "p4de.24xlarge"),
])
def test_gpu_count_chooses_a_multi_gpu_size(gpu_type: str, gpus: int, instance: str) -> None:
    assert chosen(gpu_type, gpus, 2, "4Gi")[0] == instance


def test_the_cheapest_fitting_instance_wins() -> None:
    # 41 vCPUs fit a g4dn.12xlarge (48 vCPUs, 4 GPUs, $3.912) and a g4dn.16xlarge (64 vCPUs,
    # 1 GPU, $4.352): the cheaper one is chosen, although it has more GPUs.
    assert chosen("nvidia-tesla-t4", 1, 40, "16Gi") == ("g4dn.12xlarge", 3.912)


def test_cpu_only_templates_run_on_m6i() -> None:
    assert chosen(None, None, 1, "6Gi") == ("m6i.large", 0.096)
    assert chosen(None, None, 2, "4Gi") == ("m6i.xlarge", 0.192)
    assert chosen(None, 0, 7, "30Gi") == ("m6i.2xlarge", 0.384)


@pytest.mark.parametrize(("gpu_type", "gpus", "cpus", "memory", "instance", "hourly"), [
    ("nvidia-hopper-h100-1g20gb", 1, 3, "8Gi", "1/4 of p5.4xlarge", 1.72),
    ("nvidia-hopper-h100-3g40gb", 1, 3, "8Gi", "1/2 of p5.4xlarge", 3.44),
    # 5 vCPUs with the forwarder: more than a quarter of 16, so two slices
    ("nvidia-hopper-h100-1g20gb", 1, 4, "8Gi", "2/4 of p5.4xlarge", 3.44),
    # 63Gi with the forwarder fits a quarter of 256Gi; 64Gi and a byte does not
    ("nvidia-hopper-h100-1g20gb", 1, 3, "62Gi", "1/4 of p5.4xlarge", 1.72),
    ("nvidia-hopper-h100-1g20gb", 1, 3, "62.001Gi", "2/4 of p5.4xlarge", 3.44),
    ("nvidia-hopper-h100-1g20gb", 3, 3, "8Gi", "3/4 of p5.4xlarge", 5.16),
    ("nvidia-hopper-h100-3g40gb", 2, 3, "8Gi", "2/2 of p5.4xlarge", 6.88),
])
def test_mig_types_are_slices_of_one_h100(gpu_type: str, gpus: int, cpus: int, memory: str,
                                          instance: str, hourly: float) -> None:
    found, price = chosen(gpu_type, gpus, cpus, memory)
    assert found == instance
    assert price == pytest.approx(hourly)


@pytest.mark.parametrize(("template", "reason"), [
    (body("nvidia-hopper-h100", 16, 40, "640Gi"),
     "no nvidia-hopper-h100 instance in the price table has 16 GPU(s), 41 vCPUs and 642Gi "
     "(the forwarder's included)"),
    (body("nvidia-hopper-h100-1g20gb", 5),
     "no nvidia-hopper-h100-1g20gb instance in the price table has 5 GPU(s), 3 vCPUs and 6Gi "
     "(the forwarder's included)"),
    (body(None, None, 16, "4Gi"),
     "no CPU-only instance in the price table has 17 vCPUs and 6Gi (the forwarder's included)"),
    (body("nvidia-volta-v100", 1), "no nvidia-volta-v100 instance in the price table"),
    ({"vendor_configuration": {"bundle_config": {}}}, "no endpoint_config"),
    ({"vendor_configuration": "x"}, "no endpoint_config"),
    (body(memory="24GB"), "memory is not a quantity Launch accepts"),
    (body(memory=None), "memory is not set"),
    (body(memory=24), "memory is not a quantity"),
    (body(cpus=None), "cpus is not set"),
    (body(cpus=True), "cpus is not a whole number, 0 or more"),
    (body(high="2"), "max_workers is not a whole number, 0 or more"),
    (body(low=-1), "min_workers is not a whole number, 0 or more"),
    (body("nvidia-tesla-t4", None), "gpus and gpu_type must be set together"),
    ({"vendor_configuration": {"endpoint_config": {"gpus": 1, "cpus": 2, "memory": "4Gi"}}},
     "gpus and gpu_type must be set together"),
    (body(3, 1), "gpu_type is not a string"),
])
def test_no_price_and_why(template: dict[str, Any], reason: str) -> None:
    found = estimate(template, TABLE)
    assert (found.priced, found.instance, found.floor, found.ceiling, found.reason) == (
        False, "", None, None, reason)


def test_zero_workers_cost_nothing_but_are_priced() -> None:
    found = estimate(body(None, None, 2, "4Gi", low=0, high=3), TABLE)
    assert (found.priced, found.floor, found.ceiling) == (True, 0.0, pytest.approx(420.48))


def test_overrides_set_and_remove_prices() -> None:
    mistral = body("nvidia-ampere-a10", 1, 8, "48Gi", 1, 8)
    cheaper = estimate(mistral, price_table({"g5.4xlarge": 1.2}))
    assert (cheaper.instance, cheaper.floor) == ("g5.4xlarge", pytest.approx(876.0))
    removed = estimate(mistral, price_table({"g5.4xlarge": None}))
    assert (removed.instance, removed.hourly) == ("g5.8xlarge", 2.448)
    # a lower price makes another size the cheapest that fits
    assert estimate(mistral, price_table({"g5.16xlarge": 1.0})).instance == "g5.16xlarge"
    every_g5 = {name: None for name in DEFAULT_TABLE if name.startswith("g5.")}
    assert estimate(mistral, price_table(every_g5)).reason == (
        "no nvidia-ampere-a10 instance in the price table")


def test_overrides_of_the_single_h100_set_the_mig_slices() -> None:
    slice_body = body("nvidia-hopper-h100-1g20gb", 1)
    assert estimate(slice_body, price_table({"p5.4xlarge": 8.0})).hourly == 2.0
    assert estimate(slice_body, price_table({"p5.4xlarge": None})).reason == (
        "no nvidia-hopper-h100-1g20gb instance in the price table")


def test_an_overridden_entry_says_where_its_price_comes_from() -> None:
    entry = price_table({"g5.4xlarge": 1.2})["g5.4xlarge"]
    assert (entry.hourly, entry.date, entry.source) == (1.2, "", "[tool.template-registry.prices]")
    assert DEFAULT_TABLE["g5.4xlarge"].hourly == 1.624  # the defaults are left as they are


def test_the_table_covers_every_gpu_type_and_cites_its_source() -> None:
    families = {i.gpu_type for i in DEFAULT_INSTANCES} | set(MIG_SHARES)
    assert families == {*GPU_TYPES, None}
    assert len(DEFAULT_TABLE) == len(DEFAULT_INSTANCES)
    for item in DEFAULT_INSTANCES:
        assert item.source.startswith("https://aws.amazon.com/"), item
        assert item.date == "2026-11-27", item
        assert item.hourly > 0 and item.vcpus > 0 and item.memory_gib > 0, item
        assert (item.gpus > 0) == (item.gpu_type is not None), item


def test_every_valid_node_fits_the_largest_instance_of_its_family() -> None:
    """Launch's node limits (what validate allows) all get a price."""
    from validators.launch_settings import NODE_LIMITS

    for gpu_type, limit in NODE_LIMITS.items():
        if gpu_type in MIG_SHARES:
            continue  # a slice of one H100 holds less than Launch lets a MIG pod ask for
        gpus = 8 if gpu_type else None
        found = estimate(body(gpu_type, gpus, limit.cpus, f"{limit.memory}"), TABLE)
        assert found.priced, (gpu_type, found.reason)


def test_delta_and_total() -> None:
    old = Estimate("g5.4xlarge", 1.624, 1, 8)
    new = Estimate("g5.8xlarge", 2.448, 1, 8)
    unpriced = Estimate(reason="no endpoint_config")
    grown = delta(old, new)
    assert (grown.floor, grown.ceiling) == (pytest.approx(601.52), pytest.approx(4812.16))
    assert delta(None, new) == Delta(new.floor, new.ceiling)
    gone = delta(old, None)
    assert (gone.floor, gone.ceiling) == (pytest.approx(-1185.52), pytest.approx(-9484.16))
    assert delta(None, None) == Delta(0.0, 0.0)
    assert delta(old, unpriced) == Delta(None, None)
    assert delta(unpriced, None) == Delta(None, None)
    summed = total([grown, gone, Delta(None, None)])
    assert (summed.floor, summed.ceiling, summed.unpriced) == (
        pytest.approx(-584.0), pytest.approx(-4672.0), 1)
    assert total([]) == Total(0.0, 0.0, 0)


def test_report_sums_per_account() -> None:
    report = CostReport("HEAD", (
        Row("acct-a", "m", "t/m.yaml", Estimate("g5.4xlarge", 1.624, 1, 8)),
        Row("acct-a", "x", "t/x.yaml", Estimate(reason="no endpoint_config")),
        Row("acct-b", "c", "t/c.yaml", Estimate("m6i.xlarge", 0.192, 1, 5)),
    ))
    sums = report.by_account()
    assert list(sums) == ["acct-a", "acct-b"]
    assert sums["acct-a"].to_dict() == {"floor": 1185.52, "ceiling": 9484.16, "unpriced": 1}
    assert sums["acct-b"].to_dict() == {"floor": 140.16, "ceiling": 700.8, "unpriced": 0}
    assert report.total.to_dict() == {"floor": 1325.68, "ceiling": 10184.96, "unpriced": 1}
