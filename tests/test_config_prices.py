"""`[tool.template-registry.prices]`: set an instance's hourly price, or remove it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from registry.config import load_config
from registry.errors import ConfigError


def write(root: Path, prices: str) -> Path:
    (root / "pyproject.toml").write_text(
        f"[tool.template-registry]\n\n[tool.template-registry.prices]\n{prices}\n")
    return root


def test_no_table_means_the_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path).prices == {}


def test_set_and_remove(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '"g5.4xlarge" = 1.2\n"p5.48xlarge" = false\n'
                                         '"m6i.xlarge" = 1\n'))
    assert config.prices == {"g5.4xlarge": 1.2, "p5.48xlarge": None, "m6i.xlarge": 1.0}


def test_inline_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.template-registry]\nprices = { "g4dn.xlarge" = 0.4 }\n')
    assert load_config(tmp_path).prices == {"g4dn.xlarge": 0.4}


@pytest.mark.parametrize(("line", "message"), [
    ('"g5.4xlarg" = 1.2', "prices: unknown instance 'g5.4xlarg'; did you mean 'g5.4xlarge'?"),
    ('"P5.48XLARGE" = false', "prices: unknown instance 'P5.48XLARGE'; did you mean "
                              "'p5.48xlarge'?"),
    ('"t3.micro" = 0.01', "prices: unknown instance 't3.micro'; known: g4dn.xlarge, "
                          "g4dn.2xlarge, "),
    ('"g5.4xlarge" = true', "prices: 'g5.4xlarge' = True is not a price; give the hourly "
                            "price in US dollars (e.g. 1.2), or false to remove the instance"),
    ('"g5.4xlarge" = 0', "prices: 'g5.4xlarge' = 0 is not a price"),
    ('"g5.4xlarge" = -1.5', "prices: 'g5.4xlarge' = -1.5 is not a price"),
    ('"g5.4xlarge" = "1.2"', "prices: 'g5.4xlarge' = '1.2' is not a price"),
    ('"g5.4xlarge" = nan', "prices: 'g5.4xlarge' = nan is not a price"),
    ('"g5.4xlarge" = inf', "prices: 'g5.4xlarge' = inf is not a price"),
    ('"g5.4xlarge" = { hourly = 1.2 }', "prices: 'g5.4xlarge' = {'hourly': 1.2} is not a price"),
])
def test_invalid_entries(tmp_path: Path, line: str, message: str) -> None:
    write(tmp_path, line)
    where = f"{tmp_path.resolve() / 'pyproject.toml'} [tool.template-registry]: "
    with pytest.raises(ConfigError, match="^" + re.escape(where + message)):
        load_config(tmp_path)


def test_prices_must_be_a_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.template-registry]\nprices = 3\n")
    with pytest.raises(ConfigError, match=re.escape(
            '[tool.template-registry]: prices must be a table, e.g. "g5.4xlarge" = 1.2')):
        load_config(tmp_path)
