"""What the resource families' handlers share: the service, policy checks in a handler,
links, timestamps and the query checks Nova's schemas make."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from nimbus.kernel.errors import Forbidden
from nimbus.kernel.microversion import Version, since
from nimbus.kernel.web import ApiRequest
from nimbus.services.compute.schemas.common import query_of
from nimbus.services.compute.service import ComputeService


def service_of(req: ApiRequest) -> ComputeService:
    return req.api.service  # type: ignore[attr-defined, no-any-return]


def own_target(req: ApiRequest) -> Mapping[str, Any]:
    """Nova's default target: the caller's own project and user."""
    return {"project_id": req.ctx.project_id or "", "user_id": req.ctx.user_id or ""}


def allowed(req: ApiRequest, rule: str, target: Mapping[str, Any]) -> bool:
    try:
        req.api.authorize(rule, req.ctx, dict(target))
    except Forbidden:
        return False
    return True


def authorize(req: ApiRequest, rule: str, target: Mapping[str, Any]) -> None:
    if not allowed(req, rule, target):
        raise Forbidden(f"Policy doesn't allow {rule} to be performed.")


def version(req: ApiRequest) -> Version:
    assert req.version is not None
    return req.version


def at_least(req: ApiRequest, low: str) -> bool:
    return since(version(req), low)


def strict_query(req: ApiRequest, allowed_keys: set[str], strict_from: str = "2.75") -> None:
    """From ``strict_from`` (2.75 for most), a query parameter the schema lacks is a 400."""
    query_of(req.query, allowed_keys if at_least(req, strict_from) else None)


def links(req: ApiRequest, collection: str, item_id: object) -> list[dict[str, str]]:
    return [{"rel": "self", "href": f"{req.base_url}/v2.1/{collection}/{item_id}"},
            {"rel": "bookmark", "href": f"{req.base_url}/{collection}/{item_id}"}]


def next_link(req: ApiRequest, collection: str, marker: object,
              extra: Mapping[str, str] | None = None) -> dict[str, str]:
    params = {k: v for k, v in req.query.items() if k != "marker"}
    params.update(extra or {})
    params["marker"] = str(marker)
    return {"rel": "next", "href": f"{req.base_url}/v2.1/{collection}?{urlencode(params)}"}


def isotime(value: dt.datetime | None) -> str | None:
    """Nova's timestamps: ISO 8601 with microseconds and no zone."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value else None


def verify_project(req: ApiRequest, project_id: str) -> None:
    """Nova asks Keystone whether a project it is told about exists (identity.py)."""
    from nimbus.kernel.errors import BadRequest, NotFound
    from nimbus.services.identity.service import identity_of

    try:
        identity_of(service_of(req).runtime).resources.get_project(project_id)
    except NotFound:
        raise BadRequest(f"Project ID {project_id} is not a valid project.") from None
