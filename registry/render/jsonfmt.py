"""JSON for machines (`--format json`, the sync report file)."""

from __future__ import annotations

from typing import Any


def dumps(data: Any) -> str:
    """DATA as indented JSON with ASCII escapes.

    `ensure_ascii` writes every control character, DEL, and every non-ASCII character
    (bidi controls included) as `\\uXXXX`, so the text is plain printable ASCII: safe in
    a terminal or log, and every string still parses back exactly. An indented JSON line
    starts with a bracket, a quote, a digit or a literal, never with `::` or `##[`.
    """
    import json  # here: the hook's text output does not need it

    return json.dumps(data, indent=2, ensure_ascii=True, default=str)
