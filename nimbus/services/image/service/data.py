"""Image data: upload (PUT file), staging (PUT stage), download (GET file, with ranges).

An upload moves the image queued -> saving -> active. Anything that stops it half way (the
client leaving, a quota, data that isn't what disk_format says) removes what was written and
puts the image back to queued, as Glance does; nothing partial is ever kept.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nimbus.kernel.db import utcnow
from nimbus.services.image.errors import (
    BadRequest,
    Forbidden,
    ImageGone,
    ImageNotFound,
    InvalidImageData,
    InvalidStatusTransition,
    OverLimit,
    RangeNotSatisfiable,
    StorageUnavailable,
    UnknownStore,
)
from nimbus.services.image.formats import FormatMismatch, UnsafeImage, judge
from nimbus.services.image.service.access import visible_row
from nimbus.services.image.service.pipeline import Budget, DataFacts, DataPipeline
from nimbus.services.image.service.quotas import COUNT_UPLOADING, MIB, SIZE_TOTAL, STAGE_TOTAL
from nimbus.services.image.service.reconcile import claim_transfer, release_transfer
from nimbus.services.image.service.records import Caller, ImageRecord
from nimbus.services.image.service.stores import join_stores

if TYPE_CHECKING:
    from nimbus.services.image.service import ImageService

log = logging.getLogger(__name__)


@dataclass
class Download:
    """What GET .../file answers: no data (204), all of it (200) or a range (206)."""

    status: int
    chunks: Iterator[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)


class ImageData:
    def __init__(self, service: ImageService) -> None:
        self.service = service
        self.db = service.db
        self.options = service.options
        self.stores = service.stores
        self.staging = service.staging

    # -- upload ------------------------------------------------------------------------
    def upload(self, caller: Caller, image_id: str, chunks: Iterable[bytes],
               declared_size: int | None, store_id: str | None = None) -> None:
        """``store_id``: the X-Image-Meta-Store the client asked for, else the default."""
        store_id = self.stores.require([store_id or self.stores.default_id], UnknownStore)[0]
        store = self.stores.get(store_id)
        budgets = self._begin(caller, image_id, declared_size, "saving", SIZE_TOTAL)
        try:
            pipeline = DataPipeline(chunks, budgets)
            with storage_errors():
                stored = store.add(image_id, pipeline)
        except BaseException:
            self.restore(image_id, "saving")
            raise
        facts = pipeline.facts()
        try:
            virtual_size = self.judge_data(self.record_of(image_id), facts)
        except BaseException:
            store.delete(stored.location)
            self.restore(image_id, "saving")
            raise
        self.activate(image_id, "saving", facts, virtual_size, stored.location, [store_id])

    def _begin(self, caller: Caller, image_id: str, declared: int | None, status: str,
               size_resource: str) -> list[Budget]:
        """queued -> ``status``, once the quotas allow it; the byte budgets to hold to."""
        quotas = self.service.quotas
        if declared is not None and declared > self.options.image_size_cap:
            raise _too_large()
        with self.db.session() as s:
            quotas.enforce(s, caller.project_id, size_resource, (declared or 0) // MIB)
            row = visible_row(s, caller, image_id, lock=True)
            if row.status != "queued":
                raise InvalidStatusTransition(row.status, status)
            if status == "saving":
                _require_formats(row.disk_format, row.container_format)
            quota = quotas.budget(s, caller.project_id, size_resource)
            row.status, row.updated_at = status, utcnow()
            claim_transfer(s, image_id, status, self.service.node)
        try:
            with self.db.session() as s:
                quotas.enforce(s, caller.project_id, COUNT_UPLOADING)
        except OverLimit:
            self.restore(image_id, status)
            raise
        cap = Budget(self.options.image_size_cap, _too_large)
        return [cap] if quota is None else [cap, quota]

    def judge_data(self, record: ImageRecord, facts: DataFacts) -> int | None:
        try:
            return judge(facts.detection, record.disk_format, record.container_format,
                         facts.size, self.options.require_format_match)
        except UnsafeImage as unsafe:
            raise InvalidImageData(f"Image failed safety checks: {unsafe}") from None
        except FormatMismatch as mismatch:
            raise InvalidImageData(str(mismatch)) from None

    def activate(self, image_id: str, source: str, facts: DataFacts,
                 virtual_size: int | None, location: str, store_ids: list[str]) -> None:
        """``source`` -> active, the data in every one of ``store_ids`` under ``location``."""
        with self.db.session() as s:
            done = self.service.images.set_status(
                s, image_id, (source,), status="active", size=facts.size,
                virtual_size=virtual_size, checksum=facts.checksum,
                os_hash_algo=facts.os_hash_algo, os_hash_value=facts.os_hash_value,
                store=join_stores(store_ids, self.stores.weights), location=location,
                staged=None)
            release_transfer(s, image_id)
        if not done:
            for store_id in store_ids:
                self.stores.get(store_id).delete(location)
            raise ImageGone(image_id)

    def restore(self, image_id: str, source: str) -> None:
        """Back to queued after a failed upload or import, as Glance does."""
        try:
            with self.db.session() as s:
                self.service.images.set_status(s, image_id, (source,), status="queued",
                                               size=None, virtual_size=None, staged=None)
                release_transfer(s, image_id)
        except Exception:
            log.exception("could not put image %s back to queued", image_id)

    def record_of(self, image_id: str) -> ImageRecord:
        """The image as it is now; ImageGone if it was deleted meanwhile."""
        with self.db.session() as s:
            try:
                row = visible_row(s, Caller(None, is_admin=True), image_id)
            except ImageNotFound:
                raise ImageGone(image_id) from None
            return self.service.images.record(s, row)

    # -- staging (interoperable import, glance-direct) ---------------------------------
    def stage(self, caller: Caller, image_id: str, chunks: Iterable[bytes],
              declared_size: int | None) -> None:
        budgets = self._begin(caller, image_id, declared_size, "uploading", STAGE_TOTAL)
        try:
            pipeline = DataPipeline(chunks, budgets)
            with storage_errors():
                stored = self.staging.add(image_id, pipeline)
        except BaseException:
            self.restore(image_id, "uploading")
            raise
        facts = pipeline.facts()
        with self.db.session() as s:
            kept = self.service.images.set_status(
                s, image_id, ("uploading",), size=facts.size, staged=facts.as_dict())
            release_transfer(s, image_id)
        if not kept:
            self.staging.delete(stored.location)
            raise ImageGone(image_id)

    # -- download ----------------------------------------------------------------------
    def download(self, caller: Caller, record: ImageRecord, range_header: str | None
                 ) -> Download:
        if record.status == "deactivated" and not caller.is_admin:
            raise Forbidden("The requested image has been deactivated. Image data download "
                            "is forbidden.")
        if not record.location or record.size is None:
            return Download(204)
        size = record.size
        headers = {"Content-Type": "application/octet-stream"}
        if record.checksum:
            headers["Content-MD5"] = record.checksum
        span = parse_range(range_header, size) if range_header is not None else None
        offset, length = span or (0, size)
        headers["Content-Length"] = str(length)
        cached = self.service.cache.serve(record) if span is None else None
        if cached is not None:
            return Download(200, cached, headers)
        chunks = self._open(record, offset, length)
        if chunks is None:
            log.error("the data of image %s is missing from its stores", record.id)
            return Download(204)
        if span is None:
            return Download(200, iter(self.service.cache.filling(record, chunks)), headers)
        headers["Content-Range"] = f"bytes {offset}-{offset + length - 1}/{size}"
        return Download(206, chunks, headers)

    # -- deletion ----------------------------------------------------------------------
    def _open(self, record: ImageRecord, offset: int, length: int
              ) -> Iterator[bytes] | None:
        """The data from the first store that has it (the default store first)."""
        assert record.location is not None
        for _store_id, store in self.stores.holding(record.store):
            try:
                return store.get(record.location, offset, length)
            except FileNotFoundError:
                continue
        return None

    def forget(self, record: ImageRecord) -> None:
        """Remove the data of a deleted image, stored (in every store) or staged."""
        if record.location:
            for _store_id, store in self.stores.holding(record.store):
                store.delete(record.location)
        self.staging.delete(record.id)
        self.service.cache.delete(record.id)


def parse_range(header: str, size: int) -> tuple[int, int]:
    """(offset, length) for ``bytes=a-b``, ``bytes=a-`` or ``bytes=-n``; one range only."""
    if "," in header:
        raise BadRequest("Requests with multiple ranges are not supported in Glance. You "
                         "may make multiple single-range requests instead.")
    unit, _, spec = header.strip().partition("=")
    first, dash, last = spec.strip().partition("-")
    try:
        if unit.strip().lower() != "bytes" or not dash or not (first or last):
            raise ValueError(header)
        start = int(first) if first else None
        end = int(last) if last else None
    except ValueError:
        raise RangeNotSatisfiable("Invalid Range header.") from None
    if start is None:
        assert end is not None
        if end <= 0:
            raise RangeNotSatisfiable("Invalid Range header.")
        start = max(size - end, 0)
        end = size - 1
    if start < 0 or (end is not None and end < start):
        raise RangeNotSatisfiable("Invalid Range header.")
    if start >= size:
        raise RangeNotSatisfiable("Invalid start position in Range header. Start position "
                                  f"MUST be in the inclusive range [0, {size - 1}].")
    end = size - 1 if end is None or end >= size else end
    return start, end - start + 1


def _require_formats(disk_format: str | None, container_format: str | None) -> None:
    missing = [name for name, value in (("disk_format", disk_format),
                                        ("container_format", container_format)) if not value]
    if len(missing) == 1:
        raise BadRequest(f"Property {missing[0]} must be set prior to saving data.")
    if missing:
        raise BadRequest(f"Properties {', '.join(missing)} must be set prior to saving data.")


@contextmanager
def storage_errors() -> Iterator[None]:
    """A store that cannot write answers as Glance's API does: full -> 413, not allowed
    to write -> 503. Anything else stays an internal error."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            log.error("image store full: %s", exc)
            raise OverLimit("Image storage media is full: There is not enough disk space "
                            "on the image storage media.") from None
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            log.error("image store not writable: %s", exc)
            raise StorageUnavailable("Insufficient permissions on image storage media: "
                                     "Permission to write image storage media denied.") \
                from None
        raise


def _too_large() -> OverLimit:
    return OverLimit("The incoming image is too large")
