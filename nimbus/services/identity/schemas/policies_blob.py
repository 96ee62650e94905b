"""/v3/policies: request schemas (Keystone's, unknown attributes kept) and the view."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.models import PolicyBlob
from nimbus.services.identity.schemas import self_link

_PROPS = {"blob": {"type": "string"}, "type": {"type": "string", "maxLength": 255}}
POLICY_CREATE = {"type": "object", "properties": _PROPS, "required": ["blob", "type"]}
POLICY_UPDATE = {"type": "object", "properties": _PROPS, "minProperties": 1}

COLUMNS = ("blob", "type")


def split_extra(body: dict[str, Any]) -> dict[str, Any]:
    """Columns as they are; anything else (but id and links) kept in ``extra``."""
    fields = {k: v for k, v in body.items() if k in COLUMNS}
    extra = {k: v for k, v in body.items() if k not in (*COLUMNS, "id", "links")}
    if extra:
        fields["extra"] = extra
    return fields


def policy_view(req: ApiRequest, policy: PolicyBlob) -> dict[str, Any]:
    return {**(policy.extra or {}), "id": policy.id, "type": policy.type,
            "blob": policy.blob, "links": self_link(req, "policies", policy.id)}
