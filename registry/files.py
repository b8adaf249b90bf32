"""Finding and reading template files in the working tree (the only file I/O of `validate`)."""

from __future__ import annotations

import os
from pathlib import Path

SUFFIXES = (".yaml", ".yml")
MAX_BYTES = 1024 * 1024  # larger files are refused unread (rule yaml-unsafe)


def is_template(name: str) -> bool:
    return name.endswith(SUFFIXES)


def discover(templates_dir: Path, root: Path) -> list[str]:
    """Every template file under TEMPLATES_DIR, as sorted POSIX paths relative to ROOT."""
    found: list[str] = []
    for folder, dirs, files in os.walk(templates_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = Path(folder).relative_to(root).as_posix()
        found.extend(f"{rel}/{name}" for name in files if is_template(name))
    found.sort()
    return found


def read_limited(path: str | Path) -> bytes:
    """The file's bytes, at most one byte past the size limit (enough to refuse it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        chunks = [os.read(fd, min(size, MAX_BYTES) + 1)]
        while chunks[-1] and sum(map(len, chunks)) <= MAX_BYTES:
            chunks.append(os.read(fd, MAX_BYTES + 1))
        return b"".join(chunks)[: MAX_BYTES + 1]
    finally:
        os.close(fd)
