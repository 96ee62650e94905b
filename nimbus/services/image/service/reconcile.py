"""Transfers in flight, and what a process finds at start of the transfers that died.

An upload, a staging or an import moves an image out of ``queued`` for as long as the data
moves. The transaction that changes the status also records the transfer (which node,
which process); the one that ends it removes the record. A process killed mid-transfer
(``kill -9``, a power cut) leaves the image ``saving``, ``uploading`` or ``importing`` with
partial data on disk; ``reconcile_transfers`` puts such images back to ``queued`` (the only
way out Glance's state machine gives all three) and removes their partial files.

A transfer recorded by another node, or by a process of this node that still runs, is left
alone: on a shared database other API nodes may be uploading right now.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nimbus.kernel.db import utcnow
from nimbus.services.image.models import Image, ImageTransfer
from nimbus.services.image.store.filesystem import PARTIAL

if TYPE_CHECKING:
    from nimbus.services.image.service import ImageService

log = logging.getLogger(__name__)

# Statuses a transfer holds an image in; an image found in one with no live transfer is
# stuck. ``uploading`` with staged data is a resting state (staged, import not asked yet).
TRANSFER_STATUSES = ("saving", "uploading", "importing")


def node_name(data_dir: Path | str) -> str:
    """This node: its host name and data dir (two clouds on one host are two nodes)."""
    return f"{socket.gethostname()}:{Path(data_dir).resolve()}"[:255]


def claim_transfer(s: Session, image_id: str, status: str, node: str) -> None:
    """Record, in the caller's transaction, that this process moves the image's data."""
    s.execute(delete(ImageTransfer).where(ImageTransfer.image_id == image_id))
    s.add(ImageTransfer(image_id=image_id, status=status, node=node, pid=os.getpid(),
                        started_at=utcnow()))


def release_transfer(s: Session, image_id: str) -> None:
    s.execute(delete(ImageTransfer).where(ImageTransfer.image_id == image_id))


@dataclass(frozen=True)
class StuckImage:
    image_id: str
    status: str
    node: str | None
    pid: int | None
    staged: bool

    def is_stuck(self, node: str) -> bool:
        if self.node is None:
            # No transfer record: left by a release before transfers were recorded, or a
            # resting staged image (uploading with its data staged) that is not stuck.
            return not (self.status == "uploading" and self.staged)
        if self.node != node:
            return False
        return self.pid == os.getpid() or not _process_alive(self.pid)


def _process_alive(pid: int | None) -> bool:
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_stuck(s: Session, node: str) -> list[StuckImage]:
    rows = s.execute(
        select(Image.id, Image.status, Image.staged, ImageTransfer.node, ImageTransfer.pid)
        .outerjoin(ImageTransfer, ImageTransfer.image_id == Image.id)
        .where(Image.status.in_(TRANSFER_STATUSES)))
    found = [StuckImage(r.id, r.status, r.node, r.pid, bool(r.staged)) for r in rows]
    return [image for image in found if image.is_stuck(node)]


def reconcile_transfers(service: ImageService) -> list[str]:
    """Put every image a dead transfer left behind back to queued; returns their ids."""
    with service.db.session() as s:
        stuck = find_stuck(s, service.node)
    done = []
    for image in stuck:
        if _requeue(service, image):
            _remove_partial_data(service, image.image_id)
            log.warning("image %s was left %s by a transfer that did not finish (node %s, "
                        "pid %s): back to queued, its partial data removed", image.image_id,
                        image.status, image.node or "unknown", image.pid or "unknown")
            done.append(image.image_id)
    return done


def _requeue(service: ImageService, image: StuckImage) -> bool:
    with service.db.session() as s:
        moved = service.images.set_status(
            s, image.image_id, (image.status,), status="queued", size=None,
            virtual_size=None, checksum=None, os_hash_algo=None, os_hash_value=None,
            store=None, location=None, staged=None)
        release_transfer(s, image.image_id)
    return moved


def _remove_partial_data(service: ImageService, image_id: str) -> None:
    """The image's half-written files in every store and the staging area, and what staging
    or a finished write left under its key (the image is queued: it owns no data)."""
    stores = service.stores.all()
    for store in (*stores, service.staging):
        root = getattr(store, "root", None)
        if not isinstance(root, Path) or not root.is_dir():
            continue
        for partial in root.glob(f".{image_id}.*{PARTIAL}"):
            partial.unlink(missing_ok=True)
    service.staging.delete(image_id)
    with service.db.session() as s:
        used = s.scalar(select(Image.id).where(Image.location == image_id).limit(1))
    if used is None:
        for store in stores:
            _delete_quietly(store, image_id)


def _delete_quietly(store: Any, key: str) -> None:
    try:
        store.delete(key)
    except (OSError, ValueError):
        log.exception("could not remove the data left under %s", key)
