"""What a template costs to run: the instance a worker needs, and the month's floor and ceiling.

A template's `endpoint_config` fixes the node each worker needs: `gpus` of `gpu_type`,
`cpus` and `memory` plus what Launch's forwarder adds beside it
(validators/launch_settings.py FORWARDER: 1 CPU, 2Gi). The worker runs on the cheapest
instance of the GPU type's family (registry.prices) with enough GPUs, vCPUs and memory;
for the H100 MIG types, on the fewest slices of one H100 that fit. The floor is
`min_workers` such instances for a month (730 hours), the ceiling `max_workers`.

That is an estimate of infrastructure at on-demand prices for the template's default
workers: a deployment may set its own worker counts. A template whose node cannot be
priced (no such instance in the table, none large enough, a value that does not read)
gets no price and the reason, never a price of 0. Pure functions, no I/O: the plan calls
them on bodies from git and from the API, so nothing here may raise on odd data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from registry.prices import HOURS_PER_MONTH, MIG_SHARES, PriceTable
from validators.launch_settings import FORWARDER
from validators.quantity import format_bytes, parse_bytes

GIB = 2**30


@dataclass(frozen=True)
class Estimate:
    """One template's monthly cost, or why it has no price (`instance` is then "")."""

    instance: str = ""  # e.g. "g5.4xlarge", or "1/4 of p5.4xlarge" for a MIG slice
    hourly: float | None = None
    min_workers: int = 0
    max_workers: int = 0
    reason: str = ""  # why there is no price; "" when priced

    @property
    def priced(self) -> bool:
        return self.hourly is not None

    @property
    def floor(self) -> float | None:
        """A month at `min_workers` (None without a price)."""
        return None if self.hourly is None else self.hourly * HOURS_PER_MONTH * self.min_workers

    @property
    def ceiling(self) -> float | None:
        """A month at `max_workers` (None without a price)."""
        return None if self.hourly is None else self.hourly * HOURS_PER_MONTH * self.max_workers

    def to_dict(self) -> dict[str, Any]:
        return {"instance": self.instance or None, "hourly": self.hourly,
                "min_workers": self.min_workers, "max_workers": self.max_workers,
                "floor": _cents(self.floor), "ceiling": _cents(self.ceiling),
                "reason": self.reason or None}


@dataclass(frozen=True)
class Delta:
    """A change of the monthly floor and ceiling; None when a side has no price."""

    floor: float | None
    ceiling: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"floor": _cents(self.floor), "ceiling": _cents(self.ceiling)}


@dataclass(frozen=True)
class Total:
    """A sum of floors and ceilings (or of their changes), and how many had no price."""

    floor: float = 0.0
    ceiling: float = 0.0
    unpriced: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"floor": _cents(self.floor), "ceiling": _cents(self.ceiling),
                "unpriced": self.unpriced}


@dataclass(frozen=True)
class _Offer:
    """What a worker can be placed on: an instance, or slices of one H100."""

    name: str
    gpus: int
    vcpus: Fraction
    memory: Fraction  # bytes
    hourly: float


class _NoPrice(Exception):
    """Why a template has no price (internal: `estimate` turns it into an Estimate)."""


def estimate(body: Mapping[str, Any], table: PriceTable) -> Estimate:
    """The monthly cost of BODY (a template's create body) at the prices of TABLE."""
    try:
        gpu_type, gpus, cpus, memory, low, high = _needs(body)
        offer = _choose(gpu_type, gpus, cpus, memory, table)
    except _NoPrice as why:
        return Estimate(reason=str(why))
    return Estimate(offer.name, offer.hourly, low, high)


def delta(before: Estimate | None, after: Estimate | None) -> Delta:
    """AFTER minus BEFORE (None: no template on that side); unknown if a side has no price."""
    old, new = _month(before), _month(after)
    if old is None or new is None:
        return Delta(None, None)
    return Delta(new[0] - old[0], new[1] - old[1])


def total(deltas: Iterable[Delta]) -> Total:
    """The sum of DELTAS; those with no price are counted in `unpriced` instead."""
    floor = ceiling = 0.0
    unpriced = 0
    for item in deltas:
        if item.floor is None or item.ceiling is None:
            unpriced += 1
        else:
            floor, ceiling = floor + item.floor, ceiling + item.ceiling
    return Total(floor, ceiling, unpriced)


