"""OS-ENDPOINT-POLICY: policy blobs associated with endpoints, services and regions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nimbus.kernel.web import ApiRequest, Route
from nimbus.services.identity.api.common import identity
from nimbus.services.identity.schemas import collection
from nimbus.services.identity.schemas.catalog import endpoint_view
from nimbus.services.identity.schemas.policies_blob import policy_view
from nimbus.services.identity.service.endpoint_policy import Target


def target_of(req: ApiRequest) -> Target:
    params = req.path_params
    return Target(params.get("endpoint_id"), params.get("service_id"), params.get("region_id"))


def check_association(req: ApiRequest) -> None:
    identity(req).endpoint_policies.check(req.path_params["policy_id"], target_of(req))


def create_association(req: ApiRequest) -> None:
    identity(req).endpoint_policies.associate(req.path_params["policy_id"], target_of(req))


def delete_association(req: ApiRequest) -> None:
    identity(req).endpoint_policies.dissociate(req.path_params["policy_id"], target_of(req))


def endpoints_for_policy(req: ApiRequest) -> dict[str, Any]:
    endpoints = identity(req).endpoint_policies.endpoints_for_policy(
        req.path_params["policy_id"])
    return collection(req, "endpoints", (endpoint_view(req, e) for e in endpoints))


def policy_for_endpoint(req: ApiRequest) -> dict[str, Any]:
    policy = identity(req).endpoint_policies.policy_for_endpoint(req.path_params["endpoint_id"])
    return {"policy": policy_view(req, policy)}


def _association_routes(path: str, kind: str) -> list[Route]:
    handlers: list[tuple[str, Callable[[ApiRequest], None], str]] = [
        ("GET", check_association, "check"), ("PUT", create_association, "create"),
        ("DELETE", delete_association, "delete")]
    return [Route(method, path, handler, f"identity:{verb}_policy_association_for_{kind}")
            for method, handler, verb in handlers]


EP = "/v3/policies/{policy_id}/OS-ENDPOINT-POLICY"
ROUTES = [
    Route("GET", EP + "/endpoints", endpoints_for_policy, "identity:list_endpoints_for_policy"),
    *_association_routes(EP + "/endpoints/{endpoint_id}", "endpoint"),
    *_association_routes(EP + "/services/{service_id}", "service"),
    *_association_routes(EP + "/services/{service_id}/regions/{region_id}",
                         "region_and_service"),
    Route("GET", "/v3/endpoints/{endpoint_id}/OS-ENDPOINT-POLICY/policy", policy_for_endpoint,
          "identity:get_policy_for_endpoint"),
]
