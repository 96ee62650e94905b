"""/os-server-groups: create, list (all_projects for admins, limit/offset), show, delete.
Before 2.64 a group has ``policies`` (one) and ``metadata``; from 2.64 ``policy`` and
``rules``; from 2.13 ``project_id`` and ``user_id``."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import BadRequest, Forbidden
from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.compute.api.support import (
    allowed,
    at_least,
    authorize,
    own_target,
    service_of,
    strict_query,
    version,
)
from nimbus.services.compute.errors import ServerGroupNotFound
from nimbus.services.compute.policies.server_groups import GROUPS
from nimbus.services.compute.schemas import server_groups as schema
from nimbus.services.compute.schemas.common import as_bool, body_of, int_param

V = "/v2.1"


def view(req: ApiRequest, group: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": group["id"], "name": group["name"],
                           "members": list(group["members"])}
    if at_least(req, "2.64"):
        out["policy"] = group["policy"]
        out["rules"] = dict(group["rules"])
    else:
        out["policies"] = [group["policy"]]
        out["metadata"] = {}
    if at_least(req, "2.13"):
        out["project_id"] = group["project_id"]
        out["user_id"] = group["user_id"]
    return out


def create_group(req: ApiRequest) -> dict[str, Any]:
    doc = body_of(schema.create_for(version(req)), req.json())["server_group"]
    policy = doc["policy"] if "policy" in doc else doc["policies"][0]
    rules = {k: int(v) for k, v in (doc.get("rules") or {}).items()}
    if rules and policy != "anti-affinity":
        raise BadRequest('Only anti-affinity policy supports "max_server_per_host" rule.')
    group = service_of(req).server_groups.create(req.ctx.project_id or "",
                                                 req.ctx.user_id or "", doc["name"],
                                                 policy, rules)
    return {"server_group": view(req, group)}


def list_groups(req: ApiRequest) -> dict[str, Any]:
    strict_query(req, {"all_projects", "limit", "offset"})
    project_id: str | None = req.ctx.project_id or ""
    if as_bool(req.query.get("all_projects", "false")) and \
            allowed(req, GROUPS % "index:all_projects", own_target(req)):
        project_id = None
    groups = service_of(req).server_groups.list(
        project_id, offset=int_param(req.query, "offset") or 0,
        limit=int_param(req.query, "limit"))
    return {"server_groups": [view(req, g) for g in groups]}


def _visible(req: ApiRequest, op: str) -> dict[str, Any]:
    group = service_of(req).server_groups.get(req.path_params["group_id"])
    try:
        authorize(req, GROUPS % op, {"project_id": group["project_id"]})
    except Forbidden:
        # Another project's group is not found rather than forbidden.
        if group["project_id"] != req.ctx.project_id:
            raise ServerGroupNotFound(group["id"]) from None
        raise
    return group


def show_group(req: ApiRequest) -> dict[str, Any]:
    return {"server_group": view(req, _visible(req, "show"))}


def delete_group(req: ApiRequest) -> Reply:
    group = _visible(req, "delete")
    service_of(req).server_groups.delete(group["id"])
    return Reply(status=204)


ROUTES = [
    Route("GET", f"{V}/os-server-groups", list_groups, GROUPS % "index", own_target),
    Route("POST", f"{V}/os-server-groups", create_group, GROUPS % "create", own_target),
    Route("GET", f"{V}/os-server-groups/{{group_id}}", show_group, "compute_api_any"),
    Route("DELETE", f"{V}/os-server-groups/{{group_id}}", delete_group, "compute_api_any"),
]
