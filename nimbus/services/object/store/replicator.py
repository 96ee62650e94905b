"""The object auditor and replicator, one pass in the kernel's loop shape.

The auditor reads every object's data on every device and checks its md5 and size
against the commit record's ETag; a corrupt or incomplete copy is moved whole to
``<device>/quarantined/objects/<hash>/`` (as Swift's auditor does), where nothing reads it.

The replicator then compares each partition's copies by a per-partition listing of
(object hash, newest record timestamp) on every device (simpler than Swift's suffix-hash
REPLICATE, the same outcome): a primary device that lacks an object, holds an older
version or lost its copy to quarantine gets the newest version (the data file with its
xattr record, and the .json record where there is one; tombstones too). A copy on a device
that is not one of the partition's primaries any more (after a rebalance) is pushed to the
primaries and then removed there.

Listings are single-copy (the partition's primary device holds the SQLite database), so
they are not replicated: the replicator keeps them consistent with what the objects say
instead. A live object missing from its container's listing, or listed older than it is
(a kill -9 between the object's commit and the listing update), is listed again; a deleted
one still listed goes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nimbus.services.object.ring import Device
from nimbus.services.object.store.diskfile import (
    CHUNK,
    XATTR,
    ObjectFiles,
    _fsync_dir,
    _tmp_name,
    _write_atomic,
    quarantine,
)

if TYPE_CHECKING:
    from nimbus.services.object.service import ObjectService

log = logging.getLogger("nimbus.object.replicator")
# Repairs a pass logs one a line (the rest are counted).
LOGGED_DETAILS = 20


@dataclass
class PassReport:
    audited: int = 0
    quarantined: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)
    handoffs_removed: int = 0
    relisted: list[str] = field(default_factory=list)
    listings_moved: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"audited {self.audited}, quarantined {len(self.quarantined)}, "
                f"copied {len(self.copied)}, handoffs removed {self.handoffs_removed}, "
                f"listing databases moved {len(self.listings_moved)}, "
                f"listing rows repaired {len(self.relisted)}")

    def changed(self) -> bool:
        return bool(self.quarantined or self.copied or self.relisted or
                    self.handoffs_removed or self.listings_moved)


def _object_dirs(device: Device) -> Iterator[tuple[int, Path]]:
    """(partition, hash dir) of every object on a device."""
    root = Path(device.path) / "objects"
    for part in _listdir(root):
        if not part.isdigit():
            continue
        for suffix in _listdir(root / part):
            for name_hash in _listdir(root / part / suffix):
                yield int(part), root / part / suffix / name_hash


def _listdir(path: Path) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except (FileNotFoundError, NotADirectoryError):
        return []


def _md5_of(path: Path) -> tuple[str, int]:
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK * 16):
            md5.update(chunk)
            size += len(chunk)
    return md5.hexdigest(), size


def audit_dir(directory: Path) -> str | None:
    """Check one object copy; the reason it was quarantined, or None when sound."""
    found = ObjectFiles._newest_record(directory)
    if found is None or found[1].get("deleted"):
        return None
    record = found[1]
    try:
        etag, size = _md5_of(directory / record["data"])
    except FileNotFoundError:
        again = ObjectFiles._newest_record(directory)
        if again is None or again[0] != found[0]:
            return None  # a newer write replaced it while it was read
        reason = "data file missing"
    else:
        if etag == record.get("etag") and size == int(record.get("size", -1)):
            return None
        reason = f"md5 {etag} != {record.get('etag')}" if etag != record.get("etag") \
            else f"size {size} != {record.get('size')}"
    quarantine(directory, reason)
    return reason


def copy_version(source: Path, target: Path) -> None:
    """Put ``source``'s newest committed version into ``target`` as a PUT would."""
    found = ObjectFiles._newest_record(source)
    if found is None:
        return
    ts, record = found
    target.mkdir(parents=True, exist_ok=True)
    data = record.get("data")
    if data and not (target / data).exists():
        tmp = _tmp_name(target)
        with open(source / data, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK * 16)
            with contextlib.suppress(OSError):
                os.setxattr(dst.fileno(), XATTR, os.getxattr(source / data, XATTR))
            dst.flush()
            os.fsync(dst.fileno())
        os.rename(tmp, target / data)
    if (source / f"{ts}.json").exists():
        _write_atomic(target / f"{ts}.json", (source / f"{ts}.json").read_bytes())
    _fsync_dir(target)
    ObjectFiles._cleanup(target)


def _move_db(source: Path, target: Path) -> bool:
    if target.exists():
        log.warning("object replicator: %s and %s both exist; the primary's is kept",
                    source, target)
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(target.parent)
    src = sqlite3.connect(str(source))
    dst = sqlite3.connect(str(tmp))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.rename(tmp, target)
    _fsync_dir(target.parent)
    shutil.rmtree(source.parent, ignore_errors=True)
    return True


