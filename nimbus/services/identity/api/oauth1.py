"""OAuth 1.0a: /v3/OS-OAUTH1 (consumers, request and access tokens) and the access tokens
under /v3/users/{user_id}/OS-OAUTH1."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.identity.api.common import identity, require_matching_id
from nimbus.services.identity.schemas import collection, validate
from nimbus.services.identity.schemas.oauth1 import (
    AUTHORIZE_ROLES,
    CONSUMER_CREATE,
    CONSUMER_UPDATE,
    access_token_view,
    consumer_view,
    signed_request,
    token_answer,
    token_role_view,
)


def _consumer_body(req: ApiRequest) -> dict[str, Any]:
    """The ``consumer`` object; Keystone takes a missing one as empty."""
    doc = req.json() if req.body else {}
    body = doc.get("consumer", {}) if isinstance(doc, dict) else None
    if not isinstance(body, dict):
        return req.json_object("consumer")
    return body


# -- consumers ----------------------------------------------------------------------------
def create_consumer(req: ApiRequest) -> Reply:
    body = _consumer_body(req)
    validate(CONSUMER_CREATE, body)
    row = identity(req).oauth1.create_consumer(body)
    return Reply({"consumer": consumer_view(req, row, with_secret=True)}, status=201)


def list_consumers(req: ApiRequest) -> dict[str, Any]:
    rows = identity(req).oauth1.list_consumers()
    return collection(req, "consumers", (consumer_view(req, r) for r in rows))


def get_consumer(req: ApiRequest) -> dict[str, Any]:
    row = identity(req).oauth1.get_consumer(req.path_params["consumer_id"])
    return {"consumer": consumer_view(req, row)}


def update_consumer(req: ApiRequest) -> dict[str, Any]:
    body = _consumer_body(req)
    validate(CONSUMER_UPDATE, body)
    require_matching_id(body, req.path_params["consumer_id"])
    row = identity(req).oauth1.update_consumer(req.path_params["consumer_id"], body)
    return {"consumer": consumer_view(req, row)}


def delete_consumer(req: ApiRequest) -> None:
    identity(req).oauth1.delete_consumer(req.path_params["consumer_id"])


# -- the OAuth dance ----------------------------------------------------------------------
def create_request_token(req: ApiRequest) -> Reply:
    token = identity(req).oauth1.create_request_token(
        signed_request(req), req.headers.get("requested-project-id"))
    return token_answer(token)


def authorize_request_token(req: ApiRequest) -> dict[str, Any]:
    doc = req.json() if req.body else {}
    roles = doc.get("roles", []) if isinstance(doc, dict) else doc
    validate(AUTHORIZE_ROLES, roles)
    verifier = identity(req).oauth1.authorize(req.ctx, req.path_params["request_token_id"],
                                              roles)
    return {"token": {"oauth_verifier": verifier}}


def create_access_token(req: ApiRequest) -> Reply:
    return token_answer(identity(req).oauth1.create_access_token(signed_request(req)))


# -- a user's access tokens ---------------------------------------------------------------
def list_access_tokens(req: ApiRequest) -> dict[str, Any]:
    rows = identity(req).oauth1.list_access_tokens(req.ctx, req.path_params["user_id"])
    return collection(req, "access_tokens", (access_token_view(req, r) for r in rows))


def get_access_token(req: ApiRequest) -> dict[str, Any]:
    row = identity(req).oauth1.get_access_token(req.ctx, req.path_params["user_id"],
                                                req.path_params["access_token_id"])
    return {"access_token": access_token_view(req, row)}


def delete_access_token(req: ApiRequest) -> None:
    identity(req).oauth1.delete_access_token(req.ctx, req.path_params["user_id"],
                                             req.path_params["access_token_id"])


def list_access_token_roles(req: ApiRequest) -> dict[str, Any]:
    roles = identity(req).oauth1.access_token_roles(req.path_params["user_id"],
                                                    req.path_params["access_token_id"])
    return collection(req, "roles", (token_role_view(req, r) for r in roles))


def get_access_token_role(req: ApiRequest) -> dict[str, Any]:
    role = identity(req).oauth1.access_token_role(
        req.path_params["user_id"], req.path_params["access_token_id"],
        req.path_params["role_id"])
    return {"role": token_role_view(req, role)}


C = "/v3/OS-OAUTH1/consumers"
ONE_C = C + "/{consumer_id}"
AT = "/v3/users/{user_id}/OS-OAUTH1/access_tokens"
ONE_AT = AT + "/{access_token_id}"
ROUTES = [
    Route("POST", C, create_consumer, "identity:create_consumer"),
    Route("GET", C, list_consumers, "identity:list_consumers"),
    Route("GET", ONE_C, get_consumer, "identity:get_consumer"),
    Route("PATCH", ONE_C, update_consumer, "identity:update_consumer"),
    Route("DELETE", ONE_C, delete_consumer, "identity:delete_consumer"),
    # Signed with the consumer's secret, not a token.
    Route("POST", "/v3/OS-OAUTH1/request_token", create_request_token),
    Route("POST", "/v3/OS-OAUTH1/access_token", create_access_token),
    Route("PUT", "/v3/OS-OAUTH1/authorize/{request_token_id}", authorize_request_token,
          "identity:authorize_request_token"),
    Route("GET", AT, list_access_tokens, "identity:list_access_tokens"),
    Route("GET", ONE_AT, get_access_token, "identity:get_access_token"),
    Route("DELETE", ONE_AT, delete_access_token, "identity:delete_access_token"),
    Route("GET", ONE_AT + "/roles", list_access_token_roles,
          "identity:list_access_token_roles"),
    Route("GET", ONE_AT + "/roles/{role_id}", get_access_token_role,
          "identity:get_access_token_role"),
]
