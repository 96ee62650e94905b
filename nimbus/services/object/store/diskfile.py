"""Objects as files: ``<device>/objects/<partition>/<hash[-3:]>/<hash>/`` holds
``<timestamp>.data`` (the bytes) with its commit record (metadata, size, ETag) in an xattr,
or beside it as ``<timestamp>.json`` where the filesystem takes no such xattr.

A write streams into a temporary file, sets the record on it, fsyncs it, renames it to its
``.data`` name and fsyncs the directory (without xattrs the record then goes the same way as
a .json file). The newest record is the object, so a kill -9 at any moment leaves the old
object or the new one: a data file without its record is never read. A metadata update
(POST) is a newer .json record naming the same data file; a delete is a record saying so.
Older files go after each commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from nimbus.services.object.errors import Unavailable
from nimbus.services.object.ring import Device, Ring

log = logging.getLogger("nimbus.object")

CHUNK = 1 << 16
# Temporary files of writes cut off by a crash older than this are removed by later commits.
STALE_TMP_SECONDS = 3600


def new_timestamp() -> str:
    """Swift's internal timestamp form: 16.5 digits, so names sort by time."""
    return f"{time.time():016.5f}"


def normal_timestamp(ts: str) -> str:
    """The X-Timestamp form clients see: 10.5 digits."""
    return f"{float(ts):010.5f}"


class SizeExceeded(Exception):
    pass


class EtagMismatch(Exception):
    pass


class NoQuorum(Unavailable):
    """Fewer than a majority of the replicas took the write (a 503, as Swift's proxy)."""


def object_name(account: str, container: str, obj: str) -> str:
    """The name a record carries (as Swift's metadata "name"): how the replicator finds
    the listing an object belongs in."""
    return json.dumps([account, container, obj])


def quorum_size(replicas: int) -> int:
    return replicas // 2 + 1


class _Replica:
    """One replica's side of a PUT: a temporary file in the object's directory; a device
    that fails drops out of the write (logged) and the others go on."""

    def __init__(self, directory: Path, tmp: Path, f: BinaryIO) -> None:
        self.directory, self.tmp, self.f = directory, tmp, f
        self.inline = False

    @classmethod
    def open(cls, directory: Path) -> _Replica | None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            tmp = _tmp_name(directory)
            return cls(directory, tmp, open(tmp, "wb"))  # noqa: SIM115 - closed by finish
        except OSError as err:
            log.warning("object replica %s not written: %s", directory, err)
            return None

    def _failed(self, err: OSError) -> bool:
        log.warning("object replica %s not written: %s", self.directory, err)
        self.abandon()
        return False

    def write(self, chunk: bytes) -> bool:
        try:
            self.f.write(chunk)
        except OSError as err:
            return self._failed(err)
        return True

    def finish(self, record: dict[str, Any]) -> bool:
        try:
            self.inline = _attach_record(self.f, record)
            self.f.flush()
            os.fsync(self.f.fileno())
            self.f.close()
        except OSError as err:
            return self._failed(err)
        return True

    def commit(self, ts: str, record: dict[str, Any]) -> bool:
        try:
            os.rename(self.tmp, self.directory / f"{ts}.data")
            if self.inline:
                # The record rode in the data file's xattr: the rename committed both.
                _fsync_dir(self.directory)
            else:
                content = json.dumps(record, separators=(",", ":")).encode()
                _write_atomic(self.directory / f"{ts}.json", content)
        except OSError as err:
            return self._failed(err)
        ObjectFiles._cleanup(self.directory)
        return True

    def abandon(self) -> None:
        with contextlib.suppress(OSError):
            self.f.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink()


@dataclass
class StoredObject:
    timestamp: str
    data_path: Path
    size: int
    etag: str
    meta: dict[str, str]  # headers kept with the object (Content-Type, X-Object-Meta-*...)
    data_timestamp: str

    def open(self) -> BinaryIO:
        return open(self.data_path, "rb")  # noqa: SIM115 - the caller streams and closes


