"""The price table: what a node for each of Launch's GPU types costs by the hour.

Data, not logic (registry.cost chooses an instance and does the sums). Each entry is an
AWS instance with the specs that decide whether a worker fits on it and its on-demand
price in us-east-1 for Linux, with the date the price was checked and the page it comes
from. Launch maps its GPU types onto these families (validators/launch_settings.py holds
the node limits Launch checks; every valid template fits the largest entry of its family).

The H100 MIG types (`nvidia-hopper-h100-1g20gb`, `-3g40gb`) are no instance: they are a
share of one H100, priced as that share of the single-H100 instance (see MIG_SHARES).
CPU-only templates run on general-purpose m6i nodes, the x86 family Launch's CPU node
limits (7 CPUs, 30Gi) fit within an m6i.2xlarge.

Each entry's `source` is the AWS page listing its price (the G4 and G5 pages list specs
and on-demand prices together). The g4dn and g5 specs were checked against the AWS Batch
guide's GPU table (https://docs.aws.amazon.com/batch/latest/userguide/gpu-jobs.html), the
p4d and p5.48xlarge specs against AWS's Capacity Blocks pricing page; the other specs and
every price against published copies of AWS's price list, on the date each entry carries.
Users set their own prices, or remove entries, under `[tool.template-registry.prices]`
(registry.config).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

HOURS_PER_MONTH = 730  # AWS's own convention for a month of on-demand use
BASIS = "AWS on-demand, us-east-1, Linux"
CHECKED = "2026-11-27"
ON_DEMAND = "https://aws.amazon.com/ec2/pricing/on-demand/"
G4 = "https://aws.amazon.com/ec2/instance-types/g4/"
G5 = "https://aws.amazon.com/ec2/instance-types/g5/"


@dataclass(frozen=True)
class Instance:
    """One instance type: the Launch GPU type its GPUs serve (None: CPU only), what it
    offers a pod, and its hourly price (USD) with when and where the price was read."""

    name: str
    gpu_type: str | None
    gpus: int
    vcpus: int
    memory_gib: int
    hourly: float
    date: str
    source: str


def _family(gpu_type: str | None, source: str,
            sizes: tuple[tuple[str, int, int, int, float], ...]) -> tuple[Instance, ...]:
    return tuple(Instance(name, gpu_type, gpus, vcpus, memory, hourly, CHECKED, source)
                 for name, gpus, vcpus, memory, hourly in sizes)


# (name, GPUs, vCPUs, memory GiB, USD per hour)
DEFAULT_INSTANCES: tuple[Instance, ...] = (
    *_family("nvidia-tesla-t4", G4, (
        ("g4dn.xlarge", 1, 4, 16, 0.526),
        ("g4dn.2xlarge", 1, 8, 32, 0.752),
        ("g4dn.4xlarge", 1, 16, 64, 1.204),
        ("g4dn.8xlarge", 1, 32, 128, 2.176),
        ("g4dn.16xlarge", 1, 64, 256, 4.352),
        ("g4dn.12xlarge", 4, 48, 192, 3.912),
        ("g4dn.metal", 8, 96, 384, 7.824),
    )),
    *_family("nvidia-ampere-a10", G5, (
        ("g5.xlarge", 1, 4, 16, 1.006),
        ("g5.2xlarge", 1, 8, 32, 1.212),
        ("g5.4xlarge", 1, 16, 64, 1.624),
        ("g5.8xlarge", 1, 32, 128, 2.448),
        ("g5.16xlarge", 1, 64, 256, 4.096),
        ("g5.12xlarge", 4, 48, 192, 5.672),
        ("g5.24xlarge", 4, 96, 384, 8.144),
        ("g5.48xlarge", 8, 192, 768, 16.288),
    )),
    # After AWS's June 2025 cut of P4 and P5 on-demand prices; the price list's values
    # (the pricing page rounds them to $21.96 and $27.45).
    *_family("nvidia-ampere-a100", ON_DEMAND, (("p4d.24xlarge", 8, 96, 1152, 21.957642),)),
    *_family("nvidia-ampere-a100e", ON_DEMAND, (("p4de.24xlarge", 8, 96, 1152, 27.44705),)),
    *_family("nvidia-hopper-h100", ON_DEMAND, (
        ("p5.4xlarge", 1, 16, 256, 6.88),
        ("p5.48xlarge", 8, 192, 2048, 55.04),
    )),
    *_family(None, ON_DEMAND, (
        ("m6i.large", 0, 2, 8, 0.096),
        ("m6i.xlarge", 0, 4, 16, 0.192),
        ("m6i.2xlarge", 0, 8, 32, 0.384),
        ("m6i.4xlarge", 0, 16, 64, 0.768),
    )),
)

# A MIG type's worker gets whole slices of one H100 (the single-H100 instance below): a
# 1g.20gb slice is 1/4 of its memory, a 3g.40gb slice 1/2. A slice comes with the same
# share of the instance's vCPUs, memory and price.
MIG_SHARES: Mapping[str, tuple[str, int]] = MappingProxyType({
    "nvidia-hopper-h100-1g20gb": ("p5.4xlarge", 4),
    "nvidia-hopper-h100-3g40gb": ("p5.4xlarge", 2),
})

PriceTable = Mapping[str, Instance]
DEFAULT_TABLE: PriceTable = MappingProxyType({i.name: i for i in DEFAULT_INSTANCES})
# An override: a new hourly price (USD), or None to remove the instance.
Overrides = Mapping[str, float | None]


def price_table(overrides: Overrides | None = None) -> PriceTable:
    """The default table with OVERRIDES applied (names are checked by registry.config)."""
    table = dict(DEFAULT_TABLE)
    for name, hourly in (overrides or {}).items():
        if hourly is None:
            table.pop(name, None)
        else:
            table[name] = replace(table[name], hourly=hourly, date="",
                                  source="[tool.template-registry.prices]")
    return MappingProxyType(table)
