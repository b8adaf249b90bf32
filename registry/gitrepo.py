"""The one module that speaks git (through GitPython): template files as of a commit.

`plan` and `sync` take the desired state from a commit, never from the working tree, so
what is pushed is exactly what was reviewed and merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git

from registry.config import ConfigError
from registry.files import MAX_BYTES, is_template


@dataclass(frozen=True)
class GitFile:
    """A template file in a commit: its path from the registry root, blob id and bytes."""

    path: str
    blob: str
    data: bytes


def open_repo(root: Path) -> git.Repo:
    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise ConfigError(f"{root} is not inside a git repository") from None


def resolve_commit(repo: git.Repo, ref: str) -> git.Commit:
    try:
        return repo.commit(ref)
    except (git.BadName, ValueError, git.GitCommandError):
        raise ConfigError(f"--ref {ref}: no such commit in {repo.working_dir}") from None


def templates_at(root: Path, ref: str, templates: str) -> list[GitFile]:
    """Every template file under ROOT/TEMPLATES as committed in REF, sorted by path."""
    repo = open_repo(root)
    commit = resolve_commit(repo, ref)
    top = Path(repo.working_dir).resolve()
    prefix = root.resolve().relative_to(top).as_posix()
    folder = f"{prefix}/{templates}" if prefix != "." else templates
    try:
        tree = commit.tree / folder
    except KeyError:
        return []
    found = []
    for item in tree.traverse():
        if not isinstance(item, git.Blob) or not is_template(item.name):
            continue
        data = item.data_stream.read(MAX_BYTES + 1)
        path = str(item.path)
        found.append(GitFile(path if prefix == "." else path[len(prefix) + 1:], item.hexsha, data))
    found.sort(key=lambda f: f.path)
    return found
