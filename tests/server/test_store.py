"""The SQLite store: order, pagination, filters, durability settings, thread safety."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from registry.server.store import SCHEMA_VERSION, Store


def record(name: str, account_id: str = "acct-1") -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "name": name, "account_id": account_id}


def names(items: list[dict[str, Any]]) -> list[str]:
    return [item["name"] for item in items]


def test_create_get_delete_in_memory() -> None:
    store = Store()
    created = store.create(record("a"))
    assert store.get(created["id"]) == created
    assert store.delete(created["id"]) is True
    assert store.get(created["id"]) is None
    assert store.delete(created["id"]) is False
    assert store.list(None, page=1, limit=10) == ([], 0)
    store.close()


def test_list_pages_in_creation_order_with_exact_total() -> None:
    store = Store()
    for index in range(5):
        store.create(record(f"t{index}"))
    assert [(names(items), total) for items, total in (
        store.list(None, page=page, limit=2) for page in (1, 2, 3, 4, 99)
    )] == [(["t0", "t1"], 5), (["t2", "t3"], 5), (["t4"], 5), ([], 5), ([], 5)]
    # A page number so large that the offset would overflow SQLite's integers.
    assert store.list(None, page=2**62, limit=10000) == ([], 5)


def test_list_filters_by_accounts() -> None:
    store = Store()
    for name, account in [("a1", "A"), ("b1", "B"), ("c1", "C"), ("a2", "A")]:
        store.create(record(name, account))
    assert names(store.list(["A"], page=1, limit=10)[0]) == ["a1", "a2"]
    assert names(store.list({"C", "A"}, page=1, limit=10)[0]) == ["a1", "c1", "a2"]
    assert store.list([], page=1, limit=10) == ([], 0)
    assert store.list(["Z"], page=1, limit=10) == ([], 0)
    assert store.list(None, page=1, limit=10)[1] == 4


def test_file_database_uses_wal_and_full_sync_and_persists(tmp_path: Path) -> None:
    path = str(tmp_path / "api.db")
    store = Store(path)
    assert store.pragma("journal_mode") == "wal"
    assert store.pragma("synchronous") == "2"  # FULL
    assert store.pragma("user_version") == str(SCHEMA_VERSION)
    first, second = store.create(record("first")), store.create(record("second"))
    store.delete(second["id"])
    store.close()

    reopened = Store(path)
    third = reopened.create(record("third"))
    assert reopened.list(None, page=1, limit=10) == ([first, third], 2)
    assert reopened.get(second["id"]) is None
    assert reopened.integrity_check() == "ok"
    reopened.close()


def test_refuses_a_database_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(sqlite3.OperationalError, match="schema version"):
        Store(str(path))


def test_duplicate_ids_are_rejected() -> None:
    store = Store()
    item = store.create(record("a"))
    with pytest.raises(sqlite3.IntegrityError):
        store.create({**item, "name": "b"})
    assert store.list(None, page=1, limit=10) == ([item], 1)


def test_pragma_rejects_anything_but_a_name() -> None:
    with pytest.raises(ValueError):
        Store().pragma("journal_mode = DELETE")


@pytest.mark.parametrize("on_disk", [False, True], ids=["memory", "file"])
def test_sixteen_threads_create_list_delete_consistently(tmp_path: Path, on_disk: bool) -> None:
    store = Store(str(tmp_path / "api.db") if on_disk else None)
    threads_count, per_thread = 16, 12
    barrier = threading.Barrier(threads_count)
    kept: dict[int, list[str]] = {}
    problems: list[str] = []

    def work(n: int) -> None:
        barrier.wait()
        ids = [store.create(record(f"t{n}-{i}", f"acct-{n}"))["id"] for i in range(per_thread)]
        for template_id in ids[::2]:
            if not store.delete(template_id):
                problems.append(f"delete {template_id} failed")
        items, total = store.list(None, page=1, limit=10000)
        if total != len(items):
            problems.append(f"total {total} != {len(items)} items")
        own, own_total = store.list([f"acct-{n}"], page=1, limit=10000)
        if [item["id"] for item in own] != ids[1::2] or own_total != len(ids[1::2]):
            problems.append(f"thread {n} sees {own_total} of its own templates")
        kept[n] = ids[1::2]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert problems == []
    items, total = store.list(None, page=1, limit=10000)
    expected = {template_id for ids in kept.values() for template_id in ids}
    assert total == len(items) == len(expected) == threads_count * per_thread // 2
    assert {item["id"] for item in items} == expected
    assert store.integrity_check() == "ok"
    store.close()


# --- models --------------------------------------------------------------------------


def model(name: str, account_id: str = "acct-1", **fields: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "name": name, "account_id": account_id,
            "model_type": "GENERIC", **fields}


def test_models_create_get_replace_delete() -> None:
    store = Store()
    first, second = store.create_model(model("a")), store.create_model(model("b"))
    assert store.get_model(first["id"]) == first
    assert store.get(first["id"]) is None  # templates and models are apart
    changed = {**first, "name": "a2", "model_type": "EMBEDDING"}
    assert store.replace_model(changed) is True
    assert store.list_models(None, page=1, limit=10) == ([changed, second], 2)
    assert store.list_models(None, page=1, limit=10, model_type="EMBEDDING") == ([changed], 1)
    assert store.delete_model(first["id"]) is True
    assert store.get_model(first["id"]) is None
    assert store.replace_model(changed) is False
    assert store.delete_model(first["id"]) is False
    assert store.list_models(None, page=1, limit=10) == ([second], 1)


def test_models_list_filters_combine() -> None:
    store = Store()
    for name, account, kind, group in [("a1", "A", "GENERIC", "g"), ("b1", "B", "GENERIC", "g"),
                                       ("a2", "A", "EMBEDDING", "g"), ("a3", "A", "GENERIC", None)]:
        store.create_model(model(name, account, model_type=kind, model_group_id=group))

    def listed(**filters: Any) -> list[str]:
        accounts = filters.pop("accounts", None)
        return names(store.list_models(accounts, page=1, limit=10, **filters)[0])

    assert listed(accounts=["A"], model_type="GENERIC") == ["a1", "a3"]
    assert listed(model_group_id="g", model_type="GENERIC") == ["a1", "b1"]
    assert listed(accounts=["A"], model_group_id="g") == ["a1", "a2"]
    assert listed(accounts=[]) == []
    assert store.list_models(["A"], page=2, limit=2, model_type="GENERIC") == ([], 2)


def test_models_using_a_template_follow_replacements() -> None:
    store = Store()
    first = store.create_model(model("a", model_template_id="t1"))
    second = store.create_model(model("b", model_template_id="t1"))
    store.create_model(model("c", model_template_id="t2"))
    assert store.models_using("t1") == [first["id"], second["id"]]
    store.replace_model({**first, "model_template_id": "t2"})
    assert store.models_using("t1") == [second["id"]]
    store.delete_model(second["id"])
    assert store.models_using("t1") == []
    assert store.models_using("t9") == []


def test_a_transaction_rolls_back_every_write_when_it_raises() -> None:
    store = Store()
    kept = store.create(record("kept"))
    with pytest.raises(RuntimeError), store.transaction():
        store.create_model(model("lost"))
        store.delete(kept["id"])
        with store.transaction():  # nested: part of the outer one
            store.create(record("lost too"))
        raise RuntimeError("a check failed")
    assert store.list(None, page=1, limit=10) == ([kept], 1)
    assert store.list_models(None, page=1, limit=10) == ([], 0)
    with store.transaction():
        store.create_model(model("committed"))
    assert names(store.list_models(None, page=1, limit=10)[0]) == ["committed"]


def test_a_transaction_keeps_other_threads_out() -> None:
    store = Store()
    seen: list[int] = []
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.transaction():
            store.create(record("first"))
            inside.set()
            release.wait(5)
            store.create(record("second"))

    def count() -> None:
        seen.append(store.list(None, page=1, limit=10)[1])

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(5)
    reader = threading.Thread(target=count)
    reader.start()
    reader.join(0.2)
    assert seen == []  # the reader waits: it never sees "first" without "second"
    release.set()
    holder.join(5)
    reader.join(5)
    assert seen == [2]


# --- schema versions -----------------------------------------------------------------

# The schema of version 1, as the server created it before models existed.
VERSION_1 = """
CREATE TABLE templates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX templates_by_account ON templates (account_id, seq);
PRAGMA user_version = 1;
"""


def test_a_version_1_database_is_upgraded_and_keeps_its_templates(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    old = record("old-template")
    conn = sqlite3.connect(path)
    conn.executescript(VERSION_1)
    conn.execute("INSERT INTO templates (id, account_id, body) VALUES (?, ?, ?)",
                 (old["id"], old["account_id"], json.dumps(old)))
    conn.commit()
    conn.close()

    store = Store(str(path))
    assert SCHEMA_VERSION == 2
    assert store.pragma("user_version") == "2"
    assert store.list(None, page=1, limit=10) == ([old], 1)
    made = store.create_model(model("new", model_template_id=old["id"]))
    assert store.models_using(old["id"]) == [made["id"]]
    newer = store.create(record("after"))
    assert names(store.list(None, page=1, limit=10)[0]) == ["old-template", "after"]
    store.close()

    reopened = Store(str(path))
    assert reopened.get_model(made["id"]) == made
    assert reopened.get(newer["id"]) == newer
    assert reopened.integrity_check() == "ok"
    reopened.close()
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert {"templates", "models", "models_by_account", "models_by_template"} <= tables


def test_a_new_database_is_created_at_the_current_version(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "new.db"))
    assert store.pragma("user_version") == str(SCHEMA_VERSION)
    assert store.list_models(None, page=1, limit=10) == ([], 0)
    store.close()


def test_a_failed_upgrade_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path)
    conn.executescript(VERSION_1 + "CREATE VIEW models AS SELECT 1 AS account_id;")
    conn.close()
    with pytest.raises(sqlite3.OperationalError, match="views may not be indexed"):
        Store(str(path))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                            "AND tbl_name = 'models'").fetchall() == []
    conn.close()
