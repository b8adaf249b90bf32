"""`list`: the registry's templates as an aligned table, or JSON."""

from __future__ import annotations

from collections.abc import Sequence

from registry.render import formats, jsonfmt
from registry.render.terminal import escape

Row = dict[str, object]
HEADERS = ("ACCOUNT", "NAME", "ENDPOINT", "MODEL", "PATH")
KEYS = ("account_id", "name", "endpoint_type", "model_type", "path")


def render_listing(rows: Sequence[Row], unreadable: Sequence[str], fmt: str) -> str:
    """ROWS (and the paths that do not load) in FMT (see formats.FORMATS["list"])."""
    return formats.render("list", fmt, rows, unreadable)


def text(rows: Sequence[Row], unreadable: Sequence[str]) -> str:
    """A table, columns aligned on the escaped text; UNREADABLE goes to stderr instead."""
    table = [HEADERS, *[tuple(escape(str(r[k])) + ("  (invalid)" if k == "path" and r["errors"]
                                                   else "") for k in KEYS) for r in rows]]
    return "\n".join([*align(table), f"{len(rows)} template(s)"])


def align(table: Sequence[Sequence[str]]) -> list[str]:
    """Rows of already escaped cells as lines, each column as wide as its widest cell."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            .rstrip() for row in table]


def json(rows: Sequence[Row], unreadable: Sequence[str]) -> str:
    return jsonfmt.dumps({"templates": list(rows), "unreadable": list(unreadable)})


def unreadable_line(path: str) -> str:
    """The stderr line for a template that does not load."""
    return f"template-registry: {escape(path)}: not listed, it does not load (run validate)"
