"""Quotas: Neutron's per-project limits, their defaults, usage counted from the resources'
own tables, and the one check every create calls.

Enforcement, for every family's store (one line, inside the create's transaction, before
the insert)::

    from nimbus.services.network.service import quotas
    quotas.check(s, values["project_id"], "network")           # or "subnet", "port",
    quotas.check(s, project_id, "security_group_rule", adding=n)  # ... n rows at once

``check`` counts the project's rows of the resource's table (``TABLES``) in the session's
transaction and raises ``OverQuota`` (409, "Quota exceeded for resources: ['port'].") when
the new rows would pass the limit. A family whose table is named otherwise registers it:
``quotas.TABLES["router"] = "network_router"``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import Base, Database
from nimbus.kernel.errors import BadRequest
from nimbus.services.network.errors import BadRequestNeutron, InvalidInput, OverQuota
from nimbus.services.network.models.quotas import Quota

UNLIMITED = -1
MAX_LIMIT = 2**31 - 1

# Neutron's [quotas] defaults, by resource name, in the order its API lists them.
DEFAULTS: dict[str, int] = {
    "network": 100, "subnet": 100, "port": 500, "router": 10, "floatingip": 50,
    "security_group": 10, "security_group_rule": 100, "subnetpool": -1,
    "rbac_policy": 10, "trunk": -1,
}

# resource -> the table whose rows (by project_id) are its usage.
TABLES: dict[str, str] = {
    "network": "network_network", "subnet": "network_subnet", "port": "network_port",
    "router": "network_router", "floatingip": "network_floatingip",
    "security_group": "network_security_group",
    "security_group_rule": "network_security_group_rule",
    "subnetpool": "network_subnetpool", "rbac_policy": "network_rbac",
    "trunk": "network_trunk",
}


def limit_of(s: Session, project_id: str, resource: str) -> int:
    row = s.get(Quota, (project_id, resource))
    return row.limit if row is not None else DEFAULTS[resource]


def usage(s: Session, project_id: str, resource: str) -> int:
    """Rows of the resource's table the project owns; 0 while its family has no table."""
    table = Base.metadata.tables.get(TABLES.get(resource, ""))
    if table is None or "project_id" not in table.c:
        return 0
    return int(s.scalar(select(func.count()).select_from(table)
                        .where(table.c.project_id == project_id)) or 0)


def check(s: Session, project_id: str, resource: str, adding: int = 1) -> None:
    """Refuse (``OverQuota``) when ``adding`` more of ``resource`` would pass the limit."""
    limit = limit_of(s, project_id, resource)
    if limit == UNLIMITED:
        return
    if usage(s, project_id, resource) + adding > limit:
        raise OverQuota(resource)


def _limit_value(resource: str, raw: Any) -> int:
    if isinstance(raw, bool):
        raw = str(raw)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput(f"'{raw}' is not an integer") from None
    if isinstance(raw, float) and raw != value:
        raise InvalidInput(f"'{raw}' is not an integer")
    if value < UNLIMITED or value > MAX_LIMIT:
        raise BadRequest(f"Invalid input for {resource}. Reason: '{value}' is not in "
                         f"range {UNLIMITED} through {MAX_LIMIT}.")
    return value


class Quotas:
    """The API's side: limits per project, defaults, details, and changes."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def limits(self, project_id: str) -> dict[str, int]:
        with self.db.session() as s:
            return self._limits(s, project_id)

    def _limits(self, s: Session, project_id: str) -> dict[str, int]:
        set_ = {r.resource: r.limit for r in s.scalars(
            select(Quota).where(Quota.project_id == project_id))}
        return {name: set_.get(name, default) for name, default in DEFAULTS.items()}

    def defaults(self) -> dict[str, int]:
        return dict(DEFAULTS)

    def all_set(self) -> list[dict[str, Any]]:
        """Every project with a limit of its own: its limits, and its id."""
        with self.db.session() as s:
            projects = sorted(set(s.scalars(select(Quota.project_id))))
            return [{**self._limits(s, p), "project_id": p, "tenant_id": p}
                    for p in projects]

    def details(self, project_id: str) -> dict[str, dict[str, int]]:
        with self.db.session() as s:
            limits = self._limits(s, project_id)
            return {name: {"limit": limit, "used": usage(s, project_id, name),
                           "reserved": 0} for name, limit in limits.items()}

    def update(self, ctx: RequestContext, project_id: str, body: Any) -> dict[str, int]:
        changes, force = self._parse(body)
        with self.db.session() as s, s.begin():
            if not force:
                for name, limit in changes.items():
                    used = usage(s, project_id, name)
                    if limit != UNLIMITED and used > limit:
                        raise BadRequest(f"Quota limit {limit} for {name} must be "
                                         f"greater than or equal to already used {used}")
            for name, limit in changes.items():
                row = s.get(Quota, (project_id, name))
                if row is None:
                    s.add(Quota(project_id=project_id, resource=name, limit=limit))
                else:
                    row.limit = limit
        return self.limits(project_id)

    def _parse(self, body: Any) -> tuple[dict[str, int], bool]:
        quota = body.get("quota") if isinstance(body, dict) else None
        if not isinstance(quota, dict):
            raise BadRequestNeutron("resource", "Unable to find 'quota' in request body")
        quota = dict(quota)
        force = quota.pop("force", False) is True
        quota.pop("check_limit", None)
        unknown = sorted(k for k in quota if k not in DEFAULTS)
        if unknown:
            raise BadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
        return {k: _limit_value(k, v) for k, v in quota.items()}, force

    def reset(self, project_id: str) -> None:
        with self.db.session() as s, s.begin():
            s.execute(delete(Quota).where(Quota.project_id == project_id))
