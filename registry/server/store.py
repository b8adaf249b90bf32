"""SQLite storage of model templates and models for the local server.

Design, kept deliberately simple:
- One connection, guarded by one lock, shared by every request thread. SQLite
  serializes writers anyway; a single lock also makes each list answer (count and page)
  a consistent snapshot, and keeps `:memory:` working (a second connection would see a
  different, empty database).
- Autocommit mode (`isolation_level=None`): each write is a single statement, committed
  (and, with a file, fsynced) before the method returns. The API acknowledges a create
  only after `create` returns, so an acknowledged template is on disk. A call that must
  check and then write (a model naming a template, a template delete that models may
  block) does both inside `transaction()`: the lock and one SQLite transaction, so no
  other request slips in between and the write is committed as one.
- With a file: `journal_mode=WAL` and `synchronous=FULL`. FULL fsyncs the WAL at every
  commit, so an acknowledged create survives SIGKILL and a power loss alike (NORMAL
  would survive SIGKILL only); a local server does not need the extra speed.
- Each template or model is one row holding its full answer as JSON, plus the columns we
  filter and order on. `seq` is an AUTOINCREMENT key: it gives the stable creation order
  of listings and is never reused, so a deleted row never reappears. Deletion removes
  the row for good.
- The schema has a version (`PRAGMA user_version`). Opening a database of an older
  version upgrades it step by step, each step and its version bump in one transaction;
  a database of a newer version is refused.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

# Step N takes a database from version N to N + 1 (a new database is version 0). The
# statements are idempotent: version 1 databases were once created without a version.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE IF NOT EXISTS templates (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            account_id TEXT NOT NULL,
            body TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS templates_by_account ON templates (account_id, seq)",
    ),
    (
        """CREATE TABLE IF NOT EXISTS models (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            account_id TEXT NOT NULL,
            model_type TEXT NOT NULL,
            model_group_id TEXT,
            model_template_id TEXT,
            body TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS models_by_account ON models (account_id, seq)",
        "CREATE INDEX IF NOT EXISTS models_by_template ON models (model_template_id, seq)",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)

# The columns of a model row besides `id`, `account_id` and `body`: what lists filter on.
_MODEL_COLUMNS = ("model_type", "model_group_id", "model_template_id")

Record = dict[str, Any]
# Spelled out here: inside Store, `list` is the method of that name.
Records = list[Record]
Texts = list[str]


