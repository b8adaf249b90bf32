"""Text for a terminal or a CI log: untrusted characters made visible, command lines defused.

Two jobs, kept apart: `escape` is applied to each untrusted value as it is put into a
line; `safe_lines` is applied once by the writer of a whole text document (see
registry.render.formats), because a line can start with a value (validate's lines start
with the file name).
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls; the Unicode bidi controls (embeddings, overrides,
# isolates, and the marks LRM, RLM, ALM); the line and paragraph separators.
_CONTROLS = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\\\\{_CONTROLS}]")
_CONTROL = re.compile(f"[{_CONTROLS}]")
_SHORT = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# A line the GitHub runner reads as a workflow command: `::name ...::` or the legacy
# `##[name]`, after optional whitespace. A runner splits lines on CR as well as LF.
_COMMAND = re.compile(r"(?:^|(?<=\r))([^\S\r\n]*)([:#])(?=:|#\[)", re.MULTILINE)


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """TEXT with every control character written visibly, for one value in a line.

    Defends against: ESC sequences that move the cursor, clear the screen or retitle the
    terminal (`\\x1b[2J` shows as `\\x1b[2J`); CR and LF that start a new line, which
    could fake output or start a workflow command (`\\n`, `\\r`); the other C0 and C1
    controls and DEL; bidi controls that show a name reversed (`\\u202egnp.exe`); and the
    Unicode line separators. A backslash is doubled, so the escaping is unambiguous: a
    name holding the four characters `\\x1b` shows as `\\\\x1b`, never like an ESC.
    """
    return _UNSAFE.sub(_visible, text)


def escape_controls(text: str) -> str:
    """TEXT already in an escaped form (JSON with ASCII escapes), with any control
    character that slipped in still made visible; its backslashes are not doubled again."""
    return _CONTROL.sub(_visible, text)


def safe_lines(text: str) -> str:
    """TEXT with no line that GitHub's runner would take as a workflow command.

    Defends against `::error::...`, `::add-mask::`, `::stop-commands::` and the legacy
    `##[...]` at the start of a line (after optional spaces), wherever the line came
    from: its first character is escaped (`\\x3a:error::x.yaml:...`), in the same visible
    notation as `escape`, so the line still reads the same. For every output but
    `validate --format github`, whose command lines are deliberate.
    """
    return _COMMAND.sub(lambda m: f"{m.group(1)}\\x{ord(m.group(2)):02x}", text)


def preformatted(text: str) -> str:
    """A message whose values were escaped when it was built (a findings report): keep
    its line breaks, make any stray control character visible, defuse command lines."""
    return safe_lines("\n".join(escape_controls(line) for line in text.split("\n")))
