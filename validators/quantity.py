"""Kubernetes resource quantities (`24Gi`, `500M`, `1.5e9`), parsed as Kubernetes does.

Used by the Launch rules: memory and storage are quantities, and a value such as `24GB`
is not one; `suggest` offers the spelling the user most likely meant.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_SUFFIXES = {
    "": Decimal(1),
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12, "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40, "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60,
}
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:(?P<exponent>[eE][+-]?\d+)|(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$"
)
_LOOSE = re.compile(
    r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[kKmMgGtTpPeE])(?:i?[bB]?|I[bB]?)\s*$"
)


def parse(text: str) -> Decimal | None:
    """The quantity's value in base units (bytes, cores), or None if TEXT is not a quantity."""
    match = _QUANTITY.match(text)
    if match is None:
        return None
    try:
        number = Decimal(match["number"])
        if match["exponent"]:
            return number * (Decimal(10) ** int(match["exponent"][1:]))
    except (InvalidOperation, ValueError, OverflowError):
        return None
    return number * _SUFFIXES[match["suffix"] or ""]


def suggest(text: str) -> str | None:
    """A valid spelling for a near-quantity such as `24GB`, `24 gi` or `16g` (binary units)."""
    match = _LOOSE.match(text)
    if match is None:
        return None
    unit = match["unit"].upper()
    return f"{match['number']}{'K' if unit == 'K' else unit}i"


def format_bytes(value: Decimal) -> str:
    """A byte count in the largest binary unit that divides it, e.g. `2000Gi`."""
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        unit = _SUFFIXES[suffix]
        if value >= unit and value % unit == 0:
            return f"{value // unit}{suffix}"
    if value >= _SUFFIXES["Gi"]:
        return f"{(value / _SUFFIXES['Gi']).quantize(Decimal('0.01'))}Gi"
    return f"{value.normalize():f}"
