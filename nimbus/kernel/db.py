"""Database access: one engine per process; the URL picks SQLite, PostgreSQL or MariaDB."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, String, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from nimbus.kernel.concurrency import must_not_block


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> dt.datetime:
    """Naive UTC with microseconds: the same on every engine."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A naive-UTC datetime column that keeps microseconds on MariaDB too."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "mysql":
            from sqlalchemy.dialects.mysql import DATETIME

            return dialect.type_descriptor(DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())


class JSONText(TypeDecorator[Any]):
    """JSON stored as text, identical on every engine (no engine JSON operators needed)."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        from sqlalchemy import Text

        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else json.dumps(value, separators=(",", ":"))

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None or value == "null":
            return None
        # Most rows hold an empty object (extra, options): a listing decodes two a row.
        return {} if value == "{}" else json.loads(value)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=8, max_overflow=16,
                               connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "mysql" and parsed.drivername in ("mysql", "mariadb"):
        parsed = parsed.set(drivername="mysql+pymysql")
    kwargs: dict[str, Any] = {"pool_size": 8, "max_overflow": 16, "pool_pre_ping": True}
    if parsed.get_backend_name() == "mysql":
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        kwargs["pool_recycle"] = 3600
        kwargs["isolation_level"] = "READ COMMITTED"
    return create_engine(parsed, **kwargs)


class Database:
    """The process's engine and session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._reader: sqlite3.Connection | None = None
        self._reader_lock = threading.Lock()
        parsed = make_url(url)
        self._sqlite_file = parsed.database if (
            parsed.get_backend_name() == "sqlite" and parsed.database
            and parsed.database != ":memory:") else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def read_value(self, sql: str) -> Any:
        """The first column of the first row of a read, None without rows: for the small
        reads done on every request (the identity generation). On an SQLite file this
        takes a connection of its own in autocommit mode (each read sees the last commit),
        a few µs, cheap enough for the event loop; elsewhere a pooled connection, in a
        thread."""
        if self._sqlite_file is None:
            must_not_block("database read")
            return self._pooled_read(sql)
        try:
            with self._reader_lock:
                if self._reader is None:
                    # A short busy timeout: the event loop must not wait on a lock.
                    self._reader = sqlite3.connect(
                        self._sqlite_file, timeout=0.05, isolation_level=None,
                        check_same_thread=False)
                # fetchall steps the statement to its end, which ends the read transaction.
                rows = self._reader.execute(sql).fetchall()
        except sqlite3.OperationalError:  # busy (WAL recovery, say): wait in a thread
            must_not_block("database read")
            return self._pooled_read(sql)
        return rows[0][0] if rows else None

    def _pooled_read(self, sql: str) -> Any:
        # The DB-API connection itself: Core's execute costs four times the query.
        conn = self.engine.raw_connection()
        try:
            cursor = conn.cursor()
            try:
                cursor.execute(sql)
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            conn.close()
        return row[0] if row else None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any error."""
        must_not_block("database session")
        s = self._sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        self.engine.dispose()
