"""Compute quotas: limits per project, per user in a project and per quota class, Nova's
defaults behind them, usage counted from the families' own tables (and the servers' counter
in ``usage.py``), and ``check`` for the servers engineer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select

from nimbus.kernel.db import Database
from nimbus.kernel.errors import BadRequest
from nimbus.services.compute.errors import QuotaExceeded
from nimbus.services.compute.models.quotas import QuotaClassLimit, QuotaLimit
from nimbus.services.compute.service.usage import Usage

# Nova's [quota] defaults; the network-backed ones are -1 (Neutron enforces them).
DEFAULTS: dict[str, int] = {
    "instances": 10, "cores": 20, "ram": 51200, "metadata_items": 128, "key_pairs": 100,
    "server_groups": 10, "server_group_members": 10, "injected_files": 5,
    "injected_file_content_bytes": 10240, "injected_file_path_bytes": 255,
    "fixed_ips": -1, "floating_ips": -1, "security_groups": -1, "security_group_rules": -1,
}
RESOURCES = tuple(DEFAULTS)
DEFAULT_CLASS = "default"


class Quotas:
    def __init__(self, db: Database, usage: Usage) -> None:
        self.db = db
        self.usage = usage
        # Counters of the families that own what they count: resource -> (project, user).
        self.counters: dict[str, Callable[[str, str | None], int]] = {}

    # -- limits ---------------------------------------------------------------------------
    def class_limits(self, class_name: str = DEFAULT_CLASS) -> dict[str, int]:
        with self.db.session() as s:
            rows = s.scalars(select(QuotaClassLimit).where(
                QuotaClassLimit.class_name.in_([DEFAULT_CLASS, class_name]))).all()
        out = dict(DEFAULTS)
        for row in sorted(rows, key=lambda r: r.class_name != DEFAULT_CLASS):
            out[row.resource] = row.hard_limit
        return out

    def defaults(self) -> dict[str, int]:
        return self.class_limits(DEFAULT_CLASS)

    def limits(self, project_id: str, user_id: str | None = None) -> dict[str, int]:
        """The limits that apply: the user's own, else the project's, else the defaults."""
        out = self.defaults()
        with self.db.session() as s:
            rows = s.scalars(select(QuotaLimit).where(
                QuotaLimit.project_id == project_id,
                QuotaLimit.user_id.in_(["", user_id or ""]))).all()
        for row in sorted(rows, key=lambda r: r.user_id != ""):
            out[row.resource] = row.hard_limit
        return out

    def limit_of(self, project_id: str, user_id: str, resource: str) -> int:
        return self.limits(project_id, user_id)[resource]

    # -- usage ----------------------------------------------------------------------------
    def in_use(self, project_id: str, user_id: str | None = None) -> dict[str, int]:
        out = dict.fromkeys(RESOURCES, 0)
        out.update(self.usage.servers(project_id, user_id))
        for resource, counter in self.counters.items():
            out[resource] = counter(project_id, user_id)
        return out

    def check(self, project_id: str, user_id: str | None, deltas: dict[str, int]) -> None:
        """Raises Nova's 403 ``Quota exceeded for cores: Requested 4, but already used 18 of
        20 cores`` when adding ``deltas`` (resource -> amount) would pass a limit; for
        instances, cores and ram, both the project's and the user's limits apply."""
        limits = self.limits(project_id)
        used = self.in_use(project_id, None)
        user_limits = self.limits(project_id, user_id) if user_id else limits
        own = self.in_use(project_id, user_id) if user_id else used
        overs = []
        for resource, delta in deltas.items():
            now, mine = used.get(resource, 0), own.get(resource, 0)
            if delta <= 0:
                continue
            if 0 <= limits.get(resource, -1) < now + delta:
                overs.append((resource, delta, now, limits[resource]))
            elif user_id and 0 <= user_limits.get(resource, -1) < mine + delta:
                overs.append((resource, delta, mine, user_limits[resource]))
        if overs:
            names = ", ".join(o[0] for o in overs)
            req = ", ".join(str(o[1]) for o in overs)
            use = ", ".join(str(o[2]) for o in overs)
            allowed = ", ".join(str(o[3]) for o in overs)
            raise QuotaExceeded(f"{names}: Requested {req}, but already used {use} of "
                                f"{allowed} {names}")

    # -- changes --------------------------------------------------------------------------
    def update(self, project_id: str, user_id: str | None, values: dict[str, int],
               force: bool) -> dict[str, int]:
        current = self.in_use(project_id, user_id)
        project_limits = self.limits(project_id)
        for resource, limit in values.items():
            _check_new_limit(resource, limit, current[resource], force,
                             project_limits[resource] if user_id else None)
        with self.db.session() as s:
            for resource, limit in values.items():
                key = (project_id, user_id or "", resource)
                row = s.get(QuotaLimit, key)
                if row is None:
                    s.add(QuotaLimit(project_id=project_id, user_id=user_id or "",
                                     resource=resource, hard_limit=limit))
                else:
                    row.hard_limit = limit
        return self.limits(project_id, user_id)

    def reset(self, project_id: str, user_id: str | None) -> None:
        with self.db.session() as s:
            query = delete(QuotaLimit).where(QuotaLimit.project_id == project_id)
            if user_id:
                query = query.where(QuotaLimit.user_id == user_id)
            s.execute(query)

    def update_class(self, class_name: str, values: dict[str, int]) -> dict[str, int]:
        with self.db.session() as s:
            for resource, limit in values.items():
                row = s.get(QuotaClassLimit, (class_name, resource))
                if row is None:
                    s.add(QuotaClassLimit(class_name=class_name, resource=resource,
                                          hard_limit=limit))
                else:
                    row.hard_limit = limit
        return self.class_limits(class_name)


def _check_new_limit(resource: str, limit: int, used: int, force: bool,
                     project_limit: int | None) -> None:
    if not force and limit != -1 and limit < used:
        raise BadRequest(f"Quota limit {limit} for {resource} must be greater than or equal "
                         f"to already used and reserved {used}.")
    if project_limit is not None and project_limit != -1 and \
            (limit == -1 or limit > project_limit):
        raise BadRequest(f"Quota limit {limit} for {resource} must be less than or equal to "
                         f"{project_limit}.")


def detail(limits: dict[str, int], used: dict[str, int]) -> dict[str, Any]:
    return {r: {"limit": limits[r], "in_use": used.get(r, 0), "reserved": 0} for r in limits}
