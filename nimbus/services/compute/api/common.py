"""What the compute handlers share: the facade, policy checks on a server, and the
server target loader of routes."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import Forbidden
from nimbus.kernel.web import ApiRequest


def compute(req: ApiRequest) -> Any:
    return req.api.service  # type: ignore[attr-defined]


def can(req: ApiRequest, rule: str, project_id: str | None = None) -> bool:
    try:
        req.api.authorize(rule, req.ctx, {"project_id": project_id or req.ctx.project_id})
    except Forbidden:
        return False
    return True


def server_target(req: ApiRequest) -> dict[str, Any]:
    """The server a route names, for its rule: 404 when the caller cannot see it."""
    server_id = req.path_params["server_id"]
    with compute(req).db.session() as s:
        row = compute(req).servers.row(s, req.ctx, server_id)
        req.memo["project_id"] = row.project_id
        return {"project_id": row.project_id, "user_id": row.user_id}


def server_target_deleted_ok(req: ApiRequest) -> dict[str, Any]:
    """As server_target, deleted servers included (instance actions from 2.21)."""
    server_id = req.path_params["server_id"]
    with compute(req).db.session() as s:
        row = compute(req).servers.row(s, req.ctx, server_id,
                                       deleted_ok=req.version is None or
                                       req.version.matches("2.21"))
        return {"project_id": row.project_id, "user_id": row.user_id}


def own_target(req: ApiRequest) -> dict[str, Any]:
    return {"project_id": req.ctx.project_id, "user_id": req.ctx.user_id}


def is_admin(req: ApiRequest) -> bool:
    return can(req, "os_compute_api:os-extended-server-attributes")
