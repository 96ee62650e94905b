"""Application credentials and access rules: request schemas and views."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.models import AccessRule
from nimbus.services.identity.schemas import DESCRIPTION, NAME, self_link

if TYPE_CHECKING:
    from nimbus.services.identity.service.appcreds import AppCred

ID_STRING = {"type": "string", "minLength": 1, "maxLength": 64,
             "pattern": r"^[a-zA-Z0-9-]+$"}
# Keystone allows 225 characters; the column holds 128.
_RULE_PATH = {"type": "string", "maxLength": 128, "pattern": r"^/"}
_RULE_METHOD = {"type": "string", "enum": ["DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"]}

_ROLE_REF = {
    "type": "object",
    "properties": {"id": ID_STRING, "name": NAME, "domain_id": {"type": ["string", "null"]}},
    "anyOf": [{"required": ["id"]}, {"required": ["name"]}],
    "additionalProperties": False,
}
_ACCESS_RULE_REF = {
    "type": "object",
    "properties": {"id": ID_STRING, "path": _RULE_PATH, "method": _RULE_METHOD,
                   "service": ID_STRING},
    "anyOf": [{"required": ["id"]}, {"required": ["service", "path", "method"]}],
    "additionalProperties": False,
}

APP_CRED_CREATE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": NAME,
        "secret": {"type": ["string", "null"]},
        "description": DESCRIPTION,
        "expires_at": {"type": ["string", "null"]},
        "project_id": {"type": "string"},
        "system": {"type": ["string", "null"]},
        "unrestricted": {"type": ["boolean", "null"]},
        "roles": {"type": "array", "items": _ROLE_REF},
        "access_rules": {"type": "array", "items": _ACCESS_RULE_REF},
    },
    "required": ["name"],
    "additionalProperties": False,
}


def expiry_text(value: dt.datetime | None) -> str | None:
    """Keystone renders an application credential's expiry without a zone designator."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def rule_fields(rule: AccessRule) -> dict[str, Any]:
    return {"id": rule.id, "service": rule.service, "path": rule.path, "method": rule.method}


def access_rule_view(req: ApiRequest, rule: AccessRule) -> dict[str, Any]:
    return {**rule_fields(rule),
            "links": self_link(req, "users", rule.user_id, "access_rules", rule.id)}


def app_cred_view(req: ApiRequest, cred: AppCred) -> dict[str, Any]:
    row = cred.row
    view: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "expires_at": expiry_text(row.expires_at),
        "project_id": row.project_id,
        "unrestricted": bool(row.unrestricted),
        "roles": [{"id": r.id, "name": r.name, "domain_id": r.domain_id or None}
                  for r in cred.roles],
        "access_rules": [rule_fields(r) for r in cred.access_rules],
        "links": self_link(req, "users", row.user_id, "application_credentials", row.id),
    }
    if cred.secret is not None:
        view["secret"] = cred.secret
    return view
