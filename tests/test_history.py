"""Ownership from history: every identity a template file ever had, merges and renames too."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from registry import gitrepo
from registry.blobstore import BlobStore
from registry.history import identity_of_bytes, owned_keys
from tests.helpers import git, init_repo, named


def commit_file(repo: Path, rel: str, text: str | None, message: str) -> None:
    path = repo / rel
    if text is None:
        git(repo, "rm", "-q", rel)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        git(repo, "add", rel)
    git(repo, "commit", "-qm", message)


def test_history_keeps_removed_and_renamed_identities(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "templates/a.yaml", named("first-name", "acct-1"), "add")
    commit_file(repo, "templates/a.yaml", named("second-name", "acct-1"), "rename template")
    commit_file(repo, "templates/b.yaml", named("b", "acct-2"), "add b")
    commit_file(repo, "templates/b.yaml", None, "remove b")
    commit_file(repo, "README.md", "x", "not a template")
    assert owned_keys(repo, "HEAD", "templates", BlobStore(repo)) == {
        ("acct-1", "first-name"), ("acct-1", "second-name"), ("acct-2", "b")}
    first = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    assert owned_keys(repo, first, "templates", BlobStore(repo)) == {("acct-1", "first-name")}


def test_merge_resolution_counts(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "templates/a.yaml", named("base", "acct-1"), "base")
    git(repo, "checkout", "-q", "-b", "topic")
    commit_file(repo, "templates/a.yaml", named("topic", "acct-1"), "topic")
    git(repo, "checkout", "-q", "main")
    commit_file(repo, "templates/a.yaml", named("main", "acct-1"), "main")
    subprocess.run(["git", "merge", "-q", "topic"], cwd=repo, capture_output=True)
    (repo / "templates/a.yaml").write_text(named("resolved", "acct-1"))
    git(repo, "add", "templates/a.yaml")
    git(repo, "commit", "-qm", "merge")
    assert owned_keys(repo, "HEAD", "templates", BlobStore(repo)) == {
        ("acct-1", n) for n in ("base", "topic", "main", "resolved")}


def test_blob_identities_are_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "templates/a.yaml", named("a", "acct-1"), "add")
    store = BlobStore(repo)
    assert owned_keys(repo, "HEAD", "templates", store) == {("acct-1", "a")}
    store.save()
    calls: list[list[str]] = []
    original = gitrepo.read_blobs

    def counting(root: Path, blob_ids: list[str]) -> dict[str, bytes]:
        calls.append(blob_ids)
        return original(root, blob_ids)

    monkeypatch.setattr(gitrepo, "read_blobs", counting)
    assert owned_keys(repo, "HEAD", "templates", BlobStore(repo)) == {("acct-1", "a")}
    assert calls == [[]]


def test_identity_of_unparseable_blob() -> None:
    assert identity_of_bytes(b"- a list\n") is None
    assert identity_of_bytes(b"name: x\naccount_id: 3\n") is None
    assert identity_of_bytes(b"name: x\naccount_id: acct\n") == ("acct", 2, 13, "x", 1, 7)


def test_files_with_unusual_names_count_with_their_paths(tmp_path: Path) -> None:
    """git quotes such paths in `log --raw` unless -z: they must still count as owned."""
    repo = init_repo(tmp_path / "r")
    odd = "templates/ünï code\tx.yaml"
    commit_file(repo, odd, named("odd", "acct-1"), "add")
    commit_file(repo, "templates/sub/b.yaml", named("b", "acct-1"), "add b")
    commit_file(repo, odd, None, "remove the odd one")
    assert owned_keys(repo, "HEAD", "templates", BlobStore(repo)) == {("acct-1", "odd"),
                                                                      ("acct-1", "b")}
    assert {path for path, _ in gitrepo.history_files(repo, "HEAD", "templates")} == {
        odd, "templates/sub/b.yaml"}
