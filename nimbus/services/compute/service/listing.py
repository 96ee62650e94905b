"""GET /servers and /servers/detail: Nova's filters (those every caller may use, and the
admin-only ones), sort keys and pagination by marker."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, false, not_, or_, select
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.kernel.errors import BadRequest
from nimbus.services.compute.models.servers import Instance, InstanceTag
from nimbus.services.compute.service import states

SORT_KEYS = {"created_at": Instance.created_at, "updated_at": Instance.updated_at,
             "display_name": Instance.display_name, "uuid": Instance.id,
             "launched_at": Instance.launched_at, "terminated_at": Instance.terminated_at,
             "vm_state": Instance.vm_state, "task_state": Instance.task_state,
             "power_state": Instance.power_state, "host": Instance.host,
             "node": Instance.node, "hostname": Instance.hostname,
             "availability_zone": Instance.availability_zone,
             "project_id": Instance.project_id, "user_id": Instance.user_id,
             "image_ref": Instance.image_ref, "instance_type_id": Instance.flavor_id,
             "key_name": Instance.key_name, "locked": Instance.locked,
             "config_drive": Instance.config_drive, "launch_index": Instance.launch_index,
             "display_description": Instance.description,
             "access_ip_v4": Instance.access_ip_v4, "access_ip_v6": Instance.access_ip_v6,
             "reservation_id": Instance.reservation_id, "id": Instance.seq}
# Sort keys only an admin may use.
ADMIN_SORT_KEYS = ("host", "node", "power_state", "task_state", "vm_state", "launch_index",
                   "project_id", "user_id", "instance_type_id")
# Exact-match filters only admins may use (others are ignored, as Nova does).
ADMIN_FILTERS = {"host": Instance.host, "node": Instance.node,
                 "project_id": Instance.project_id, "tenant_id": Instance.project_id,
                 "user_id": Instance.user_id, "uuid": Instance.id,
                 "vm_state": Instance.vm_state, "task_state": Instance.task_state,
                 "key_name": Instance.key_name, "hostname": Instance.hostname,
                 "availability_zone": Instance.availability_zone,
                 "config_drive": Instance.config_drive,
                 "access_ip_v4": Instance.access_ip_v4, "access_ip_v6": Instance.access_ip_v6}


@dataclass
class ServerQuery:
    filters: dict[str, str] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)
    sorts: list[tuple[str, str]] = field(default_factory=list)
    limit: int | None = None
    marker: str | None = None
    all_tenants: bool = False
    deleted: bool | None = None
    ip: str | None = None
    ip6: str | None = None
    locked: bool | None = None


def parse_time(text: str, name: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"Invalid filter field: {name}.") from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def select_servers(s: Session, ctx: RequestContext, query: ServerQuery, admin: bool) -> Any:
    stmt = select(Instance)
    f = query.filters
    if not (admin and query.all_tenants):
        project = f.get("project_id") or f.get("tenant_id") if admin and query.all_tenants \
            else None
        stmt = stmt.where(Instance.project_id == (project or ctx.project_id))
    since_ = parse_time(f["changes-since"], "changes-since") if "changes-since" in f else None
    before = parse_time(f["changes-before"], "changes-before") if "changes-before" in f \
        else None
    if since_ and before and since_ > before:
        raise BadRequest("The value of changes-since must be less than or equal to "
                         "changes-before.")
    if since_:
        stmt = stmt.where(Instance.updated_at >= since_)
    if before:
        stmt = stmt.where(Instance.updated_at <= before)
    if admin and query.deleted is not None:
        stmt = stmt.where(Instance.deleted != 0 if query.deleted else Instance.deleted == 0)
    elif not (since_ or before):
        stmt = stmt.where(Instance.deleted == 0)
    return _common_filters(stmt, query, admin)


def _common_filters(stmt: Any, query: ServerQuery, admin: bool) -> Any:
    f = query.filters
    if "status" in f:
        stmt = stmt.where(_status_condition(f["status"]))
    if "image" in f:
        stmt = stmt.where(Instance.image_ref == f["image"].rstrip("/").rsplit("/", 1)[-1])
    if "flavor" in f:
        stmt = stmt.where(Instance.flavor_id == f["flavor"].rstrip("/").rsplit("/", 1)[-1])
    if "reservation_id" in f:
        stmt = stmt.where(Instance.reservation_id == f["reservation_id"])
    if query.locked is not None:
        stmt = stmt.where(Instance.locked.is_(query.locked))
    if admin:
        for name, column in ADMIN_FILTERS.items():
            if name in f and name not in ("project_id", "tenant_id"):
                stmt = stmt.where(column == f[name])
    return _tag_filters(stmt, query.tags)


def _status_condition(text: str) -> Any:
    status = text.upper()
    if status == "DELETED":
        return Instance.deleted != 0
    vm_states = states.STATUS_VM_STATES.get(status)
    if vm_states is None:
        return Instance.id.is_(None)        # an unknown status matches nothing
    tasks = states.STATUS_TASK_STATES.get(status)
    default = [vm for vm in vm_states if states.STATE_MAP[vm][None] == status]
    cond: Any = and_(Instance.vm_state.in_(default) if default else false(),
                or_(Instance.task_state.is_(None),
                    not_(Instance.task_state.in_(
                        [t for v in default for t in states.STATE_MAP[v] if t]))))
    if tasks:
        cond = or_(cond, and_(Instance.vm_state.in_(vm_states),
                              Instance.task_state.in_(tasks)))
    return cond


def _tag_filters(stmt: Any, tags: dict[str, list[str]]) -> Any:
    def has(tag: str) -> Any:
        return exists().where(InstanceTag.instance_id == Instance.id, InstanceTag.tag == tag)

    if tags.get("tags"):
        stmt = stmt.where(and_(*[has(t) for t in tags["tags"]]))
    if tags.get("tags-any"):
        stmt = stmt.where(or_(*[has(t) for t in tags["tags-any"]]))
    if tags.get("not-tags"):
        stmt = stmt.where(not_(and_(*[has(t) for t in tags["not-tags"]])))
    if tags.get("not-tags-any"):
        stmt = stmt.where(not_(or_(*[has(t) for t in tags["not-tags-any"]])))
    return stmt


def order_and_page(s: Session, stmt: Any, query: ServerQuery, admin: bool) -> Any:
    sorts = query.sorts or [("created_at", "desc")]
    columns = []
    for key, direction in sorts:
        if key not in SORT_KEYS or (key in ADMIN_SORT_KEYS and not admin):
            raise BadRequest(f"Invalid sort_key: {key}" if key not in SORT_KEYS else
                             f"Only administrators can sort servers by {key}")
        columns.append((SORT_KEYS[key], direction))
    columns.append((Instance.seq, sorts[-1][1]))
    if query.marker:
        stmt = stmt.where(_after_marker(s, query.marker, columns))
    stmt = stmt.order_by(*[c.desc() if d == "desc" else c.asc() for c, d in columns])
    if query.limit is not None:
        stmt = stmt.limit(query.limit)
    return stmt


def _after_marker(s: Session, marker: str, columns: list[tuple[Any, str]]) -> Any:
    row = s.get(Instance, marker)
    if row is None:
        raise BadRequest(f"marker [{marker}] not found")
    conds = []
    for i, (column, direction) in enumerate(columns):
        value = getattr(row, column.key)
        equal = [c == getattr(row, c.key) for c, _ in columns[:i]]
        if value is None:
            step = column.isnot(None) if direction == "asc" else false()
        else:
            step = column > value if direction == "asc" else column < value
            if direction == "desc":
                step = or_(step, column.is_(None))
        conds.append(and_(*equal, step))
    return or_(*conds)


def match_ips(views: list[dict[str, Any]], ip: str | None, ip6: str | None
              ) -> list[dict[str, Any]]:
    """Nova's ip/ip6 filters: a regular expression on the servers' addresses."""
    def matches(view: dict[str, Any], pattern: str, version: int) -> bool:
        regex = re.compile(pattern)
        return any(regex.match(a["addr"]) for entries in view["addresses"].values()
                   for a in entries if a["version"] == version)

    out = views
    if ip:
        out = [v for v in out if matches(v, ip, 4)]
    if ip6:
        out = [v for v in out if matches(v, ip6, 6)]
    return out


def match_name(views: list[dict[str, Any]], pattern: str | None) -> list[dict[str, Any]]:
    if not pattern:
        return views
    try:
        regex = re.compile(pattern)
    except re.error:
        return []
    return [v for v in views if regex.search(v["display_name"] or "")]


def list_servers(servers: Any, ctx: RequestContext, query: ServerQuery, admin: bool
                 ) -> list[dict[str, Any]]:
    """The page of servers the query asks for, as plain views (servers.views)."""
    post = bool(query.filters.get("name") or query.ip or query.ip6)
    limit = query.limit
    with servers.db.session() as s:
        stmt = select_servers(s, ctx, query, admin)
        stmt = order_and_page(s, stmt, ServerQuery(**{**vars(query),
                                                     "limit": None if post else limit}),
                              admin)
        rows = list(s.scalars(stmt))
        views = servers.views(s, rows)
    views = match_ips(match_name(views, query.filters.get("name")), query.ip, query.ip6)
    return views[:limit] if post and limit is not None else views
