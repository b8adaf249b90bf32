"""The validation cache: reused only for identical content and code; never trusted blindly."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from registry import cache as cache_mod
from registry.cache import ResultCache
from registry.results import FileResult, Identity

RESULT = FileResult([(1, 1, "error", "schema", "m")], Identity("a", 2, 13, "n", 1, 7))


def test_round_trip_by_digest(tmp_path: Path) -> None:
    first = ResultCache(tmp_path, tmp_path / "c")
    key = cache_mod.digest(b"content")
    first.put(key, RESULT)
    first.save()
    again = ResultCache(tmp_path, tmp_path / "c")
    assert again.get(key) == RESULT
    assert again.get(cache_mod.digest(b"other")) is None


def test_other_code_fingerprint_starts_afresh(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    first = ResultCache(tmp_path, tmp_path / "c")
    key = cache_mod.digest(b"content")
    first.put(key, RESULT)
    first.save()
    monkeypatch.setattr(cache_mod, "code_fingerprint", lambda settings=b"": b"changed-code")
    assert ResultCache(tmp_path, tmp_path / "c").get(key) is None


def test_other_settings_start_afresh(tmp_path: Path) -> None:
    first = ResultCache(tmp_path, tmp_path / "c", settings=b"scale_from_zero")
    key = cache_mod.digest(b"content")
    first.put(key, RESULT)
    first.save()
    assert ResultCache(tmp_path, tmp_path / "c", settings=b"scale_from_zero").get(key) == RESULT
    assert ResultCache(tmp_path, tmp_path / "c").get(key) is None


def test_every_module_of_the_packages_is_in_the_fingerprint(tmp_path: Path) -> None:
    """No hand-kept list: a new module anywhere under registry/ or validators/ counts."""
    package = Path(cache_mod.__file__).parent
    modules = {p.name for p in package.rglob("*.py")}
    assert {"loader.py", "rules.py", "ignores.py", "checks.py", "config.py"} <= modules
    probe = package.parent / "validators" / "_fingerprint_probe.py"
    before = cache_mod.code_fingerprint()
    try:
        probe.write_text("# a new module\n")
        assert cache_mod.code_fingerprint() != before
    finally:
        probe.unlink()
    assert cache_mod.code_fingerprint() == before


def test_corrupt_cache_file_is_ignored(tmp_path: Path) -> None:
    store = ResultCache(tmp_path, tmp_path / "c")
    store.file.parent.mkdir(parents=True)
    store.file.write_bytes(b"\x00garbage")
    assert ResultCache(tmp_path, tmp_path / "c").get(cache_mod.digest(b"x")) is None


def test_stat_memo_distrusts_recent_and_changed_files(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a")
    old = time.time() - 60
    os.utime(path, (old, old))
    first = ResultCache(tmp_path, tmp_path / "c")
    first.remember("t.yaml", path.stat(), b"d" * 16)
    first.save()
    # ctime is recent (utime itself sets it): within the racy window, so not trusted.
    second = ResultCache(tmp_path, tmp_path / "c")
    assert second.known_digest("t.yaml", path.stat()) is None
    second.remember("t.yaml", path.stat(), b"d" * 16)
    second._trusted_before = time.time_ns()  # as if the file were older than the last run
    assert second.known_digest("t.yaml", path.stat()) == b"d" * 16
    path.write_text("b")
    assert second.known_digest("t.yaml", path.stat()) is None


def test_unchanged_run_does_not_rewrite(tmp_path: Path) -> None:
    store = ResultCache(tmp_path, tmp_path / "c")
    key = cache_mod.digest(b"x")
    store.put(key, RESULT)
    store.save()
    written = store.file.stat().st_mtime_ns
    again = ResultCache(tmp_path, tmp_path / "c")
    assert again.get(key) == RESULT
    again.save()
    assert store.file.stat().st_mtime_ns == written
