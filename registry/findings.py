"""What every check produces: a finding at a file, line and column, with a rule id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """One problem in one file; LINE and COLUMN are 1-based and point at the key or value."""

    path: str
    line: int
    column: int
    severity: Severity
    rule: str
    message: str

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
