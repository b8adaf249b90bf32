"""`list`'s table with hostile names and paths: escaped, still aligned."""

from __future__ import annotations

import json

from registry.render.listing import render_listing, unreadable_line

ROWS: list[dict[str, object]] = [
    {"account_id": "acct-1", "name": "a\x1b[2Jb", "endpoint_type": "SYNC",
     "model_type": "GENERIC", "path": "templates/a.yaml", "errors": 0},
    {"account_id": "acct-1", "name": "::error::x", "endpoint_type": "SYNC",
     "model_type": "GENERIC", "path": "templates/\n.yaml", "errors": 1},
]


def test_text() -> None:
    assert render_listing(ROWS, [], "text").splitlines() == [
        "ACCOUNT  NAME        ENDPOINT  MODEL    PATH",
        "acct-1   a\\x1b[2Jb   SYNC      GENERIC  templates/a.yaml",
        "acct-1   ::error::x  SYNC      GENERIC  templates/\\n.yaml  (invalid)",
        "2 template(s)",
    ]


def test_json_and_unreadable() -> None:
    data = json.loads(render_listing(ROWS, ["templates/\x1b.yaml"], "json"))
    assert data == {"templates": ROWS, "unreadable": ["templates/\x1b.yaml"]}
    assert unreadable_line("templates/\x1b.yaml") == (
        "template-registry: templates/\\x1b.yaml: not listed, it does not load (run validate)")
