"""Ownership from history: which (account, name) pairs a file in the registry ever defined.

A remote template the registry once pushed and no file defines now must be deleted; one
that no file ever defined was made by hand and is left alone (unless --prune). Each blob
is read and parsed once: its identity is cached by blob id, which git makes immutable.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
from pathlib import Path
from typing import Any

from registry import gitrepo
from registry.cache import code_fingerprint, default_dir, write_atomic
from registry.loader import load_document

Key = tuple[str, str]


def identity_of(raw: bytes) -> Key | None:
    """(account_id, name) of a template file's bytes, or None if it has no string pair."""
    doc = load_document(raw, "").document
    if doc is None:
        return None
    account, name = doc.data.get("account_id"), doc.data.get("name")
    if isinstance(account, str) and isinstance(name, str):
        return account, name
    return None


def owned_keys(root: Path, ref: str, templates: str, *, use_cache: bool = True) -> set[Key]:
    """Every (account_id, name) defined by a template file in the history of REF."""
    blobs = gitrepo.history_blobs(root, ref, templates)
    store = _BlobCache(root) if use_cache else None
    known: dict[str, Key | None] = store.entries if store is not None else {}
    missing = sorted(b for b in blobs if b not in known)
    for blob_id, raw in gitrepo.read_blobs(root, missing).items():
        known[blob_id] = identity_of(raw)
    if store is not None and missing:
        store.save()
    return {key for blob_id in blobs if (key := known.get(blob_id)) is not None}


class _BlobCache:
    """blob id -> identity, persisted beside the validation cache."""

    def __init__(self, root: Path) -> None:
        name = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
        self.file = default_dir() / f"history-{name}.marshal"
        self.fingerprint = code_fingerprint()
        self.entries: dict[str, Key | None] = {}
        with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
            data: Any = marshal.loads(self.file.read_bytes())
            if isinstance(data, dict) and data.get("fingerprint") == self.fingerprint:
                self.entries = {k: (tuple(v) if v else None)
                                for k, v in data["entries"].items()}

    def save(self) -> None:
        write_atomic(self.file, marshal.dumps({"fingerprint": self.fingerprint,
                                               "entries": self.entries}))
