"""Finding template files: the hook's one-pass walk and stat agrees with `discover`."""

from __future__ import annotations

import os
from pathlib import Path

from registry import files


def tree(root: Path) -> Path:
    """A templates folder with what a walk must get right: nested folders, both suffixes,
    other files, dot folders, a symlinked folder and file, and a dangling link."""
    templates = root / "templates"
    for rel in ("a.yaml", "b.yml", "notes.md", "team/c.yaml", "team/deep/d.yaml",
                ".hidden/e.yaml", "team/.git/f.yaml", "elsewhere/g.yaml"):
        (templates / rel).parent.mkdir(parents=True, exist_ok=True)
        (templates / rel).write_text(rel)
    (templates / "linked").symlink_to(templates / "team", target_is_directory=True)
    (templates / "alias.yaml").symlink_to(templates / "a.yaml")
    (templates / "dangling.yaml").symlink_to(templates / "missing.yaml")
    return templates


def test_scan_finds_what_discover_finds_with_stats(tmp_path: Path) -> None:
    templates = tree(tmp_path)
    found = files.scan(templates, tmp_path)
    assert list(found) == files.discover(templates, tmp_path) == [
        "templates/a.yaml", "templates/alias.yaml", "templates/b.yml",
        "templates/dangling.yaml", "templates/elsewhere/g.yaml", "templates/team/c.yaml",
        "templates/team/deep/d.yaml"]
    a = found["templates/a.yaml"]
    assert isinstance(a, os.stat_result) and a.st_ino == (templates / "a.yaml").stat().st_ino
    alias = found["templates/alias.yaml"]
    assert isinstance(alias, os.stat_result) and alias.st_ino == a.st_ino  # followed
    assert isinstance(found["templates/dangling.yaml"], FileNotFoundError)


def test_a_missing_folder_has_no_files(tmp_path: Path) -> None:
    assert files.scan(tmp_path / "templates", tmp_path) == {}


def test_read_limited_trusts_a_size_only_when_the_file_still_has_it(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(b"x" * 100)
    assert files.read_limited(path, 100) == b"x" * 100
    assert files.read_limited(path, 40) == b"x" * 100  # grew since the stat
    assert files.read_limited(path, 400) == b"x" * 100  # shrank since the stat
    assert files.read_limited(path, 0) == b"x" * 100
    big = tmp_path / "big.yaml"
    big.write_bytes(b"y" * (files.MAX_BYTES + 5000))
    for size in (None, 10, files.MAX_BYTES + 5000):
        assert files.read_limited(big, size) == b"y" * (files.MAX_BYTES + 1)
