"""A cache of per-file check results keyed by content hash, valid for one version of the code.

It makes the pre-commit hook cheap on a large registry: an unchanged file costs a stat,
and the cross-file rules run on the identities kept here. A result is reused only for
byte-identical content checked by byte-identical rule code (the key includes a hash of
the rules' source and the parsers' installed files), so it can never hide an error.

To skip re-reading unchanged files, the digest of each path is remembered with its
inode, size, mtime and ctime, as git's index does; ctime cannot be set back by users,
and a file changed within two seconds of the run that remembered it is re-read anyway
(git's "racy clean" rule), so a stale digest is never trusted. An unreadable or foreign
cache file is ignored and rewritten; writes are atomic.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import marshal
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from registry.results import FileResult

FORMAT = 2
RACY_NS = 2_000_000_000
StatKey = tuple[int, int, int, int]
T = TypeVar("T")
_PACKAGE_DIR = Path(__file__).resolve().parent
# Every module of these packages: a finding can come from any of them, and a list kept by
# hand once missed one (a stale result can hide an error).
_PACKAGES = (_PACKAGE_DIR, _PACKAGE_DIR.parent / "validators")
_LIBRARIES = ("yaml", "_yaml", "pydantic", "pydantic_core")


def digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def code_fingerprint(settings: bytes = b"") -> bytes:
    """A hash of the code, of the installed parsers and of the SETTINGS the rules ran with
    (the configuration's part that changes findings): any change starts afresh."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"format {FORMAT}".encode())
    h.update(settings)
    for package in _PACKAGES:
        for source in sorted(package.rglob("*.py")):
            h.update(source.relative_to(package).as_posix().encode())
            h.update(source.read_bytes())
    for library in _LIBRARIES:
        spec = importlib.util.find_spec(library)
        origin = spec.origin if spec and spec.origin else ""
        h.update(origin.encode())
        with contextlib.suppress(OSError):
            stat = os.stat(origin)
            h.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    return h.digest()


def default_dir() -> Path:
    """$TEMPLATE_REGISTRY_CACHE_DIR, else $XDG_CACHE_HOME/template-registry, else ~/.cache/..."""
    explicit = os.environ.get("TEMPLATE_REGISTRY_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "template-registry"


class ResultCache:
    """Results by content digest for one registry root; load once, save once."""

    def __init__(self, root: Path, directory: Path | None = None, *,
                 settings: bytes = b"") -> None:
        name = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
        self.file = (directory or default_dir()) / f"validate-{name}.marshal"
        self.fingerprint = code_fingerprint(settings)
        self.started_ns = time.time_ns()
        data = self._load()
        self._old: dict[bytes, Any] = data.get("results", {})
        self._old_stats: dict[str, tuple[StatKey, bytes]] = data.get("stats", {})
        self._trusted_before: int = data.get("started_ns", 0) - RACY_NS
        self._new: dict[bytes, Any] = {}
        self._new_stats: dict[str, tuple[StatKey, bytes]] = {}
        self._racy = False

    def _load(self) -> dict[str, Any]:
        try:
            with open(self.file, "rb") as handle:
                data = marshal.loads(handle.read())
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        if not isinstance(data, dict) or data.get("fingerprint") != self.fingerprint:
            return {}
        return data

    def known_digest(self, rel: str, stat: os.stat_result) -> bytes | None:
        """The remembered digest of REL if the file provably did not change since."""
        remembered = self._old_stats.get(rel)
        if remembered is None:
            return None
        key = stat_key(stat)
        if remembered[0] != key:
            return None
        if max(key[2], key[3]) >= self._trusted_before:
            self._racy = True  # save this run's start, so the file is trusted next time
            return None
        return remembered[1]

    def remember(self, rel: str, stat: os.stat_result, digest_: bytes) -> None:
        self._new_stats[rel] = (stat_key(stat), digest_)

    def get(self, key: bytes) -> FileResult | None:
        return self.get_plain(key, FileResult.from_plain)

    def put(self, key: bytes, result: FileResult) -> None:
        self._new[key] = result.to_plain()

    def get_plain(self, key: bytes, decode: Callable[[Any], T]) -> T | None:
        """The result stored under KEY, rebuilt by DECODE (a result type's `from_plain`),
        or None; kept for the next run. A rendered template's result (registry.rendering)
        is stored this way under a key of its inputs, beside the files' results."""
        plain = self._new.get(key) or self._old.get(key)
        if plain is None:
            return None
        try:
            result = decode(plain)
        except (TypeError, ValueError):
            return None
        self._new[key] = plain
        return result

    def put_plain(self, key: bytes, plain: Any) -> None:
        """Store PLAIN (made of what marshal stores: no named tuples) under KEY."""
        self._new[key] = plain

    def save(self) -> None:
        """Keep only the results of this run's files (the cache never grows without bound)."""
        if not self._racy and self._new == self._old and self._new_stats == self._old_stats:
            return  # nothing new: an unchanged registry costs no write
        payload = {"fingerprint": self.fingerprint, "started_ns": self.started_ns,
                   "results": self._new, "stats": self._new_stats}
        write_atomic(self.file, marshal.dumps(payload))


def write_atomic(file: Path, data: bytes) -> None:
    """Replace FILE with DATA in one step, so readers see the old or the new, never a mix.

    A cache that cannot be written is no error: the next run checks again.
    """
    with contextlib.suppress(OSError):
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise


def stat_key(stat: os.stat_result) -> StatKey:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
