"""The format registry: the CLI's choices, and the last step of every document."""

from __future__ import annotations

import click
import pytest

from registry.app import cli
from registry.render.formats import FORMATS, choices, finish, lookup, render


def test_the_cli_offers_exactly_the_registered_formats() -> None:
    expected = {"validate": "findings", "plan": "plan", "sync": "sync", "list": "list"}
    for command, kind in expected.items():
        found = cli.commands[command]
        (option,) = [p for p in found.params if p.name == "fmt"]
        assert isinstance(option.type, click.Choice)
        assert list(option.type.choices) == choices(kind)
    assert choices("findings") == ["text", "json", "github", "sarif", "codeclimate"]
    assert choices("plan") == ["text", "json", "markdown"]


def test_every_writer_exists() -> None:
    import importlib

    for formats in FORMATS.values():
        for item in formats:
            module, function = item.writer.split(":")
            assert callable(getattr(importlib.import_module(module), function)), item


def test_finish_defuses_text_and_markdown_only() -> None:
    assert finish("text", "::error::x") == "\\x3a:error::x"
    assert finish("markdown", "ok\n##[group]x") == "ok\n\\x23#[group]x"
    assert finish("github", "::error::x") == "::error::x"
    assert finish("json", "::x") == "::x"


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="no 'markdown' format for findings; known: text, json, "
                                         "github, sarif, codeclimate"):
        lookup("findings", "markdown")


def test_render_runs_the_writer_then_finishes() -> None:
    from registry.findings import Finding

    found = [Finding("::error::x.yaml", 1, 2, "error", "schema", "bad")]
    assert render("findings", "text", found, 1).splitlines()[0] == (
        "\\x3a:error::x.yaml:1:2: error schema: bad")
