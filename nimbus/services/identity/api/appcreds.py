"""Application credentials and access rules, under /v3/users/{user_id}."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.identity.api.common import identity, query_filters
from nimbus.services.identity.schemas import collection, validate
from nimbus.services.identity.schemas.appcreds import (
    APP_CRED_CREATE,
    access_rule_view,
    app_cred_view,
)


# -- policy targets -----------------------------------------------------------------------
def app_cred_target(req: ApiRequest) -> dict[str, Any]:
    """The credential's owner, which the owner rules must judge (not the path's user).

    As Keystone does, the owner takes the path's place: ``rule:owner`` reads the path's
    ``user_id``, and naming oneself in the path must not unlock another user's credential."""
    owner = identity(req).appcreds.owner_of(req.path_params["application_credential_id"])
    if owner is None:
        return {}
    req.path_params["user_id"] = owner
    return {"user_id": owner, "application_credential": {"user_id": owner}}


def user_target(req: ApiRequest) -> dict[str, Any]:
    return identity(req).appcreds.user_target(req.path_params["user_id"])


# -- application credentials --------------------------------------------------------------
def create_app_cred(req: ApiRequest) -> Reply:
    body = req.json_object("application_credential")
    validate(APP_CRED_CREATE, body)
    cred = identity(req).appcreds.create(req.ctx, req.path_params["user_id"], body)
    return Reply({"application_credential": app_cred_view(req, cred)}, status=201)


def list_app_creds(req: ApiRequest) -> dict[str, Any]:
    creds = identity(req).appcreds.list_for_user(req.path_params["user_id"],
                                                 req.query.get("name"))
    return collection(req, "application_credentials", (app_cred_view(req, c) for c in creds))


def get_app_cred(req: ApiRequest) -> dict[str, Any]:
    cred = identity(req).appcreds.get(req.path_params["user_id"],
                                      req.path_params["application_credential_id"])
    return {"application_credential": app_cred_view(req, cred)}


def delete_app_cred(req: ApiRequest) -> None:
    identity(req).appcreds.delete(req.ctx, req.path_params["user_id"],
                                  req.path_params["application_credential_id"])


# -- access rules -------------------------------------------------------------------------
def list_access_rules(req: ApiRequest) -> dict[str, Any]:
    rules = identity(req).appcreds.list_access_rules(
        req.path_params["user_id"], query_filters(req, "service", "path", "method"))
    return collection(req, "access_rules", (access_rule_view(req, r) for r in rules))


def get_access_rule(req: ApiRequest) -> dict[str, Any]:
    rule = identity(req).appcreds.get_access_rule(req.path_params["user_id"],
                                                  req.path_params["access_rule_id"])
    return {"access_rule": access_rule_view(req, rule)}


def delete_access_rule(req: ApiRequest) -> None:
    identity(req).appcreds.delete_access_rule(req.path_params["user_id"],
                                              req.path_params["access_rule_id"])


AC = "/v3/users/{user_id}/application_credentials"
AR = "/v3/users/{user_id}/access_rules"
ONE_AC, ONE_AR = AC + "/{application_credential_id}", AR + "/{access_rule_id}"
ROUTES = [
    Route("POST", AC, create_app_cred, "identity:create_application_credential"),
    Route("GET", AC, list_app_creds, "identity:list_application_credentials"),
    Route("GET", ONE_AC, get_app_cred, "identity:get_application_credential",
          app_cred_target),
    Route("DELETE", ONE_AC, delete_app_cred, "identity:delete_application_credential",
          app_cred_target),
    Route("GET", AR, list_access_rules, "identity:list_access_rules", user_target),
    Route("GET", ONE_AR, get_access_rule, "identity:get_access_rule", user_target),
    Route("DELETE", ONE_AR, delete_access_rule, "identity:delete_access_rule", user_target),
]
