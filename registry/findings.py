"""What every check produces: a finding at a file, line and column, with a rule id."""

from __future__ import annotations

from typing import Literal, NamedTuple

Severity = Literal["error", "warning"]
# The most characters of a user's value that a message repeats.
SHOWN_LENGTH = 60


class Finding(NamedTuple):
    """One problem in one file; LINE and COLUMN are 1-based and point at the key or value.

    A named tuple, not a dataclass, as every type the hook imports: `dataclasses` imports
    `inspect`, which costs the hook more than checking a file. Findings sort by path, line,
    column, severity, rule, message."""

    path: str
    line: int
    column: int
    severity: Severity
    rule: str
    message: str
    # The environments a finding of a rendered template occurs in (registry.rendering);
    # empty without environments, and for findings about the files themselves.
    environments: tuple[str, ...] = ()

    def as_tuple(self) -> tuple[int, int, str, str, str]:
        """The path-independent part, as stored in the cache (content may move between paths)."""
        return (self.line, self.column, self.severity, self.rule, self.message)

    @classmethod
    def from_tuple(cls, path: str, row: tuple[int, int, str, str, str]) -> Finding:
        line, column, severity, rule, message = row
        return cls(path, line, column, "warning" if severity == "warning" else "error", rule,
                   message)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def shorten(text: str, limit: int = SHOWN_LENGTH) -> str:
    """TEXT cut to LIMIT characters with an ellipsis: a huge value must not flood a report."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def shown(value: object, limit: int = SHOWN_LENGTH) -> str:
    """VALUE as a message quotes it (its repr), at most about LIMIT characters."""
    if isinstance(value, str):
        return repr(shorten(value, limit))
    if isinstance(value, int) and value.bit_length() > 4 * limit:  # repr() may even refuse it
        return f"an integer of {value.bit_length()} bits"
    return shorten(repr(value), limit)
