"""Tasks: the query string of GET /v2/tasks, the task views and the published schemas."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.datastructures import QueryParams

from nimbus.services.image.errors import BadRequest
from nimbus.services.image.options import ImageOptions
from nimbus.services.image.schemas.image import UUID_PATTERN, collection_schema
from nimbus.services.image.schemas.listing import parse_limit
from nimbus.services.image.schemas.views import isotime
from nimbus.services.image.service.records import TaskRecord
from nimbus.services.image.service.tasks import SORT_KEYS, TaskQuery

STATUSES = ("pending", "processing", "success", "failure")
# The only type a listing may filter on (Glance's check, older than api_image_import).
FILTER_TYPES = ("import",)
TYPES = ("import", "api_image_import", "location_import")


def parse_task_query(params: QueryParams, options: ImageOptions) -> TaskQuery:
    query = TaskQuery(limit=min(parse_limit(params.get("limit"), options), options.api_limit_max))
    query.sort_dir = params.get("sort_dir", "desc")
    if query.sort_dir not in ("asc", "desc"):
        raise BadRequest(f"Invalid sort direction: {query.sort_dir}")
    query.sort_key = params.get("sort_key", "created_at")
    if query.sort_key not in SORT_KEYS:
        raise BadRequest("Sort key supplied was not valid.")
    marker = params.get("marker")
    if marker is not None:
        if not _uuid_like(marker):
            raise BadRequest("Invalid marker format")
        query.marker = marker
    status, task_type = params.get("status"), params.get("type")
    if status:
        if status not in STATUSES:
            raise BadRequest(f"Invalid status value: {status}")
        query.filters["status"] = status
    if task_type:
        if task_type not in FILTER_TYPES:
            raise BadRequest(f"Invalid type value: {task_type}")
        query.filters["type"] = task_type
    return query


def _uuid_like(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def check_new_task(body: Any) -> None:
    """POST /v2/tasks's body, as far as Glance checks it before refusing or running it."""
    if not isinstance(body, dict):
        raise BadRequest("Body expected in request.")
    for name in ("type", "input"):
        if name not in body:
            raise BadRequest(f"Task '{name}' is required")
    if body["type"] not in TYPES:
        raise BadRequest(f"Provided object does not match schema 'task': "
                         f"{body['type']!r} is not one of {list(TYPES)}")
    if body["input"] is not None and not isinstance(body["input"], dict):
        raise BadRequest("Provided object does not match schema 'task': 'input' is not of "
                         "type 'null', 'object'")


# -- views ---------------------------------------------------------------------------
def _common(task: TaskRecord) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": task.id, "type": task.type, "status": task.status, "owner": task.owner,
        "created_at": isotime(task.created_at), "updated_at": isotime(task.updated_at),
        "self": f"/v2/tasks/{task.id}", "schema": "/v2/schemas/task"}
    if task.expires_at is not None:
        view["expires_at"] = isotime(task.expires_at)
    return view


def task_detail(task: TaskRecord) -> dict[str, Any]:
    """GET /v2/tasks/{id}: everything, the optional ids only when known."""
    view = _common(task)
    view.update({"input": task.input, "result": task.result, "message": task.message})
    for name in ("image_id", "request_id", "user_id"):
        value = getattr(task, name)
        if value:
            view[name] = value
    return view


def task_stub(task: TaskRecord) -> dict[str, Any]:
    """An item of GET /v2/tasks: no input, result or message."""
    return _common(task)


# -- schemas ---------------------------------------------------------------------------
def _prop(kind: Any, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "description": description, **extra}


TASK_PROPERTIES: dict[str, Any] = {
    "id": _prop("string", "An identifier for the task", pattern=UUID_PATTERN),
    "type": _prop("string", "The type of task represented by this content",
                  enum=list(TYPES)),
    "status": _prop("string", "The current status of this task", enum=list(STATUSES)),
    "input": _prop(["null", "object"], "The parameters required by task, JSON blob"),
    "result": _prop(["null", "object"], "The result of current task, JSON blob"),
    "owner": _prop("string", "An identifier for the owner of this task"),
    "message": _prop("string", "Human-readable informative message only included when "
                               "appropriate (usually on failure)"),
    "image_id": _prop("string", "Image associated with the task"),
    "request_id": _prop("string", "Human-readable informative request-id"),
    "user_id": _prop("string", "User associated with the task"),
    "expires_at": _prop(["null", "string"],
                        "Datetime when this resource would be subject to removal"),
    "created_at": _prop("string", "Datetime when this resource was created"),
    "updated_at": _prop("string", "Datetime when this resource was updated"),
    "self": {"readOnly": True, "type": "string"},
    "schema": {"readOnly": True, "type": "string"},
}
TASK_LINKS = [{"rel": "self", "href": "{self}"}, {"rel": "describedby", "href": "{schema}"}]


def task_schema() -> dict[str, Any]:
    return {"name": "task", "properties": dict(TASK_PROPERTIES), "links": TASK_LINKS}


def tasks_schema() -> dict[str, Any]:
    stub = {name: value for name, value in TASK_PROPERTIES.items()
            if name not in ("input", "result", "message")}
    return collection_schema("tasks", {"name": "task", "properties": stub,
                                       "links": TASK_LINKS})
