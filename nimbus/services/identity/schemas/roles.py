"""Roles and implied roles: request schemas and views."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.models import Role
from nimbus.services.identity.schemas import DESCRIPTION, NAME, NULLABLE_ID, self_link

# Every option is nullable: null removes it.
ROLE_OPTIONS = {"type": "object", "properties": {"immutable": {"type": ["boolean", "null"]}},
                "additionalProperties": False}
_ROLE_PROPS = {"name": NAME, "description": DESCRIPTION, "domain_id": NULLABLE_ID,
               "options": ROLE_OPTIONS}
ROLE_CREATE = {"type": "object", "properties": _ROLE_PROPS, "required": ["name"]}
ROLE_UPDATE = {"type": "object", "properties": _ROLE_PROPS, "minProperties": 1}

_KNOWN = set(_ROLE_PROPS)
# Keystone assigns the id itself and ignores links sent back to it.
_IGNORED = {"id", "links"}


def split_extra(fields: dict[str, Any]) -> dict[str, Any]:
    """Attributes Keystone does not know go to ``extra`` and come back as given."""
    known = {k: v for k, v in fields.items() if k in _KNOWN}
    extra = {k: v for k, v in fields.items() if k not in _KNOWN | _IGNORED}
    if extra:
        known["extra"] = extra
    return known


def role_view(req: ApiRequest, role: Role) -> dict[str, Any]:
    return {**(role.extra or {}), "id": role.id, "name": role.name,
            "domain_id": role.domain_id or None, "description": role.description,
            "options": role.options or {}, "links": self_link(req, "roles", role.id)}


def role_ref_view(req: ApiRequest, role: Role) -> dict[str, Any]:
    """A prior or implied role as an inference rule shows it."""
    return {"id": role.id, "links": self_link(req, "roles", role.id), "name": role.name}


def inference_view(req: ApiRequest, prior: Role, implied: Role) -> dict[str, Any]:
    return {"role_inference": {"prior_role": role_ref_view(req, prior),
                               "implies": role_ref_view(req, implied)},
            "links": self_link(req, "roles", prior.id, "implies", implied.id)}


def implied_list_view(req: ApiRequest, prior: Role, implied: list[Role]) -> dict[str, Any]:
    return {"role_inference": {"prior_role": role_ref_view(req, prior),
                               "implies": [role_ref_view(req, r) for r in implied]},
            "links": self_link(req, "roles", prior.id, "implies")}


def inferences_view(req: ApiRequest, rules: list[tuple[Role, list[Role]]]) -> dict[str, Any]:
    return {"role_inferences": [{"prior_role": role_ref_view(req, prior),
                                 "implies": [role_ref_view(req, r) for r in implied]}
                                for prior, implied in rules],
            "links": self_link(req, "role_inferences")}
