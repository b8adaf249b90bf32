"""GitHub workflow commands: every part escaped, one command per line."""

from __future__ import annotations

from registry.render.github import command, message, property_value


def test_message() -> None:
    assert message("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert message("a\x1b[2Jb\u202e \\") == "a\\x1b[2Jb\\u202e \\\\"
    assert message("a:b,c") == "a:b,c"


def test_property_value() -> None:
    assert property_value("templates/::error::x.yaml") == "templates/%3A%3Aerror%3A%3Ax.yaml"
    assert property_value("a,b\nc") == "a%2Cb%0Ac"


def test_command() -> None:
    assert command("error", {"file": "t/a,b.yaml", "line": 3, "col": 16, "title": "schema"},
                   "bad\n::warning::x") == (
        "::error file=t/a%2Cb.yaml,line=3,col=16,title=schema::bad%0A::warning::x")
