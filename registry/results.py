"""The per-file result of the content rules: light types the cache stores and reloads.

Kept apart from `registry.checks` so that a run served from the cache imports neither
pydantic nor the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from registry.findings import Finding

if TYPE_CHECKING:
    from registry.loader import Document

Row = tuple[int, int, str, str, str]


class Identity(NamedTuple):
    """A template's account and name with the positions of their values."""

    account_id: str
    account_line: int
    account_column: int
    name: str
    name_line: int
    name_column: int

    def plain(self) -> tuple[str, int, int, str, int, int]:
        """As a plain tuple (marshal stores no named tuples)."""
        return (self.account_id, self.account_line, self.account_column, self.name,
                self.name_line, self.name_column)


# An ignore directive as stored: (line, column, rule ids, reason); see registry.ignores.
PlainDirective = tuple[int, int, tuple[str, ...], str]
Plain = tuple[list[Row], tuple[str, int, int, str, int, int] | None, list[PlainDirective],
              list[int]]


class FileResult(NamedTuple):
    """Path-free findings and the identity of one file's content, with its inline ignores
    (and which of them the file's own findings used: the rest may still match a finding
    of the registry-wide rules)."""

    rows: list[Row]
    identity: Identity | None
    ignores: list[PlainDirective] = []
    used: list[int] = []

    def findings(self, path: str) -> list[Finding]:
        return [Finding.from_tuple(path, row) for row in self.rows]

    def to_plain(self) -> Plain:
        return (self.rows, (self.identity.plain() if self.identity else None),
                self.ignores, self.used)

    @classmethod
    def from_plain(cls, plain: Plain) -> FileResult:
        """Rebuild from `to_plain` (as marshal returns it: rows are already tuples)."""
        rows, identity, ignores, used = plain
        return cls(rows, Identity._make(identity) if identity else None, ignores, used)


def identity_of(doc: Document) -> Identity | None:
    """The document's account and name with their positions, if both are strings."""
    name: Any = doc.data.get("name")
    account: Any = doc.data.get("account_id")
    if not (isinstance(name, str) and isinstance(account, str)):
        return None
    account_line, account_column = doc.position(("account_id",), prefer="value")
    name_line, name_column = doc.position(("name",), prefer="value")
    return Identity(account, account_line, account_column, name, name_line, name_column)
