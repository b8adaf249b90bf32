"""Byte quantities (`24Gi`, `500M`, `1.5`) exactly as Launch parses memory and storage.

Launch is stricter than Kubernetes: ASCII digits with an optional fraction and one of
twelve units, nothing else (no sign, exponent, `.5`, `1.`, `m`, spaces or `GB`), and the
value is rounded to whole bytes, half to even, before any comparison. A value Kubernetes
would take but Launch refuses (`1e3`, `500m`) fails only when a model is created, so the
rules check Launch's grammar. `suggest` offers the spelling the user most likely meant.
"""

from __future__ import annotations

import re

UNITS: dict[str, int] = {
    "": 1,
    "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}
MAX_LENGTH = 64
# [0-9], not \d: Python's \d also matches other scripts' digits, which Launch refuses.
_BYTES = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]+)?)(?P<unit>[kMGTPE]|[KMGTPE]i)?")
_LOOSE = re.compile(
    r"\s*(?P<number>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>[kKmMgGtTpPeE])(?:i?[bB]?|I[bB]?)\s*"
)
# Largest first, so that a limit is shown in the unit it was most likely written in.
_DISPLAY = sorted((unit for unit in UNITS if unit), key=UNITS.__getitem__, reverse=True)


def parse_bytes(text: str) -> int | None:
    """TEXT's value in whole bytes (half to even), or None if Launch would refuse TEXT.

    The arithmetic is exact; Launch computes through a float, which gives the same
    result for every value a float holds exactly enough (up to about 15 significant digits).
    """
    if len(text) > MAX_LENGTH:  # no node holds that many bytes; and int() caps its digits
        return None
    match = _BYTES.fullmatch(text)
    if match is None:
        return None
    number: str = match["number"]
    whole, _, fraction = number.partition(".")
    scale: int = 10 ** len(fraction)
    quotient, remainder = divmod(int(whole + fraction) * UNITS[match["unit"] or ""], scale)
    if 2 * remainder > scale or (2 * remainder == scale and quotient % 2):
        quotient += 1  # half to even, as Python's round and Go's math.RoundToEven
    return quotient


def suggest(text: str) -> str | None:
    """A valid spelling for a near-quantity such as `24GB`, `24 gi` or `16g` (binary units)."""
    match = _LOOSE.fullmatch(text)
    if match is None:
        return None
    unit = match["unit"].upper()
    hint = f"{match['number']}{unit}i"
    return hint if hint != text and parse_bytes(hint) is not None else None


def format_bytes(value: int) -> str:
    """A byte count in the largest unit that divides it exactly, e.g. `2000Gi` or `1G`."""
    for unit in _DISPLAY:
        if value and value % UNITS[unit] == 0:
            return f"{value // UNITS[unit]}{unit}"
    return str(value)
