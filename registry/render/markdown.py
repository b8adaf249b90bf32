"""Markdown for a PR comment or `$GITHUB_STEP_SUMMARY` (GitHub Flavored Markdown).

Every untrusted value goes into the document as `code(...)`: an HTML `<code>` element
whose text has every character but ASCII letters, digits and `-./` written as a numeric
character reference. Markdown then finds nothing to act on: no `<` or `>` (no HTML), no
`|` (GFM splits table cells on a raw pipe before any inline parsing; `&#124;` does not
split), no line break (no new row or block), no backtick (no code span to break out
of), no `*`, `_`, `[`, `]`, `!`, `~` (no emphasis, link or image), no `:` or `@` (no
autolink), and no raw space (a `www.` autolink must follow whitespace in the source).
"""

from __future__ import annotations

import re

from registry.render import terminal

_UNSAFE = re.compile(r"[^A-Za-z0-9./-]")


def entities(text: str) -> str:
    """TEXT with every character but ASCII letters, digits and `-./` as `&#N;`."""
    return _UNSAFE.sub(lambda m: f"&#{ord(m.group())};", text)


def code(value: str) -> str:
    """An untrusted value as inline code that cannot open or close HTML, add table rows
    or cells, break out of a code span, or make a link or emphasis (see module doc).

    Control and bidi characters are first written visibly as in a terminal (`\\x1b`,
    `\\u202e`): as character references a browser would still obey a bidi override.
    """
    return f"<code>{entities(terminal.escape(value))}</code>"


def text(value: str) -> str:
    """An untrusted value as plain prose: the same character references as `code`."""
    return entities(terminal.escape(value))


def code_escaped(text: str) -> str:
    """`code` for text already in an escaped form (JSON with ASCII escapes): the same
    defence, without doubling its backslashes."""
    return f"<code>{entities(terminal.escape_controls(text))}</code>"
