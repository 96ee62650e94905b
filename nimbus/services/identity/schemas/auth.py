"""POST /v3/auth/tokens request schema and the token answer."""

from __future__ import annotations

from typing import Any

from nimbus.services.identity.errors import SchemaError
from nimbus.services.identity.schemas import ID, NAME
from nimbus.services.identity.service.catalog import ReferenceNotFound

_DOMAIN_REF = {"type": "object", "properties": {"id": ID, "name": NAME}}
_USER_REF = {
    "type": "object",
    "properties": {"id": ID, "name": NAME, "password": {"type": "string"},
                   "domain": _DOMAIN_REF},
}

AUTH = {
    "type": "object",
    "properties": {
        "identity": {
            "type": "object",
            "properties": {
                "methods": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "password": {"type": "object", "properties": {"user": _USER_REF},
                             "required": ["user"]},
                "token": {"type": "object", "properties": {"id": {"type": "string"}},
                          "required": ["id"]},
                "application_credential": {
                    "type": "object",
                    "properties": {"id": ID, "name": NAME, "secret": {"type": "string"},
                                   "user": _USER_REF},
                    "required": ["secret"],
                },
            },
            "required": ["methods"],
        },
        "scope": {
            "anyOf": [
                {"type": "string", "enum": ["unscoped"]},
                {"type": "object", "properties": {
                    "project": {"type": "object", "properties": {"id": ID, "name": NAME,
                                                                 "domain": _DOMAIN_REF}},
                    "domain": _DOMAIN_REF,
                    "system": {"type": "object", "properties": {"all": {"type": "boolean"}}},
                    "OS-TRUST:trust": {"type": "object", "properties": {"id": ID},
                                       "required": ["id"]},
                }},
            ],
        },
    },
    "required": ["identity"],
}


def check_named_refs(auth: dict[str, Any]) -> None:
    """Keystone's checks beyond the schema: the password user, its domain, the project scope
    and its domain each name an id or a name (a 400, before any lookup)."""
    user = auth["identity"].get("password", {}).get("user")
    scope = auth.get("scope")
    project = scope.get("project") if isinstance(scope, dict) else None
    refs = [("identity/password/user", user),
            ("identity/password/user/domain", (user or {}).get("domain")),
            ("scope/project", project), ("scope/project/domain", (project or {}).get("domain"))]
    for field, ref in refs:
        if ref is not None and "id" not in ref and "name" not in ref:
            raise SchemaError(f"Invalid input for field {field}: id or name must be present.")
    # Keystone looks a name up in a domain, so a name without one is a 400.
    if user and user.get("name") and "domain" not in user:
        raise ReferenceNotFound("domain", "user")
    if project and project.get("name") and "domain" not in project:
        raise ReferenceNotFound("domain", "project")
    app_cred = auth["identity"].get("application_credential") or {}
    app_user = app_cred.get("user") or {}
    if not app_cred.get("id") and app_user and not app_user.get("id") and \
            "domain" not in app_user:
        raise ReferenceNotFound("domain", "user")


def token_view(body: dict[str, Any], catalog: list[dict[str, Any]] | None) -> dict[str, Any]:
    token = dict(body)
    if catalog is not None and "roles" in token:
        token["catalog"] = catalog
    return {"token": token}
