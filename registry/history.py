"""Ownership from history: which (account, name) pairs a file in the registry ever defined.

A remote template the registry once pushed and no file defines now must be deleted; one
that no file ever defined was made by hand and is left alone (unless --prune). Each blob
is read and parsed once: its identity is kept in the blob store, by blob id.
"""

from __future__ import annotations

from pathlib import Path

from registry import gitrepo
from registry.blobstore import BlobStore, Key
from registry.config import Config, Environment
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


class EnvironmentVersions:
    """Every rendering an environment may have received of a template: each version of
    its file (a blob of the history) with each version its patch had (or none).

    In an environment, a remote template counts as sync's own when it equals one of
    these (so a patch-only change is an ordinary replacement there, not a takeover).
    The history of both folders is read once, on the first question.
    """

    def __init__(self, config: Config, env: Environment, ref: str) -> None:
        self.config, self.env, self.ref = config, env, ref
        self._paths: dict[str, set[str]] | None = None  # base blob -> its template paths
        self._patches: dict[str, set[str]] = {}  # template path -> patch blobs

    def of(self, blobs: set[str]) -> set[str]:
        """The canonical JSON of every rendering of the base BLOBS."""
        from registry.compare import canonical_json
        from registry.rendering import render_body

        paths = self._history()
        pairs = {(blob, patch) for blob in blobs
                 for path in paths.get(blob, ()) for patch in {None, *self._patches.get(path, ())}}
        raws = gitrepo.read_blobs(self.config.root, sorted(
            {b for b, _ in pairs} | {p for _, p in pairs if p is not None}))
        found = set()
        for blob, patch in pairs:
            body = render_body(raws[blob], raws[patch] if patch is not None else None, self.env)
            if body is not None:
                found.add(canonical_json(body))
        return found

    def _history(self) -> dict[str, set[str]]:
        if self._paths is None:
            from registry.environments import template_of

            self._paths = {}
            for path, blob in gitrepo.history_files(self.config.root, self.ref,
                                                    self.config.templates):
                self._paths.setdefault(blob, set()).add(path)
            if self.env.overlay is not None:
                for path, blob in gitrepo.history_files(self.config.root, self.ref,
                                                        self.env.overlay):
                    template = template_of(self.config, self.env, path)
                    if template is not None:
                        self._patches.setdefault(template, set()).add(blob)
        return self._paths
