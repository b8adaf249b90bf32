"""GitHub workflow commands (`::error file=...,line=...::message`), for annotations.

Only `validate --format github` writes them, on purpose; every other output defuses such
lines (terminal.safe_lines).
"""

from __future__ import annotations

from collections.abc import Mapping

from registry.render import terminal


def message(text: str) -> str:
    """TEXT as the message of a workflow command.

    Defends against ending the command early and starting another one on a new line (CR
    and LF become `%0D` and `%0A`, which the runner turns back into line breaks inside
    the annotation), against `%` sequences being decoded (`%` becomes `%25`), and
    against other control characters reaching the log (written visibly, as
    terminal.escape does, backslashes doubled).
    """
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return terminal.escape(escaped)


def property_value(text: str) -> str:
    """TEXT as a property value (`file=`, `title=`): `message`'s escaping, plus `:` and
    `,`, which would otherwise end the property list or the value."""
    return message(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: Mapping[str, str | int], text: str) -> str:
    """One workflow command line: `::NAME k=v,...::TEXT`, every part escaped."""
    props = ",".join(f"{key}={property_value(str(value))}" for key, value in properties.items())
    return f"::{name} {props}::{message(text)}"
