"""The hook's command line read without click: the same reading as click's, or none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest

from registry.app import validate as validate_command
from registry.fastpath import validate_args


def click_reading(args: list[str]) -> dict[str, Any]:
    """The keyword arguments the click command hands to registry.commands.validate."""
    ctx = validate_command.make_context("validate", list(args))
    params = ctx.params
    return {"paths": list(params["paths"]), "root": params["root"], "fmt": params["fmt"],
            "use_cache": not params["no_cache"],
            "only_registry_files": params["only_registry_files"]}


READ_ALIKE = [
    [],
    ["templates/a.yaml"],
    ["templates/a.yaml", "templates/b yaml.yml", "-"],
    ["--only-registry-files", "x.yaml", "overlays/staging/a.yaml"],
    ["--root", "reg", "--format", "github", "a.yaml"],
    ["--root=reg", "--format=sarif", "--no-cache"],
    ["--format", "json", "--format", "codeclimate", "a.yaml"],
    ["--root", "one", "--root", "two"],
    ["--", "--not-an-option.yaml", "-x.yaml"],
    ["a.yaml", "--no-cache", "b.yaml"],
    ["--root", ""],
]


@pytest.mark.parametrize("args", READ_ALIKE, ids=lambda a: " ".join(a) or "(none)")
def test_reads_as_click_does(args: list[str]) -> None:
    assert validate_args(["validate", *args]) == click_reading(args)


LEFT_TO_CLICK = [
    ["--help"],
    ["-h"],
    ["--format", "yaml"],
    ["--format"],
    ["--root"],
    ["--root", "--no-cache"],
    ["--no-cache=yes"],
    ["--cache"],
    ["--only-registry"],
    ["-x"],
]


@pytest.mark.parametrize("args", LEFT_TO_CLICK, ids=" ".join)
def test_anything_else_is_left_to_click(args: list[str]) -> None:
    assert validate_args(["validate", *args]) is None


@pytest.mark.parametrize("args", [["--format", "yaml"], ["--format"], ["--root"],
                                  ["--no-cache=yes"], ["--cache"], ["-x"]], ids=" ".join)
def test_what_is_left_to_click_is_a_usage_error_there(args: list[str]) -> None:
    with pytest.raises(click.UsageError):
        click_reading(args)


def test_a_root_that_is_a_file_is_left_to_click(tmp_path: Path) -> None:
    file = tmp_path / "pyproject.toml"
    file.write_text("")
    assert validate_args(["validate", "--root", str(file)]) is None
    with pytest.raises(click.BadParameter):
        click_reading(["--root", str(file)])


@pytest.mark.parametrize("args", [[], ["plan"], ["rules"], ["validat"], ["--version"]])
def test_other_commands_are_left_to_click(args: list[str]) -> None:
    assert validate_args(args) is None
