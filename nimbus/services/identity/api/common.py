"""Helpers the identity handlers share."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.errors import SchemaError
from nimbus.services.identity.service import IdentityService
from nimbus.services.identity.service.resources import DEFAULT_DOMAIN_ID


def identity(req: ApiRequest) -> IdentityService:
    return req.api.service  # type: ignore[attr-defined, no-any-return]


def scoped_domain_id(req: ApiRequest) -> str:
    """The domain a create lands in when it names none: a domain-scoped token's domain,
    otherwise the default domain (Keystone's _normalize_domain_id)."""
    return req.ctx.domain_id or DEFAULT_DOMAIN_ID


def query_filters(req: ApiRequest, *names: str) -> dict[str, Any]:
    return {n: req.query[n] for n in names if n in req.query}


def require_matching_id(body: dict[str, Any], path_id: str) -> None:
    """An update may repeat the object's id but not change it (Keystone's check)."""
    if body.get("id") is not None and body["id"] != path_id:
        raise SchemaError("Cannot change ID")
