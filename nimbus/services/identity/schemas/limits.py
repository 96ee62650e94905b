"""Unified limits (/v3/registered_limits, /v3/limits): request schemas and views."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.models import ProjectLimit, RegisteredLimit
from nimbus.services.identity.schemas import self_link

_LIMIT_INT = {"type": "integer", "minimum": -1, "maximum": 0x7FFFFFFF}
_NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"[\S]+"}
_DESCRIPTION = {"type": ["string", "null"], "maxLength": 255}
_REGION_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
_SERVICE_ID = {"type": "string"}
_PROJECT_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": 64,
               "pattern": "^[a-zA-Z0-9-]+$"}

_REGISTERED_PROPS = {"service_id": _SERVICE_ID, "region_id": _REGION_ID,
                     "resource_name": _NAME, "default_limit": _LIMIT_INT,
                     "description": _DESCRIPTION}
REGISTERED_LIMITS_CREATE = {
    "type": "object",
    "properties": {"registered_limits": {
        "type": "array", "minItems": 1,
        "items": {"type": "object", "properties": _REGISTERED_PROPS,
                  "additionalProperties": False,
                  "required": ["service_id", "resource_name", "default_limit"]}}},
    "required": ["registered_limits"],
    "additionalProperties": False,
}
REGISTERED_LIMIT_UPDATE = {"type": "object", "properties": _REGISTERED_PROPS,
                           "additionalProperties": False}

_LIMIT_PROPS = {"service_id": _SERVICE_ID, "region_id": _REGION_ID, "resource_name": _NAME,
                "resource_limit": _LIMIT_INT, "description": _DESCRIPTION,
                "project_id": _PROJECT_ID, "domain_id": _PROJECT_ID}
LIMITS_CREATE = {
    "type": "object",
    "properties": {"limits": {
        "type": "array", "minItems": 1,
        "items": {"type": "object", "properties": _LIMIT_PROPS,
                  "additionalProperties": False,
                  "required": ["service_id", "resource_name", "resource_limit"],
                  "oneOf": [{"required": ["domain_id"]}, {"required": ["project_id"]}]}}},
    "required": ["limits"],
    "additionalProperties": False,
}
LIMIT_UPDATE = {"type": "object",
                "properties": {"resource_limit": _LIMIT_INT, "description": _DESCRIPTION},
                "additionalProperties": False}

FLAT_MODEL = {"name": "flat",
              "description": "Limit enforcement and validation does not take project "
                             "hierarchy into consideration."}


def registered_limit_view(req: ApiRequest, r: RegisteredLimit) -> dict[str, Any]:
    return {"id": r.id, "service_id": r.service_id, "region_id": r.region_id,
            "resource_name": r.resource_name, "default_limit": r.default_limit,
            "description": r.description,
            "links": self_link(req, "registered_limits", r.id)}


def limit_view(req: ApiRequest, lim: ProjectLimit) -> dict[str, Any]:
    return {"id": lim.id, "project_id": lim.project_id, "domain_id": lim.domain_id,
            "service_id": lim.service_id, "region_id": lim.region_id,
            "resource_name": lim.resource_name, "resource_limit": lim.resource_limit,
            "description": lim.description, "links": self_link(req, "limits", lim.id)}