class Replicator:
    """Auditor, replicator and listing reconciler: ``run_once()`` is one pass."""

    name = "object-replicator"

    def __init__(self, service: ObjectService, shared_schedule: bool = False) -> None:
        """``shared_schedule``: the loop of one of several workers, which skips a pass when
        another worker's ended less than an interval ago."""
        self.service = service
        self.shared_schedule = shared_schedule
        self.ring = service.ring
        self.interval = service.settings.object.replicator_interval
        self.lock_path = service.settings.data_dir / "object" / "replicator.lock"
        self.stamp_path = self.lock_path.with_suffix(".last")
        self.last: PassReport | None = None

    def run_once(self) -> None:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a") as lock:
            try:
                # One pass at a time across workers and `nimbus manage object-replicate`,
                # and one an interval however many workers run the loop.
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            if self.shared_schedule and self._ran_lately():
                return
            report = self.last = self.run_pass()
            self.stamp_path.touch()
        if not report.changed():
            log.debug("object replicator pass: %s", report.summary())
            return
        log.info("object replicator pass: %s", report.summary())
        details = [f"copied {x}" for x in report.copied] + \
            [f"listing repaired {x}" for x in report.relisted] + \
            [f"listing moved {x}" for x in report.listings_moved]
        for line in details[:LOGGED_DETAILS]:
            log.info("object replicator: %s", line)
        if len(details) > LOGGED_DETAILS:
            log.info("object replicator: and %d more", len(details) - LOGGED_DETAILS)

    def _ran_lately(self) -> bool:
        try:
            ended = self.stamp_path.stat().st_mtime
        except FileNotFoundError:
            return False
        return time.time() - ended < self.interval * 0.9

    def run_pass(self) -> PassReport:
        report = PassReport()
        for device in self.ring.devices:
            for kind in ("accounts", "containers"):
                self._move_listings(device, kind, report)
        copies: dict[tuple[int, str], dict[int, Path]] = {}
        for device in self.ring.devices:
            for part, directory in _object_dirs(device):
                report.audited += 1
                # What a commit cut off by a kill left behind (an older record, stale
                # temporary files) goes first.
                ObjectFiles._cleanup(directory)
                reason = audit_dir(directory)
                if reason is not None:
                    report.quarantined.append(f"{directory} ({reason})")
                    continue
                copies.setdefault((part, directory.name), {})[device.id] = directory
        for (part, name_hash), held in copies.items():
            self._replicate(part, name_hash, held, report)
        return report

    def _move_listings(self, device: Device, kind: str, report: PassReport) -> None:
        """Listing databases of partitions whose primary device changed (a rebalance) go
        to the new primary, with SQLite's backup API (WAL content included)."""
        root = Path(device.path) / kind
        for part in _listdir(root):
            if not part.isdigit():
                continue
            primary = self.ring.devices_for(int(part))[0]
            if primary.id == device.id:
                continue
            for suffix in _listdir(root / part):
                for name_hash in _listdir(root / part / suffix):
                    source = root / part / suffix / name_hash / f"{name_hash}.db"
                    target = Path(primary.path) / kind / part / suffix / name_hash / source.name
                    if source.exists() and _move_db(source, target):
                        report.listings_moved.append(f"{source} -> {target}")

    def _replicate(self, part: int, name_hash: str, held: dict[int, Path],
                   report: PassReport) -> None:
        states = {dev: ObjectFiles._newest_record(d) for dev, d in held.items()}
        live = {dev: s for dev, s in states.items() if s is not None}
        if not live:
            return
        source_dev = max(live, key=lambda dev: live[dev][0])
        newest_ts, record = live[source_dev]
        primaries = self.ring.devices_for(part)
        for device in primaries:
            have = live.get(device.id)
            if have is not None and have[0] >= newest_ts:
                continue
            target = ObjectFiles._dir(device, part, name_hash)
            copy_version(held[source_dev], target)
            report.copied.append(f"{name_hash}@{newest_ts} -> {device.path}")
        primary_ids = {d.id for d in primaries}
        for dev, directory in held.items():
            if dev not in primary_ids:
                shutil.rmtree(directory, ignore_errors=True)
                report.handoffs_removed += 1
        self._reconcile_listing(newest_ts, record, report)

    def _reconcile_listing(self, ts: str, record: dict[str, Any], report: PassReport) -> None:
        raw = record.get("name")
        if not raw:
            return  # a record written before records carried their name
        account, container, obj = json.loads(raw)
        if self.service.relist(account, container, obj, ts, deleted=bool(record.get("deleted"))):
            report.relisted.append(f"{account}/{container}/{obj}")
