"""Finding and reading template files in the working tree (the only file I/O of `validate`)."""

from __future__ import annotations

import os
from pathlib import Path

SUFFIXES = (".yaml", ".yml")
MAX_BYTES = 1024 * 1024  # larger files are refused unread (rule yaml-unsafe)


def is_template(name: str) -> bool:
    return name.endswith(SUFFIXES)


def discover(templates_dir: Path, root: Path) -> list[str]:
    """Every template file under TEMPLATES_DIR, as sorted POSIX paths relative to ROOT
    (dot folders and symlinked folders are not entered; see `scan`)."""
    return list(scan(templates_dir, root))


def scan(templates_dir: Path, root: Path) -> dict[str, os.stat_result | OSError]:
    """`discover` with each file's stat (or the error taking it), in one walk: the hook
    stats every template to know which ones it must read again. Where the platform allows,
    folders are walked by descriptor, so each stat resolves one name, not a whole path."""
    found: dict[str, os.stat_result | OSError] = {}
    rel = Path(templates_dir).relative_to(root).as_posix()
    if os.scandir in os.supports_fd:
        try:
            fd = os.open(templates_dir, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return found
        try:
            _scan(fd, rel, found)
        finally:
            os.close(fd)
    else:  # pragma: no cover - Windows
        _scan(str(templates_dir), rel, found)
    return found


def _scan(folder: int | str, rel: str, found: dict[str, os.stat_result | OSError]) -> None:
    """Walk FOLDER (a descriptor, or a path) as os.walk does: dot folders and symlinked
    folders are not entered, and a folder that cannot be listed is skipped.
    Entries are visited in the order that makes FOUND's paths sorted (a folder's name
    sorts as if followed by its "/"), so no sort of all the paths is needed."""
    try:
        with os.scandir(folder) as listing:
            entries = [(entry.name, _is_dir(entry), entry) for entry in listing]
    except OSError:
        return
    entries.sort(key=lambda item: item[0] + "/" if item[1] else item[0])
    for name, is_dir, entry in entries:
        if is_dir:
            if not name.startswith(".") and not entry.is_symlink():
                _scan_folder(folder, entry, f"{rel}/{name}", found)
        elif name.endswith(SUFFIXES):
            try:
                found[f"{rel}/{name}"] = entry.stat()
            except OSError as exc:
                found[f"{rel}/{name}"] = exc


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _scan_folder(parent: int | str, entry: os.DirEntry[str], rel: str,
                 found: dict[str, os.stat_result | OSError]) -> None:
    if isinstance(parent, str):  # pragma: no cover - Windows
        _scan(entry.path, rel, found)
        return
    try:
        fd = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=parent)
    except OSError:
        return
    try:
        _scan(fd, rel, found)
    finally:
        os.close(fd)


def read_limited(path: str | Path, size: int | None = None) -> bytes:
    """The file's bytes, at most one byte past the size limit (enough to refuse it). SIZE:
    the size a stat just gave, if any; a file that still has that size is read in one
    call (the hook reads thousands of files on a fresh machine)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if size is not None and size <= MAX_BYTES:
            first = os.read(fd, size + 1)
            if len(first) == size:  # the whole file, as the stat said: no more to read
                return first
            chunks = [first]
        else:
            size = os.fstat(fd).st_size
            chunks = [os.read(fd, min(size, MAX_BYTES) + 1)]
        while chunks[-1] and sum(map(len, chunks)) <= MAX_BYTES:
            chunks.append(os.read(fd, MAX_BYTES + 1))
        return b"".join(chunks)[: MAX_BYTES + 1]
    finally:
        os.close(fd)
