"""SQLite storage of model templates for the local server.

Design, kept deliberately simple:
- One connection, guarded by one lock, shared by every request thread. SQLite
  serializes writers anyway; a single lock also makes each list answer (count and page)
  a consistent snapshot, and keeps `:memory:` working (a second connection would see a
  different, empty database).
- Autocommit mode (`isolation_level=None`): each write is a single statement, committed
  (and, with a file, fsynced) before the method returns. The API acknowledges a create
  only after `create` returns, so an acknowledged template is on disk.
- With a file: `journal_mode=WAL` and `synchronous=FULL`. FULL fsyncs the WAL at every
  commit, so an acknowledged create survives SIGKILL and a power loss alike (NORMAL
  would survive SIGKILL only); a local server does not need the extra speed.
- Each template is one row holding its full answer as JSON, plus the columns we filter
  and order on. `seq` is an AUTOINCREMENT key: it gives the stable creation order of
  listings and is never reused, so a deleted template never reappears. Deletion removes
  the row for good.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Collection
from typing import Any

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS templates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS templates_by_account ON templates (account_id, seq);
"""

Record = dict[str, Any]


class Store:
    """Templates by id, in creation order; safe to call from many threads at once."""

    def __init__(self, path: str | None = None) -> None:
        """Open (and create if needed) the database at `path`; in memory when None."""
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            path or ":memory:", isolation_level=None, check_same_thread=False, timeout=10.0
        )
        try:
            self._setup()
        except BaseException:
            self._conn.close()
            raise

    def _setup(self) -> None:
        conn = self._conn
        conn.execute("PRAGMA busy_timeout = 10000")
        if self.path:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"cannot switch {self.path} to WAL (got {mode})")
            conn.execute("PRAGMA synchronous = FULL")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise sqlite3.OperationalError(
                f"{self.path} has schema version {version}; this server knows {SCHEMA_VERSION}"
            )
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def create(self, record: Record) -> Record:
        """Insert a full template record (with `id` and `account_id`); committed on return."""
        body = json.dumps(record, separators=(",", ":"))
        with self._lock:
            self._conn.execute(
                "INSERT INTO templates (id, account_id, body) VALUES (?, ?, ?)",
                (record["id"], record["account_id"], body),
            )
        return record

    def get(self, template_id: str) -> Record | None:
        """The template with this id, or None if it never existed or was deleted."""
        with self._lock:
            row = self._conn.execute(
                "SELECT body FROM templates WHERE id = ?", (template_id,)
            ).fetchone()
        return None if row is None else _load(row[0])

    def delete(self, template_id: str) -> bool:
        """Delete for good; False when there was nothing to delete."""
        with self._lock:
            cursor = self._conn.execute("DELETE FROM templates WHERE id = ?", (template_id,))
        return cursor.rowcount > 0

    def list_json(
        self, accounts: Collection[str] | None, *, page: int, limit: int
    ) -> tuple[list[str], int]:
        """`list`, with each template as the JSON text it is stored as (no decode/encode)."""
        where, params = _account_filter(accounts)
        offset = (page - 1) * limit
        with self._lock:
            total = int(
                self._conn.execute(f"SELECT COUNT(*) FROM templates{where}", params).fetchone()[0]
            )
            if offset >= total:
                return [], total
            rows = self._conn.execute(
                f"SELECT body FROM templates{where} ORDER BY seq LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return [str(row[0]) for row in rows], total

    def list(
        self, accounts: Collection[str] | None, *, page: int, limit: int
    ) -> tuple[list[Record], int]:
        """One page (1-based) in creation order, and the exact total; None = every account."""
        bodies, total = self.list_json(accounts, page=page, limit=limit)
        return [_load(body) for body in bodies], total

    def integrity_check(self) -> str:
        """SQLite's own verdict on the database file: "ok" when sound."""
        with self._lock:
            return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])

    def pragma(self, name: str) -> str:
        """The value of a read-only pragma such as `journal_mode` (for tests and checks)."""
        if not name.isidentifier():
            raise ValueError(f"not a pragma name: {name!r}")
        with self._lock:
            return str(self._conn.execute(f"PRAGMA {name}").fetchone()[0])

    def close(self) -> None:
        """Close the connection (a WAL file is checkpointed by SQLite on the last close)."""
        with self._lock:
            self._conn.close()


def _account_filter(accounts: Collection[str] | None) -> tuple[str, tuple[str, ...]]:
    if accounts is None:
        return "", ()
    ordered = tuple(sorted(accounts))
    if not ordered:
        return " WHERE 0", ()
    marks = ", ".join("?" for _ in ordered)
    return f" WHERE account_id IN ({marks})", ordered


def _load(body: str) -> Record:
    record: Record = json.loads(body)
    return record
