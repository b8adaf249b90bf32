"""Terminal and log text: control characters shown, workflow command lines defused."""

from __future__ import annotations

import random
import re

import pytest

from registry.render.terminal import escape, escape_controls, preformatted, safe_lines

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
SHORT = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}


def decode(text: str) -> str:
    """The inverse of `escape`: exists (and is exact) only if the escaping is unambiguous."""
    out, i = [], 0
    while i < len(text):
        if text[i] != "\\":
            out.append(text[i])
            i += 1
            continue
        mark = text[i + 1]
        if mark in SHORT:
            out.append(SHORT[mark])
            i += 2
        else:
            width = {"x": 2, "u": 4}[mark]
            out.append(chr(int(text[i + 2:i + 2 + width], 16)))
            i += 2 + width
    return "".join(out)


@pytest.mark.parametrize(("raw", "shown"), [
    ("plain-name.yaml", "plain-name.yaml"),
    ("a\x1b[2Jb", "a\\x1b[2Jb"),
    ("x\n::error::pwned", "x\\n::error::pwned"),
    ("a|b\r\nc\td", "a|b\\r\\nc\\td"),
    ("\x00\x7f\x85\x9f", "\\x00\\x7f\\x85\\x9f"),
    ("\u202egnp.exe", "\\u202egnp.exe"),
    ("\u2066\u2067\u2068\u2069\u202a\u200e\u200f\u061c", "\\u2066\\u2067\\u2068\\u2069\\u202a"
     "\\u200e\\u200f\\u061c"),
    ("line\u2028sep", "line\\u2028sep"),
    ("back\\slash", "back\\\\slash"),
    ("\\x1b", "\\\\x1b"),
    ("caf\u00e9 \u6a21\u578b", "caf\u00e9 \u6a21\u578b"),
])
def test_escape(raw: str, shown: str) -> None:
    assert escape(raw) == shown


def test_escape_is_unambiguous() -> None:
    """A literal backslash sequence never reads like an escape: decoding gives the input
    back, for every string, so no two strings escape alike."""
    assert escape("\\x1b") != escape("\x1b")
    assert escape("\\n") != escape("\n")
    assert escape("\\u202e") != escape("\u202e")
    alphabet = ["\\", "x", "u", "1", "b", "2", "0", "e", "n", ":", "a", "\x1b", "\n", "\r",
                "\t", "\x00", "\x7f", "\x9b", "\u202e", "\u2066", "\u2028", "\u00e9"]
    rng = random.Random(7)
    seen: dict[str, str] = {}
    for _ in range(5000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        shown = escape(raw)
        assert UNSAFE.search(shown) is None, repr(raw)
        assert decode(shown) == raw
        assert seen.setdefault(shown, raw) == raw


def test_escape_controls_keeps_backslashes() -> None:
    assert escape_controls('"a\\u001bb"') == '"a\\u001bb"'
    assert escape_controls("a\x1bb\\") == "a\\x1bb\\"


@pytest.mark.parametrize(("text", "safe"), [
    ("::error::pwned", "\\x3a:error::pwned"),
    ("  \t::add-mask::x", "  \t\\x3a:add-mask::x"),
    ("##[error]x", "\\x23#[error]x"),
    ("ok\n::warning file=a::b\nok", "ok\n\\x3a:warning file=a::b\nok"),
    ("bar\r::error::x", "bar\r\\x3a:error::x"),
    ("a::b", "a::b"),
    (":one colon", ":one colon"),
    ("# heading", "# heading"),
    ("##", "##"),
])
def test_safe_lines(text: str, safe: str) -> None:
    assert safe_lines(text) == safe
    assert safe_lines(safe) == safe  # idempotent: a defused line stays as it is


def test_safe_lines_reads_back_through_the_escaping() -> None:
    line = f"{escape('::error::x.yaml')}:1:1: error schema: bad"
    assert decode(safe_lines(line)) == "::error::x.yaml:1:1: error schema: bad"


def test_preformatted_keeps_lines_and_backslashes() -> None:
    assert preformatted("head\n  ::error::a\\\\b\x1b") == "head\n  \\x3a:error::a\\\\b\\x1b"
