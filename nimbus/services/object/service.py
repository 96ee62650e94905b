"""The object store's logic: accounts, containers and objects on the ring's devices, with
their listings in per-container and per-account SQLite databases. Nothing here speaks HTTP;
the API turns requests into these calls and their results into Swift's answers."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nimbus.config import Settings
from nimbus.kernel.runtime import Runtime
from nimbus.services.object.acl import Roles
from nimbus.services.object.constraints import MAX_FILE_SIZE
from nimbus.services.object.ring import Ring, load_ring, object_root
from nimbus.services.object.store.diskfile import (
    ObjectFiles,
    StoredObject,
    new_timestamp,
)
from nimbus.services.object.store.listings import (
    AccountDb,
    AccountInfo,
    ContainerDb,
    ContainerInfo,
)

# Headers an object keeps besides its user metadata (Swift's object server allowed_headers).
ALLOWED_HEADERS = ("content-disposition", "content-encoding", "x-delete-at",
                   "x-object-manifest", "cache-control", "content-language", "expires",
                   "x-robots-tag")
# Kept through a POST: what only a PUT sets.
PUT_ONLY = ("x-static-large-object", "x-object-sysmeta-symlink-target",
            "x-object-sysmeta-symlink-target-account", "x-object-sysmeta-slo-etag",
            "x-object-sysmeta-slo-size")


def title(name: str) -> str:
    return "-".join(p.capitalize() for p in name.split("-"))


class ContainerMissing(Exception):
    pass


class ObjectService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ring: Ring = load_ring(settings)
        self.files = ObjectFiles(self.ring)
        self.roles = Roles.parse(settings.object.operator_roles,
                                 settings.object.reseller_admin_roles)
        self.expiring = ExpiringQueue(object_root(settings) / "expiring.db")

    # -- accounts ---------------------------------------------------------------------------
    def account_info(self, account: str) -> AccountInfo:
        """An account's figures; one never written to is empty (account_autocreate)."""
        info = AccountDb(self.ring, account).info()
        if info is None:
            now = new_timestamp()
            return AccountInfo(now, now, 0, 0, 0, {})
        return info

    def update_account_metadata(self, account: str, updates: dict[str, str]) -> None:
        AccountDb(self.ring, account).update_metadata(new_timestamp(), updates)

    def list_containers(self, account: str, **query: Any) -> list[dict[str, Any]]:
        return AccountDb(self.ring, account).list_containers(**query)

    # -- containers -------------------------------------------------------------------------
    def container_info(self, account: str, container: str) -> ContainerInfo | None:
        return ContainerDb(self.ring, account, container).info()

    def create_container(self, account: str, container: str,
                         metadata: dict[str, str]) -> bool:
        created, info = ContainerDb(self.ring, account, container).create(new_timestamp(),
                                                                          metadata)
        AccountDb(self.ring, account).report_container(info)
        return created

    def update_container_metadata(self, account: str, container: str,
                                  updates: dict[str, str]) -> bool:
        return ContainerDb(self.ring, account, container).update_metadata(updates)

    def delete_container(self, account: str, container: str) -> str:
        result = ContainerDb(self.ring, account, container).delete(new_timestamp())
        if result == "deleted":
            AccountDb(self.ring, account).remove_container(container)
        return result

    def list_objects(self, account: str, container: str, **query: Any
                     ) -> list[dict[str, Any]]:
        return ContainerDb(self.ring, account, container).list_objects(**query)

    # -- objects ----------------------------------------------------------------------------
    def head_object(self, account: str, container: str, obj: str) -> StoredObject | None:
        """The object, unless absent or past its X-Delete-At."""
        stored = self.files.read(account, container, obj)
        if stored is None or not self.head_object_state(stored):
            return None
        return stored

    def put_object(self, account: str, container: str, obj: str, chunks: Iterable[bytes],
                   meta: dict[str, str], *, expected_etag: str | None = None,
                   expected_size: int | None = None) -> StoredObject:
        db = ContainerDb(self.ring, account, container)
        if db.info() is None:
            raise ContainerMissing()
        stored = self.files.write(account, container, obj, chunks, meta,
                                  max_size=MAX_FILE_SIZE, expected_etag=expected_etag,
                                  expected_size=expected_size)
        self._listed(db, obj, stored)
        return stored

    def _listed(self, db: ContainerDb, obj: str, stored: StoredObject) -> None:
        target = stored.meta.get("X-Object-Sysmeta-Symlink-Target")
        extra = {"symlink_path": "/v1/" + stored.meta.get(
            "X-Object-Sysmeta-Symlink-Target-Account", db.account) + "/" + target} \
            if target else None
        info = db.put_object(obj, stored.timestamp, stored.size,
                             stored.meta.get("Content-Type", "application/octet-stream"),
                             stored.etag, extra)
        if info is not None:
            AccountDb(self.ring, db.account).report_container(info)
        delete_at = stored.meta.get("X-Delete-At")
        if delete_at:
            self.expiring.add(int(delete_at), db.account, db.container, obj)

    def post_object(self, account: str, container: str, obj: str, current: StoredObject,
                    headers: dict[str, str]) -> StoredObject:
        """Swift's fast POST: user metadata and the allowed headers replaced; Content-Type
        kept unless given."""
        meta = {k: v for k, v in current.meta.items() if k.lower() in PUT_ONLY}
        meta["Content-Type"] = current.meta.get("Content-Type", "application/octet-stream")
        meta.update(headers)
        stored = self.files.update_meta(account, container, obj, current, meta)
        self._listed(ContainerDb(self.ring, account, container), obj, stored)
        return stored

    def delete_object(self, account: str, container: str, obj: str) -> None:
        ts = self.files.delete(account, container, obj)
        db = ContainerDb(self.ring, account, container)
        info = db.delete_object(obj, ts)
        if info is not None:
            AccountDb(self.ring, account).report_container(info)

    def delete_live_object(self, account: str, container: str, obj: str) -> bool:
        """DELETE: True when a live object went; one past its X-Delete-At goes too (out of
        the listing) but answers as missing, as Swift's object server does."""
        stored = self.files.read(account, container, obj)
        if stored is None:
            return False
        self.delete_object(account, container, obj)
        return self.head_object_state(stored)

    def relist(self, account: str, container: str, obj: str, ts: str, *,
               deleted: bool) -> bool:
        """Make the listing say what the object's newest record (``ts``) says; True when
        a row was restored, updated or removed (the replicator's listing repair)."""
        db = ContainerDb(self.ring, account, container)
        if db.info() is None:
            return False
        listed = db.object_timestamp(obj)
        if deleted:
            if listed is None or listed > ts:
                return False
            info = db.delete_object(obj, ts)
            if info is not None:
                AccountDb(self.ring, account).report_container(info)
            return True
        if listed is not None and listed >= ts:
            return False
        stored = self.files.read(account, container, obj)
        if stored is None or stored.timestamp != ts:
            return False
        self._listed(db, obj, stored)
        return True

    @staticmethod
    def head_object_state(stored: StoredObject) -> bool:
        delete_at = stored.meta.get("X-Delete-At")
        return not (delete_at and int(delete_at) <= time.time())

    def expire_due(self, now: float | None = None, limit: int = 1000) -> int:
        """One expirer pass: delete objects whose X-Delete-At has come; how many went."""
        done = 0
        for delete_at, account, container, obj in self.expiring.due(now or time.time(),
                                                                     limit):
            stored = self.files.read(account, container, obj)
            if stored is not None and stored.meta.get("X-Delete-At") == str(delete_at):
                self.delete_object(account, container, obj)
                done += 1
            self.expiring.remove(delete_at, account, container, obj)
        return done


