from __future__ import annotations

from decimal import Decimal

import pytest

from validators import quantity


@pytest.mark.parametrize(("text", "value"), [
    ("24Gi", 24 * 2**30), ("500M", 500 * 10**6), ("1G", 10**9), ("128974848", 128974848),
    ("1.5Gi", Decimal("1.5") * 2**30), ("129e6", 129 * 10**6), ("100m", Decimal("0.1")),
    ("1Ki", 1024), (".5", Decimal("0.5")),
])
def test_parse(text: str, value: int | Decimal) -> None:
    assert quantity.parse(text) == value


@pytest.mark.parametrize("text", ["24GB", "24 Gi", "Gi", "", "24gi", "1.2.3", "24Gib", "-"])
def test_not_quantities(text: str) -> None:
    assert quantity.parse(text) is None


@pytest.mark.parametrize(("text", "hint"), [
    ("24GB", "24Gi"), ("24gb", "24Gi"), ("24 Gi", "24Gi"), ("16g", "16Gi"), ("512MiB", "512Mi"),
    ("2kb", "2Ki"),
])
def test_suggest(text: str, hint: str) -> None:
    assert quantity.suggest(text) == hint


def test_format_bytes() -> None:
    assert quantity.format_bytes(Decimal(2000 * 2**30)) == "2000Gi"
    assert quantity.format_bytes(Decimal(2**40)) == "1Ti"
