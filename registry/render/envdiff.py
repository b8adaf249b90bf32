"""`diff --env A --env B` as text, markdown or JSON.

Values arrive as plan's changes do (registry.plan.diff: credentials hidden) and are shown
the same way (registry.render.plan.short); every path, account, name and field is
untrusted text, escaped for its medium.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from registry.render import formats, jsonfmt
from registry.render import markdown as md
from registry.render.plan import short
from registry.render.terminal import escape, escape_controls

if TYPE_CHECKING:
    from registry.commands.diff import EnvironmentDiff


def render_diff(document: EnvironmentDiff, fmt: str) -> str:
    """DOCUMENT in FMT (see formats.FORMATS["diff"])."""
    return formats.render("diff", fmt, document)


def _source(document: EnvironmentDiff, show: Callable[[str], str]) -> str:
    return "the working tree" if document.ref is None else f"commit {show(document.ref)}"


def summary(document: EnvironmentDiff, show: Callable[[str], str]) -> str:
    """The counts; SHOW escapes the environments' names for the medium."""
    return (f"{len(document.differ)} template(s) differ, {document.same} the same, "
            f"{len(document.only_left)} only in {show(document.left)}, "
            f"{len(document.only_right)} only in {show(document.right)}.")


def text(document: EnvironmentDiff) -> str:
    """A header, then per differing template its identities and changed fields."""
    left, right = escape(document.left), escape(document.right)
    lines = [f"Environments {left} -> {right}, {_source(document, escape)}:"]
    for item in document.differ:
        who = escape(item.left) if item.left == item.right else \
            f"{escape(item.left)} -> {escape(item.right)}"
        lines.append(f"  ~ {escape(item.path)} ({who})")
        lines += [f"      {escape(c.field)}: {escape_controls(short(c.before))} -> "
                  f"{escape_controls(short(c.after))}" for c in item.changes]
    lines += [f"  - {escape(path)}: only in {left} ({right} cannot render it: run validate)"
              for path in document.only_left]
    lines += [f"  + {escape(path)}: only in {right} ({left} cannot render it: run validate)"
              for path in document.only_right]
    lines.append(summary(document, escape))
    return "\n".join(lines)


def markdown(document: EnvironmentDiff) -> str:
    """A summary, then a table of changed fields per differing template."""
    left, right = md.code(document.left), md.code(document.right)
    lines = [f"### Environments {left} and {right}", "",
             f"From {_source(document, md.code)}: {summary(document, md.code)}"]
    for item in document.differ:
        lines += ["", f"#### {md.code(item.path)}", "",
                  f"{left}: {md.code(item.left)}; {right}: {md.code(item.right)}", "",
                  f"| field | {left} | {right} |", "|---|---|---|"]
        lines += [f"| {md.code(c.field)} | {md.code_escaped(short(c.before))} | "
                  f"{md.code_escaped(short(c.after))} |" for c in item.changes]
    for paths, present, absent in ((document.only_left, left, right),
                                   (document.only_right, right, left)):
        if paths:
            lines += ["", f"Only in {present} ({absent} cannot render them: run validate):", ""]
            lines += [f"- {md.code(path)}" for path in paths]
    return "\n".join(lines)


def json(document: EnvironmentDiff) -> str:
    return jsonfmt.dumps(document.to_dict())
