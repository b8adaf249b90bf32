"""Markdown: untrusted values as <code> with character references, nothing else raw."""

from __future__ import annotations

import re

import pytest

from registry.render.markdown import code, code_escaped, entities


@pytest.mark.parametrize(("raw", "shown"), [
    ("acct-1/model.v2", "<code>acct-1/model.v2</code>"),
    ("</details><img src=x onerror=alert(1)>",
     "<code>&#60;/details&#62;&#60;img&#32;src&#61;x&#32;onerror&#61;alert&#40;1&#41;&#62;</code>"),
    ("a|b\r\nc", "<code>a&#124;b&#92;r&#92;nc</code>"),
    ("tick`tick", "<code>tick&#96;tick</code>"),
    ("\u202egnp.exe", "<code>&#92;u202egnp.exe</code>"),
    ("a\x1b[2Jb", "<code>a&#92;x1b&#91;2Jb</code>"),
    ("Tom & \"Jerry's\"", "<code>Tom&#32;&#38;&#32;&#34;Jerry&#39;s&#34;</code>"),
    ("", "<code></code>"),
])
def test_code(raw: str, shown: str) -> None:
    assert code(raw) == shown


@pytest.mark.parametrize("raw", [
    "**bold** _em_ ~~del~~ [link](http://evil.example) ![img](x) <http://a> a@b.example",
    "x www.evil.example y", "`` ` ``", "| a | b |", "&lt;b&gt;", "line\nbreak\r", "#, >, -",
])
def test_code_leaves_nothing_markdown_or_html_acts_on(raw: str) -> None:
    inner = code(raw).removeprefix("<code>").removesuffix("</code>")
    assert re.fullmatch(r"(?:[A-Za-z0-9./-]|&#\d+;)*", inner), inner


def test_a_table_row_keeps_its_cell_count() -> None:
    row = "| " + " | ".join(code(v) for v in ("a|b", "c\n| d | e |", "`|`")) + " |"
    assert "\n" not in row
    assert row.count("|") == 4


def test_code_escaped_does_not_double_json_escapes() -> None:
    assert code_escaped('"a\\u001bb"') == "<code>&#34;a&#92;u001bb&#34;</code>"
    assert code('"a\\u001bb"') == "<code>&#34;a&#92;&#92;u001bb&#34;</code>"


def test_entities() -> None:
    assert entities("a b<\u00e9") == "a&#32;b&#60;&#233;"