def _month(item: Estimate | None) -> tuple[float, float] | None:
    """(floor, ceiling) of ITEM: 0 for no template, None for one without a price."""
    if item is None:
        return 0.0, 0.0
    if item.floor is None or item.ceiling is None:
        return None
    return item.floor, item.ceiling


def _needs(body: Mapping[str, Any]) -> tuple[str | None, int, int, int, int, int]:
    """(gpu_type, gpus, vCPUs, memory bytes, min_workers, max_workers) of one worker's
    node, the forwarder included; _NoPrice when the template does not say."""
    vendor = body.get("vendor_configuration")
    config = vendor.get("endpoint_config") if isinstance(vendor, Mapping) else None
    if not isinstance(config, Mapping):
        raise _NoPrice("no endpoint_config")
    gpu_type = config.get("gpu_type")
    if gpu_type is not None and not isinstance(gpu_type, str):
        raise _NoPrice("gpu_type is not a string")
    gpus = 0 if config.get("gpus") is None else _count(config, "gpus")
    if bool(gpus) != (gpu_type is not None):
        raise _NoPrice("gpus and gpu_type must be set together")
    cpus = _count(config, "cpus")
    text = config.get("memory")
    if not isinstance(text, str):
        raise _NoPrice("memory is not set" if text is None else "memory is not a quantity")
    memory = parse_bytes(text)
    if memory is None:
        raise _NoPrice("memory is not a quantity Launch accepts")
    return (gpu_type, gpus, cpus + FORWARDER.cpus, memory + FORWARDER.memory,
            _count(config, "min_workers"), _count(config, "max_workers"))


def _count(config: Mapping[str, Any], name: str) -> int:
    value = config.get(name)
    if value is None:
        raise _NoPrice(f"{name} is not set")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _NoPrice(f"{name} is not a whole number, 0 or more")
    return value


def _choose(gpu_type: str | None, gpus: int, cpus: int, memory: int,
            table: PriceTable) -> _Offer:
    """The cheapest offer with enough GPUs, vCPUs and memory (ties: the smaller one)."""
    offers = _offers(gpu_type, table)
    label = gpu_type or "CPU-only"
    if not offers:
        raise _NoPrice(f"no {label} instance in the price table")
    fits = [o for o in offers if o.gpus >= gpus and o.vcpus >= cpus and o.memory >= memory]
    if not fits:
        gpu_text = f"{gpus} GPU(s), " if gpus else ""
        raise _NoPrice(f"no {label} instance in the price table has {gpu_text}{cpus} vCPUs "
                       f"and {format_bytes(memory)} (the forwarder's included)")
    return min(fits, key=lambda o: (o.hourly, o.gpus, o.vcpus, o.memory, o.name))


def _offers(gpu_type: str | None, table: PriceTable) -> list[_Offer]:
    """The instances of GPU_TYPE's family; for a MIG type, 1..n slices of one H100."""
    if gpu_type is not None and gpu_type in MIG_SHARES:
        name, slices = MIG_SHARES[gpu_type]
        base = table.get(name)
        if base is None:
            return []
        return [_Offer(f"{k}/{slices} of {base.name}", k, Fraction(base.vcpus * k, slices),
                       Fraction(base.memory_gib * GIB * k, slices), base.hourly * k / slices)
                for k in range(1, slices + 1)]
    return [_Offer(i.name, i.gpus, Fraction(i.vcpus), Fraction(i.memory_gib * GIB), i.hourly)
            for i in table.values() if i.gpu_type == gpu_type]


def _cents(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass(frozen=True)
class Row:
    """One template of the registry and its estimate (`template-registry cost`)."""

    account_id: str
    name: str
    path: str
    estimate: Estimate

    def to_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "name": self.name, "path": self.path,
                **self.estimate.to_dict()}


@dataclass(frozen=True)
class CostReport:
    """Every template's estimate, from commit REF, or from the working tree (None)."""

    ref: str | None
    rows: tuple[Row, ...]
    unreadable: tuple[str, ...] = ()  # files that do not load (run validate)

    def by_account(self) -> dict[str, Total]:
        """The sum per account, accounts sorted; templates without a price counted apart."""
        accounts = sorted({row.account_id for row in self.rows})
        return {account: _sum(r.estimate for r in self.rows if r.account_id == account)
                for account in accounts}

    @property
    def total(self) -> Total:
        return _sum(row.estimate for row in self.rows)


def _sum(estimates: Iterable[Estimate]) -> Total:
    return total(Delta(e.floor, e.ceiling) for e in estimates)
