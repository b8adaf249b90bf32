"""Byte quantities as Launch's k8s_resource_parser reads memory and storage."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from validators import quantity


@pytest.mark.parametrize(("text", "value"), [
    ("24Gi", 24 * 2**30), ("500M", 500 * 10**6), ("1G", 10**9), ("128974848", 128974848),
    ("1.5Gi", 3 * 2**29), ("1Ki", 1024), ("1k", 1000), ("2Mi", 2 * 2**20), ("3T", 3 * 10**12),
    ("1Ti", 2**40), ("1P", 10**15), ("1Pi", 2**50), ("1E", 10**18), ("1Ei", 2**60),
    ("0.5Gi", 2**29), ("007Mi", 7 * 2**20), ("0", 0),
])
def test_parse_bytes(text: str, value: int) -> None:
    assert quantity.parse_bytes(text) == value


@pytest.mark.parametrize(("text", "value"), [
    ("0.4", 0), ("0.5", 0), ("0.6", 1), ("1.5", 2), ("2.5", 2), ("3.5", 4),
    ("0.1Ki", 102), ("0.0000000001Gi", 0), ("28.0000000001Gi", 28 * 2**30),
    ("30064771072.5", 30064771072), ("30064771073.5", 30064771074),
])
def test_rounds_to_whole_bytes_half_to_even(text: str, value: int) -> None:
    assert quantity.parse_bytes(text) == value


def test_integer_arithmetic_equals_exact_rounding() -> None:
    """The parser rounds with integers (importing fractions would cost the hook more than
    the rule); 20,000 random values, many of them exact halves, agree with Fraction's."""
    rng = random.Random(7)
    for _ in range(20_000):
        fraction = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 7)))
        if fraction and rng.random() < 0.4:
            fraction = fraction[:-1] + "5"
        number = str(rng.randint(0, 10 ** rng.randint(0, 9))) + (f".{fraction}" if fraction else "")
        unit = rng.choice(list(quantity.UNITS))
        exact = round(Fraction(number) * quantity.UNITS[unit])
        assert quantity.parse_bytes(number + unit) == exact, number + unit


@pytest.mark.parametrize("text", [
    "1e3", "1E3", "129e6", "+1Gi", "-1Gi", ".5Gi", ".5", "1.Gi", "1.", "500m", "1u", "1n",
    "١٢Gi", "1٢", "24GB", "24gi", "24K", "24Gib", "24 Gi", " 24Gi", "24Gi ", "24Gi\n", "Gi",
    "", "1.2.3", "-", "1,5Gi", "0x10",
])
def test_refused_spellings(text: str) -> None:
    assert quantity.parse_bytes(text) is None


@pytest.mark.parametrize(("text", "hint"), [
    ("24GB", "24Gi"), ("24gb", "24Gi"), ("24 Gi", "24Gi"), ("16g", "16Gi"), ("512MiB", "512Mi"),
    ("2kb", "2Ki"), ("24gi", "24Gi"), ("24K", "24Ki"), ("24Gi\n", "24Gi"), ("1.5gb", "1.5Gi"),
])
def test_suggest(text: str, hint: str) -> None:
    assert quantity.suggest(text) == hint


@pytest.mark.parametrize("text", ["24Gi", "1e3", "+1Gi", ".5Gi", "1.Gi", "1u", "١٢Gi", "24"])
def test_no_suggestion_without_a_valid_near_spelling(text: str) -> None:
    assert quantity.suggest(text) is None


@pytest.mark.parametrize(("value", "text"), [
    (2000 * 2**30, "2000Gi"), (2**40, "1Ti"), (10**9, "1G"), (2 * 2**30, "2Gi"),
    (640 * 2**30, "640Gi"), (10**18, "1E"), (1536, "1536"), (0, "0"), (1000, "1k"),
])
def test_format_bytes(value: int, text: str) -> None:
    assert quantity.format_bytes(value) == text


def test_a_huge_number_is_refused_not_a_crash() -> None:
    assert quantity.parse_bytes("9" * 5000) is None
    assert quantity.parse_bytes("9" * 64) == int("9" * 64)
