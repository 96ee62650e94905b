"""Image locations (Glance v2.17): a service points a queued image at data already in a
store, and reads where an image's data is.

Only data inside a store this cloud runs is accepted: ``file://`` URLs naming a file of the
filesystem store's directory. Anything else (other schemes, paths outside the store, links,
data another image already uses) is refused before anything changes. An accepted location
is checked as Glance's ``location_import`` task does, in the background: the data is read,
hashed (``os_hash_algo`` of the validation data, else sha512) and compared with the
validation data; then the image becomes active, or goes back to queued. The task records
the outcome (GET /v2/images/{id}/tasks).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import select

from nimbus.kernel.db import utcnow
from nimbus.services.image.errors import BadRequest, Conflict
from nimbus.services.image.models import Image
from nimbus.services.image.schemas.locations import NewLocation
from nimbus.services.image.service.access import is_image_id, visible_row
from nimbus.services.image.service.pipeline import DataFacts, DataPipeline
from nimbus.services.image.service.reconcile import claim_transfer, release_transfer
from nimbus.services.image.service.records import Caller, ImageRecord
from nimbus.services.image.store.filesystem import SAFE_KEY

if TYPE_CHECKING:
    from nimbus.services.image.service import ImageService

log = logging.getLogger(__name__)

TASK_TYPE = "location_import"


class LocationRefused(BadRequest):
    """A URL that names no data of a store this cloud runs (Glance's BadStoreUri)."""

    def __init__(self, url: str, why: str) -> None:
        super().__init__(f"The Store URI was malformed: {url} ({why})")


class Locations:
    def __init__(self, service: ImageService) -> None:
        self.service = service
        self.db = service.db

    # -- reading -------------------------------------------------------------------------
    def of(self, record: ImageRecord) -> list[dict[str, Any]]:
        """GET .../locations: the image's data location, as a URL and its store."""
        root = self._store_root()
        if not record.location or not record.store or root is None:
            return []
        return [{"url": (root / record.location).as_uri(),
                 "metadata": {"store": record.store}}]

    # -- adding --------------------------------------------------------------------------
    def store_key(self, url: str, image_id: str) -> str:
        """The key in the filesystem store that ``url`` names, or LocationRefused. A key
        that is an image id other than ``image_id`` is refused: an upload to that image
        would write over it."""
        root = self._store_root()
        # The store's directory as configured and as resolved: a URL may name either.
        roots = {root, Path(os.path.abspath(getattr(self.service.store, "root", "")))} \
            if root else set()
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise LocationRefused(url, f"unknown scheme '{parts.scheme}'; this cloud "
                                       "stores image data in file:// locations only")
        if root is None or parts.netloc not in ("", "localhost"):
            raise LocationRefused(url, "not in a configured store")
        path = Path(unquote(parts.path))
        if path.parent not in roots or not SAFE_KEY.match(path.name):
            raise LocationRefused(url, f"not a file of the store directory {root}")
        if path.is_symlink() or not path.is_file():
            raise LocationRefused(url, "no such file in the store")
        if is_image_id(path.name) and path.name != image_id:
            raise LocationRefused(url, "the data of another image")
        return path.name

    def add(self, caller: Caller, image_id: str, new: NewLocation) -> None:
        """Claim the image (queued -> importing) with a task; the check runs behind."""
        key = self.store_key(new.url, image_id)
        with self.db.session() as s:
            row = visible_row(s, caller, image_id, lock=True)
            if row.status != "queued":
                raise Conflict(f"It's not allowed to add locations if image status is "
                               f"{row.status}.")
            owner = s.scalar(select(Image.id).where(Image.location == key).limit(1))
            if owner is not None:
                raise Conflict(f"The location {new.url} holds the data of image {owner}.")
            task_id = self.service.tasks.open(
                s, caller, image_id, {"image_id": image_id, "loc_url": new.url,
                                      "validation_data": new.validation}, TASK_TYPE)
            row.status, row.updated_at = "importing", utcnow()
            claim_transfer(s, image_id, "importing", self.service.node)
        threading.Thread(target=self.finish, args=(image_id, task_id, key, new),
                         name=f"location-check-{image_id[:8]}", daemon=True).start()

    def finish(self, image_id: str, task_id: str, key: str, new: NewLocation) -> None:
        """Hash and inspect the data; active if it is what the validation data says."""
        data = self.service.data
        try:
            hasher = hashlib.new(new.hash_algo)
            pipeline = DataPipeline(_hashed(self.service.store.get(key), hasher))
            for _chunk in pipeline:
                pass
            facts = replace(pipeline.facts(), os_hash_algo=new.hash_algo,
                            os_hash_value=hasher.hexdigest())
            wanted = new.validation.get("os_hash_value")
            if wanted is not None and wanted != facts.os_hash_value:
                raise BadRequest(f"os_hash_value: ({wanted}) not matched with actual "
                                 f"os_hash_value: ({facts.os_hash_value})")
            virtual_size = data.judge_data(data.record_of(image_id), facts)
        except Exception as exc:
            if not isinstance(exc, BadRequest):
                log.exception("location of image %s refused", image_id)
            data.restore(image_id, "importing")
            self.service.tasks.finish(task_id, "failure", getattr(exc, "message", str(exc)))
            return
        try:
            self._activate(image_id, facts, virtual_size, key)
        except Exception as exc:
            self.service.tasks.finish(task_id, "failure", getattr(exc, "message", str(exc)))
            return
        self.service.tasks.finish(task_id, "success", "", {"image_id": image_id})

    def _activate(self, image_id: str, facts: DataFacts, virtual_size: int | None, key: str
                  ) -> None:
        """Active with the location's data; the data stays where it is if the image went
        away meanwhile (it was the service's before it was the image's)."""
        with self.db.session() as s:
            done = self.service.images.set_status(
                s, image_id, ("importing",), status="active", size=facts.size,
                virtual_size=virtual_size, checksum=facts.checksum,
                os_hash_algo=facts.os_hash_algo, os_hash_value=facts.os_hash_value,
                store=self.service.store.store_id, location=key, staged=None)
            release_transfer(s, image_id)
        if not done:
            raise Conflict(f"Image {image_id} was deleted while its location was checked.")

    def _store_root(self) -> Path | None:
        root = getattr(self.service.store, "root", None)
        return Path(root).resolve() if root is not None else None


def _hashed(chunks: Iterable[bytes], hasher: Any) -> Iterator[bytes]:
    for chunk in chunks:
        hasher.update(chunk)
        yield chunk
