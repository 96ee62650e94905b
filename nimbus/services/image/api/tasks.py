"""Handlers for /v2/tasks and the task schemas (every route is for admins by default:
Glance's tasks_api_access)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from nimbus.kernel.errors import MethodNotAllowed
from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.image.api.common import caller_of, service_of
from nimbus.services.image.schemas.tasks import (
    check_new_task,
    parse_task_query,
    task_detail,
    task_schema,
    task_stub,
    tasks_schema,
)


def list_tasks(req: ApiRequest) -> dict[str, Any]:
    service = service_of(req)
    query = parse_task_query(req.query, service.options)
    tasks, next_marker = service.tasks.list(caller_of(req), query)
    params = [(k, v) for k, v in req.query.multi_items() if k != "marker"]
    body: dict[str, Any] = {"tasks": [task_stub(t) for t in tasks],
                            "first": "/v2/tasks" + (f"?{urlencode(params)}" if params else ""),
                            "schema": "/v2/schemas/tasks"}
    if next_marker is not None:
        body["next"] = "/v2/tasks?" + urlencode([*params, ("marker", next_marker)])
    return body


def show_task(req: ApiRequest) -> dict[str, Any]:
    return task_detail(service_of(req).tasks.get(caller_of(req), req.path_params["task_id"]))


def create_task(req: ApiRequest) -> Reply:
    body = req.json()
    check_new_task(body)
    task = service_of(req).legacy_tasks.create(caller_of(req), body)
    return Reply(task_detail(task), status=201, headers={"Location": f"/v2/tasks/{task.id}"})


def delete_task(req: ApiRequest) -> Reply:
    raise MethodNotAllowed("This operation is currently not permitted on Glance Tasks. They "
                           "are auto deleted after reaching the time based on their "
                           "expires_at property.", headers={"Allow": "GET"})


def task_schema_doc(req: ApiRequest) -> dict[str, Any]:
    return task_schema()


def tasks_schema_doc(req: ApiRequest) -> dict[str, Any]:
    return tasks_schema()
