"""/v3/OS-FEDERATION: identity providers and their protocols, mappings, service providers,
the federated login, and the deprecated project and domain lists."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.identity.api import auth
from nimbus.services.identity.api.common import identity
from nimbus.services.identity.schemas import collection, truthy, validate
from nimbus.services.identity.schemas.auth import token_view
from nimbus.services.identity.schemas.federation import (
    IDP_CREATE,
    IDP_UPDATE,
    PROTOCOL_CREATE,
    PROTOCOL_UPDATE,
    SP_CREATE,
    SP_UPDATE,
    idp_view,
    mapping_view,
    protocol_view,
    sp_view,
)
from nimbus.services.identity.schemas.oauth1 import signed_request
from nimbus.services.identity.service.authn import MAPPED


def _filters(req: ApiRequest) -> dict[str, Any]:
    return {"id": req.query.get("id"), "enabled": truthy(req.query.get("enabled"))}


def _body(req: ApiRequest, key: str, schema: dict[str, Any]) -> dict[str, Any]:
    body = req.json_object(key)
    validate(schema, body)
    return body


# -- identity providers ---------------------------------------------------------------------
def create_idp(req: ApiRequest) -> Reply:
    body = _body(req, "identity_provider", IDP_CREATE)
    ref = identity(req).federation.create_idp(req.path_params["idp_id"], body)
    return Reply({"identity_provider": idp_view(req, ref)}, status=201)


def list_idps(req: ApiRequest) -> dict[str, Any]:
    refs = identity(req).federation.list_idps(_filters(req))
    return collection(req, "identity_providers", (idp_view(req, r) for r in refs))


def get_idp(req: ApiRequest) -> dict[str, Any]:
    ref = identity(req).federation.get_idp(req.path_params["idp_id"])
    return {"identity_provider": idp_view(req, ref)}


def update_idp(req: ApiRequest) -> dict[str, Any]:
    body = _body(req, "identity_provider", IDP_UPDATE)
    ref = identity(req).federation.update_idp(req.path_params["idp_id"], body)
    return {"identity_provider": idp_view(req, ref)}


def delete_idp(req: ApiRequest) -> None:
    identity(req).federation.delete_idp(req.path_params["idp_id"])


# -- protocols ------------------------------------------------------------------------------
def _protocol_ids(req: ApiRequest) -> tuple[str, str]:
    return req.path_params["idp_id"], req.path_params["protocol_id"]


def create_protocol(req: ApiRequest) -> Reply:
    body = _body(req, "protocol", PROTOCOL_CREATE)
    ref = identity(req).federation.create_protocol(*_protocol_ids(req), body)
    return Reply({"protocol": protocol_view(req, ref)}, status=201)


def list_protocols(req: ApiRequest) -> dict[str, Any]:
    refs = identity(req).federation.list_protocols(req.path_params["idp_id"])
    return collection(req, "protocols", (protocol_view(req, r, listed=True) for r in refs))


def get_protocol(req: ApiRequest) -> dict[str, Any]:
    return {"protocol": protocol_view(req, identity(req).federation.get_protocol(
        *_protocol_ids(req)))}


def update_protocol(req: ApiRequest) -> dict[str, Any]:
    body = _body(req, "protocol", PROTOCOL_UPDATE)
    ref = identity(req).federation.update_protocol(*_protocol_ids(req), body)
    return {"protocol": protocol_view(req, ref)}


def delete_protocol(req: ApiRequest) -> None:
    identity(req).federation.delete_protocol(*_protocol_ids(req))


# -- mappings -------------------------------------------------------------------------------
def _mapping_body(req: ApiRequest) -> dict[str, Any]:
    """Keystone validates the mapping against its rule schema only (a missing envelope is a
    mapping without rules)."""
    doc = req.json()
    body = doc.get("mapping", {}) if isinstance(doc, dict) else doc
    return body if isinstance(body, dict) else {"rules": None}


def create_mapping(req: ApiRequest) -> Reply:
    ref = identity(req).federation.create_mapping(req.path_params["mapping_id"],
                                                  _mapping_body(req))
    return Reply({"mapping": mapping_view(req, ref)}, status=201)


def list_mappings(req: ApiRequest) -> dict[str, Any]:
    refs = identity(req).federation.list_mappings()
    return collection(req, "mappings", (mapping_view(req, r) for r in refs))


def get_mapping(req: ApiRequest) -> dict[str, Any]:
    ref = identity(req).federation.get_mapping(req.path_params["mapping_id"])
    return {"mapping": mapping_view(req, ref)}


def update_mapping(req: ApiRequest) -> dict[str, Any]:
    ref = identity(req).federation.update_mapping(req.path_params["mapping_id"],
                                                  _mapping_body(req))
    return {"mapping": mapping_view(req, ref)}


def delete_mapping(req: ApiRequest) -> None:
    identity(req).federation.delete_mapping(req.path_params["mapping_id"])


# -- service providers ----------------------------------------------------------------------
def create_sp(req: ApiRequest) -> Reply:
    body = _body(req, "service_provider", SP_CREATE)
    ref = identity(req).federation.create_sp(req.path_params["sp_id"], body)
    return Reply({"service_provider": sp_view(req, ref)}, status=201)


def list_sps(req: ApiRequest) -> dict[str, Any]:
    refs = identity(req).federation.list_sps(_filters(req))
    return collection(req, "service_providers", (sp_view(req, r) for r in refs))


def get_sp(req: ApiRequest) -> dict[str, Any]:
    return {"service_provider": sp_view(req, identity(req).federation.get_sp(
        req.path_params["sp_id"]))}


def update_sp(req: ApiRequest) -> dict[str, Any]:
    body = _body(req, "service_provider", SP_UPDATE)
    ref = identity(req).federation.update_sp(req.path_params["sp_id"], body)
    return {"service_provider": sp_view(req, ref)}


def delete_sp(req: ApiRequest) -> None:
    identity(req).federation.delete_sp(req.path_params["sp_id"])


# -- the federated login --------------------------------------------------------------------
def federated_auth(req: ApiRequest) -> Reply:
    """Keystone's unscoped federated token: the protocol is the auth method (``openid``);
    a protocol that is no method here goes through ``mapped``, to its 404 or 401."""
    idp_id, protocol_id = _protocol_ids(req)
    service = identity(req)
    method = protocol_id if service.authn.is_federated_method(protocol_id) else MAPPED
    payload = {"identity_provider": idp_id, "protocol": protocol_id}
    token, validated = service.authn.authenticate(
        {"identity": {"methods": [method], method: payload}}, signed_request(req))
    catalog = service.catalog.token_catalog(validated.ctx.project_id, validated.ctx.user_id) \
        if validated.ctx.project_id else None
    return Reply(token_view(validated.body, catalog), status=201,
                 headers={"X-Subject-Token": token})


IDP = "/v3/OS-FEDERATION/identity_providers/{idp_id}"
PROTOCOL = IDP + "/protocols/{protocol_id}"
MAPPING = "/v3/OS-FEDERATION/mappings/{mapping_id}"
SP = "/v3/OS-FEDERATION/service_providers/{sp_id}"

ROUTES = [
    Route("GET", "/v3/OS-FEDERATION/identity_providers", list_idps,
          "identity:list_identity_providers"),
    Route("PUT", IDP, create_idp, "identity:create_identity_provider"),
    Route("GET", IDP, get_idp, "identity:get_identity_provider"),
    Route("PATCH", IDP, update_idp, "identity:update_identity_provider"),
    Route("DELETE", IDP, delete_idp, "identity:delete_identity_provider"),
    Route("GET", IDP + "/protocols", list_protocols, "identity:list_protocols"),
    Route("PUT", PROTOCOL, create_protocol, "identity:create_protocol"),
    Route("GET", PROTOCOL, get_protocol, "identity:get_protocol"),
    Route("PATCH", PROTOCOL, update_protocol, "identity:update_protocol"),
    Route("DELETE", PROTOCOL, delete_protocol, "identity:delete_protocol"),
    Route("GET", PROTOCOL + "/auth", federated_auth),
    Route("POST", PROTOCOL + "/auth", federated_auth),
    Route("GET", "/v3/OS-FEDERATION/mappings", list_mappings, "identity:list_mappings"),
    Route("PUT", MAPPING, create_mapping, "identity:create_mapping"),
    Route("GET", MAPPING, get_mapping, "identity:get_mapping"),
    Route("PATCH", MAPPING, update_mapping, "identity:update_mapping"),
    Route("DELETE", MAPPING, delete_mapping, "identity:delete_mapping"),
    Route("GET", "/v3/OS-FEDERATION/service_providers", list_sps,
          "identity:list_service_providers"),
    Route("PUT", SP, create_sp, "identity:create_service_provider"),
    Route("GET", SP, get_sp, "identity:get_service_provider"),
    Route("PATCH", SP, update_sp, "identity:update_service_provider"),
    Route("DELETE", SP, delete_sp, "identity:delete_service_provider"),
    # Deprecated in OS-FEDERATION 1.1 for /v3/auth/projects and /v3/auth/domains.
    Route("GET", "/v3/OS-FEDERATION/projects", auth.auth_projects,
          "identity:get_auth_projects"),
    Route("GET", "/v3/OS-FEDERATION/domains", auth.auth_domains, "identity:get_auth_domains"),
]
