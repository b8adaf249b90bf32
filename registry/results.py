"""The per-file result of the content rules: light types the cache stores and reloads.

Kept apart from `registry.checks` so that a run served from the cache imports neither
pydantic nor the rules.
"""

from __future__ import annotations

from typing import NamedTuple

from registry.findings import Finding

Row = tuple[int, int, str, str, str]


class Identity(NamedTuple):
    """A template's account and name with the positions of their values."""

    account_id: str
    account_line: int
    account_column: int
    name: str
    name_line: int
    name_column: int


class FileResult(NamedTuple):
    """Path-free findings and the identity of one file's content."""

    rows: list[Row]
    identity: Identity | None

    def findings(self, path: str) -> list[Finding]:
        return [Finding.from_tuple(path, row) for row in self.rows]

    def to_plain(self) -> tuple[list[Row], tuple[str, int, int, str, int, int] | None]:
        return self.rows, (tuple(self.identity) if self.identity else None)  # type: ignore[return-value]

    @classmethod
    def from_plain(cls, plain: tuple[list[Row], tuple[str, int, int, str, int, int] | None]
                   ) -> FileResult:
        """Rebuild from `to_plain` (as marshal returns it: rows are already tuples)."""
        rows, identity = plain
        return cls(rows, Identity._make(identity) if identity else None)
