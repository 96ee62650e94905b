"""The image cache (Glance's image_cache_dir): image data kept on this node's local disk.

An image downloaded whole through the API is written to the cache as it is sent; one queued
by ``PUT /v2/cache/{image_id}`` is fetched into it by a worker thread. Later whole downloads
are served from the cache. The cache holds at most ``image_cache_max_size`` bytes: past it,
the least recently used images are pruned.

Files: ``<dir>/<image_id>`` complete, ``<dir>/incomplete/<image_id>`` being written (one
writer an image: the name is created exclusively). What each node holds is recorded in
``image_cache_entry`` under the node's name, so every worker process of the node sees the
same cache and queue. A cached file is checked against the image's checksum when written and
again as it is served: a file that fails is dropped (and a download from it is cut short
before its last bytes, so the client sees an error, not wrong data).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from nimbus.kernel.db import utcnow
from nimbus.services.image.errors import ImageNotFound
from nimbus.services.image.models import ImageCacheEntry
from nimbus.services.image.service.pipeline import HashThread
from nimbus.services.image.service.records import Caller, ImageRecord
from nimbus.services.image.store.filesystem import SAFE_KEY, FilesystemStore

if TYPE_CHECKING:
    from nimbus.services.image.service import ImageService

log = logging.getLogger(__name__)

CLEAR_TARGETS = ("cache", "queue", "both")
# Seconds the prefetch worker waits for more work before it ends.
WORKER_IDLE = 5.0
ADMIN = Caller(None, is_admin=True)


class CorruptCachedImage(Exception):
    """A cached file whose data is not the image's: the download it fed is cut short."""


@dataclass(frozen=True)
class CachedImage:
    image_id: str
    hits: int
    last_accessed: float
    last_modified: float
    size: int


@dataclass(frozen=True)
class CacheState:
    cached: list[CachedImage]
    queued: list[str]


def _epoch(when: dt.datetime | None) -> float:
    return 0.0 if when is None else when.replace(tzinfo=dt.UTC).timestamp()


