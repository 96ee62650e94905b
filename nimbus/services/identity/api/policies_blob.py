"""/v3/policies: policy blobs (deprecated in Keystone since Queens, still served)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.identity.api.common import identity, query_filters
from nimbus.services.identity.errors import SchemaError
from nimbus.services.identity.schemas import collection, validate
from nimbus.services.identity.schemas.catalog import normalize
from nimbus.services.identity.schemas.policies_blob import (
    POLICY_CREATE,
    POLICY_UPDATE,
    policy_view,
    split_extra,
)


def create_policy(req: ApiRequest) -> Reply:
    body = req.json_object("policy")
    validate(POLICY_CREATE, body)
    policy = identity(req).policy_blobs.create(split_extra(normalize(body)))
    return Reply({"policy": policy_view(req, policy)}, status=201)


def list_policies(req: ApiRequest) -> dict[str, Any]:
    policies = identity(req).policy_blobs.list(query_filters(req, "type").get("type"))
    return collection(req, "policies", (policy_view(req, p) for p in policies))


def get_policy(req: ApiRequest) -> dict[str, Any]:
    return {"policy": policy_view(req, identity(req).policy_blobs.get(
        req.path_params["policy_id"]))}


def update_policy(req: ApiRequest) -> dict[str, Any]:
    body = req.json_object("policy")
    validate(POLICY_UPDATE, body)
    policy_id = req.path_params["policy_id"]
    if "id" in body and body["id"] != policy_id:
        raise SchemaError("Cannot change policy ID")
    policy = identity(req).policy_blobs.update(policy_id, split_extra(body))
    return {"policy": policy_view(req, policy)}


def delete_policy(req: ApiRequest) -> None:
    identity(req).policy_blobs.delete(req.path_params["policy_id"])


P = "/v3/policies/{policy_id}"
ROUTES = [
    Route("POST", "/v3/policies", create_policy, "identity:create_policy"),
    Route("GET", "/v3/policies", list_policies, "identity:list_policies"),
    Route("GET", P, get_policy, "identity:get_policy"),
    Route("PATCH", P, update_policy, "identity:update_policy"),
    Route("DELETE", P, delete_policy, "identity:delete_policy"),
]