class ExpiringQueue:
    """What is due to expire when (Swift's .expiring_objects account): one small SQLite
    database beside the ring."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS expiring (delete_at INTEGER, "
                         "account TEXT, container TEXT, obj TEXT, "
                         "PRIMARY KEY (delete_at, account, container, obj))")
            self._local.conn = conn
        return conn

    def add(self, delete_at: int, account: str, container: str, obj: str) -> None:
        self._conn().execute("INSERT OR IGNORE INTO expiring VALUES (?, ?, ?, ?)",
                             (delete_at, account, container, obj))

    def due(self, now: float, limit: int) -> list[tuple[int, str, str, str]]:
        return list(self._conn().execute(
            "SELECT delete_at, account, container, obj FROM expiring WHERE delete_at <= ? "
            "ORDER BY delete_at LIMIT ?", (int(now), limit)))

    def remove(self, delete_at: int, account: str, container: str, obj: str) -> None:
        self._conn().execute("DELETE FROM expiring WHERE delete_at = ? AND account = ? AND "
                             "container = ? AND obj = ?", (delete_at, account, container, obj))


class ExpirerTask:
    """The object expirer, in the kernel's loop shape."""

    name = "object-expirer"

    def __init__(self, service: ObjectService) -> None:
        self.service = service
        self.interval = service.settings.object.expirer_interval

    def run_once(self) -> None:
        self.service.expire_due()


_lock = threading.Lock()


def object_of(runtime: Runtime) -> ObjectService:
    with _lock:
        found = runtime.services.get("object")
        if found is None:
            found = runtime.services["object"] = ObjectService(runtime.settings)
        return found  # type: ignore[no-any-return]
