"""/flavors/{id}/os-extra_specs (values validated from 2.86) and the access list of a private
flavor (/os-flavor-access, addTenantAccess and removeTenantAccess actions)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import BadRequest
from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.compute.api.support import (
    at_least,
    authorize,
    own_target,
    service_of,
    verify_project,
)
from nimbus.services.compute.errors import FlavorExtraSpecNotFound
from nimbus.services.compute.policies.flavors import ACCESS, SPECS
from nimbus.services.compute.schemas import flavors as schema
from nimbus.services.compute.schemas.common import body_of
from nimbus.services.compute.schemas.extra_specs import validate_extra_spec

V = "/v2.1"
BASE = f"{V}/flavors/{{flavor_id}}"


def _checked(req: ApiRequest, specs: dict[str, Any]) -> dict[str, str]:
    out = {key: str(value) for key, value in specs.items()}
    if at_least(req, "2.86"):
        for key, value in out.items():
            validate_extra_spec(key, value)
    return out


def list_specs(req: ApiRequest) -> dict[str, Any]:
    return {"extra_specs": service_of(req).flavors.extra_specs(
        req.ctx, req.path_params["flavor_id"])}


def create_specs(req: ApiRequest) -> dict[str, Any]:
    specs = _checked(req, body_of(schema.EXTRA_SPECS, req.json())["extra_specs"])
    service_of(req).flavors.set_extra_specs(req.ctx, req.path_params["flavor_id"], specs)
    return {"extra_specs": specs}


def show_spec(req: ApiRequest) -> dict[str, Any]:
    flavor_id, key = req.path_params["flavor_id"], req.path_params["key"]
    specs = service_of(req).flavors.extra_specs(req.ctx, flavor_id)
    if key not in specs:
        raise FlavorExtraSpecNotFound(flavor_id, key)
    return {key: specs[key]}


def update_spec(req: ApiRequest) -> dict[str, Any]:
    key = req.path_params["key"]
    body = body_of(schema.EXTRA_SPEC, req.json())
    if key not in body:
        raise BadRequest("Request body and URI mismatch")
    specs = _checked(req, body)
    service_of(req).flavors.set_extra_specs(req.ctx, req.path_params["flavor_id"], specs)
    return specs


def delete_spec(req: ApiRequest) -> Reply:
    service_of(req).flavors.delete_extra_spec(req.ctx, req.path_params["flavor_id"],
                                              req.path_params["key"])
    return Reply(status=200)


def _access_view(flavor_id: str, projects: list[str]) -> dict[str, Any]:
    return {"flavor_access": [{"flavor_id": flavor_id, "tenant_id": p} for p in projects]}


def list_access(req: ApiRequest) -> dict[str, Any]:
    flavor_id = req.path_params["flavor_id"]
    return _access_view(flavor_id, service_of(req).flavors.access(req.ctx, flavor_id))


def flavor_action(req: ApiRequest) -> dict[str, Any]:
    body = req.json()
    flavor_id = req.path_params["flavor_id"]
    flavors = service_of(req).flavors
    if isinstance(body, dict) and "addTenantAccess" in body:
        authorize(req, ACCESS + ":add_tenant_access", own_target(req))
        tenant = body_of(schema.ADD_TENANT, body)["addTenantAccess"]["tenant"]
        verify_project(req, tenant)
        return _access_view(flavor_id, flavors.add_access(req.ctx, flavor_id, tenant))
    if isinstance(body, dict) and "removeTenantAccess" in body:
        authorize(req, ACCESS + ":remove_tenant_access", own_target(req))
        tenant = body_of(schema.REMOVE_TENANT, body)["removeTenantAccess"]["tenant"]
        return _access_view(flavor_id, flavors.remove_access(req.ctx, flavor_id, tenant))
    raise BadRequest("There is no such action: " + ", ".join(
        sorted(body)) if isinstance(body, dict) else "Malformed request body")


ROUTES = [
    Route("GET", f"{BASE}/os-extra_specs", list_specs, SPECS % "index", own_target),
    Route("POST", f"{BASE}/os-extra_specs", create_specs, SPECS % "create", own_target),
    Route("GET", f"{BASE}/os-extra_specs/{{key}}", show_spec, SPECS % "show", own_target),
    Route("PUT", f"{BASE}/os-extra_specs/{{key}}", update_spec, SPECS % "update",
          own_target),
    Route("DELETE", f"{BASE}/os-extra_specs/{{key}}", delete_spec, SPECS % "delete",
          own_target),
    Route("GET", f"{BASE}/os-flavor-access", list_access, ACCESS, own_target),
    Route("POST", f"{BASE}/action", flavor_action, "compute_api_any"),
]
