"""Groups: request schemas and views."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.models import Group
from nimbus.services.identity.schemas import DESCRIPTION, NAME, self_link
from nimbus.services.identity.schemas.users import DOMAIN_ID

GROUP_CREATE = {
    "type": "object",
    "properties": {"name": NAME, "domain_id": DOMAIN_ID, "description": DESCRIPTION},
    "required": ["name"],
}
GROUP_UPDATE = {
    "type": "object",
    "properties": {"name": NAME, "description": DESCRIPTION},
    "minProperties": 1,
}

_COLUMNS = {"name", "domain_id", "description"}
_DROPPED = {"id", "links", "membership_expires_at"}


def group_fields(body: dict[str, Any]) -> dict[str, Any]:
    """Columns as given, anything else under ``extra`` (Keystone keeps and returns it)."""
    fields = {k: v for k, v in body.items() if k in _COLUMNS}
    if isinstance(fields.get("name"), str):
        fields["name"] = fields["name"].strip()
    extra = {k: v for k, v in body.items() if k not in _COLUMNS and k not in _DROPPED}
    if extra:
        fields["extra"] = extra
    return fields


def group_view(req: ApiRequest, group: Group) -> dict[str, Any]:
    return {**(group.extra or {}), "id": group.id, "name": group.name,
            "domain_id": group.domain_id, "description": group.description,
            "links": self_link(req, "groups", group.id)}
