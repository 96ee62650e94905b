"""Users: request schemas, list filters and views."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.errors import SchemaError
from nimbus.services.identity.models import User
from nimbus.services.identity.schemas import DESCRIPTION, NAME, self_link
from nimbus.services.identity.service.common import parse_time

# Keystone accepts these spellings for a boolean attribute such as ``enabled``.
_TRUE = (True, "True", "TRUE", "true", "1", "y", "Y", "on", "ON", "yes")
_FALSE = (False, "False", "FALSE", "false", "", "0", "n", "N", "off", "OFF", "no")
LOOSE_BOOLEAN = {"type": ["boolean", "string", "null"], "enum": [*_TRUE, *_FALSE, None]}

_NULLABLE_BOOL = {"type": ["boolean", "null"]}
_MFA_RULES = {
    "type": ["array", "null"],
    "items": {"type": "array", "items": {"type": "string"}, "minItems": 1,
              "uniqueItems": True},
    "uniqueItems": True,
}
USER_OPTIONS = {
    "type": "object",
    "properties": {
        "ignore_change_password_upon_first_use": _NULLABLE_BOOL,
        "ignore_password_expiry": _NULLABLE_BOOL,
        "ignore_lockout_failure_attempts": _NULLABLE_BOOL,
        "lock_password": _NULLABLE_BOOL,
        "ignore_user_inactivity": _NULLABLE_BOOL,
        "multi_factor_auth_rules": _MFA_RULES,
        "multi_factor_auth_enabled": _NULLABLE_BOOL,
    },
    "additionalProperties": False,
}
DOMAIN_ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[a-zA-Z0-9-]+$"}

_USER_PROPS: dict[str, Any] = {
    "name": NAME,
    "domain_id": DOMAIN_ID,
    "enabled": LOOSE_BOOLEAN,
    "default_project_id": {"type": ["string", "null"]},
    "description": DESCRIPTION,
    "password": {"type": ["string", "null"]},
    "options": USER_OPTIONS,
}
USER_CREATE = {"type": "object", "properties": _USER_PROPS, "required": ["name"]}
USER_UPDATE = {"type": "object", "properties": _USER_PROPS, "minProperties": 1}
PASSWORD_CHANGE = {
    "type": "object",
    "properties": {"original_password": {"type": "string"}, "password": {"type": "string"}},
    "required": ["original_password", "password"],
    "additionalProperties": False,
}

# Attributes with a column; everything else a client sends is kept in ``extra``.
_COLUMNS = {"name", "domain_id", "enabled", "default_project_id", "description", "email",
            "password", "options"}
# Never stored, never echoed back.
_DROPPED = {"id", "links", "password_expires_at", "federated", "tenants", "groups", "domains"}


def user_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The request body as the service takes it: columns, and the rest under ``extra``."""
    fields = {k: v for k, v in body.items() if k in _COLUMNS}
    if "enabled" in fields:
        fields["enabled"] = fields["enabled"] not in _FALSE
    if isinstance(fields.get("name"), str):
        fields["name"] = fields["name"].strip()
    extra = {k: v for k, v in body.items() if k not in _COLUMNS and k not in _DROPPED}
    if extra:
        fields["extra"] = extra
    return fields


def wire_time(value: dt.datetime | None) -> str | None:
    """Keystone renders a user's datetimes without a zone suffix."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value else None


def user_view(req: ApiRequest, user: User, expires_at: dt.datetime | None) -> dict[str, Any]:
    view: dict[str, Any] = {**(user.extra or {})}
    if user.description is not None:
        view["description"] = user.description
    if user.email is not None:
        view["email"] = user.email
    if user.default_project_id:
        view["default_project_id"] = user.default_project_id
    view.update({"id": user.id, "name": user.name, "domain_id": user.domain_id,
                 "enabled": user.enabled, "password_expires_at": wire_time(expires_at),
                 "options": user.options or {}, "links": self_link(req, "users", user.id)})
    return view


_OPERATORS = ("lt", "lte", "gt", "gte", "eq", "neq")


def expiry_filter(value: str) -> tuple[str, dt.datetime]:
    """``password_expires_at=lt:2016-12-08T22:02:00Z`` as (operator, naive UTC time)."""
    op, stamp = value.split(":", 1) if ":" in value[2:4] else ("eq", value)
    try:
        when = parse_time(stamp)
    except ValueError:
        raise SchemaError("Timestamp not in expected format. The server could not comply with "
                          "the request since it is either malformed or otherwise incorrect. "
                          "The client is assumed to be in error.") from None
    if op not in _OPERATORS:
        raise SchemaError(f"The given operator {op} is not valid. It must be one of the "
                          "following: 'eq', 'neq', 'lt', 'lte', 'gt', or 'gte'.")
    return op, when
