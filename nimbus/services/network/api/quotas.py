"""/v2.0/quotas: Neutron's quotasv2 and quota_details. A project reads its own limits;
reading another's takes ``get_quota``, changes take ``update_quota`` / ``delete_quota``."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.network.api.resource import ANY_CALLER, allowed, service_of
from nimbus.services.network.errors import (
    BadRequestNeutron,
    NotImplementedNeutron,
    PolicyNotAuthorized,
)


def _authorize(req: ApiRequest, rule: str, project_id: str) -> None:
    if not allowed(req, rule, {"project_id": project_id, "tenant_id": project_id}):
        raise PolicyNotAuthorized(rule)


def _may_read(req: ApiRequest) -> str:
    project_id = req.path_params["project_id"]
    if project_id != req.ctx.project_id:
        _authorize(req, "get_quota", project_id)
    return project_id


def list_quotas(req: ApiRequest) -> dict[str, Any]:
    _authorize(req, "get_quota", req.ctx.project_id or "")
    return {"quotas": service_of(req).quotas.all_set()}


def show_quota(req: ApiRequest) -> dict[str, Any]:
    return {"quota": service_of(req).quotas.limits(_may_read(req))}


def show_default(req: ApiRequest) -> dict[str, Any]:
    _may_read(req)
    return {"quota": service_of(req).quotas.defaults()}


def show_details(req: ApiRequest) -> dict[str, Any]:
    return {"quota": service_of(req).quotas.details(_may_read(req))}


def update_quota(req: ApiRequest) -> dict[str, Any]:
    project_id = req.path_params["project_id"]
    _authorize(req, "update_quota", project_id)
    return {"quota": service_of(req).quotas.update(req.ctx, project_id, req.json())}


def delete_quota(req: ApiRequest) -> Reply:
    project_id = req.path_params["project_id"]
    _authorize(req, "delete_quota", project_id)
    service_of(req).quotas.reset(project_id)
    return Reply(status=204)


def show_own_project(req: ApiRequest) -> dict[str, Any]:
    """/v2.0/quotas/project (and the deprecated /tenant): the caller's project id."""
    key = "tenant" if req.url.rstrip("/").endswith("tenant") else "project"
    if not req.ctx.project_id:
        raise BadRequestNeutron("resource", "Tenant-id was missing from quota request")
    return {key: {f"{key}_id": req.ctx.project_id}}


def create_quota(req: ApiRequest) -> Any:
    raise NotImplementedNeutron("POST requests are not supported on this resource.")


ROUTES = [
    Route("GET", "/v2.0/quotas", list_quotas, ANY_CALLER),
    Route("POST", "/v2.0/quotas", create_quota, ANY_CALLER),
    Route("GET", "/v2.0/quotas/project", show_own_project, ANY_CALLER),
    Route("GET", "/v2.0/quotas/tenant", show_own_project, ANY_CALLER),
    Route("GET", "/v2.0/quotas/{project_id}/default", show_default, ANY_CALLER),
    Route("GET", "/v2.0/quotas/{project_id}/details", show_details, ANY_CALLER),
    # python-neutronclient asks for the details with a .json suffix.
    Route("GET", "/v2.0/quotas/{project_id}/details.json", show_details, ANY_CALLER),
    Route("GET", "/v2.0/quotas/{project_id}", show_quota, ANY_CALLER),
    Route("PUT", "/v2.0/quotas/{project_id}", update_quota, ANY_CALLER),
    Route("DELETE", "/v2.0/quotas/{project_id}", delete_quota, ANY_CALLER),
]
