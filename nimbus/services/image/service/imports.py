"""Interoperable image import (POST /v2/images/{id}/import), into one store or several.

* ``glance-direct``: the data staged by PUT .../stage is checked and moved into the stores;
* ``web-download``: the data is fetched from a URL the operator's allow-list lets through
  into the staging area, checked as an upload is, then moved into the stores;
* ``copy-image``: an active image's data is copied into more stores.

Each import holds the image's import lock (``os_glance_import_task``), shows its progress in
the image's ``os_glance_importing_to_stores`` / ``os_glance_failed_import``, and is recorded
as a task. An import that fails puts the image back as it was (queued, or active for
copy-image) and removes whatever data it wrote.

glance-direct runs within the request (its data is already here: a move, or a copy per extra
store), so its 202 comes once the outcome is recorded. web-download and copy-image wait on
other hosts or move whole images, so they run on the service's import threads after the 202,
as Glance's task pool runs them; the image and its task show how they get on.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nimbus.kernel.concurrency import stepping_aside
from nimbus.kernel.db import utcnow
from nimbus.services.image.errors import (
    BadRequest,
    Conflict,
    InvalidImageData,
    OverLimit,
    UnknownImportStore,
)
from nimbus.services.image.models import Image
from nimbus.services.image.service import progress
from nimbus.services.image.service.access import visible_row
from nimbus.services.image.service.data import storage_errors
from nimbus.services.image.service.pipeline import Budget, DataFacts, DataPipeline
from nimbus.services.image.service.quotas import MIB, SIZE_TOTAL, STAGE_TOTAL
from nimbus.services.image.service.reconcile import claim_transfer
from nimbus.services.image.service.records import Caller
from nimbus.services.image.service.stores import join_stores, split_stores
from nimbus.services.image.service.tasks import IMPORT_TASK
from nimbus.services.image.service.webdownload import DownloadFailed, UrlFilter, fetch

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nimbus.services.image.service import ImageService

log = logging.getLogger(__name__)

GLANCE_DIRECT, WEB_DOWNLOAD, COPY_IMAGE = "glance-direct", "web-download", "copy-image"
# The methods this cloud knows how to run; the settings choose which are offered.
KNOWN_METHODS = (GLANCE_DIRECT, WEB_DOWNLOAD, COPY_IMAGE)
# Glance's import lock: a task that has not moved for this long no longer holds it.
LOCK_EXPIRY = dt.timedelta(minutes=60)
# The methods that run after the answer, and how many such imports run at once.
BACKGROUND_METHODS = (WEB_DOWNLOAD, COPY_IMAGE)
IMPORT_THREADS = 2


@dataclass(frozen=True)
class ImportRequest:
    method: str
    body: dict[str, Any]
    store_header: str | None
    uri: str | None = None
    all_stores: bool = False
    must_succeed: bool = True
    # How the task is recorded: an import's, or a legacy POST /v2/tasks one's.
    task_type: str = IMPORT_TASK
    task_input: dict[str, Any] | None = None


@dataclass
class Claim:
    """An import that holds the image's lock: what it does, and what it learnt so far."""

    task_id: str
    image_id: str
    request: ImportRequest
    stores: list[str]
    key: str
    facts: DataFacts | None = None
    source_store: str | None = None
    virtual_size: int | None = None
    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Imports:
    def __init__(self, service: ImageService) -> None:
        self.service = service
        self.db = service.db
        self.url_filter = UrlFilter.from_options(service.options)
        self._pool = ThreadPoolExecutor(IMPORT_THREADS, thread_name_prefix="importer")
        self._running: set[Future[None]] = set()
        self._lock = threading.Lock()

    @property
    def methods(self) -> list[str]:
        """The import methods offered, in the settings' order."""
        return [m for m in self.service.options.import_methods if m in KNOWN_METHODS]

    def start(self, caller: Caller, image_id: str, body: Any, store_header: str | None
              ) -> None:
        """Check the request, then run the import; its outcome is the task's."""
        self.run(caller, image_id, self.parse(body, store_header))

    def run(self, caller: Caller, image_id: str, request: ImportRequest) -> str | None:
        """Run a checked request, now or on the import threads; the id of its task (None
        when there was nothing to do)."""
        claim = self._claim(caller, image_id, request)
        if claim is None:
            return None
        if request.method in BACKGROUND_METHODS:
            future = self._pool.submit(self._run, claim)
            with self._lock:
                self._running.add(future)
            future.add_done_callback(self._forget)
        else:
            self._run(claim)
        return claim.task_id

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._running.discard(future)
        if future.exception() is not None:
            log.error("image import thread failed", exc_info=future.exception())

    def drain(self, timeout: float | None = None) -> None:
        """Wait for the imports running in the background."""
        with self._lock:
            running = set(self._running)
        wait(running, timeout)

    def parse(self, body: Any, store_header: str | None) -> ImportRequest:
        if not isinstance(body, dict):
            raise BadRequest("Body expected in request.")
        method = body.get("method")
        if not isinstance(method, dict):
            raise BadRequest("Import request requires a 'method' field.")
        if "name" not in method:
            raise BadRequest("Import request requires a 'name' field.")
        if method["name"] not in self.methods:
            raise BadRequest(f"Unknown import method name '{method['name']}'.")
        for flag, default in (("all_stores_must_succeed", True), ("all_stores", False)):
            if not isinstance(body.get(flag, default), bool):
                raise BadRequest(f"'{flag}' must be boolean value only")
        return ImportRequest(str(method["name"]), body, store_header, method.get("uri"),
                             body.get("all_stores", False),
                             body.get("all_stores_must_succeed", True))

    def target_stores(self, request: ImportRequest) -> list[str]:
        """The stores the request names (Glance's get_stores_from_request)."""
        body, header = request.body, request.store_header
        if request.all_stores:
            if "stores" in body or header is not None:
                raise BadRequest("All_stores parameter can't be used with x-image-meta-store "
                                 "header or stores parameter")
            return self.service.stores.ids
        if "stores" in body:
            if header is not None:
                raise BadRequest("Stores parameter and x-image-meta-store header can't be "
                                 "both specified")
            wanted = body["stores"]
            if not isinstance(wanted, list) or not wanted:
                raise UnknownImportStore(str(wanted))
        else:
            wanted = [header or self.service.stores.default_id]
        found = self.service.stores.require(wanted, UnknownImportStore)
        return list(dict.fromkeys(found))

    # -- claiming the image ------------------------------------------------------------
    def _claim(self, caller: Caller, image_id: str, request: ImportRequest) -> Claim | None:
        """Checks as Glance makes them, then the lock, the task and the progress marks, in
        one transaction; None when a copy has nothing left to do."""
        with self.db.session() as s:
            row = visible_row(s, caller, image_id, lock=True)
            _check_importable(row, request.method)
            stores = self._stores_for(row, request)
            if not stores:
                return None
            if request.method == WEB_DOWNLOAD and not self.url_filter.allows(request.uri):
                raise BadRequest(f"URI for web-download does not pass filtering: "
                                 f"{request.uri}")
            facts = self._staged_facts(row) if request.method == GLANCE_DIRECT else None
            quotas = self.service.quotas
            quotas.enforce(s, caller.project_id, SIZE_TOTAL, facts.size // MIB if facts else 0)
            self._take_lock(s, row)
            task_input = request.task_input or {
                "image_id": image_id, "import_req": request.body, "backend": stores}
            task_id = self.service.tasks.open(s, caller, image_id, task_input,
                                              request.task_type)
            progress.set_property(s, image_id, progress.LOCK, task_id)
            progress.merge_stores(s, image_id, progress.IMPORTING, add=stores)
            progress.merge_stores(s, image_id, progress.FAILED, remove=stores)
            if request.method != COPY_IMAGE:
                row.status = "importing"
                claim_transfer(s, image_id, "importing", self.service.node)
            row.updated_at = utcnow()
            source = self.service.stores.holding(row.store)
            return Claim(task_id, image_id, request, stores, row.location or image_id, facts,
                         source[0][0] if source else None)

    def _stores_for(self, row: Image, request: ImportRequest) -> list[str]:
        stores = self.target_stores(request)
        if request.method != COPY_IMAGE:
            return stores
        present = split_stores(row.store)
        if request.all_stores:
            return [store for store in stores if store not in present]
        for store in stores:
            if store in present:
                raise BadRequest(f"Image is already present at store '{store}'")
        return stores

    @staticmethod
    def _staged_facts(row: Image) -> DataFacts:
        if not row.staged:
            raise Conflict("Image needs to be staged before 'glance-direct' method can be "
                           "used")
        return DataFacts.from_dict(row.staged)

    def _take_lock(self, s: Session, row: Image) -> None:
        """Conflict while another import holds the image, unless its task went stale."""
        holder = progress.properties(s, row.id).get(progress.LOCK)
        if holder is None:
            return
        state = self.service.tasks.state(s, holder)
        if state is not None and utcnow() - state[1] < LOCK_EXPIRY:
            raise Conflict("Image has active task")
        log.warning("image %s: import task %s held a stale lock; taken over", row.id, holder)

    # -- running -----------------------------------------------------------------------
    def _run(self, claim: Claim) -> None:
        try:
            with stepping_aside():
                self._prepare(claim)
                self._copy_to_stores(claim)
        except Exception as exc:
            self._fail(claim, exc)
            return
        self._conclude(claim)

    def _prepare(self, claim: Claim) -> None:
        """Data in the staging area, judged against the image's formats (not for a copy,
        whose data is already in a store)."""
        data = self.service.data
        if claim.request.method == COPY_IMAGE:
            if claim.source_store is None:
                raise InvalidImageData("The image has no data in any store to copy from")
            return
        if claim.request.method == WEB_DOWNLOAD:
            claim.facts = self._download(claim)
        assert claim.facts is not None
        claim.virtual_size = data.judge_data(data.record_of(claim.image_id), claim.facts)

    def _download(self, claim: Claim) -> DataFacts:
        assert claim.request.uri is not None
        budgets = self._stage_budgets(claim.image_id)
        cap = min(budget.limit for budget in budgets)
        pipeline = DataPipeline(fetch(claim.request.uri, self.url_filter, cap), budgets)
        with storage_errors():
            self.service.staging.add(claim.image_id, pipeline)
        return pipeline.facts()

    def _stage_budgets(self, image_id: str) -> list[Budget]:
        def too_large() -> OverLimit:
            return OverLimit("The incoming image is too large")

        budgets = [Budget(self.service.options.image_size_cap, too_large)]
        with self.db.session() as s:
            owner = s.get(Image, image_id)
            quota = self.service.quotas.budget(s, owner.owner if owner else None, STAGE_TOTAL)
        return budgets if quota is None else [*budgets, quota]

    def _copy_to_stores(self, claim: Claim) -> None:
        """Each target store in turn; a store that fails ends the import unless the request
        let stores fail (all_stores_must_succeed false)."""
        for index, store_id in enumerate(claim.stores):
            last = index == len(claim.stores) - 1
            try:
                with storage_errors():
                    self._store_into(claim, store_id, last)
            except Exception as exc:
                log.warning("image %s: import into store %s failed: %s", claim.image_id,
                            store_id, exc)
                claim.failed.append(store_id)
                self._mark(claim.image_id, store_id, failed=True)
                if claim.request.must_succeed:
                    raise
                continue
            claim.done.append(store_id)
            self._mark(claim.image_id, store_id, failed=False)
        if not claim.done:
            raise InvalidImageData("None of the uploads finished!")

    def _store_into(self, claim: Claim, store_id: str, last: bool) -> None:
        stores, staging = self.service.stores, self.service.staging
        target = stores.get(store_id)
        if claim.request.method == COPY_IMAGE:
            assert claim.source_store is not None
            source = stores.get(claim.source_store)
            target.add(claim.key, source.get(claim.key))
        elif last:
            target.take(staging, claim.image_id, claim.key)
        else:
            target.add(claim.key, staging.get(claim.image_id))

    def _mark(self, image_id: str, store_id: str, failed: bool) -> None:
        with self.db.session() as s:
            progress.merge_stores(s, image_id, progress.IMPORTING, remove=[store_id])
            if failed:
                progress.merge_stores(s, image_id, progress.FAILED, add=[store_id])

    # -- outcome -----------------------------------------------------------------------
    def _conclude(self, claim: Claim) -> None:
        try:
            if claim.request.method == COPY_IMAGE:
                self._add_copies(claim)
            else:
                assert claim.facts is not None
                self.service.data.activate(claim.image_id, "importing", claim.facts,
                                           claim.virtual_size, claim.key, claim.done)
        except Exception as exc:
            self._fail(claim, exc)
            return
        self.service.staging.delete(claim.image_id)
        self._release(claim)
        self.service.tasks.finish(claim.task_id, "success", "",
                                  {"image_id": claim.image_id})

    def _add_copies(self, claim: Claim) -> None:
        with self.db.session() as s:
            row = s.get(Image, claim.image_id, with_for_update=True)
            if row is None:
                raise InvalidImageData("Image has been deleted, aborting import.")
            row.store = join_stores([*split_stores(row.store), *claim.done],
                                    self.service.stores.weights)
            row.updated_at = utcnow()

    def _fail(self, claim: Claim, exc: Exception) -> None:
        """Remove what this import wrote, put the image back, say why in the task."""
        if not isinstance(exc, (InvalidImageData, DownloadFailed, OverLimit)):
            log.exception("import of image %s failed", claim.image_id)
        for store_id in claim.done:
            _quietly(self.service.stores.get(store_id).delete, claim.key)
        if claim.request.method != COPY_IMAGE:
            self.service.staging.delete(claim.image_id)
            self.service.data.restore(claim.image_id, "importing")
        self._release(claim, failed=claim.failed or
                      [store for store in claim.stores if store not in claim.done])
        self.service.tasks.finish(claim.task_id, "failure", getattr(exc, "message", str(exc)))

    def _release(self, claim: Claim, failed: Iterable[str] = ()) -> None:
        """Drop the lock and this import's stores from the importing list."""
        try:
            with self.db.session() as s:
                progress.merge_stores(s, claim.image_id, progress.IMPORTING,
                                      remove=claim.stores)
                if failed:
                    progress.merge_stores(s, claim.image_id, progress.FAILED, add=failed)
                props = progress.properties(s, claim.image_id)
                if props.get(progress.LOCK) == claim.task_id:
                    progress.drop_property(s, claim.image_id, progress.LOCK)
        except Exception:
            log.exception("could not release the import lock of image %s", claim.image_id)


def _check_importable(row: Image, method: str) -> None:
    if row.status == "active" and method != COPY_IMAGE:
        raise Conflict("Image with status active cannot be target for import")
    if row.status != "active" and method == COPY_IMAGE:
        raise Conflict("Only images with status active can be targeted for copying")
    if row.status != "queued" and method == WEB_DOWNLOAD:
        raise Conflict(f"Image needs to be in 'queued' state to use '{method}' method")
    if row.status != "uploading" and method == GLANCE_DIRECT:
        raise Conflict("Image needs to be staged before 'glance-direct' method can be used")
    if not row.container_format:
        raise Conflict("'container_format' needs to be set before import")
    if not row.disk_format:
        raise Conflict("'disk_format' needs to be set before import")


def _quietly(action: Callable[[str], None], key: str) -> None:
    try:
        action(key)
    except OSError:
        log.exception("could not remove %s while undoing an import", key)
