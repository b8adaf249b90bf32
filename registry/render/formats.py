"""The output formats of each kind of document, in one place.

The CLI's `--format` choices come from here, and every document is rendered through
`render`, which runs the format's writer and then the safety its medium needs: a text
or markdown document has its lines defused (terminal.safe_lines) by this final step, so
no writer can forget it. A new format is one entry here plus its writer function (SARIF
and GitLab code quality are JSON documents: their writers use jsonfmt).

Writers are named as `module:function` and imported only when used, so the CLI can
list the choices of every command without importing any writer (the pre-commit hook
must not import the plan modules).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Literal, NamedTuple, cast

from registry.render import terminal

Kind = Literal["findings", "plan", "sync", "list", "status", "rules", "import", "cost", "diff",
               "environments"]
Medium = Literal["text", "markdown", "json", "github"]


class Format(NamedTuple):
    """One `--format` value of one kind of document."""

    name: str
    medium: Medium  # what the final step guards against (see `finish`)
    writer: str  # "module:function", called with the document, returns the text


FORMATS: dict[Kind, tuple[Format, ...]] = {
    "findings": (  # validate
        Format("text", "text", "registry.render.findings:text"),
        Format("json", "json", "registry.render.findings:json"),
        Format("github", "github", "registry.render.findings:github"),
        Format("sarif", "json", "registry.render.sarif:sarif"),
        Format("codeclimate", "json", "registry.render.codeclimate:codeclimate"),
    ),
    "plan": (  # plan, and sync before it applies
        Format("text", "text", "registry.render.plan:text"),
        Format("json", "json", "registry.render.plan:json"),
        Format("markdown", "markdown", "registry.render.plan:markdown"),
    ),
    "sync": (  # what sync did (the --report file is always the json one)
        Format("text", "text", "registry.render.sync:text"),
        Format("json", "json", "registry.render.sync:json"),
    ),
    "list": (
        Format("text", "text", "registry.render.listing:text"),
        Format("json", "json", "registry.render.listing:json"),
    ),
    "status": (
        Format("text", "text", "registry.render.status:text"),
        Format("json", "json", "registry.render.status:json"),
    ),
    "import": (
        Format("text", "text", "registry.render.imports:text"),
        Format("json", "json", "registry.render.imports:json"),
    ),
    "rules": (
        Format("text", "text", "registry.render.rules:text"),
        Format("markdown", "markdown", "registry.render.rules:markdown"),
        Format("json", "json", "registry.render.rules:json"),
    ),
    "cost": (
        Format("text", "text", "registry.render.cost:text"),
        Format("json", "json", "registry.render.cost:json"),
        Format("markdown", "markdown", "registry.render.cost:markdown"),
    ),
    "diff": (  # diff --env A --env B
        Format("text", "text", "registry.render.envdiff:text"),
        Format("json", "json", "registry.render.envdiff:json"),
        Format("markdown", "markdown", "registry.render.envdiff:markdown"),
    ),
    "environments": (
        Format("text", "text", "registry.render.environments:text"),
        Format("json", "json", "registry.render.environments:json"),
    ),
}


def choices(kind: Kind) -> list[str]:
    """The `--format` values of KIND, in the order `--help` shows them."""
    return [item.name for item in FORMATS[kind]]


def lookup(kind: Kind, name: str) -> Format:
    for item in FORMATS[kind]:
        if item.name == name:
            return item
    raise ValueError(f"no {name!r} format for {kind}; known: {', '.join(choices(kind))}")


def render(kind: Kind, name: str, *document: Any) -> str:
    """DOCUMENT (the writer's arguments) in format NAME, made safe for its medium."""
    item = lookup(kind, name)
    module, function = item.writer.split(":")
    writer = cast(Callable[..., str], getattr(importlib.import_module(module), function))
    return finish(item.medium, writer(*document))


def finish(medium: Medium, text: str) -> str:
    """The last step of every document: text and markdown lose any line that would start
    a workflow command; JSON is ASCII-escaped by its writer; `github` writes commands on
    purpose and escapes their content itself."""
    if medium in ("text", "markdown"):
        return terminal.safe_lines(text)
    return text
