"""OS-EP-FILTER: endpoint groups and which endpoints a project's catalog shows."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.identity.api.common import identity, query_filters
from nimbus.services.identity.errors import SchemaError
from nimbus.services.identity.schemas import collection, validate
from nimbus.services.identity.schemas.catalog import endpoint_view
from nimbus.services.identity.schemas.ep_filter import (
    GROUP_CREATE,
    GROUP_QUERY,
    GROUP_UPDATE,
    group_project_view,
    group_view,
)
from nimbus.services.identity.schemas.resources import project_view
from nimbus.services.identity.service.catalog import ReferenceNotFound
from nimbus.services.identity.service.ep_filter import FILTER_KEYS


def require_valid_filters(filters: dict[str, Any]) -> None:
    """Keystone's _require_valid_filter: only these endpoint attributes filter."""
    if any(key not in FILTER_KEYS for key in filters):
        raise ReferenceNotFound(" or ".join(FILTER_KEYS), "endpoint_group")


# -- endpoint groups ----------------------------------------------------------------------
def create_group(req: ApiRequest) -> Reply:
    body = req.json_object("endpoint_group")
    validate(GROUP_CREATE, body)
    if not body.get("filters"):
        raise SchemaError("filters field is required and cannot be empty")
    require_valid_filters(body["filters"])
    group = identity(req).ep_filter.create_group(body)
    return Reply({"endpoint_group": group_view(req, group)}, status=201)


def list_groups(req: ApiRequest) -> dict[str, Any]:
    filters = query_filters(req, "name")
    validate(GROUP_QUERY, filters)
    groups = identity(req).ep_filter.list_groups(filters.get("name"))
    return collection(req, "endpoint_groups", (group_view(req, g) for g in groups))


def get_group(req: ApiRequest) -> dict[str, Any]:
    group = identity(req).ep_filter.get_group(req.path_params["group_id"])
    return {"endpoint_group": group_view(req, group)}


def update_group(req: ApiRequest) -> dict[str, Any]:
    # `openstack endpoint group set` sends null for the name and filters it leaves alone;
    # Keystone's schema refuses that, here null means unchanged (a README departure).
    body = {k: v for k, v in req.json_object("endpoint_group").items()
            if not (v is None and k in ("name", "filters"))}
    validate(GROUP_UPDATE, body)
    if "filters" in body:
        require_valid_filters(body["filters"])
    group = identity(req).ep_filter.update_group(req.path_params["group_id"], body)
    return {"endpoint_group": group_view(req, group)}


def delete_group(req: ApiRequest) -> None:
    identity(req).ep_filter.delete_group(req.path_params["group_id"])


def group_endpoints(req: ApiRequest) -> dict[str, Any]:
    endpoints = identity(req).ep_filter.endpoints_in_group(req.path_params["group_id"])
    return collection(req, "endpoints", (endpoint_view(req, e) for e in endpoints))


def group_projects(req: ApiRequest) -> dict[str, Any]:
    rows = identity(req).ep_filter.projects_of_group(req.path_params["group_id"])
    return collection(req, "projects", (project_view(req, p, t) for p, t in rows))


# -- endpoint groups and projects ---------------------------------------------------------
def get_group_in_project(req: ApiRequest) -> dict[str, Any]:
    row = identity(req).ep_filter.group_in_project(req.path_params["group_id"],
                                                   req.path_params["project_id"])
    return {"project_endpoint_group": group_project_view(row)}


def add_group_to_project(req: ApiRequest) -> None:
    identity(req).ep_filter.add_group_to_project(req.path_params["group_id"],
                                                 req.path_params["project_id"])


def remove_group_from_project(req: ApiRequest) -> None:
    identity(req).ep_filter.remove_group_from_project(req.path_params["group_id"],
                                                      req.path_params["project_id"])


def project_groups(req: ApiRequest) -> dict[str, Any]:
    groups = identity(req).ep_filter.groups_of_project(req.path_params["project_id"])
    return collection(req, "endpoint_groups", (group_view(req, g) for g in groups))


# -- endpoints and projects ---------------------------------------------------------------
def add_endpoint_to_project(req: ApiRequest) -> None:
    identity(req).ep_filter.add_endpoint_to_project(req.path_params["endpoint_id"],
                                                    req.path_params["project_id"])


def check_endpoint_in_project(req: ApiRequest) -> None:
    identity(req).ep_filter.check_endpoint_in_project(req.path_params["endpoint_id"],
                                                      req.path_params["project_id"])


def remove_endpoint_from_project(req: ApiRequest) -> None:
    identity(req).ep_filter.remove_endpoint_from_project(req.path_params["endpoint_id"],
                                                         req.path_params["project_id"])


def project_endpoints(req: ApiRequest) -> dict[str, Any]:
    endpoints = identity(req).ep_filter.endpoints_of_project(req.path_params["project_id"])
    return collection(req, "endpoints", (endpoint_view(req, e) for e in endpoints))


def endpoint_projects(req: ApiRequest) -> dict[str, Any]:
    rows = identity(req).ep_filter.projects_of_endpoint(req.path_params["endpoint_id"])
    return collection(req, "projects", (project_view(req, p, t) for p, t in rows))


EF = "/v3/OS-EP-FILTER"
G = EF + "/endpoint_groups/{group_id}"
P = EF + "/projects/{project_id}"
ROUTES = [
    Route("POST", EF + "/endpoint_groups", create_group, "identity:create_endpoint_group"),
    Route("GET", EF + "/endpoint_groups", list_groups, "identity:list_endpoint_groups"),
    Route("GET", G, get_group, "identity:get_endpoint_group"),
    Route("PATCH", G, update_group, "identity:update_endpoint_group"),
    Route("DELETE", G, delete_group, "identity:delete_endpoint_group"),
    Route("GET", G + "/endpoints", group_endpoints,
          "identity:list_endpoints_associated_with_endpoint_group"),
    Route("GET", G + "/projects", group_projects,
          "identity:list_projects_associated_with_endpoint_group"),
    Route("GET", G + "/projects/{project_id}", get_group_in_project,
          "identity:get_endpoint_group_in_project"),
    Route("PUT", G + "/projects/{project_id}", add_group_to_project,
          "identity:add_endpoint_group_to_project"),
    Route("DELETE", G + "/projects/{project_id}", remove_group_from_project,
          "identity:remove_endpoint_group_from_project"),
    Route("GET", P + "/endpoint_groups", project_groups,
          "identity:list_endpoint_groups_for_project"),
    Route("GET", P + "/endpoints", project_endpoints, "identity:list_endpoints_for_project"),
    Route("GET", P + "/endpoints/{endpoint_id}", check_endpoint_in_project,
          "identity:check_endpoint_in_project"),
    Route("PUT", P + "/endpoints/{endpoint_id}", add_endpoint_to_project,
          "identity:add_endpoint_to_project"),
    Route("DELETE", P + "/endpoints/{endpoint_id}", remove_endpoint_from_project,
          "identity:remove_endpoint_from_project"),
    Route("GET", EF + "/endpoints/{endpoint_id}/projects", endpoint_projects,
          "identity:list_projects_for_endpoint"),
]
