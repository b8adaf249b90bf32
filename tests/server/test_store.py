"""The SQLite store: order, pagination, filters, durability settings, thread safety."""

from __future__ import annotations

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
