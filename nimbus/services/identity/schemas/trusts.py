"""Trusts (OS-TRUST): the create request and the views."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.models import Trust
from nimbus.services.identity.schemas import NAME
from nimbus.services.identity.schemas.appcreds import ID_STRING
from nimbus.services.identity.schemas.roles import role_view
from nimbus.services.identity.service.common import isotime

if TYPE_CHECKING:
    from nimbus.services.identity.service.trusts import TrustInfo

_ROLE_REF = {
    "type": "object",
    "properties": {"id": ID_STRING, "name": NAME},
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
}

# Keystone's trust_create_request_body, envelope included (its field paths start "trust").
TRUST_CREATE = {
    "type": "object",
    "properties": {
        "trust": {
            "type": "object",
            "properties": {
                "trustor_user_id": {"type": "string"},
                "trustee_user_id": {"type": "string"},
                "impersonation": {"type": "boolean"},
                "project_id": {"type": ["string", "null"]},
                "remaining_uses": {"type": ["integer", "null"], "minimum": 1},
                "expires_at": {"type": ["null", "string"]},
                "allow_redelegation": {"type": ["boolean", "null"]},
                "redelegation_count": {"type": ["integer", "null"], "minimum": 0},
                "redelegated_trust_id": {"type": ["string", "null"]},
                "roles": {"type": "array", "items": _ROLE_REF},
            },
            "required": ["trustor_user_id", "trustee_user_id", "impersonation"],
        },
    },
    "required": ["trust"],
    "additionalProperties": False,
}


def trust_link(req: ApiRequest, trust_id: str, *more: str) -> str:
    return "/".join([req.base_url, "v3", "OS-TRUST", "trusts", trust_id, *more])


def trust_summary(req: ApiRequest, row: Trust) -> dict[str, Any]:
    """A trust as lists show it: without its roles."""
    return {
        **(row.extra or {}),
        "id": row.id,
        "trustor_user_id": row.trustor_user_id,
        "trustee_user_id": row.trustee_user_id,
        "project_id": row.project_id,
        "impersonation": bool(row.impersonation),
        "expires_at": isotime(row.expires_at),
        "remaining_uses": row.remaining_uses,
        "redelegated_trust_id": row.redelegated_trust_id,
        "redelegation_count": row.redelegation_count,
        "deleted_at": None,
        "links": {"self": trust_link(req, row.id)},
    }


def trust_view(req: ApiRequest, trust: TrustInfo) -> dict[str, Any]:
    return {**trust_summary(req, trust.row),
            "roles": [role_view(req, r) for r in trust.roles],
            "roles_links": {"self": trust_link(req, trust.row.id, "roles"),
                            "previous": None, "next": None}}
