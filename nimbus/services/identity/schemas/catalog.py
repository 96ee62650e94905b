"""Regions, services and endpoints: request schemas and views (Keystone's catalog schema)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.models import CatalogService, Endpoint, Region
from nimbus.services.identity.schemas import self_link

INTERFACE = {"type": "string", "enum": ["admin", "internal", "public"]}
REGION_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
_DESCRIPTION_255 = {"type": ["string", "null"], "maxLength": 255}

_REGION_PROPS = {"description": _DESCRIPTION_255, "id": REGION_ID,
                 "parent_region_id": REGION_ID}
REGION_CREATE = {
    "type": "object",
    "properties": {**_REGION_PROPS,
                   "id": {"type": ["string", "null"], "minLength": 0, "maxLength": 255}},
}
REGION_UPDATE = {"type": "object", "properties": _REGION_PROPS, "minProperties": 1}
REGION_QUERY = {"type": "object", "properties": {"parent_region_id": REGION_ID}}

_SERVICE_PROPS = {
    "enabled": {"type": "boolean"},
    "type": {"type": "string", "minLength": 1, "maxLength": 255},
    "name": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": {"type": ["string", "null"]},
}
SERVICE_CREATE = {"type": "object", "properties": _SERVICE_PROPS, "required": ["type"]}
SERVICE_UPDATE = {"type": "object", "properties": _SERVICE_PROPS, "minProperties": 1}

_ENDPOINT_PROPS = {
    "enabled": {"type": "boolean"},
    "interface": INTERFACE,
    "region_id": {"type": ["string", "null"]},
    "region": {"type": ["string", "null"]},
    "service_id": {"type": "string"},
    "url": {"type": "string", "minLength": 0, "maxLength": 225,
            "pattern": "^[a-zA-Z0-9+.-]+:.+"},
    "name": {"type": "string"},
    "description": {"type": ["string", "null"]},
}
ENDPOINT_CREATE = {"type": "object", "properties": {**_ENDPOINT_PROPS, "id": {"type": "string"}},
                   "required": ["interface", "service_id", "url"]}
ENDPOINT_UPDATE = {"type": "object", "properties": _ENDPOINT_PROPS, "minProperties": 1}
ENDPOINT_QUERY = {"type": "object", "properties": {"interface": INTERFACE,
                                                   "region_id": {"type": "string"},
                                                   "service_id": {"type": "string"}}}

REGION_COLUMNS = ("id", "description", "parent_region_id")
SERVICE_COLUMNS = ("id", "type", "name", "description", "enabled")
ENDPOINT_COLUMNS = ("id", "service_id", "interface", "region_id", "region", "url", "enabled")


def normalize(fields: dict[str, Any]) -> dict[str, Any]:
    """Keystone's ``_normalize_dict``: ``a:b`` and ``a-b`` keys become ``a_b``."""
    return {k.replace(":", "_").replace("-", "_"): v for k, v in fields.items()}


def split_extra(fields: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    """Attributes Keystone has no column for are kept in ``extra`` and returned as given."""
    known = {k: v for k, v in fields.items() if k in columns}
    extra = {k: v for k, v in fields.items() if k not in columns and k != "links"}
    if extra:
        known["extra"] = extra
    return known


def region_view(req: ApiRequest, r: Region) -> dict[str, Any]:
    return {**(r.extra or {}), "id": r.id, "description": r.description or "",
            "parent_region_id": r.parent_region_id, "links": self_link(req, "regions", r.id)}


def service_view(req: ApiRequest, s: CatalogService) -> dict[str, Any]:
    view = {**(s.extra or {}), "id": s.id, "type": s.type, "name": s.name or "",
            "enabled": s.enabled, "links": self_link(req, "services", s.id)}
    if s.description is not None:
        view["description"] = s.description
    return view


def endpoint_view(req: ApiRequest, e: Endpoint) -> dict[str, Any]:
    return {**(e.extra or {}), "id": e.id, "interface": e.interface,
            "region_id": e.region_id, "region": e.region_id, "service_id": e.service_id,
            "url": e.url, "enabled": e.enabled, "links": self_link(req, "endpoints", e.id)}