class Store:
    """Templates and models by id, in creation order; safe to call from many threads."""

    def __init__(self, path: str | None = None) -> None:
        """Open (and create or upgrade if needed) the database at `path`; in memory when None."""
        self.path = path
        self._lock = threading.RLock()  # re-entered by the calls inside a transaction()
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
        while self._migrate_one_step():
            continue

    def _migrate_one_step(self) -> bool:
        """Upgrade by one version in one transaction; False when already current."""
        with self.transaction():
            version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise sqlite3.OperationalError(
                    f"{self.path} has schema version {version}; this server knows "
                    f"{SCHEMA_VERSION}"
                )
            if version == SCHEMA_VERSION:
                return False
            for statement in _MIGRATIONS[version]:
                self._conn.execute(statement)
            self._conn.execute(f"PRAGMA user_version = {version + 1}")
        return True

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock and one SQLite transaction: the calls inside are atomic together.

        Committed when the block ends, rolled back if it raises; nested blocks join the
        outer one."""
        with self._lock:
            if self._conn.in_transaction:  # only this thread can be in one: we hold the lock
                yield
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # --- templates ------------------------------------------------------------------

    def create(self, record: Record) -> Record:
        """Insert a full template record (with `id` and `account_id`); committed on return."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO templates (id, account_id, body) VALUES (?, ?, ?)",
                (record["id"], record["account_id"], _dump(record)),
            )
        return record

    def get(self, template_id: str) -> Record | None:
        """The template with this id, or None if it never existed or was deleted."""
        return self._get("templates", template_id)

    def delete(self, template_id: str) -> bool:
        """Delete for good; False when there was nothing to delete."""
        return self._delete("templates", template_id)

    def list_json(
        self, accounts: Collection[str] | None, *, page: int, limit: int
    ) -> tuple[Texts, int]:
        """`list`, with each template as the JSON text it is stored as (no decode/encode)."""
        return self._page("templates", _where(accounts), page=page, limit=limit)

    def list(
        self, accounts: Collection[str] | None, *, page: int, limit: int
    ) -> tuple[Records, int]:
        """One page (1-based) in creation order, and the exact total; None = every account."""
        bodies, total = self.list_json(accounts, page=page, limit=limit)
        return [_load(body) for body in bodies], total

    # --- models ---------------------------------------------------------------------

    def create_model(self, record: Record) -> Record:
        """Insert a full model record (`id`, `account_id`, `model_type`, ...)."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO models (id, account_id, model_type, model_group_id, "
                "model_template_id, body) VALUES (?, ?, ?, ?, ?, ?)",
                (record["id"], record["account_id"], *_model_columns(record), _dump(record)),
            )
        return record

    def get_model(self, model_id: str) -> Record | None:
        """The model with this id, or None if it never existed or was deleted."""
        return self._get("models", model_id)

    def replace_model(self, record: Record) -> bool:
        """Store a changed model under its id (its place in the order kept); False if gone."""
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE models SET account_id = ?, model_type = ?, model_group_id = ?, "
                "model_template_id = ?, body = ? WHERE id = ?",
                (record["account_id"], *_model_columns(record), _dump(record), record["id"]),
            )
        return cursor.rowcount > 0

    def delete_model(self, model_id: str) -> bool:
        """Delete for good; False when there was nothing to delete."""
        return self._delete("models", model_id)

    def list_models(
        self, accounts: Collection[str] | None, *, page: int, limit: int,
        model_type: str | None = None, model_group_id: str | None = None,
    ) -> tuple[Records, int]:
        """One page of models in creation order and the exact total, filtered as given."""
        where = _where(accounts, model_type=model_type, model_group_id=model_group_id)
        bodies, total = self._page("models", where, page=page, limit=limit)
        return [_load(body) for body in bodies], total

    def models_using(self, template_id: str) -> Texts:
        """The ids of the models that name this template, in creation order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id FROM models WHERE model_template_id = ? ORDER BY seq", (template_id,)
            ).fetchall()
        return [str(row[0]) for row in rows]

    # --- both -----------------------------------------------------------------------

    def _get(self, table: str, row_id: str) -> Record | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT body FROM {table} WHERE id = ?", (row_id,)
            ).fetchone()
        return None if row is None else _load(row[0])

    def _delete(self, table: str, row_id: str) -> bool:
        with self._lock:
            cursor = self._conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
        return cursor.rowcount > 0

    def _page(
        self, table: str, where: tuple[str, tuple[str, ...]], *, page: int, limit: int
    ) -> tuple[Texts, int]:
        clause, params = where
        offset = (page - 1) * limit
        with self._lock:
            total = int(
                self._conn.execute(f"SELECT COUNT(*) FROM {table}{clause}", params).fetchone()[0]
            )
            if offset >= total:
                return [], total
            rows = self._conn.execute(
                f"SELECT body FROM {table}{clause} ORDER BY seq LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return [str(row[0]) for row in rows], total

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


def _where(accounts: Collection[str] | None, **equal: str | None) -> tuple[str, tuple[str, ...]]:
    """A WHERE clause: the account among `accounts` (None: any) and each given column equal."""
    conditions: list[str] = []
    params: list[str] = []
    if accounts is not None:
        ordered = sorted(accounts)
        if not ordered:
            return " WHERE 0", ()
        conditions.append(f"account_id IN ({', '.join('?' for _ in ordered)})")
        params += ordered
    for column, value in equal.items():
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    return (" WHERE " + " AND ".join(conditions) if conditions else ""), tuple(params)


def _model_columns(record: Record) -> tuple[Any, ...]:
    return tuple(record.get(column) for column in _MODEL_COLUMNS)


def _dump(record: Record) -> str:
    return json.dumps(record, separators=(",", ":"))


def _load(body: str) -> Record:
    record: Record = json.loads(body)
    return record
