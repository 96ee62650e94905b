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
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from nimbus.services.object.ring import Device, Ring

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
        except FileNotFoundError:
            return None
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
        """Stream ``chunks`` into every replica; commit only a whole, checked object."""
        dirs = self._dirs(account, container, obj)
        for directory in dirs:
            directory.mkdir(parents=True, exist_ok=True)
        tmps = [_tmp_name(d) for d in dirs]
        files = [open(t, "wb") for t in tmps]  # noqa: SIM115 - closed below
        md5 = hashlib.md5(usedforsecurity=False)
        size = 0
        try:
            for chunk in chunks:
                size += len(chunk)
                if size > max_size:
                    raise SizeExceeded()
                md5.update(chunk)
                for f in files:
                    f.write(chunk)
            etag = md5.hexdigest()
            if expected_etag is not None and expected_etag.strip('"').lower() != etag:
                raise EtagMismatch()
            if expected_size is not None and size != expected_size:
                raise SizeExceeded() if size > expected_size else EtagMismatch()
            ts = new_timestamp()
            record = {"data": f"{ts}.data", "size": size, "etag": etag, "meta": meta}
            inline = all(_attach_record(f, record) for f in files)
            for f in files:
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            for f, t in zip(files, tmps, strict=True):
                f.close()
                with contextlib.suppress(FileNotFoundError):
                    t.unlink()
            raise
        for f in files:
            f.close()
        for tmp, directory in zip(tmps, dirs, strict=True):
            os.rename(tmp, directory / f"{ts}.data")
        if inline:
            # The record rode in the data file's xattr: the rename committed both.
            for directory in dirs:
                _fsync_dir(directory)
                self._cleanup(directory)
        else:
            self._commit(dirs, ts, record)
        return StoredObject(ts, dirs[0] / f"{ts}.data", size, etag, meta, ts)

    def update_meta(self, account: str, container: str, obj: str, current: StoredObject,
                    meta: dict[str, str]) -> StoredObject:
        """A POST: a newer record for the same data."""
        dirs = self._dirs(account, container, obj)
        ts = new_timestamp()
        data = f"{current.data_timestamp}.data"
        self._commit(dirs, ts, {"data": data, "size": current.size, "etag": current.etag,
                                "meta": meta})
        return StoredObject(ts, current.data_path, current.size, current.etag, meta,
                            current.data_timestamp)

    def delete(self, account: str, container: str, obj: str) -> str:
        dirs = self._dirs(account, container, obj)
        ts = new_timestamp()
        for directory in dirs:
            directory.mkdir(parents=True, exist_ok=True)
        self._commit(dirs, ts, {"deleted": True})
        return ts

    def _commit(self, dirs: list[Path], ts: str, record: dict[str, Any]) -> None:
        content = json.dumps(record, separators=(",", ":")).encode()
        for directory in dirs:
            _write_atomic(directory / f"{ts}.json", content)
            self._cleanup(directory)

    @staticmethod
    def _cleanup(directory: Path) -> None:
        """Remove what the newest record makes obsolete; an emptied tombstone dir goes."""
        try:
            names = os.listdir(directory)
        except FileNotFoundError:
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
    """Bytes start..end (inclusive) of the object, in chunks."""
    with stored.open() as f:
        f.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = f.read(min(CHUNK * 16, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
