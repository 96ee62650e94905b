"""Roles (global and domain-specific) and implied roles (role inference rules)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.identity.api.common import identity, require_matching_id
from nimbus.services.identity.schemas import collection, validate
from nimbus.services.identity.schemas.roles import (
    ROLE_CREATE,
    ROLE_UPDATE,
    implied_list_view,
    inference_view,
    inferences_view,
    role_view,
    split_extra,
)


def enforce(req: ApiRequest, rule: str, target: dict[str, Any]) -> None:
    """A second rule for the same route, as Keystone picks by what the request names
    (``identity:get_domain_role`` when the role belongs to a domain)."""
    req.api.enforcer.enforce(rule, req.ctx.policy_credentials(),
                             {**req.path_params, "target": target})


# -- policy targets -----------------------------------------------------------------------
def role_target(req: ApiRequest) -> dict[str, Any]:
    # Keystone loads the role to judge the rule, so a missing one is a 404 for anyone
    # (clients rely on it: find-by-name tries GET /v3/roles/{name} first).
    return identity(req).assignments.policy_refs({"role": req.path_params["role_id"]})


def new_role_target(req: ApiRequest) -> dict[str, Any]:
    body = req.json_object("role")
    return {"role": body}


def inference_target(req: ApiRequest) -> dict[str, Any]:
    refs = identity(req).assignments.policy_refs(
        {"role": req.path_params["prior_role_id"]})
    out = {"prior_role": refs["role"]}
    if "implied_role_id" in req.path_params:
        out["implied_role"] = identity(req).assignments.policy_refs(
            {"role": req.path_params["implied_role_id"]})["role"]
    return out


# -- roles --------------------------------------------------------------------------------
def list_roles(req: ApiRequest) -> dict[str, Any]:
    domain_id = req.query.get("domain_id") or None
    if domain_id:
        enforce(req, "identity:list_domain_roles", {})
    rows = identity(req).assignments.list_roles(req.query.get("name"), domain_id)
    return collection(req, "roles", (role_view(req, r) for r in rows))


def create_role(req: ApiRequest) -> Reply:
    body = req.json_object("role")
    validate(ROLE_CREATE, body)
    if body.get("domain_id"):
        enforce(req, "identity:create_domain_role", {"role": body})
    role = identity(req).assignments.create_role(split_extra(body))
    return Reply({"role": role_view(req, role)}, status=201)


def _domain_role_rule(req: ApiRequest, rule: str) -> None:
    target = role_target(req)
    if target.get("role", {}).get("domain_id"):
        enforce(req, rule, target)


def get_role(req: ApiRequest) -> dict[str, Any]:
    _domain_role_rule(req, "identity:get_domain_role")
    role = identity(req).assignments.get_role(req.path_params["role_id"])
    return {"role": role_view(req, role)}


def update_role(req: ApiRequest) -> dict[str, Any]:
    body = req.json_object("role")
    validate(ROLE_UPDATE, body)
    _domain_role_rule(req, "identity:update_domain_role")
    require_matching_id(body, req.path_params["role_id"])
    role = identity(req).assignments.update_role(req.path_params["role_id"], split_extra(body))
    return {"role": role_view(req, role)}


def delete_role(req: ApiRequest) -> None:
    _domain_role_rule(req, "identity:delete_domain_role")
    identity(req).assignments.delete_role(req.path_params["role_id"])


# -- implied roles ------------------------------------------------------------------------
def list_implied_roles(req: ApiRequest) -> dict[str, Any]:
    prior, implied = identity(req).assignments.list_implied_roles(
        req.path_params["prior_role_id"])
    return implied_list_view(req, prior, implied)


def get_implied_role(req: ApiRequest) -> dict[str, Any]:
    prior, implied = identity(req).assignments.get_implied_role(
        req.path_params["prior_role_id"], req.path_params["implied_role_id"])
    return inference_view(req, prior, implied)


def check_implied_role(req: ApiRequest) -> None:
    # Keystone asks for both rules on HEAD, and answers 204.
    enforce(req, "identity:get_implied_role", inference_target(req))
    get_implied_role(req)


def create_implied_role(req: ApiRequest) -> Reply:
    prior, implied = identity(req).assignments.create_implied_role(
        req.path_params["prior_role_id"], req.path_params["implied_role_id"])
    return Reply(inference_view(req, prior, implied), status=201)


def delete_implied_role(req: ApiRequest) -> None:
    identity(req).assignments.delete_implied_role(req.path_params["prior_role_id"],
                                                  req.path_params["implied_role_id"])


def list_role_inferences(req: ApiRequest) -> dict[str, Any]:
    return inferences_view(req, identity(req).assignments.list_role_inferences())


R = "/v3/roles/{role_id}"
IMPLIES = "/v3/roles/{prior_role_id}/implies"
RULE = IMPLIES + "/{implied_role_id}"
ROUTES = [
    Route("GET", "/v3/roles", list_roles, "identity:list_roles"),
    Route("POST", "/v3/roles", create_role, "identity:create_role", new_role_target),
    Route("GET", R, get_role, "identity:get_role", role_target),
    Route("PATCH", R, update_role, "identity:update_role", role_target),
    Route("DELETE", R, delete_role, "identity:delete_role", role_target),
    Route("GET", IMPLIES, list_implied_roles, "identity:list_implied_roles", inference_target),
    Route("GET", RULE, get_implied_role, "identity:get_implied_role", inference_target),
    Route("HEAD", RULE, check_implied_role, "identity:check_implied_role", inference_target),
    Route("PUT", RULE, create_implied_role, "identity:create_implied_role", inference_target),
    Route("DELETE", RULE, delete_implied_role, "identity:delete_implied_role",
          inference_target),
    Route("GET", "/v3/role_inferences", list_role_inferences,
          "identity:list_role_inference_rules"),
]
