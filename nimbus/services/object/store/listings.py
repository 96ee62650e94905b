"""Account and container listings: one SQLite database (WAL) per container and one per
account, on the ring's devices, as Swift keeps them. A container's object count and bytes
change in the same transaction as its listing row (triggers); the account's row for the
container takes the container's absolute figures with a change sequence, so a late or
repeated update never goes backwards and the account totals (triggers again) stay exact.

Databases are never removed: a deleted container is marked so (and empty), which lets every
worker keep its connections open.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nimbus.services.object.ring import Ring

CONTAINER_SCHEMA = """
CREATE TABLE IF NOT EXISTS object (
    name TEXT PRIMARY KEY, created_at TEXT NOT NULL, size INTEGER NOT NULL,
    content_type TEXT NOT NULL, etag TEXT NOT NULL, last_modified TEXT NOT NULL,
    extra TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stat (
    id INTEGER PRIMARY KEY CHECK (id = 0), account TEXT NOT NULL, container TEXT NOT NULL,
    created_at TEXT NOT NULL, put_timestamp TEXT NOT NULL, deleted INTEGER NOT NULL,
    object_count INTEGER NOT NULL, bytes_used INTEGER NOT NULL, seq INTEGER NOT NULL,
    metadata TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS object_insert AFTER INSERT ON object BEGIN
    UPDATE stat SET object_count = object_count + 1, bytes_used = bytes_used + new.size,
        seq = seq + 1;
END;
CREATE TRIGGER IF NOT EXISTS object_update AFTER UPDATE ON object BEGIN
    UPDATE stat SET bytes_used = bytes_used - old.size + new.size, seq = seq + 1;
END;
CREATE TRIGGER IF NOT EXISTS object_delete AFTER DELETE ON object BEGIN
    UPDATE stat SET object_count = object_count - 1, bytes_used = bytes_used - old.size,
        seq = seq + 1;
END;
"""

ACCOUNT_SCHEMA = """
CREATE TABLE IF NOT EXISTS container (
    name TEXT PRIMARY KEY, put_timestamp TEXT NOT NULL, object_count INTEGER NOT NULL,
    bytes_used INTEGER NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stat (
    id INTEGER PRIMARY KEY CHECK (id = 0), account TEXT NOT NULL, created_at TEXT NOT NULL,
    put_timestamp TEXT NOT NULL, container_count INTEGER NOT NULL,
    object_count INTEGER NOT NULL, bytes_used INTEGER NOT NULL, metadata TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS container_insert AFTER INSERT ON container BEGIN
    UPDATE stat SET container_count = container_count + 1,
        object_count = object_count + new.object_count, bytes_used = bytes_used + new.bytes_used;
END;
CREATE TRIGGER IF NOT EXISTS container_update AFTER UPDATE ON container BEGIN
    UPDATE stat SET object_count = object_count - old.object_count + new.object_count,
        bytes_used = bytes_used - old.bytes_used + new.bytes_used;
END;
CREATE TRIGGER IF NOT EXISTS container_delete AFTER DELETE ON container BEGIN
    UPDATE stat SET container_count = container_count - 1,
        object_count = object_count - old.object_count, bytes_used = bytes_used - old.bytes_used;
END;
"""

# Connections kept per thread; past this many, the least recently used is closed.
CONNECTIONS_PER_THREAD = 128
_local = threading.local()


def _connect(path: Path, schema: str) -> sqlite3.Connection:
    cache: OrderedDict[str, sqlite3.Connection] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = OrderedDict()
    key = str(path)
    conn = cache.get(key)
    if conn is not None:
        cache.move_to_end(key)
        return conn
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(key, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(schema)
    cache[key] = conn
    while len(cache) > CONNECTIONS_PER_THREAD:
        cache.popitem(last=False)[1].close()
    return conn


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@dataclass
class ContainerInfo:
    account: str
    name: str
    created_at: str
    put_timestamp: str
    object_count: int
    bytes_used: int
    metadata: dict[str, str]
    seq: int


@dataclass
class AccountInfo:
    created_at: str
    put_timestamp: str
    container_count: int
    object_count: int
    bytes_used: int
    metadata: dict[str, str]


def _db_path(ring: Ring, kind: str, account: str, container: str | None) -> Path:
    name_hash, partition, devices = ring.locate(account, container)
    return (Path(devices[0].path) / kind / str(partition) / name_hash[-3:] / name_hash /
            f"{name_hash}.db")


def iso(timestamp: str) -> str:
    """A listing's last_modified: the timestamp in UTC, to the microsecond."""
    moment = dt.datetime.fromtimestamp(float(timestamp), dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def merged_metadata(current: dict[str, str], updates: dict[str, str]) -> dict[str, str]:
    """Swift's metadata update: an empty value removes the key."""
    out = {k: v for k, v in current.items() if k not in updates}
    out.update({k: v for k, v in updates.items() if v != ""})
    return out


class ContainerDb:
    def __init__(self, ring: Ring, account: str, container: str) -> None:
        self.account = account
        self.container = container
        self.path = _db_path(ring, "containers", account, container)

    def _conn(self) -> sqlite3.Connection:
        return _connect(self.path, CONTAINER_SCHEMA)

    def info(self) -> ContainerInfo | None:
        if not self.path.exists():
            return None
        row = self._conn().execute(
            "SELECT created_at, put_timestamp, object_count, bytes_used, metadata, seq "
            "FROM stat WHERE deleted = 0").fetchone()
        if row is None:
            return None
        return ContainerInfo(self.account, self.container, row[0], row[1], row[2], row[3],
                             json.loads(row[4]), row[5])

    def create(self, timestamp: str, metadata: dict[str, str]) -> tuple[bool, ContainerInfo]:
        """(created, info): a new container, or metadata merged into the existing one."""
        with _transaction(self._conn()) as c:
            row = c.execute("SELECT deleted, metadata FROM stat").fetchone()
            if row is None:
                c.execute("INSERT INTO stat VALUES (0, ?, ?, ?, ?, 0, 0, 0, 1, ?)",
                          (self.account, self.container, timestamp, timestamp,
                           json.dumps(merged_metadata({}, metadata))))
                created = True
            elif row[0]:
                c.execute("UPDATE stat SET deleted = 0, created_at = ?, put_timestamp = ?, "
                          "metadata = ?, seq = seq + 1",
                          (timestamp, timestamp, json.dumps(merged_metadata({}, metadata))))
                created = True
            else:
                c.execute("UPDATE stat SET put_timestamp = ?, metadata = ?",
                          (timestamp, json.dumps(merged_metadata(json.loads(row[1]),
                                                                 metadata))))
                created = False
        info = self.info()
        assert info is not None
        return created, info

    def update_metadata(self, updates: dict[str, str]) -> bool:
        with _transaction(self._conn()) as c:
            row = c.execute("SELECT metadata FROM stat WHERE deleted = 0").fetchone()
            if row is None:
                return False
            c.execute("UPDATE stat SET metadata = ?",
                      (json.dumps(merged_metadata(json.loads(row[0]), updates)),))
        return True

    def delete(self, timestamp: str) -> str:
        """'deleted', 'missing' or 'not empty'."""
        if not self.path.exists():
            return "missing"
        with _transaction(self._conn()) as c:
            row = c.execute("SELECT object_count FROM stat WHERE deleted = 0").fetchone()
            if row is None:
                return "missing"
            if row[0] > 0 or c.execute("SELECT 1 FROM object LIMIT 1").fetchone():
                return "not empty"
            c.execute("UPDATE stat SET deleted = 1, put_timestamp = ?, metadata = '{}', "
                      "seq = seq + 1", (timestamp,))
        return "deleted"

    def put_object(self, name: str, created_at: str, size: int, content_type: str,
                   etag: str, extra: dict[str, str] | None = None) -> ContainerInfo | None:
        """Record an object (newer than what is listed); the container's figures after."""
        with _transaction(self._conn()) as c:
            c.execute(
                "INSERT INTO object VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                "created_at = excluded.created_at, size = excluded.size, "
                "content_type = excluded.content_type, etag = excluded.etag, "
                "last_modified = excluded.last_modified, extra = excluded.extra "
                "WHERE excluded.created_at >= object.created_at",
                (name, created_at, size, content_type, etag, iso(created_at),
                 json.dumps(extra or {})))
            return self._info_in(c)

    def object_timestamp(self, name: str) -> str | None:
        """The listed object's timestamp; None when it is not listed."""
        row = self._conn().execute("SELECT created_at FROM object WHERE name = ?",
                                   (name,)).fetchone()
        return None if row is None else str(row[0])

    def delete_object(self, name: str, timestamp: str) -> ContainerInfo | None:
        with _transaction(self._conn()) as c:
            c.execute("DELETE FROM object WHERE name = ? AND created_at <= ?",
                      (name, timestamp))
            return self._info_in(c)

    def _info_in(self, c: sqlite3.Connection) -> ContainerInfo | None:
        row = c.execute("SELECT created_at, put_timestamp, object_count, bytes_used, "
                        "metadata, seq FROM stat").fetchone()
        if row is None:
            return None
        return ContainerInfo(self.account, self.container, row[0], row[1], row[2], row[3],
                             json.loads(row[4]), row[5])

    def list_objects(self, limit: int, marker: str = "", end_marker: str = "",
                     prefix: str = "", delimiter: str = "", reverse: bool = False,
                     path: str | None = None) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        # Each row's JSON listing entry is made by SQLite, in C (a 10,000-object page).
        query = ("SELECT name, created_at, size, content_type, etag, last_modified, "
                 "json_patch(json_object('hash', etag, 'last_modified', last_modified, "
                 "'bytes', size, 'name', name, 'content_type', content_type), extra) "
                 "FROM object "
                 "WHERE name > ? AND name < ? AND name >= ?")
        return _listing(self._conn(), query, limit, marker, end_marker, prefix,
                        delimiter, reverse, path, _object_entry)


class AccountDb:
    def __init__(self, ring: Ring, account: str) -> None:
        self.account = account
        self.path = _db_path(ring, "accounts", account, None)

    def _conn(self) -> sqlite3.Connection:
        return _connect(self.path, ACCOUNT_SCHEMA)

    def ensure(self, timestamp: str) -> None:
        c = self._conn()
        if c.execute("SELECT 1 FROM stat").fetchone() is None:
            c.execute("INSERT OR IGNORE INTO stat VALUES (0, ?, ?, ?, 0, 0, 0, '{}')",
                      (self.account, timestamp, timestamp))

    def info(self) -> AccountInfo | None:
        if not self.path.exists():
            return None
        row = self._conn().execute(
            "SELECT created_at, put_timestamp, container_count, object_count, bytes_used, "
            "metadata FROM stat").fetchone()
        if row is None:
            return None
        return AccountInfo(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]))

    def update_metadata(self, timestamp: str, updates: dict[str, str]) -> None:
        self.ensure(timestamp)
        with _transaction(self._conn()) as c:
            row = c.execute("SELECT metadata FROM stat").fetchone()
            c.execute("UPDATE stat SET metadata = ?",
                      (json.dumps(merged_metadata(json.loads(row[0]), updates)),))

    def report_container(self, info: ContainerInfo) -> None:
        """The container's figures as of its change ``seq`` (never older ones)."""
        self.ensure(info.created_at)
        self._conn().execute(
            "INSERT INTO container VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
            "put_timestamp = excluded.put_timestamp, object_count = excluded.object_count, "
            "bytes_used = excluded.bytes_used, seq = excluded.seq "
            "WHERE excluded.seq > container.seq",
            (info.name, info.put_timestamp, info.object_count, info.bytes_used, info.seq))

    def remove_container(self, name: str) -> None:
        if self.path.exists():
            self._conn().execute("DELETE FROM container WHERE name = ?", (name,))

    def list_containers(self, limit: int, marker: str = "", end_marker: str = "",
                        prefix: str = "", delimiter: str = "", reverse: bool = False
                        ) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        query = ("SELECT name, put_timestamp, object_count, bytes_used FROM container "
                 "WHERE name > ? AND name < ? AND name >= ?")
        return _listing(self._conn(), query, limit, marker, end_marker, prefix,
                        delimiter, reverse, None, _container_entry)


def _object_entry(row: tuple[Any, ...]) -> dict[str, Any]:
    return {"name": row[0], "created_at": row[1], "bytes": row[2], "content_type": row[3],
            "hash": row[4], "last_modified": row[5], "json": row[6]}


def _container_entry(row: tuple[Any, ...]) -> dict[str, Any]:
    return {"name": row[0], "put_timestamp": row[1], "count": row[2], "bytes": row[3]}


TOP = "\U0010ffff"


def _listing(conn: sqlite3.Connection, query: str, limit: int, marker: str, end_marker: str,
             prefix: str, delimiter: str, reverse: bool, path: str | None,
             entry: Any) -> list[dict[str, Any]]:
    """Swift's list_*_iter: rows between the markers, under a prefix, rolled up at the
    delimiter into subdirs (or, with ``path``, only the path's direct children)."""
    if path is not None:
        prefix = path.rstrip("/") + "/" if path else ""
        delimiter = "/"
    out: list[dict[str, Any]] = []
    low, high = marker, end_marker or TOP * 2
    if reverse:
        low, high = end_marker, marker or TOP * 2
    if prefix:
        high = min(high, prefix + TOP)
    order = "DESC" if reverse else "ASC"
    if not delimiter:
        rows = conn.execute(f"{query} ORDER BY name {order} LIMIT ?",
                            (low, high, prefix, limit)).fetchall()
        return [entry(row) for row in rows]
    while len(out) < limit:
        want = limit - len(out)
        rows = conn.execute(f"{query} ORDER BY name {order} LIMIT ?",
                            (low, high, prefix, want)).fetchall()
        if not rows:
            break
        restart = False
        for row in rows:
            name = row[0]
            if delimiter:
                cut = name.find(delimiter, len(prefix))
                if cut >= 0:
                    if path is not None:
                        if len(name) > cut + len(delimiter):
                            low, high, restart = _skip(name[:cut], delimiter, low, high,
                                                       reverse)
                            break
                    else:
                        sub = name[:cut + len(delimiter)]
                        out.append({"subdir": sub})
                        low, high, restart = _skip(name[:cut], delimiter, low, high,
                                                   reverse)
                        break
            out.append(entry(row))
            if reverse:
                high = name
            else:
                low = name
        if not restart and len(rows) < want:
            break
    return out[:limit]


def _skip(stem: str, delimiter: str, low: str, high: str,
          reverse: bool) -> tuple[str, str, bool]:
    """Markers that jump over every name under ``stem + delimiter``."""
    if reverse:
        return low, stem + delimiter, True
    return stem + chr(ord(delimiter[0]) + 1), high, True
