"""The one module that speaks git (through GitPython): template files as of a commit.

`plan` and `sync` take the desired state from a commit, never from the working tree, so
what is pushed is exactly what was reviewed and merged; and they take ownership from the
history of that commit: every blob that was ever a template file there.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from registry.errors import ConfigError
from registry.extras import missing_extra
from registry.files import MAX_BYTES, is_template

try:
    import git
except ModuleNotFoundError as exc:  # the base install has no git
    raise missing_extra("sync", exc) from None


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


def _folder(repo: git.Repo, root: Path, templates: str) -> tuple[str, str]:
    """(the registry root's path inside the repository or '.', the templates folder's)."""
    top = Path(repo.working_dir).resolve()
    prefix = root.resolve().relative_to(top).as_posix()
    return prefix, (f"{prefix}/{templates}" if prefix != "." else templates)


def tree_entries(root: Path, ref: str, templates: str) -> list[tuple[str, str]]:
    """(path from the registry root, blob id) of every template file in REF, sorted.

    One `git ls-tree` lists them all; nothing is read until asked for.
    """
    repo = open_repo(root)
    commit = resolve_commit(repo, ref)
    prefix, folder = _folder(repo, root, templates)
    out = repo.git.ls_tree("-r", "-z", "--full-tree", commit.hexsha, "--", folder)
    entries = []
    for record in out.split("\0"):
        meta, _, path = record.partition("\t")
        fields = meta.split()
        if len(fields) != 3 or fields[1] != "blob" or not is_template(path.rsplit("/", 1)[-1]):
            continue
        entries.append((path if prefix == "." else path[len(prefix) + 1:], fields[2]))
    entries.sort()
    return entries


def templates_at(root: Path, ref: str, templates: str) -> list[GitFile]:
    """Every template file under ROOT/TEMPLATES as committed in REF, with its bytes."""
    entries = tree_entries(root, ref, templates)
    data = read_blobs(root, [blob for _, blob in entries])
    return [GitFile(path, blob, data[blob]) for path, blob in entries]


def commit_id(root: Path, ref: str) -> str:
    """The full id of the commit REF names."""
    return str(resolve_commit(open_repo(root), ref).hexsha)


def history_blobs(root: Path, ref: str, templates: str) -> set[str]:
    """Every blob id that was a template file under TEMPLATES in a commit reachable from REF."""
    return {blob for _, blob in history_files(root, ref, templates)}


def history_files(root: Path, ref: str, folder: str) -> set[tuple[str, str]]:
    """(path from the registry root, blob id) of every template file that was under FOLDER
    in a commit reachable from REF.

    One `git log --raw -z` over the folder lists what each commit added or changed (with
    -m, merges too, so a conflict resolution counts): fast on thousands of commits. `-z`
    keeps paths with non-ASCII or control characters as they are (unquoted).
    """
    repo = open_repo(root)
    commit = resolve_commit(repo, ref)
    prefix, path_folder = _folder(repo, root, folder)
    out = repo.git.log(commit.hexsha, "-m", "--raw", "-z", "--no-abbrev", "--no-renames",
                       "--format=", "--", path_folder)
    found: set[tuple[str, str]] = set()
    records = out.split("\0")
    for index, meta in enumerate(records[:-1]):
        # :100644 100644 <old> <new> M, then the path as the next record
        meta = meta.lstrip("\n")
        if not meta.startswith(":"):
            continue
        fields = meta.split()
        path = records[index + 1]
        if len(fields) >= 5 and fields[4] != "D" and is_template(path.rsplit("/", 1)[-1]):
            found.add((path if prefix == "." else path[len(prefix) + 1:], fields[3]))
    return found


def read_blobs(root: Path, blob_ids: list[str]) -> dict[str, bytes]:
    """The bytes of each blob (cut one byte past the size limit), by id.

    One `git cat-file --batch` process answers for all of them, instead of a round trip
    per blob: reading 10,000 blobs costs one process and one pass over its output.
    """
    wanted = sorted(set(blob_ids))
    if not wanted:
        return {}
    repo = open_repo(root)
    with tempfile.TemporaryFile() as ids:
        ids.write("".join(f"{blob}\n" for blob in wanted).encode())
        ids.seek(0)
        out: bytes = repo.git.cat_file("--batch", istream=ids, stdout_as_string=False,
                                       strip_newline_in_stdout=False)
    found: dict[str, bytes] = {}
    position = 0
    for blob in wanted:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        if len(header) != 3 or header[1] != b"blob":
            raise ConfigError(f"git object {blob} is not a readable blob")
        size = int(header[2])
        found[blob] = out[end + 1:end + 1 + min(size, MAX_BYTES + 1)]
        position = end + 1 + size + 1
    return found


# --- history safety: shallow clones and the last-synced record -------------------------


def is_shallow(root: Path) -> bool:
    """Whether the clone lacks history (`git clone --depth N`): ownership needs all of it."""
    return str(open_repo(root).git.rev_parse("--is-shallow-repository")).strip() == "true"


def is_ancestor(root: Path, older: str, newer: str) -> bool:
    """Whether commit OLDER is NEWER or one of its ancestors."""
    repo = open_repo(root)
    try:
        repo.git.merge_base("--is-ancestor", older, newer)
    except git.GitCommandError as exc:
        if exc.status == 1:
            return False
        raise ConfigError(f"cannot compare commits {older[:12]} and {newer[:12]}: "
                          f"{_first_line(exc)}") from None
    return True


def has_remote(root: Path, name: str) -> bool:
    return name in {remote.name for remote in open_repo(root).remotes}


def read_ref(root: Path, ref: str) -> str | None:
    """The commit a ref points at, or None when it does not exist."""
    try:
        out = open_repo(root).git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")
    except git.GitCommandError:
        return None
    return str(out).strip() or None


def set_ref(root: Path, ref: str, commit: str) -> None:
    open_repo(root).git.update_ref(ref, commit)


def fetch_ref(root: Path, remote: str, ref: str) -> str | None:
    """Copy REF from REMOTE (with its commits) over the local one; None if REMOTE lacks it."""
    repo = open_repo(root)
    try:
        listed = str(repo.git.ls_remote(remote, ref)).strip()
        if not listed:
            return None
        repo.git.fetch("--quiet", "--no-tags", remote, f"+{ref}:{ref}")
    except git.GitCommandError as exc:
        raise ConfigError(f"cannot read {ref} from the remote {remote!r}: "
                          f"{_first_line(exc)}") from None
    return read_ref(root, ref)


def push_ref(root: Path, remote: str, commit: str, ref: str, *, force: bool) -> None:
    """Point REF at COMMIT on REMOTE; refused (ConfigError) if that would move it backwards
    without FORCE."""
    try:
        open_repo(root).git.push("--quiet", remote, f"{'+' if force else ''}{commit}:{ref}")
    except git.GitCommandError as exc:
        raise ConfigError(f"cannot write {ref} to the remote {remote!r}: "
                          f"{_first_line(exc)}") from None


def _first_line(exc: git.GitCommandError) -> str:
    text = str(exc.stderr or "").strip().removeprefix("stderr:").strip().strip("'").strip()
    return text.splitlines()[0] if text else f"git exited with {exc.status}"
