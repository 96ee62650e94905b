"""Helpers the identity handlers share."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.service import IdentityService


def identity(req: ApiRequest) -> IdentityService:
    return req.api.service  # type: ignore[attr-defined, no-any-return]


def scoped_domain_id(req: ApiRequest) -> str | None:
    """The domain a request acts in when it names none: the token's domain, or the domain
    of the token's project (Keystone's default for creates)."""
    return req.ctx.domain_id or req.ctx.project_domain_id


def query_filters(req: ApiRequest, *names: str) -> dict[str, Any]:
    return {n: req.query[n] for n in names if n in req.query}
