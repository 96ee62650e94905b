"""Tasks: the record of every import (Glance's ``api_image_import`` tasks), and the tasks API
that reads them (GET /v2/tasks, /v2/tasks/{id}, /v2/images/{id}/tasks)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from nimbus.kernel.db import utcnow
from nimbus.services.image.errors import BadRequest, TaskNotFound
from nimbus.services.image.models import ImageTask
from nimbus.services.image.service.access import visible_row
from nimbus.services.image.service.records import Caller, TaskRecord, task_record

if TYPE_CHECKING:
    from nimbus.services.image.service import ImageService

IMPORT_TASK = "api_image_import"
# Glance's task_time_to_live: a finished task is kept this long.
TASK_LIFETIME = dt.timedelta(hours=48)
SORT_KEYS = ("id", "type", "status", "owner", "expires_at", "created_at", "updated_at")


@dataclass
class TaskQuery:
    limit: int
    marker: str | None = None
    sort_key: str = "created_at"
    sort_dir: str = "desc"
    filters: dict[str, str] = field(default_factory=dict)


class Tasks:
    def __init__(self, service: ImageService) -> None:
        self.db = service.db

    def open(self, s: Session, caller: Caller, image_id: str, task_input: dict[str, Any],
             task_type: str = IMPORT_TASK) -> str:
        """A new import task, in processing; its id."""
        task_id = str(uuid.uuid4())
        now = utcnow()
        s.add(ImageTask(id=task_id, image_id=image_id, type=task_type,
                        status="processing", owner=caller.project_id,
                        user_id=caller.user_id, request_id=caller.request_id,
                        input=task_input, created_at=now, updated_at=now, message=""))
        return task_id

    def finish(self, task_id: str, status: str, message: str = "",
               result: dict[str, Any] | None = None) -> None:
        with self.db.session() as s:
            task = s.get(ImageTask, task_id)
            if task is None:
                return
            now = utcnow()
            task.status, task.message, task.result = status, message, result
            task.updated_at, task.expires_at = now, now + TASK_LIFETIME

    def state(self, s: Session, task_id: str) -> tuple[str, dt.datetime] | None:
        """(status, updated_at) of a task, None if there is no such task."""
        task = s.get(ImageTask, task_id)
        return None if task is None else (task.status, task.updated_at)

    # -- reading -----------------------------------------------------------------------
    def of_image(self, caller: Caller, image_id: str) -> list[TaskRecord]:
        with self.db.session() as s:
            visible_row(s, caller, image_id)
            rows = s.scalars(select(ImageTask).where(ImageTask.image_id == image_id)
                             .order_by(ImageTask.created_at))
            return [task_record(row) for row in rows]

    def get(self, caller: Caller, task_id: str) -> TaskRecord:
        with self.db.session() as s:
            return task_record(_visible_task(s, caller, task_id))

    def list(self, caller: Caller, query: TaskQuery) -> tuple[list[TaskRecord], str | None]:
        with self.db.session() as s:
            stmt = _visible(select(ImageTask), caller)
            for name, value in query.filters.items():
                stmt = stmt.where(getattr(ImageTask, name) == value)
            column = getattr(ImageTask, query.sort_key)
            descending = query.sort_dir == "desc"
            if query.marker is not None:
                stmt = stmt.where(_after(s, caller, query.marker, query.sort_key, descending))
            order = (column.desc(), ImageTask.id.desc()) if descending else \
                (column.asc(), ImageTask.id.asc())
            rows = list(s.scalars(stmt.order_by(*order).limit(query.limit)))
            tasks = [task_record(row) for row in rows]
        next_marker = tasks[-1].id if tasks and len(tasks) == query.limit else None
        return tasks, next_marker


def _visible(stmt: Select[Any], caller: Caller) -> Select[Any]:
    """Admins see every task; others their project's."""
    return stmt if caller.is_admin else stmt.where(ImageTask.owner == caller.project_id)


def _visible_task(s: Session, caller: Caller, task_id: str) -> ImageTask:
    task = s.get(ImageTask, task_id)
    if task is None or not (caller.is_admin or task.owner == caller.project_id):
        raise TaskNotFound(task_id)
    return task


def _after(s: Session, caller: Caller, marker: str, sort_key: str, descending: bool) -> Any:
    """Rows after the marker task in the listing's order."""
    try:
        row = _visible_task(s, caller, marker)
    except TaskNotFound as missing:
        raise BadRequest(missing.message) from None
    column, value = getattr(ImageTask, sort_key), getattr(row, sort_key)
    if value is None:
        return ImageTask.id < row.id if descending else ImageTask.id > row.id
    if descending:
        return or_(column < value, and_(column == value, ImageTask.id < row.id))
    return or_(column > value, and_(column == value, ImageTask.id > row.id))