class CacheWriter:
    """One image's file on its way into the cache; ``None`` from ``start`` when another
    writer has it already."""

    def __init__(self, path: Path, handle: BinaryIO) -> None:
        self.path = path
        self.handle = handle
        # md5 in a thread of its own (hashlib lets go of the GIL): the download goes on.
        self.md5 = HashThread("md5")
        self.size = 0

    @classmethod
    def start(cls, folder: Path, image_id: str) -> CacheWriter | None:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / image_id
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return None
        return cls(path, os.fdopen(fd, "wb"))

    def write(self, chunk: bytes) -> None:
        self.handle.write(chunk)
        self.md5.update(chunk)
        self.size += len(chunk)

    def finish(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()

    def discard(self) -> None:
        self.md5.stop()
        if not self.handle.closed:
            self.handle.close()
        self.path.unlink(missing_ok=True)


class ImageCache:
    def __init__(self, service: ImageService, root: Path, max_size: int) -> None:
        self.service = service
        self.db = service.db
        self.node = service.node
        self.root = root
        self.incomplete = root / "incomplete"
        self.max_size = max_size
        self.files = FilesystemStore("cache", root, direct=False)
        self._jobs: queue.Queue[str] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()

    # -- what the API shows --------------------------------------------------------------
    def state(self) -> CacheState:
        with self.db.session() as s:
            rows = list(s.scalars(select(ImageCacheEntry)
                                  .where(ImageCacheEntry.node == self.node)
                                  .order_by(ImageCacheEntry.queued_at)))
        cached = [CachedImage(r.image_id, r.hits, _epoch(r.last_accessed),
                              _epoch(r.last_modified), r.size or 0)
                  for r in rows if r.state == "cached" and self._file(r.image_id).is_file()]
        queued = [r.image_id for r in rows if r.state == "queued"]
        return CacheState(cached, queued)

    def holds(self, image_id: str) -> bool:
        """Cached or queued here: what lets DELETE /v2/cache/{id} name a deleted image."""
        if not SAFE_KEY.match(image_id):
            return False
        with self.db.session() as s:
            return s.get(ImageCacheEntry, (self.node, image_id)) is not None

    # -- queueing and the worker ---------------------------------------------------------
    def queue_image(self, image_id: str) -> None:
        """Queue an (active) image for caching; the worker fetches it in the background."""
        with self.db.session() as s:
            if s.get(ImageCacheEntry, (self.node, image_id)) is not None:
                return
            s.add(ImageCacheEntry(node=self.node, image_id=image_id, state="queued",
                                  hits=0, queued_at=utcnow()))
        self._submit(image_id)

    def resume_queue(self) -> None:
        """At start: what was queued before this process began is fetched now."""
        for image_id in self.state().queued:
            self._submit(image_id)

    def _submit(self, image_id: str) -> None:
        with self._worker_lock:
            self._jobs.put(image_id)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="cache-prefetch",
                                                daemon=True)
                self._worker.start()

    def _next_job(self) -> str | None:
        """The next image to fetch; None once the queue stayed empty a while (the worker
        then ends, and the next submit starts another)."""
        try:
            return self._jobs.get(timeout=WORKER_IDLE)
        except queue.Empty:
            with self._worker_lock:
                if self._jobs.empty():
                    self._worker = None
                    return None
            return self._jobs.get()

    def _work(self) -> None:
        while (image_id := self._next_job()) is not None:
            try:
                self.prefetch(image_id)
            except Exception:
                log.exception("caching image %s failed", image_id)
                self._drop_entry(image_id, "queued")
            finally:
                self._jobs.task_done()

    def drain(self) -> None:
        """Wait until the worker has handled everything queued so far."""
        self._jobs.join()

    def prefetch(self, image_id: str) -> bool:
        """Fetch a queued image into the cache; tells whether it is cached now."""
        try:
            record = self.service.images.get(ADMIN, image_id)
        except ImageNotFound:
            record = None
        if record is None or not self._cacheable(record):
            log.info("image %s is not cached: it is gone, not active or too large",
                     image_id)
            self._drop_entry(image_id, "queued")
            return False
        if self._is_cached(image_id):
            return True
        assert record.location is not None
        writer = CacheWriter.start(self.incomplete, image_id)
        if writer is None:
            return False
        holding = self.service.stores.holding(record.store) or [("", self.service.store)]
        try:
            for chunk in holding[0][1].get(record.location):
                writer.write(chunk)
        except BaseException:
            writer.discard()
            raise
        return self._install(record, writer)

    # -- serving and filling ---------------------------------------------------------------
    def serve(self, record: ImageRecord) -> Iterator[bytes] | None:
        """The image's data from the cache, checked as it goes; None on a miss."""
        if record.status != "active" or not SAFE_KEY.match(record.id):
            return None
        with self.db.session() as s:
            entry = s.get(ImageCacheEntry, (self.node, record.id))
            if entry is None or entry.state != "cached":
                return None
            path = self._file(record.id)
            if (not path.is_file() or path.stat().st_size != record.size
                    or entry.checksum != record.checksum):
                log.error("cached file of image %s does not match the image: dropped",
                          record.id)
                self._remove(s, record.id)
                return None
            try:
                # Opened now: a file removed from here on is still read whole.
                chunks = self.files.get(record.id)
            except FileNotFoundError:
                return None
        return self._checked(record, chunks)

    def _count_hit(self, image_id: str) -> None:
        with self.db.session() as s:
            s.execute(update(ImageCacheEntry).where(
                ImageCacheEntry.node == self.node, ImageCacheEntry.image_id == image_id)
                .values(hits=ImageCacheEntry.hits + 1, last_accessed=utcnow()))

    def _checked(self, record: ImageRecord, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """The cached file, passed on one chunk behind, so the last one goes only once the
        whole file is known to hash to the image's checksum. A hit counts once sent."""
        self._count_hit(record.id)
        md5 = HashThread("md5")
        held: bytes | None = None
        try:
            for chunk in chunks:
                md5.update(chunk)
                if held is not None:
                    yield held
                held = chunk
            digest = md5.hexdigest()
        finally:
            md5.stop()
        if record.checksum and digest != record.checksum:
            log.error("cached file of image %s is corrupt (md5 %s, the image's %s): dropped",
                      record.id, digest, record.checksum)
            self.delete(record.id)
            raise CorruptCachedImage(record.id)
        if held is not None:
            yield held

    def filling(self, record: ImageRecord, chunks: Iterable[bytes]) -> Iterable[bytes]:
        """The chunks of a whole download, written to the cache on their way when the
        image may be cached and no one else is caching it."""
        if not self._cacheable(record) or self._is_cached(record.id):
            return chunks
        return self._tee(record, chunks)

    def _tee(self, record: ImageRecord, chunks: Iterable[bytes]) -> Iterator[bytes]:
        # The file is made once the first chunk is asked for: a reply never sent (HEAD)
        # leaves nothing behind.
        writer = CacheWriter.start(self.incomplete, record.id)
        if writer is None:
            yield from chunks
            return
        writing, finished = True, False
        try:
            for chunk in chunks:
                if writing:
                    writing = self._write_or_give_up(writer, chunk)
                yield chunk
            finished = True
        finally:
            if finished and writing:
                self._install(record, writer)
            else:
                writer.discard()

    @staticmethod
    def _write_or_give_up(writer: CacheWriter, chunk: bytes) -> bool:
        """A cache that cannot take more (a full disk) stops caching, never the download."""
        try:
            writer.write(chunk)
            return True
        except OSError as exc:
            log.warning("image cache write failed, not caching: %s", exc)
            writer.discard()
            return False

    def _install(self, record: ImageRecord, writer: CacheWriter) -> bool:
        """Move a complete, checked file in place and record it; then prune."""
        try:
            writer.finish()
        except OSError as exc:
            log.warning("image cache write failed, not caching: %s", exc)
            writer.discard()
            return False
        digest = writer.md5.hexdigest()
        if writer.size != record.size or (record.checksum and digest != record.checksum):
            log.error("data of image %s read for the cache does not match its checksum "
                      "or size: not cached", record.id)
            writer.discard()
            self._drop_entry(record.id, "queued")
            return False
        os.replace(writer.path, self._file(record.id))
        now = utcnow()
        with self.db.session() as s:
            entry = s.get(ImageCacheEntry, (self.node, record.id))
            if entry is None:
                entry = ImageCacheEntry(node=self.node, image_id=record.id, queued_at=now)
                s.add(entry)
            entry.state, entry.size, entry.checksum, entry.hits = \
                "cached", writer.size, record.checksum, 0
            entry.last_accessed = entry.last_modified = now
        self.prune()
        return True

    # -- removing ------------------------------------------------------------------------
    def delete(self, image_id: str) -> None:
        """Out of the cache and the queue (DELETE /v2/cache/{id}; the image deleted)."""
        if not SAFE_KEY.match(image_id):
            return
        with self.db.session() as s:
            self._remove(s, image_id)

    def clear(self, target: str) -> None:
        """Empty the cache, the queue, or both."""
        states = {"cache": ("cached",), "queue": ("queued",)}.get(target,
                                                                  ("cached", "queued"))
        with self.db.session() as s:
            ids = list(s.scalars(select(ImageCacheEntry.image_id).where(
                ImageCacheEntry.node == self.node, ImageCacheEntry.state.in_(states))))
            s.execute(delete(ImageCacheEntry).where(
                ImageCacheEntry.node == self.node, ImageCacheEntry.state.in_(states)))
        if "cached" in states:
            for image_id in ids:
                self._file(image_id).unlink(missing_ok=True)

    def prune(self) -> int:
        """Remove the least recently used images until the cache fits its size limit;
        returns how many were removed."""
        removed = 0
        with self.db.session() as s:
            total = s.scalar(select(func.coalesce(func.sum(ImageCacheEntry.size), 0)).where(
                ImageCacheEntry.node == self.node, ImageCacheEntry.state == "cached")) or 0
            if total <= self.max_size:
                return 0
            oldest_first = s.scalars(
                select(ImageCacheEntry).where(ImageCacheEntry.node == self.node,
                                              ImageCacheEntry.state == "cached")
                .order_by(ImageCacheEntry.last_accessed, ImageCacheEntry.last_modified))
            for entry in list(oldest_first):
                if total <= self.max_size:
                    break
                total -= entry.size or 0
                self._remove(s, entry.image_id)
                removed += 1
                log.info("pruned image %s from the cache (over %d bytes)", entry.image_id,
                         self.max_size)
        return removed

    def sweep(self) -> None:
        """At start: drop half-written files, files nothing records, and records whose
        file is gone."""
        if self.incomplete.is_dir():
            for leftover in self.incomplete.iterdir():
                leftover.unlink(missing_ok=True)
        with self.db.session() as s:
            known = {e.image_id: e.state for e in s.scalars(
                select(ImageCacheEntry).where(ImageCacheEntry.node == self.node))}
            for image_id, state in known.items():
                if state == "cached" and not self._file(image_id).is_file():
                    self._remove(s, image_id)
        if self.root.is_dir():
            for path in self.root.iterdir():
                if path.is_file() and known.get(path.name) != "cached":
                    path.unlink(missing_ok=True)

    # -- helpers -------------------------------------------------------------------------
    def _cacheable(self, record: ImageRecord) -> bool:
        return (record.status == "active" and bool(record.location) and
                record.size is not None and 0 < record.size <= self.max_size and
                SAFE_KEY.match(record.id) is not None)

    def _is_cached(self, image_id: str) -> bool:
        with self.db.session() as s:
            entry = s.get(ImageCacheEntry, (self.node, image_id))
            return entry is not None and entry.state == "cached"

    def _file(self, image_id: str) -> Path:
        return self.root / image_id

    def _remove(self, s: Session, image_id: str) -> None:
        s.execute(delete(ImageCacheEntry).where(ImageCacheEntry.node == self.node,
                                                ImageCacheEntry.image_id == image_id))
        self._file(image_id).unlink(missing_ok=True)

    def _drop_entry(self, image_id: str, state: str) -> None:
        with self.db.session() as s:
            s.execute(delete(ImageCacheEntry).where(ImageCacheEntry.node == self.node,
                                                    ImageCacheEntry.image_id == image_id,
                                                    ImageCacheEntry.state == state))
