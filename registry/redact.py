"""Hide credentials in the values a plan shows (its text, markdown, JSON, the sync report).

A template that once held a token, and now says `${HF_TOKEN}` as the `secret` rule
advises, must not print the old token in a CI log, a PR comment or a report artifact.
Hidden: every string the `secret` rule would flag (a token shape anywhere in it, or a
long random value under a secret-looking name), and every env value under a
secret-looking name; a value that only points at a secret (`${VAR}`) is shown. In a list
(a command) the element is hidden, not the list. Pure functions, no I/O.
"""

from __future__ import annotations

import copy
from typing import Any

from registry.loader import Path
from validators import secret


class Redacted(str):
    """Shown in place of a hidden value; renderers print it bare, not as a quoted string."""

    __slots__ = ()


REDACTED = Redacted("[REDACTED]")
CHANGED = Redacted("[REDACTED] (changed)")


def hides(path: Path, name: str, value: str) -> bool:
    """Whether VALUE (at PATH, under the key or flag NAME) is hidden."""
    if secret.secret_kind(name, value) is not None:
        return True
    in_env = len(path) >= 2 and path[-2] == "env"
    return (in_env and bool(value.strip()) and secret.is_secret_name(name)
            and not secret.is_reference(value))


def redact(tree: Any) -> Any:
    """TREE (a template's data) with each hidden string replaced by REDACTED; TREE itself
    when nothing is hidden, else a copy."""
    hidden = [path for path, name, value in secret.strings(tree) if hides(path, name, value)]
    if not hidden:
        return tree
    out = copy.deepcopy(tree)
    for path in hidden:
        node = out
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = REDACTED
    return out


def shown_change(before: Any, after: Any, shown_before: Any,
                 shown_after: Any) -> tuple[Any, Any]:
    """The values to show for a change from BEFORE to AFTER (SHOWN_*: their redacted
    forms). Where hiding made two different values look the same, the after side says
    CHANGED, so that a rotated token still shows as a change."""
    if shown_before != shown_after or before == after:
        return shown_before, shown_after
    if isinstance(shown_after, list) and isinstance(before, list) and isinstance(after, list):
        return shown_before, [shown_change(b, a, sb, sa)[1] for b, a, sb, sa
                              in zip(before, after, shown_before, shown_after, strict=True)]
    if isinstance(shown_after, dict) and isinstance(before, dict) and isinstance(after, dict):
        return shown_before, {key: shown_change(before.get(key), after.get(key),
                                                shown_before.get(key), value)[1]
                              for key, value in shown_after.items()}
    return shown_before, CHANGED
