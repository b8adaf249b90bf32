"""JSON: ASCII-escaped, so safe to print, and every string parses back exactly."""

from __future__ import annotations

import json

from registry.render.jsonfmt import dumps

HOSTILE = ["x\n::error::pwned", "a\x1b[2Jb", "\u202egnp.exe", "a|b\r\nc", "tick`tick",
           "\x7f\x85", "caf\u00e9"]


def test_ascii_and_round_trip() -> None:
    text = dumps({"names": HOSTILE})
    assert text.isascii()
    assert all(0x20 <= ord(c) < 0x7f for c in text.replace("\n", ""))
    assert json.loads(text) == {"names": HOSTILE}
    assert all(not line.lstrip().startswith(("::", "##[")) for line in text.splitlines())
