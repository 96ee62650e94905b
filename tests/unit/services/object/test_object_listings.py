"""Per-container and per-account SQLite listings: counts kept by triggers, stale updates
refused, Swift's listing parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbus.config import Settings
from nimbus.services.object.ring import load_ring
from nimbus.services.object.store.listings import AccountDb, ContainerDb


@pytest.fixture
def db(tmp_path: Path) -> ContainerDb:
    ring = load_ring(Settings(data_dir=tmp_path))
    db = ContainerDb(ring, "AUTH_a", "c")
    db.create("0000000001.00000", {})
    return db


def names(db: ContainerDb, **query: object) -> list[str]:
    return [e.get("name") or e["subdir"] for e in db.list_objects(**{"limit": 100, **query})]


def test_counts_follow_puts_overwrites_and_deletes(db: ContainerDb) -> None:
    db.put_object("a", "0000000002.00000", 10, "text/plain", "e1")
    db.put_object("b", "0000000002.00000", 5, "text/plain", "e2")
    info = db.put_object("a", "0000000003.00000", 1, "text/plain", "e3")
    assert info is not None and (info.object_count, info.bytes_used) == (2, 6)
    stale = db.put_object("a", "0000000001.50000", 99, "text/plain", "old")
    assert stale is not None and stale.bytes_used == 6  # an older write loses
    info = db.delete_object("b", "0000000004.00000")
    assert info is not None and (info.object_count, info.bytes_used) == (1, 1)
    assert db.delete("0000000005.00000") == "not empty"


def test_account_takes_the_newest_container_figures(tmp_path: Path, db: ContainerDb) -> None:
    account = AccountDb(load_ring(Settings(data_dir=tmp_path)), "AUTH_a")
    newer = db.put_object("x", "0000000002.00000", 7, "text/plain", "e")
    older = db.info()
    assert newer is not None and older is not None
    older.seq, older.bytes_used = newer.seq - 1, 999
    account.report_container(newer)
    account.report_container(older)  # late, so ignored
    info = account.info()
    assert info is not None
    assert (info.container_count, info.object_count, info.bytes_used) == (1, 1, 7)


def test_listing_parameters(db: ContainerDb) -> None:
    for name in ("a", "b/1", "b/2", "b/c/3", "d"):
        db.put_object(name, "0000000002.00000", 1, "text/plain", "e")
    assert names(db) == ["a", "b/1", "b/2", "b/c/3", "d"]
    assert names(db, delimiter="/") == ["a", "b/", "d"]
    assert names(db, delimiter="/", reverse=True) == ["d", "b/", "a"]
    assert names(db, prefix="b/", delimiter="/") == ["b/1", "b/2", "b/c/"]
    assert names(db, marker="b/1", end_marker="d") == ["b/2", "b/c/3"]
    assert names(db, reverse=True, limit=2) == ["d", "b/c/3"]
    assert names(db, path="b") == ["b/1", "b/2"]
    assert names(db, delimiter="/", limit=2) == ["a", "b/"]
