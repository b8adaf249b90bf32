"""A cache of per-file check results keyed by content hash, valid for one version of the code.

It makes the pre-commit hook cheap on a large registry: an unchanged file costs a stat,
and the cross-file rule (uniqueness) runs on identity keys kept here. A result is reused
only for byte-identical content checked by byte-identical rule code (the key includes a
hash of the rules' source and the parsers' installed files), so it can never hide an
error.

To skip re-reading unchanged files, the digest of each path is remembered with its
inode, size, mtime and ctime, as git's index does; ctime cannot be set back by users,
and a file changed within two seconds of the run that remembered it is re-read anyway
(git's "racy clean" rule), so a stale digest is never trusted.

The hook's real case is one edited file in a large registry, so the cache is laid out
for reading little: one compact index (a column per field: path, stat, digest, identity
key), read whole at each run, and the results themselves in SHARDS files by digest,
each read only when one of its results is needed and rewritten only when it gains one.
The edited-file case reads the index and one shard and writes them back. A shard keeps
only results the index (or this run) refers to, so nothing grows without bound. An
unreadable or foreign file is ignored and rewritten; writes are atomic.
"""

from __future__ import annotations

import contextlib
import importlib.util
import marshal
import os
import sys
import time
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

from registry.results import FileResult

# The registry's hash (the digests here, registry.rendering's keys): hashlib.blake2b
# itself, without hashlib loading OpenSSL for hashes never used here.
try:
    from _blake2 import blake2b as blake2b
except ImportError:  # pragma: no cover - a Python without the module
    from hashlib import blake2b as blake2b

FORMAT = 3
SHARDS = 64
RACY_NS = 2_000_000_000
DIGEST_SIZE = 16
# An index row's identity key when the run that wrote it did not check the file's
# content (the environment path reads digests only); None is "no identity".
UNKNOWN: Final = ""
T = TypeVar("T")
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# Every module of these packages: a finding can come from any of them, and a list kept by
# hand once missed one (a stale result can hide an error).
_PACKAGES = (_PACKAGE_DIR, os.path.join(os.path.dirname(_PACKAGE_DIR), "validators"))
_LIBRARIES = ("yaml", "_yaml", "pydantic", "pydantic_core")
_COLUMNS = ("paths", "inos", "sizes", "mtimes", "ctimes", "keys")
# The numeric columns are arrays of machine integers, stored as their bytes: loading,
# copying and writing them costs a copy of memory, not an object per number.
_NUMBERS = {"inos": "Q", "sizes": "q", "mtimes": "q", "ctimes": "q"}


def digest(raw: bytes) -> bytes:
    return blake2b(raw, digest_size=DIGEST_SIZE).digest()


def code_fingerprint(settings: bytes = b"") -> bytes:
    """A hash of the code, of the installed parsers and of the SETTINGS the rules ran with
    (the configuration's part that changes findings): any change starts afresh."""
    h = blake2b(digest_size=16)
    h.update(f"format {FORMAT} {sys.byteorder}".encode())
    h.update(settings)
    for package in _PACKAGES:
        for rel, source in _sources(package):
            h.update(rel.encode())
            h.update(_read(source))
    for library in _LIBRARIES:
        spec = importlib.util.find_spec(library)
        origin = spec.origin if spec and spec.origin else ""
        h.update(origin.encode())
        with contextlib.suppress(OSError):
            stat = os.stat(origin)
            h.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    return h.digest()


