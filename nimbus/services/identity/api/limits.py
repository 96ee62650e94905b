"""Unified limits: /v3/registered_limits, /v3/limits and /v3/limits/model."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.identity.api.common import identity, query_filters
from nimbus.services.identity.schemas import collection, validate
from nimbus.services.identity.schemas.limits import (
    FLAT_MODEL,
    LIMIT_UPDATE,
    LIMITS_CREATE,
    REGISTERED_LIMIT_UPDATE,
    REGISTERED_LIMITS_CREATE,
    limit_view,
    registered_limit_view,
)
from nimbus.services.identity.service.limits import LimitNotFound


# -- registered limits --------------------------------------------------------------------
def create_registered_limits(req: ApiRequest) -> Reply:
    body = req.json_object()
    validate(REGISTERED_LIMITS_CREATE, body)
    rows = identity(req).limits.create_registered_limits(body["registered_limits"])
    return Reply({"registered_limits": [registered_limit_view(req, r) for r in rows]},
                 status=201)


def list_registered_limits(req: ApiRequest) -> dict[str, Any]:
    filters = query_filters(req, "service_id", "region_id", "resource_name")
    rows = identity(req).limits.list_registered_limits(filters)
    return collection(req, "registered_limits", (registered_limit_view(req, r) for r in rows))


def get_registered_limit(req: ApiRequest) -> dict[str, Any]:
    row = identity(req).limits.get_registered_limit(req.path_params["registered_limit_id"])
    return {"registered_limit": registered_limit_view(req, row)}


def update_registered_limit(req: ApiRequest) -> dict[str, Any]:
    body = req.json_object("registered_limit")
    validate(REGISTERED_LIMIT_UPDATE, body)
    row = identity(req).limits.update_registered_limit(req.path_params["registered_limit_id"],
                                                       body)
    return {"registered_limit": registered_limit_view(req, row)}


def delete_registered_limit(req: ApiRequest) -> None:
    identity(req).limits.delete_registered_limit(req.path_params["registered_limit_id"])


# -- limits -------------------------------------------------------------------------------
def limit_target(req: ApiRequest) -> dict[str, Any]:
    return identity(req).limits.limit_target(req.path_params["limit_id"])


def existing_limit_target(req: ApiRequest) -> dict[str, Any]:
    """PATCH and DELETE load the limit before the rule (GET does not): missing is a 404 for
    anyone, as Keystone answers."""
    target = limit_target(req)
    if not target:
        raise LimitNotFound(req.path_params["limit_id"])
    return target


def create_limits(req: ApiRequest) -> Reply:
    body = req.json_object()
    validate(LIMITS_CREATE, body)
    rows = identity(req).limits.create_limits(body["limits"])
    return Reply({"limits": [limit_view(req, r) for r in rows]}, status=201)


def list_limits(req: ApiRequest) -> dict[str, Any]:
    """Everything for a system-scoped token, a cloud admin or a service; a domain's limits and
    its projects' for a domain-scoped token; the project's own for a project-scoped one."""
    ctx = req.ctx
    filters = query_filters(req, "service_id", "region_id", "resource_name", "project_id",
                            "domain_id")
    in_domain = None
    # Keystone tests the admin role by name; the rule keeps a domain admin in its domain.
    superuser = req.api.enforcer.authorize("service_or_admin", ctx.policy_credentials())
    if not (ctx.system_scope or superuser):
        if ctx.domain_id:
            in_domain = ctx.domain_id
        elif ctx.project_id:
            if filters.get("project_id", ctx.project_id) != ctx.project_id:
                return collection(req, "limits", [])
            filters["project_id"] = ctx.project_id
        else:
            return collection(req, "limits", [])
    rows = identity(req).limits.list_limits(filters, in_domain)
    return collection(req, "limits", (limit_view(req, r) for r in rows))


def get_limit(req: ApiRequest) -> dict[str, Any]:
    row = identity(req).limits.get_limit(req.path_params["limit_id"])
    return {"limit": limit_view(req, row)}


def update_limit(req: ApiRequest) -> dict[str, Any]:
    body = req.json_object("limit")
    validate(LIMIT_UPDATE, body)
    row = identity(req).limits.update_limit(req.path_params["limit_id"], body)
    return {"limit": limit_view(req, row)}


def delete_limit(req: ApiRequest) -> None:
    identity(req).limits.delete_limit(req.path_params["limit_id"])


def get_limit_model(req: ApiRequest) -> dict[str, Any]:
    return {"model": dict(FLAT_MODEL)}


RL, L = "/v3/registered_limits/{registered_limit_id}", "/v3/limits/{limit_id}"
ROUTES = [
    Route("POST", "/v3/registered_limits", create_registered_limits,
          "identity:create_registered_limits"),
    Route("GET", "/v3/registered_limits", list_registered_limits,
          "identity:list_registered_limits"),
    Route("GET", RL, get_registered_limit, "identity:get_registered_limit"),
    Route("PATCH", RL, update_registered_limit, "identity:update_registered_limit"),
    Route("DELETE", RL, delete_registered_limit, "identity:delete_registered_limit"),
    # Before /v3/limits/{limit_id}, which would otherwise take "model" for an id.
    Route("GET", "/v3/limits/model", get_limit_model, "identity:get_limit_model"),
    Route("POST", "/v3/limits", create_limits, "identity:create_limits"),
    Route("GET", "/v3/limits", list_limits, "identity:list_limits"),
    Route("GET", L, get_limit, "identity:get_limit", limit_target),
    Route("PATCH", L, update_limit, "identity:update_limit", existing_limit_target),
    Route("DELETE", L, delete_limit, "identity:delete_limit", existing_limit_target),
]
