"""The last-synced record: which commit the API at a base URL last received from sync.

Re-running an old CI job (or `sync --ref OLD`) would otherwise make the API go back in
time silently: re-create deleted templates, revert edits, and orphan what newer commits
added. So sync refuses a commit that is not a descendant of the last one synced, unless
--allow-rollback; a rollback also owns what the newer commit's history defined, so the
API becomes exactly the old commit.

Where it is kept: a git ref, `refs/template-registry/synced/<hash of the base URL>` (and of
the environment's name, with --env), in
the repository itself, written before anything is applied (so a sync that fails halfway
still counts). When the repository has the remote `origin` (a CI checkout), the ref is
read from and pushed to it, so every job sees it; the push is refused by git if it would
move the record backwards, which also catches a racing older job. Each API (base URL)
has its own record.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from registry import gitrepo
from registry.errors import UnsafeOperation

REF_PREFIX = "refs/template-registry/synced/"
REMOTE = "origin"


@dataclass(frozen=True)
class Record:
    """Where the record of one API lives: the ref, and the remote it is shared through."""

    root: Path
    ref: str
    remote: str | None

    @classmethod
    def for_api(cls, root: Path, base_url: str, env: str | None = None) -> Record:
        """The record of the API at BASE_URL; with ENV, of that environment there (two
        environments behind one API move at their own pace)."""
        target = base_url.rstrip("/") if env is None else f"{base_url.rstrip('/')}\0{env}"
        key = hashlib.blake2b(target.encode(), digest_size=8).hexdigest()
        remote = REMOTE if gitrepo.has_remote(root, REMOTE) else None
        return cls(root, REF_PREFIX + key, remote)

    def read(self) -> str | None:
        """The last synced commit (fetched from the remote when there is one), or None."""
        if self.remote is not None:
            return gitrepo.fetch_ref(self.root, self.remote, self.ref)
        return gitrepo.read_ref(self.root, self.ref)

    def write(self, commit: str, *, rollback: bool) -> None:
        """Record COMMIT as synced (locally, then on the remote)."""
        if self.remote is not None:
            gitrepo.push_ref(self.root, self.remote, commit, self.ref, force=rollback)
        gitrepo.set_ref(self.root, self.ref, commit)


def check_order(root: Path, last: str | None, commit: str, ref: str, *,
                allow_rollback: bool) -> str | None:
    """None when COMMIT may be synced after LAST; the commit whose history must also
    count as owned for an allowed rollback; UnsafeOperation for a refused one."""
    if last is None or gitrepo.is_ancestor(root, last, commit):
        return None
    if allow_rollback:
        return last
    raise UnsafeOperation(
        f"refusing to sync {ref} ({commit[:12]}): the last sync to this API was of "
        f"{last[:12]}, and {commit[:12]} is not a descendant of it (a re-run of an old job, "
        "or an older --ref). Syncing it would undo newer changes. To roll the API back to "
        "this commit on purpose, run sync with --allow-rollback (what only newer commits "
        "defined is then deleted).")
