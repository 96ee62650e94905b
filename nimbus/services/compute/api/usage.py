"""/os-simple-tenant-usage and /os-migrations: Nova's shapes, fed by the providers the
servers engineer registers (service/usage.py); until then they list nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nimbus.kernel.errors import BadRequest
from nimbus.kernel.web import ApiRequest, Route
from nimbus.services.compute.api.support import (
    allowed,
    at_least,
    authorize,
    next_link,
    own_target,
    service_of,
    strict_query,
)
from nimbus.services.compute.policies.quotas import MIGRATIONS, USAGE
from nimbus.services.compute.schemas.common import as_bool, int_param

V = "/v2.1"
_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f")


def _time(text: str | None) -> dt.datetime:
    if not text:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for fmt in _FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise BadRequest("Datetime is in invalid format")


def _period(req: ApiRequest) -> tuple[dt.datetime, dt.datetime, bool]:
    start, end = _time(req.query.get("start")), _time(req.query.get("end"))
    if start > end:
        raise BadRequest("Invalid start time. The start time cannot occur after the end "
                         "time.")
    return start, end, as_bool(req.query.get("detailed", "0"))


def list_usage(req: ApiRequest) -> dict[str, Any]:
    strict_query(req, {"start", "end", "detailed", "limit", "marker"})
    start, end, detailed = _period(req)
    usages = service_of(req).usage.usages(start, end, None, detailed)
    limit = int_param(req.query, "limit") if at_least(req, "2.40") else None
    if limit is not None:
        usages = usages[:limit]
    out: dict[str, Any] = {"tenant_usages": usages}
    if limit and len(usages) == limit:
        out["tenant_usages_links"] = [next_link(req, "os-simple-tenant-usage",
                                                usages[-1].get("tenant_id"))]
    return out


def show_usage(req: ApiRequest) -> dict[str, Any]:
    strict_query(req, {"start", "end", "limit", "marker"})
    start, end, _ = _period(req)
    project_id = req.path_params["project_id"]
    usages = service_of(req).usage.usages(start, end, project_id, True)
    return {"tenant_usage": usages[0] if usages else {}}


def list_migrations(req: ApiRequest) -> dict[str, Any]:
    filters = {k: v for k, v in req.query.items()
               if k in ("host", "status", "source_compute", "migration_type",
                        "instance_uuid", "changes-since", "changes-before", "user_id",
                        "project_id", "hidden")}
    if "host" in filters:
        authorize(req, MIGRATIONS % "index:host", own_target(req))
    if not allowed(req, MIGRATIONS % "index:all_projects", own_target(req)):
        filters["project_id"] = req.ctx.project_id or ""
    out: dict[str, Any] = {"migrations": service_of(req).usage.migrations(filters)}
    if at_least(req, "2.59"):
        out["migrations_links"] = []
    return out


ROUTES = [
    Route("GET", f"{V}/os-simple-tenant-usage", list_usage, USAGE % "list", own_target),
    Route("GET", f"{V}/os-simple-tenant-usage/{{project_id}}", show_usage, USAGE % "show",
          lambda req: {"project_id": req.path_params["project_id"]}),
    Route("GET", f"{V}/os-migrations", list_migrations, MIGRATIONS % "index", own_target),
]