def _sources(folder: str, prefix: str = "") -> list[tuple[str, str]]:
    """Every .py file under FOLDER as (path relative to it, full path), sorted."""
    found: list[tuple[str, str]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                found += _sources(entry.path, f"{prefix}{entry.name}/")
            elif entry.name.endswith(".py"):
                found.append((prefix + entry.name, entry.path))
    found.sort()
    return found


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def default_dir() -> Path:
    """$TEMPLATE_REGISTRY_CACHE_DIR, else $XDG_CACHE_HOME/template-registry, else ~/.cache/..."""
    explicit = os.environ.get("TEMPLATE_REGISTRY_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "template-registry"


class ResultCache:
    """Results by content digest and digests by path for one registry root; the index is
    read once, each shard at most once, and everything is written by `save`."""

    def __init__(self, root: Path, directory: Path | None = None, *,
                 settings: bytes = b"") -> None:
        name = blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
        self.folder = (directory or default_dir()) / f"validate-{name}"
        self.file = self.folder / "index"
        self._legacy = self.folder.parent / f"validate-{name}.marshal"  # format 2's file
        self.fingerprint = code_fingerprint(settings)
        self.started_ns = time.time_ns()
        index = self._load(self.file)
        self._old: dict[str, Any] = index if index else {
            "paths": [], "keys": [], "digests": b"", **{name: b"" for name in _NUMBERS}}
        for name, code in _NUMBERS.items():
            numbers = array(code)
            numbers.frombytes(self._old[name])
            self._old[name] = numbers
        self._row: dict[str, int] = {path: row for row, path in enumerate(self._old["paths"])}
        self._trusted_before: int = (index.get("started_ns", 0) if index else 0) - RACY_NS
        self._kept: list[int] = []
        self._new_rows: dict[str, tuple[int, int, int, int, bytes, str | None]] = {}
        self._shards: dict[int, dict[bytes, Any]] = {}
        self._added: dict[bytes, Any] = {}
        self._used: set[bytes] = set()
        self._racy = False

    def _load(self, file: Path) -> dict[str, Any]:
        """FILE's contents when they are this code's and well formed, else {}."""
        try:
            with open(file, "rb") as handle:
                data = marshal.loads(handle.read())
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        if not isinstance(data, dict) or data.get("fingerprint") != self.fingerprint:
            return {}
        return data if file != self.file or _well_formed(data) else {}

    def known(self, rel: str, stat: os.stat_result) -> int | None:
        """The index row of REL if the file provably did not change since it was written
        (kept for the next run), else None. See `digest_at`."""
        row = self._row.get(rel)
        if row is None:
            return None
        old = self._old
        mtime, ctime = stat.st_mtime_ns, stat.st_ctime_ns
        if (stat.st_ino != old["inos"][row] or stat.st_size != old["sizes"][row]
                or mtime != old["mtimes"][row] or ctime != old["ctimes"][row]):
            return None
        if mtime >= self._trusted_before or ctime >= self._trusted_before:
            self._racy = True  # save this run's start, so the file is trusted next time
            return None
        self._kept.append(row)
        return row

    def unchanged(self, entries: Sequence[tuple[str, os.stat_result | OSError]]
                  ) -> tuple[dict[str, str | None], dict[str, int],
                             list[tuple[str, os.stat_result | OSError]]]:
        """Of ENTRIES (path and stat), those that provably did not change (`known`) and whose
        identity key is known: (path -> identity key, path -> index row), and the rest to
        check. A row whose key is UNKNOWN is checked again, and remembered anew."""
        keys: dict[str, str | None] = {}
        rows: dict[str, int] = {}
        rest: list[tuple[str, os.stat_result | OSError]] = []
        known, known_keys = self.known, self._old["keys"]
        for rel, stat in entries:
            row = None if isinstance(stat, OSError) else known(rel, stat)
            if row is None or known_keys[row] == UNKNOWN:
                rest.append((rel, stat))
            else:
                keys[rel], rows[rel] = known_keys[row], row
        return keys, rows, rest

    def digest_at(self, row: int) -> bytes:
        start = row * DIGEST_SIZE
        digest_: bytes = self._old["digests"][start:start + DIGEST_SIZE]
        return digest_

    def known_digest(self, rel: str, stat: os.stat_result) -> bytes | None:
        """The remembered digest of REL if the file provably did not change since."""
        row = self.known(rel, stat)
        return None if row is None else self.digest_at(row)

    def remember(self, rel: str, stat: os.stat_result, digest_: bytes,
                 key: str | None = UNKNOWN) -> None:
        """Record REL's digest (and identity KEY) for the next run."""
        self._new_rows[rel] = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns,
                               digest_, key)

    def get(self, key: bytes) -> FileResult | None:
        return self.get_plain(key, FileResult.from_plain)

    def put(self, key: bytes, result: FileResult) -> None:
        self.put_plain(key, result.to_plain())

    def get_plain(self, key: bytes, decode: Callable[[Any], T]) -> T | None:
        """The result stored under KEY, rebuilt by DECODE (a result type's `from_plain`),
        or None; kept for the next run. A rendered template's result (registry.rendering)
        is stored this way under a key of its inputs, beside the files' results."""
        plain = self._added.get(key)
        if plain is None:
            plain = self._shard(key).get(key)
        if plain is None:
            return None
        try:
            result = decode(plain)
        except (TypeError, ValueError):
            return None
        self._used.add(key)
        return result

    def put_plain(self, key: bytes, plain: Any) -> None:
        """Store PLAIN (made of what marshal stores: no named tuples) under KEY."""
        self._added[key] = plain
        self._used.add(key)

    def _shard(self, key: bytes) -> dict[bytes, Any]:
        return self._numbered(_number(key))

    def _numbered(self, number: int) -> dict[bytes, Any]:
        shard = self._shards.get(number)
        if shard is None:
            data = self._load(self._shard_file(number))
            results = data.get("results")
            shard = self._shards[number] = results if isinstance(results, dict) else {}
        return shard

    def _shard_file(self, number: int) -> Path:
        return self.folder / f"results-{number:02d}"

    def save(self) -> None:
        """Write the index of this run's files and the shards that gained results. A shard
        is pruned to what the index or this run refers to when it holds more than twice its
        share of the index: so it never grows without bound, and the hook, which adds one
        result, does not pay for pruning at each run."""
        index = self._index()
        if index is not None:
            write_atomic(self.file, marshal.dumps(index))
            with contextlib.suppress(OSError):
                os.unlink(self._legacy)
        if not self._added:
            return
        digests = (self._old if index is None else index)["digests"]
        share = 2 * max(len(digests) // DIGEST_SIZE // SHARDS, 16)
        referenced: set[bytes] | None = None
        by_shard: dict[int, dict[bytes, Any]] = {}
        for key, plain in self._added.items():
            by_shard.setdefault(_number(key), {})[key] = plain
        for number, added in sorted(by_shard.items()):
            kept = self._numbered(number)
            if len(kept) + len(added) > share:
                if referenced is None:
                    referenced = {digests[at:at + DIGEST_SIZE]
                                  for at in range(0, len(digests), DIGEST_SIZE)} | self._used
                kept = {key: plain for key, plain in kept.items() if key in referenced}
            write_atomic(self._shard_file(number), marshal.dumps(
                {"fingerprint": self.fingerprint, "results": {**kept, **added}}))

    def _index(self) -> dict[str, Any] | None:
        """The index to write (this run's files), or None when it would not change. A row
        keeps its place when its file changed (the hook's case: the old columns are copied
        whole and that row patched); new files are added at the end."""
        old, new, where = self._old, self._new_rows, self._row
        total = len(old["paths"])
        surviving = set(self._kept)
        if not self._racy and not new and len(surviving) == total:
            return None  # nothing new: an unchanged registry costs no write
        surviving.update(where[rel] for rel in new if rel in where)
        columns: dict[str, Any]
        if len(surviving) == total:
            columns = {name: old[name][:] for name in _COLUMNS}
            digests = bytearray(old["digests"])
            place = None
        else:
            rows = sorted(surviving)
            columns = {name: [old[name][row] for row in rows] for name in _COLUMNS}
            for name, code in _NUMBERS.items():
                columns[name] = array(code, columns[name])
            digests = bytearray(b"".join(self.digest_at(row) for row in rows))
            place = {row: at for at, row in enumerate(rows)}
        for rel, (ino, size, mtime, ctime, digest_, key) in new.items():
            values = (rel, ino, size, mtime, ctime, key)
            row = where.get(rel)
            if row is None:
                for name, value in zip(_COLUMNS, values, strict=True):
                    columns[name].append(value)
                digests += digest_
                continue
            at = row if place is None else place[row]
            for name, value in zip(_COLUMNS, values, strict=True):
                columns[name][at] = value
            digests[at * DIGEST_SIZE:(at + 1) * DIGEST_SIZE] = digest_
        for name in _NUMBERS:
            columns[name] = columns[name].tobytes()
        return {"format": FORMAT, "fingerprint": self.fingerprint,
                "started_ns": self.started_ns, **columns, "digests": bytes(digests)}


def _number(key: bytes) -> int:
    """The shard of KEY."""
    return key[0] % SHARDS if key else 0


def _well_formed(index: dict[str, Any]) -> bool:
    """Whether INDEX has every column, all of one length, with paths and keys of the types
    they are used as (a torn or foreign file does not)."""
    paths, keys, digests = index.get("paths"), index.get("keys"), index.get("digests")
    if not (isinstance(paths, list) and isinstance(keys, list) and isinstance(digests, bytes)):
        return False
    rows = len(paths)
    numbers = [index.get(name) for name in _NUMBERS]
    width = array("q").itemsize
    return (len(keys) == rows and len(digests) == rows * DIGEST_SIZE
            and all(isinstance(column, bytes) and len(column) == rows * width
                    for column in numbers)
            and isinstance(index.get("started_ns"), int)
            and all(type(path) is str for path in index["paths"])
            and all(key is None or type(key) is str for key in index["keys"]))


def write_atomic(file: Path, data: bytes) -> None:
    """Replace FILE with DATA in one step, so readers see the old or the new, never a mix.

    A cache that cannot be written is no error: the next run checks again.
    """
    with contextlib.suppress(OSError):
        file.parent.mkdir(parents=True, exist_ok=True)
        temp = file.parent / f".{file.name}-{os.getpid()}-{time.monotonic_ns()}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