XATTR = "user.nimbus.record"


def _attach_record(f: BinaryIO, record: dict[str, Any]) -> bool:
    """Put the commit record in the data file's xattr; False where the filesystem refuses
    (no user xattrs, or a record larger than it takes): then a .json record follows."""
    try:
        os.setxattr(f.fileno(), XATTR, json.dumps(record, separators=(",", ":")).encode())
    except OSError:
        return False
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tmp_name(directory: Path) -> Path:
    return directory / f".tmp-{secrets.token_hex(8)}"


def _write_atomic(path: Path, content: bytes) -> None:
    tmp = _tmp_name(path.parent)
    with open(tmp, "wb") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)
    _fsync_dir(path.parent)


class ObjectFiles:
    def __init__(self, ring: Ring) -> None:
        self.ring = ring

    def _dirs(self, account: str, container: str, obj: str) -> list[Path]:
        name_hash, partition, devices = self.ring.locate(account, container, obj)
        return [self._dir(d, partition, name_hash) for d in devices]

    @staticmethod
    def _dir(device: Device, partition: int, name_hash: str) -> Path:
        return Path(device.path) / "objects" / str(partition) / name_hash[-3:] / name_hash

    # -- reading --------------------------------------------------------------------------
    def read(self, account: str, container: str, obj: str) -> StoredObject | None:
        """The object's newest committed state on any replica; None when absent or deleted."""
        best: tuple[str, Path, dict[str, Any]] | None = None
        for directory in self._dirs(account, container, obj):
            found = self._newest_record(directory)
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], directory, found[1])
        if best is None or best[2].get("deleted"):
            return None
        ts, directory, record = best
        return StoredObject(timestamp=ts, data_path=directory / record["data"],
                            size=int(record["size"]), etag=str(record["etag"]),
                            meta=dict(record["meta"]), data_timestamp=record["data"][:-5])

    @staticmethod
    def _newest_record(directory: Path) -> tuple[str, dict[str, Any]] | None:
        """(timestamp, record) of the newest commit: a .json record, or a .data file
        carrying its record in an xattr (a .data without one is not committed)."""
        try:
            names = sorted((n for n in os.listdir(directory)
                            if n.endswith((".json", ".data"))), reverse=True)
        except OSError:
            return None  # absent, or its device failed: the other replicas answer
        for name in names:
            try:
                raw = (directory / name).read_bytes() if name.endswith(".json") else \
                    os.getxattr(directory / name, XATTR)
                return name[:-5], json.loads(raw)
            except (FileNotFoundError, ValueError, OSError):
                continue  # taken by a concurrent cleanup, torn, or no record: next one
        return None

    # -- writing --------------------------------------------------------------------------
    def write(self, account: str, container: str, obj: str, chunks: Iterable[bytes],
              meta: dict[str, str], *, max_size: int, expected_etag: str | None = None,
              expected_size: int | None = None) -> StoredObject:
        """Stream ``chunks`` into every replica; commit only a whole, checked object, on a
        majority of the replicas at least (Swift's quorum; the replicator mends the rest)."""
        dirs = self._dirs(account, container, obj)
        quorum = quorum_size(len(dirs))
        replicas = [r for r in (_Replica.open(d) for d in dirs) if r is not None]
        md5 = hashlib.md5(usedforsecurity=False)
        size = 0
        try:
            for chunk in chunks:
                size += len(chunk)
                if size > max_size:
                    raise SizeExceeded()
                md5.update(chunk)
                replicas = [r for r in replicas if r.write(chunk)]
                if len(replicas) < quorum:
                    raise NoQuorum()
            etag = md5.hexdigest()
            if expected_etag is not None and expected_etag.strip('"').lower() != etag:
                raise EtagMismatch()
            if expected_size is not None and size != expected_size:
                raise SizeExceeded() if size > expected_size else EtagMismatch()
            ts = new_timestamp()
            record = {"data": f"{ts}.data", "size": size, "etag": etag, "meta": meta,
                      "name": object_name(account, container, obj)}
            replicas = [r for r in replicas if r.finish(record)]
            if len(replicas) < quorum:
                raise NoQuorum()
        except BaseException:
            for r in replicas:
                r.abandon()
            raise
        committed = [r.directory for r in replicas if r.commit(ts, record)]
        if len(committed) < quorum:
            raise NoQuorum()
        return StoredObject(ts, committed[0] / f"{ts}.data", size, etag, meta, ts)

    def update_meta(self, account: str, container: str, obj: str, current: StoredObject,
                    meta: dict[str, str]) -> StoredObject:
        """A POST: a newer record for the same data."""
        dirs = self._dirs(account, container, obj)
        ts = new_timestamp()
        data = f"{current.data_timestamp}.data"
        self._commit(dirs, ts, {"data": data, "size": current.size, "etag": current.etag,
                                "meta": meta, "name": object_name(account, container, obj)})
        return StoredObject(ts, current.data_path, current.size, current.etag, meta,
                            current.data_timestamp)

    def delete(self, account: str, container: str, obj: str) -> str:
        dirs = self._dirs(account, container, obj)
        ts = new_timestamp()
        self._commit(dirs, ts, {"deleted": True, "name": object_name(account, container, obj)})
        return ts

    def _commit(self, dirs: list[Path], ts: str, record: dict[str, Any]) -> None:
        content = json.dumps(record, separators=(",", ":")).encode()
        done = 0
        for directory in dirs:
            try:
                directory.mkdir(parents=True, exist_ok=True)
                _write_atomic(directory / f"{ts}.json", content)
            except OSError as err:
                log.warning("object record %s not written: %s", directory, err)
                continue
            done += 1
            self._cleanup(directory)
        if done < quorum_size(len(dirs)):
            raise NoQuorum()

    @staticmethod
    def _cleanup(directory: Path) -> None:
        """Remove what the newest record makes obsolete; an emptied tombstone dir goes."""
        try:
            names = os.listdir(directory)
        except OSError:
            return
        found = ObjectFiles._newest_record(directory)
        if found is None:
            return
        newest = found[1]
        kind = ".data" if newest.get("data") == f"{found[0]}.data" and \
            f"{found[0]}.json" not in names else ".json"
        records = [found[0] + kind]
        keep = {records[0], newest.get("data")}
        now = time.time()
        for name in names:
            path = directory / name
            if name.startswith(".tmp-"):
                with contextlib.suppress(FileNotFoundError):
                    if now - path.stat().st_mtime > STALE_TMP_SECONDS:
                        path.unlink()
                continue
            if name not in keep and name < records[0]:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


def read_range(stored: StoredObject, start: int, end: int) -> Iterator[bytes]:
    """Bytes start..end (inclusive) of the object, in chunks. A whole-object read checks
    the md5 as it goes, as Swift's object server does: a copy that does not match its
    ETag is quarantined at the end (the bytes already sent cannot be taken back; the next
    read is served by another replica, and the replicator restores this one)."""
    whole = start == 0 and end == stored.size - 1
    md5 = hashlib.md5(usedforsecurity=False)
    with stored.open() as f:
        f.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = f.read(min(CHUNK * 16, left))
            if not chunk:
                break
            left -= len(chunk)
            if whole:
                md5.update(chunk)
            yield chunk
    if whole and (left or md5.hexdigest() != stored.etag):
        with contextlib.suppress(OSError):
            quarantine(stored.data_path.parent, f"md5 {md5.hexdigest()} on a read")


def quarantine(directory: Path, reason: str) -> Path:
    """Move an object's directory whole to ``<device>/quarantined/objects/<hash>``, where
    nothing reads it (Swift's quarantine)."""
    device = directory.parents[3]
    target = device / "quarantined" / "objects" / directory.name
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(directory, target)
    log.warning("object quarantined: %s (%s) to %s", directory, reason, target)
    return target
