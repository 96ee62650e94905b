"""A QEMU guest's resize on its disks, and its confirm or revert (Nova's resize to the same
host): disks only grow; what a resize changes is kept until it is confirmed, so a revert
brings back the disks and figures of before (and drops what the guest wrote since)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from nimbus.agents.compute import tools
from nimbus.agents.compute.driver import DriverError
from nimbus.agents.compute.guests import GIB, MIB, GuestFiles, GuestRecord
from nimbus.agents.compute.messages import Flavor

BACKUP_SUFFIX = ".pre-resize"
FIGURES = ("vcpus", "memory_mb", "root_gb", "ephemeral_gb", "swap_mb", "ephemerals")


def _backup(path: Path, record: GuestRecord) -> None:
    """Keep a copy of ``path`` as it is, once per resize."""
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    if str(path) not in record.resize_backups:
        shutil.copyfile(path, backup)
        record.resize_backups.append(str(path))


def grow(files: GuestFiles, record: GuestRecord, flavor: Flavor) -> None:
    """Apply ``flavor`` to a stopped guest's record and disks, keeping what it changes."""
    if record.resize_from:
        raise DriverError(f"guest {record.uuid} has a resize to confirm or revert first")
    record.resize_from = {k: getattr(record, k) for k in FIGURES}
    record.resize_backups, record.resize_created = [], []
    if flavor.root_gb > record.root_gb:
        _backup(files.root, record)
        tools.resize(files.root, flavor.root_gb * GIB)
    wanted_mb = flavor.ephemeral_gb * 1024
    if record.ephemerals and wanted_mb > record.ephemerals[0]:
        _backup(files.ephemeral(0), record)
        tools.resize(files.ephemeral(0), flavor.ephemeral_gb * GIB)
        record.ephemerals = [wanted_mb, *record.ephemerals[1:]]
    elif not record.ephemerals and wanted_mb:
        tools.create_blank(files.ephemeral(0), flavor.ephemeral_gb * GIB)
        record.resize_created.append(str(files.ephemeral(0)))
        record.ephemerals = [wanted_mb]
    if flavor.swap_mb and not record.swap_mb:
        tools.create_blank(files.swap, flavor.swap_mb * MIB)
        record.resize_created.append(str(files.swap))
        record.swap_mb = flavor.swap_mb
    record.vcpus, record.memory_mb = flavor.vcpus, flavor.memory_mb
    record.root_gb = max(record.root_gb, flavor.root_gb)
    record.ephemeral_gb = max(record.ephemeral_gb, flavor.ephemeral_gb)


def confirm(record: GuestRecord) -> None:
    """Drop what a revert would have needed."""
    for path in record.resize_backups:
        Path(path + BACKUP_SUFFIX).unlink(missing_ok=True)
    record.resize_from, record.resize_backups, record.resize_created = {}, [], []


def revert(record: GuestRecord) -> None:
    """Bring back the disks and figures of before the resize (the guest is stopped)."""
    if not record.resize_from:
        raise DriverError(f"guest {record.uuid} has no resize to revert")
    for path in record.resize_backups:
        os.replace(path + BACKUP_SUFFIX, path)
    for path in record.resize_created:
        Path(path).unlink(missing_ok=True)
    for key in FIGURES:
        setattr(record, key, record.resize_from[key])
    record.resize_from, record.resize_backups, record.resize_created = {}, [], []
