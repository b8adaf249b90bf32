"""What plan and sync know about each git blob, cached by blob id across runs.

A blob id names immutable content, so what the rules said about it, its identity and its
parsed body never change (for one version of the rule code: the store is keyed by the
same code fingerprint as the validation cache). A warm plan on a large registry then
reads no blob at all: `git ls-tree` gives the ids, this store gives the rest.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
from pathlib import Path
from typing import Any

from registry.cache import code_fingerprint, default_dir, write_atomic
from registry.results import FileResult, Identity, PlainDirective, Row

Key = tuple[str, str]
# What plan keeps of a valid body: its JSON text and its canonical JSON (registry.compare).
Body = tuple[str, str]
# What the rules said: rows, inline ignores, the ignores the rows used (results.FileResult).
Checked = tuple[list[Row], list[PlainDirective], list[int]]
# blob id -> (Identity as a tuple or None, Checked or None, Body or None); the check and
# the body are None for blobs only seen in history (their identity is what is needed).
Entry = tuple[tuple[str, int, int, str, int, int] | None, Checked | None, Body | None]


class BlobStore:
    def __init__(self, root: Path, *, persist: bool = True, settings: bytes = b"") -> None:
        name = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
        self.file = default_dir() / f"blobs-{name}.marshal"
        self.persist = persist
        self.fingerprint = code_fingerprint(settings) if persist else b""
        self.entries: dict[str, Entry] = {}
        self.changed = False
        if persist:
            with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
                data: Any = marshal.loads(self.file.read_bytes())
                if isinstance(data, dict) and data.get("fingerprint") == self.fingerprint:
                    self.entries = data["entries"]

    def key(self, blob: str) -> Key | None:
        """(account_id, name) of a known blob, or None."""
        entry = self.entries.get(blob)
        return (entry[0][0], entry[0][3]) if entry and entry[0] else None

    def knows_identity(self, blob: str) -> bool:
        return blob in self.entries

    def checked(self, blob: str) -> tuple[FileResult, Body | None] | None:
        """(the rules' result, the body) for a blob checked before, else None."""
        entry = self.entries.get(blob)
        if entry is None or entry[1] is None:
            return None
        rows, ignores, used = entry[1]
        return FileResult.from_plain((rows, entry[0], ignores, used)), entry[2]

    def canonical(self, blob: str) -> str | None:
        """The canonical JSON of a blob's template if known ("" when it does not load)."""
        entry = self.entries.get(blob)
        return entry[2][1] if entry and entry[2] is not None else None

    def put_canonical(self, blob: str, canonical: str) -> None:
        """Remember a history blob's canonical JSON (its JSON body is not kept)."""
        entry = self.entries.get(blob)
        identity, checked = (entry[0], entry[1]) if entry else (None, None)
        self.entries[blob] = (identity, checked, ("", canonical))
        self.changed = True

    def put_identity(self, blob: str, identity: Identity | None) -> None:
        if blob not in self.entries:
            self.entries[blob] = (identity.plain() if identity else None, None, None)
            self.changed = True

    def put_checked(self, blob: str, result: FileResult, body: Body | None) -> None:
        rows, identity, ignores, used = result.to_plain()
        self.entries[blob] = (identity, (rows, ignores, used), body)
        self.changed = True

    def save(self) -> None:
        if self.persist and self.changed:
            write_atomic(self.file, marshal.dumps({"fingerprint": self.fingerprint,
                                                   "entries": self.entries}))
