"""The validation cache: reused only for identical content and code; never trusted blindly."""

from __future__ import annotations

import marshal
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


def test_corrupt_or_torn_files_are_ignored(tmp_path: Path) -> None:
    store = ResultCache(tmp_path, tmp_path / "c")
    key = cache_mod.digest(b"x")
    store.put(key, RESULT)
    file = remembered(store, tmp_path, "t.yaml", key, "k")
    store.save()
    shard = store.folder / f"results-{key[0] % cache_mod.SHARDS:02d}"
    assert ResultCache(tmp_path, tmp_path / "c").get(key) == RESULT
    shard.write_bytes(b"\x00garbage")
    assert ResultCache(tmp_path, tmp_path / "c").get(key) is None
    index = marshal.loads(store.file.read_bytes())
    for torn in ({**index, "keys": []}, {**index, "digests": b"short"},
                 {**index, "paths": [["not", "a", "path"]]}, {**index, "keys": [["x"]]},
                 {**index, "sizes": b"123"}, {**index, "mtimes": [1]}):
        store.file.write_bytes(marshal.dumps(torn))
        assert ResultCache(tmp_path, tmp_path / "c").known_digest("t.yaml", file.stat()) is None
    store.file.write_bytes(b"\x00garbage")
    assert ResultCache(tmp_path, tmp_path / "c").known_digest("t.yaml", file.stat()) is None


def remembered(store: ResultCache, root: Path, rel: str, key: bytes, ident: str | None,
               *, age: float = 60) -> Path:
    """A file REL under ROOT, AGE seconds old, remembered by STORE with digest KEY."""
    path = root / rel
    path.write_text(rel)
    old = time.time() - age
    os.utime(path, (old, old))
    store.remember(rel, path.stat(), key, ident)
    return path


def trusted(store: ResultCache) -> ResultCache:
    """STORE as if its files were older than the run that wrote it (ctime cannot be set
    back, so a test's files are always within the racy window)."""
    store._trusted_before = time.time_ns() + 10**9
    return store


