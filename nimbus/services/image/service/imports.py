"""Interoperable image import (POST .../import) and the tasks that record each import.

Only ``glance-direct`` is offered: the data was staged by PUT .../stage and is checked and
moved into the store here. ``web-download`` and ``glance-download`` would have the cloud
fetch URLs of the caller's choosing, so they are not offered; ``copy-image`` needs more
than one store.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from nimbus.kernel.db import utcnow
from nimbus.services.image.errors import BadRequest, Conflict, InvalidImageData
from nimbus.services.image.models import ImageTask
from nimbus.services.image.service.access import visible_row
from nimbus.services.image.service.pipeline import DataFacts
from nimbus.services.image.service.quotas import MIB, SIZE_TOTAL
from nimbus.services.image.service.reconcile import claim_transfer
from nimbus.services.image.service.records import Caller, TaskRecord, task_record

if TYPE_CHECKING:
    from nimbus.services.image.service import ImageService

log = logging.getLogger(__name__)

IMPORT_METHODS = ("glance-direct",)
TASK_TYPE = "api_image_import"
TASK_LIFETIME = dt.timedelta(hours=48)


class Imports:
    def __init__(self, service: ImageService) -> None:
        self.service = service
        self.db = service.db

    def start(self, caller: Caller, image_id: str, body: Any) -> None:
        """Check the request, then run the import; its outcome is the task's."""
        method = validate_import_body(body, self.service.options.store_id)
        task_id, facts = self._claim(caller, image_id, body, method)
        data = self.service.data
        try:
            record = data.record_of(image_id)
            virtual_size = data.judge_data(record, facts)
            stored = self.service.store.take(self.service.staging, image_id, image_id)
        except Exception as exc:
            self._fail(image_id, task_id, exc)
            return
        try:
            data.activate(image_id, "importing", facts, virtual_size, stored.location)
        except Exception as exc:
            self._finish_task(task_id, "failure", str(exc))
            return
        self._finish_task(task_id, "success", "", {"image_id": image_id})

    def _claim(self, caller: Caller, image_id: str, body: dict[str, Any], method: str
               ) -> tuple[str, DataFacts]:
        """uploading -> importing, with a task in processing; the staged data's facts."""
        with self.db.session() as s:
            row = visible_row(s, caller, image_id, lock=True)
            _check_importable(row.status, row.disk_format, row.container_format)
            if not row.staged:
                raise Conflict("Image needs to be staged before 'glance-direct' method can "
                               "be used")
            facts = DataFacts.from_dict(row.staged)
            self.service.quotas.enforce(s, caller.project_id, SIZE_TOTAL, facts.size // MIB)
            task_id = str(uuid.uuid4())
            now = utcnow()
            s.add(ImageTask(id=task_id, image_id=image_id, type=TASK_TYPE,
                            status="processing", owner=caller.project_id,
                            user_id=caller.user_id, request_id=caller.request_id,
                            input={"image_id": image_id, "import_req": body,
                                   "backend": [self.service.store.store_id]},
                            created_at=now, updated_at=now, message=""))
            row.status, row.updated_at = "importing", now
            claim_transfer(s, image_id, "importing", self.service.node)
        return task_id, facts

    def _fail(self, image_id: str, task_id: str, exc: Exception) -> None:
        """The staged data is refused: drop it, back to queued, and say why in the task."""
        if not isinstance(exc, InvalidImageData):
            log.exception("import of image %s failed", image_id)
        self.service.staging.delete(image_id)
        self.service.data.restore(image_id, "importing")
        self._finish_task(task_id, "failure", getattr(exc, "message", str(exc)))

    def _finish_task(self, task_id: str, status: str, message: str,
                     result: dict[str, Any] | None = None) -> None:
        with self.db.session() as s:
            task = s.get(ImageTask, task_id)
            if task is None:
                return
            now = utcnow()
            task.status, task.message, task.result = status, message, result
            task.updated_at, task.expires_at = now, now + TASK_LIFETIME

    def tasks_of(self, caller: Caller, image_id: str) -> list[TaskRecord]:
        with self.db.session() as s:
            visible_row(s, caller, image_id)
            rows = s.scalars(select(ImageTask).where(ImageTask.image_id == image_id)
                             .order_by(ImageTask.created_at))
            return [task_record(row) for row in rows]


def validate_import_body(body: Any, store_id: str) -> str:
    if not isinstance(body, dict):
        raise BadRequest("Body expected in request.")
    method = body.get("method")
    if not isinstance(method, dict):
        raise BadRequest("Import request requires a 'method' field.")
    name = method.get("name")
    if name is None:
        raise BadRequest("Import request requires a 'name' field.")
    if name not in IMPORT_METHODS:
        raise BadRequest(f"Unknown import method name '{name}'. This cloud offers: "
                         f"{', '.join(IMPORT_METHODS)} (it fetches no URLs itself).")
    for flag in ("all_stores_must_succeed", "all_stores"):
        if flag in body and not isinstance(body[flag], bool):
            raise BadRequest(f"'{flag}' must be boolean value only")
    stores = body.get("stores")
    if stores is not None and (not isinstance(stores, list) or
                               any(store != store_id for store in stores)):
        raise Conflict(f"Unknown scheme or store in {stores!r}; this cloud has '{store_id}'.")
    return str(name)


def _check_importable(status: str, disk_format: str | None, container_format: str | None
                      ) -> None:
    if status == "active":
        raise Conflict("Image with status active cannot be target for import")
    if status != "uploading":
        raise Conflict("Image needs to be staged before 'glance-direct' method can be used")
    if not container_format:
        raise Conflict("'container_format' needs to be set before import")
    if not disk_format:
        raise Conflict("'disk_format' needs to be set before import")
