"""OS-FEDERATION: request schemas (Keystone's) and views of identity providers, protocols,
mappings and service providers."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.schemas import DESCRIPTION, ENABLED

PREFIX = "OS-FEDERATION"

_REMOTE_ID = {"type": "string", "maxLength": 64}
_IDP_PROPERTIES: dict[str, Any] = {
    "enabled": ENABLED,
    "description": DESCRIPTION,
    "authorization_ttl": {"type": ["integer", "null"], "minimum": 0},
    "remote_ids": {"type": ["array", "null"], "items": _REMOTE_ID, "uniqueItems": True},
}
IDP_CREATE = {
    "type": "object",
    "properties": {**_IDP_PROPERTIES,
                   "domain_id": {"type": ["string", "null"], "minLength": 1, "maxLength": 64,
                                 "pattern": r"^[a-zA-Z0-9-]+$"}},
    "additionalProperties": False,
}
IDP_UPDATE = {"type": "object", "properties": _IDP_PROPERTIES, "additionalProperties": False,
              "minProperties": 1}

_MAPPING_ID = {"type": "string", "minLength": 1, "maxLength": 64}
PROTOCOL_CREATE = {
    "type": "object",
    "properties": {"mapping_id": _MAPPING_ID,
                   "remote_id_attribute": {"type": ["string", "null"], "maxLength": 64}},
    "required": ["mapping_id"],
    "additionalProperties": False,
}
PROTOCOL_UPDATE = {
    "type": "object",
    "properties": {"mapping_id": _MAPPING_ID, "remote_id_attribute": _REMOTE_ID},
    "required": ["mapping_id"],
    "additionalProperties": False,
    "minProperties": 1,
}

_URL = {"type": "string", "minLength": 0, "maxLength": 225, "pattern": "^[a-zA-Z0-9+.-]+:.+"}
_SP_PROPERTIES: dict[str, Any] = {
    "auth_url": _URL,
    "sp_url": _URL,
    "description": DESCRIPTION,
    "enabled": ENABLED,
    "relay_state_prefix": {"type": ["string", "null"]},
}
SP_CREATE = {"type": "object", "properties": _SP_PROPERTIES, "required": ["auth_url", "sp_url"],
             "additionalProperties": False}
SP_UPDATE = {"type": "object", "properties": _SP_PROPERTIES, "additionalProperties": False,
             "minProperties": 1}


def _url(req: ApiRequest, *parts: str) -> str:
    return "/".join([req.base_url, "v3", PREFIX, *parts])


def idp_view(req: ApiRequest, ref: dict[str, Any]) -> dict[str, Any]:
    self_url = _url(req, "identity_providers", ref["id"])
    return {**ref, "links": {"self": self_url, "protocols": f"{self_url}/protocols"}}


def protocol_view(req: ApiRequest, ref: dict[str, Any], *, listed: bool = False
                  ) -> dict[str, Any]:
    """Keystone shows ``idp_id`` and ``remote_id_attribute`` in lists only."""
    idp_url = _url(req, "identity_providers", ref["idp_id"])
    view = ref if listed else {"id": ref["id"], "mapping_id": ref["mapping_id"]}
    return {**view, "links": {"self": f"{idp_url}/protocols/{ref['id']}",
                              "identity_provider": idp_url}}


def mapping_view(req: ApiRequest, ref: dict[str, Any]) -> dict[str, Any]:
    return {**ref, "links": {"self": _url(req, "mappings", ref["id"])}}


def sp_view(req: ApiRequest, ref: dict[str, Any]) -> dict[str, Any]:
    return {**ref, "links": {"self": _url(req, "service_providers", ref["id"])}}