def test_stat_memo_distrusts_recent_and_changed_files(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a")
    old = time.time() - 60
    os.utime(path, (old, old))
    first = ResultCache(tmp_path, tmp_path / "c")
    first.remember("t.yaml", path.stat(), b"d" * 16)
    first.save()
    # ctime is recent (utime itself sets it): within the racy window, so not trusted.
    assert ResultCache(tmp_path, tmp_path / "c").known_digest("t.yaml", path.stat()) is None
    second = trusted(ResultCache(tmp_path, tmp_path / "c"))
    assert second.known_digest("t.yaml", path.stat()) == b"d" * 16
    path.write_text("b")
    assert second.known_digest("t.yaml", path.stat()) is None


def test_unchanged_sorts_known_keys_from_files_to_check(tmp_path: Path) -> None:
    """The hook's hot path: a file whose stat is unchanged gives its identity key without
    being read; a changed, new, unreadable or never checked (UNKNOWN) one is to check."""
    first = ResultCache(tmp_path, tmp_path / "c")
    same = remembered(first, tmp_path, "same.yaml", b"s" * 16, "3:acca")
    none = remembered(first, tmp_path, "none.yaml", b"n" * 16, None)
    changed = remembered(first, tmp_path, "changed.yaml", b"c" * 16, "3:accb")
    unknown = remembered(first, tmp_path, "unknown.yaml", b"u" * 16, cache_mod.UNKNOWN)
    first.save()
    changed.write_text("edited")
    new = tmp_path / "new.yaml"
    new.write_text("new")
    gone = OSError(2, "No such file or directory")
    store = trusted(ResultCache(tmp_path, tmp_path / "c"))
    entries: list[tuple[str, os.stat_result | OSError]] = [
        (p.name, p.stat()) for p in (same, none, changed, unknown, new)]
    keys, rows, rest = store.unchanged([*entries, ("gone.yaml", gone)])
    assert keys == {"same.yaml": "3:acca", "none.yaml": None}
    assert {store.digest_at(row) for row in rows.values()} == {b"s" * 16, b"n" * 16}
    assert [rel for rel, _ in rest] == ["changed.yaml", "unknown.yaml", "new.yaml", "gone.yaml"]


def test_unchanged_run_does_not_rewrite(tmp_path: Path) -> None:
    store = ResultCache(tmp_path, tmp_path / "c")
    key = cache_mod.digest(b"x")
    store.put(key, RESULT)
    path = remembered(store, tmp_path, "t.yaml", key, "1:an")
    store.save()
    written = {p.name: p.stat().st_mtime_ns for p in store.folder.iterdir()}
    assert sorted(written) == ["index", f"results-{key[0] % cache_mod.SHARDS:02d}"]
    again = trusted(ResultCache(tmp_path, tmp_path / "c"))
    assert again.unchanged([("t.yaml", path.stat())])[0] == {"t.yaml": "1:an"}
    assert again.get(key) == RESULT
    again.save()
    assert {p.name: p.stat().st_mtime_ns for p in store.folder.iterdir()} == written


def test_one_new_result_rewrites_the_index_and_its_shard_only(tmp_path: Path) -> None:
    """The hook's edited file: of the shards, only the one its new result falls in is
    written, and it keeps only the results the index still refers to."""
    first = ResultCache(tmp_path, tmp_path / "c")
    keys = [bytes([n]) * 16 for n in range(8)]  # shards 0 to 7
    for n, key in enumerate(keys):
        first.put(key, RESULT)
        remembered(first, tmp_path, f"t{n}.yaml", key, f"1:a{n}")
    first.save()
    before = {p.name: p.stat().st_mtime_ns for p in first.folder.iterdir()}
    time.sleep(0.01)
    second = trusted(ResultCache(tmp_path, tmp_path / "c"))
    entries = [(f"t{n}.yaml", (tmp_path / f"t{n}.yaml").stat()) for n in range(8)]
    assert len(second.unchanged(entries)[0]) == 8
    edited = bytes([3 + cache_mod.SHARDS]) * 16  # t3's new content: shard 3, as its old
    second.put(edited, RESULT)
    remembered(second, tmp_path, "t3.yaml", edited, "1:a3")
    second.save()
    after = {p.name: p.stat().st_mtime_ns for p in second.folder.iterdir()}
    assert sorted(n for n in after if after[n] != before[n]) == ["index", "results-03"]
    third = ResultCache(tmp_path, tmp_path / "c")
    assert (third.get(edited), third.get(keys[4])) == (RESULT, RESULT)
    index = marshal.loads(third.file.read_bytes())
    assert index["paths"] == [f"t{n}.yaml" for n in range(8)]  # t3 kept its place


def test_a_shard_over_twice_its_share_keeps_only_what_is_referenced(tmp_path: Path) -> None:
    """No shard grows without bound: once it holds more than twice its share of the index
    (at least 32 results), the next result added prunes it to what the index or the run
    refers to."""
    first = ResultCache(tmp_path, tmp_path / "c")
    live = bytes([5]) * 16
    first.put(live, RESULT)
    file = remembered(first, tmp_path, "t.yaml", live, "1:at")
    stale = [bytes([5 + cache_mod.SHARDS * (n % 3 + 1), n]) * 8 for n in range(31)]
    for key in stale:  # results of contents no file holds any more
        first.put(key, RESULT)
    first.save()
    assert all(ResultCache(tmp_path, tmp_path / "c").get(key) == RESULT for key in stale)
    second = trusted(ResultCache(tmp_path, tmp_path / "c"))
    assert second.unchanged([("t.yaml", file.stat())])[0] == {"t.yaml": "1:at"}
    added = bytes([5, 1]) * 8
    second.put(added, RESULT)  # 31 + 1 + 1 > 32: pruned
    second.save()
    third = ResultCache(tmp_path, tmp_path / "c")
    assert [third.get(key) for key in (live, added)] == [RESULT, RESULT]
    assert [key for key in stale if third.get(key) is not None] == []


def test_the_format_2_cache_file_is_removed(tmp_path: Path) -> None:
    store = ResultCache(tmp_path, tmp_path / "c")
    legacy = store.folder.parent / f"{store.folder.name}.marshal"
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"old")
    remembered(store, tmp_path, "t.yaml", b"d" * 16, None)
    store.save()
    assert not legacy.exists()
