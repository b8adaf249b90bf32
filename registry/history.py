"""Ownership from history: which (account, name) pairs a file in the registry ever defined.

A remote template the registry once pushed and no file defines now must be deleted; one
that no file ever defined was made by hand and is left alone (unless --prune). Each blob
is read and parsed once: its identity is kept in the blob store, by blob id.
"""

from __future__ import annotations

from pathlib import Path

from registry import gitrepo
from registry.blobstore import BlobStore, Key
from registry.loader import load_document
from registry.results import Identity, identity_of


def identity_of_bytes(raw: bytes) -> Identity | None:
    """The identity of a template file's bytes, or None if it has no string pair."""
    doc = load_document(raw, "").document
    return identity_of(doc) if doc is not None else None


def owned_keys(root: Path, ref: str, templates: str, store: BlobStore) -> set[Key]:
    """Every (account_id, name) defined by a template file in the history of REF."""
    return set(owned_blobs(root, ref, templates, store))


def owned_blobs(root: Path, ref: str, templates: str, store: BlobStore) -> dict[Key, set[str]]:
    """Every (account_id, name) defined in the history of REF, with the blobs that did."""
    blobs = gitrepo.history_blobs(root, ref, templates)
    missing = sorted(b for b in blobs if not store.knows_identity(b))
    for blob_id, raw in gitrepo.read_blobs(root, missing).items():
        store.put_identity(blob_id, identity_of_bytes(raw))
    owned: dict[Key, set[str]] = {}
    for blob_id in blobs:
        key = store.key(blob_id)
        if key is not None:
            owned.setdefault(key, set()).add(blob_id)
    return owned


def versions(root: Path, blobs: set[str], store: BlobStore) -> set[str]:
    """The canonical JSON (registry.compare) of each blob's template: every version of a
    template that git ever held, to tell a template sync made from one made by hand."""
    from registry.compare import canonical_json

    missing = sorted(b for b in blobs if store.canonical(b) is None)
    for blob_id, raw in gitrepo.read_blobs(root, missing).items():
        doc = load_document(raw, "").document
        store.put_canonical(blob_id, canonical_json(doc.data) if doc is not None else "")
    return {text for b in blobs if (text := store.canonical(b))}
