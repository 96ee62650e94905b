"""What the servers family tells compute-resources' usage registry (service/usage.py):
servers counted for quotas, tenant usage, migrations for os-migrations, and the servers on
a host for os-hypervisors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select

from nimbus.kernel.db import utcnow
from nimbus.services.compute.models.servers import Instance, Migration
from nimbus.services.compute.service.listing import parse_time
from nimbus.services.compute.service.records import instance_name


class ServerUsage:
    def __init__(self, db: Any) -> None:
        self.db = db

    def count(self, project_id: str, user_id: str | None) -> dict[str, int]:
        with self.db.session() as s:
            stmt = select(Instance.flavor).where(Instance.project_id == project_id,
                                                 Instance.deleted == 0)
            if user_id:
                stmt = stmt.where(Instance.user_id == user_id)
            flavors = list(s.scalars(stmt))
        return {"instances": len(flavors), "cores": sum(int(f["vcpus"]) for f in flavors),
                "ram": sum(int(f["ram"]) for f in flavors)}

    def servers_on_host(self, host: str) -> list[dict[str, str]]:
        with self.db.session() as s:
            rows = s.scalars(select(Instance).where(Instance.host == host,
                                                    Instance.deleted == 0)
                             .order_by(Instance.seq))
            return [{"name": instance_name(r), "uuid": r.id} for r in rows]

    def migrations(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        with self.db.session() as s:
            stmt = select(Migration).order_by(Migration.created_at.desc(), Migration.id.desc())
            for key in ("status", "source_compute", "migration_type", "project_id",
                        "user_id"):
                if filters.get(key):
                    stmt = stmt.where(getattr(Migration, key) == filters[key])
            if filters.get("instance_uuid"):
                stmt = stmt.where(Migration.instance_id == filters["instance_uuid"])
            if filters.get("host"):
                stmt = stmt.where(or_(Migration.source_compute == filters["host"],
                                      Migration.dest_compute == filters["host"]))
            if filters.get("changes-since"):
                stmt = stmt.where(Migration.updated_at >= parse_time(
                    filters["changes-since"], "changes-since"))
            if filters.get("changes-before"):
                stmt = stmt.where(Migration.updated_at <= parse_time(
                    filters["changes-before"], "changes-before"))
            return [migration_view(m) for m in s.scalars(stmt)]

    def usage(self, start: dt.datetime, end: dt.datetime, project_id: str | None,
              detailed: bool) -> list[dict[str, Any]]:
        with self.db.session() as s:
            stmt = select(Instance).where(
                Instance.created_at < end,
                or_(Instance.terminated_at.is_(None), Instance.terminated_at > start))
            if project_id:
                stmt = stmt.where(Instance.project_id == project_id)
            rows = list(s.scalars(stmt.order_by(Instance.seq)))
        by_project: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_project.setdefault(row.project_id, []).append(_server_usage(row, start, end))
        return [_tenant_usage(p, items, start, end, detailed)
                for p, items in sorted(by_project.items())]



def migration_view(m: Migration) -> dict[str, Any]:
    return {"id": m.id, "uuid": m.uuid, "instance_uuid": m.instance_id,
            "source_compute": m.source_compute, "dest_compute": m.dest_compute,
            "source_node": m.source_node, "dest_node": m.dest_node,
            "dest_host": "127.0.0.1" if m.dest_compute else None, "status": m.status,
            "migration_type": m.migration_type,
            "old_instance_type_id": (m.old_flavor or {}).get("id"),
            "new_instance_type_id": (m.new_flavor or {}).get("id"),
            "created_at": m.created_at.isoformat(), "updated_at": m.updated_at.isoformat(),
            "project_id": m.project_id, "user_id": m.user_id}


def _server_usage(row: Instance, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    began = max(row.created_at, start)
    ended = min(row.terminated_at or utcnow(), end)
    hours = max((ended - began).total_seconds(), 0) / 3600
    flavor = row.flavor or {}
    return {"instance_id": row.id, "name": row.display_name, "hours": hours,
            "memory_mb": flavor.get("ram", 0), "local_gb": flavor.get("disk", 0),
            "vcpus": flavor.get("vcpus", 0), "tenant_id": row.project_id,
            "flavor": flavor.get("name", ""), "started_at": row.created_at.isoformat(),
            "ended_at": row.terminated_at.isoformat() if row.terminated_at else None,
            "state": "terminated" if row.deleted else row.vm_state,
            "uptime": int((utcnow() - row.created_at).total_seconds())}


def _tenant_usage(project_id: str, items: list[dict[str, Any]], start: dt.datetime,
                  end: dt.datetime, detailed: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tenant_id": project_id, "start": start.isoformat(), "stop": end.isoformat(),
        "total_hours": sum(i["hours"] for i in items),
        "total_vcpus_usage": sum(i["hours"] * i["vcpus"] for i in items),
        "total_memory_mb_usage": sum(i["hours"] * i["memory_mb"] for i in items),
        "total_local_gb_usage": sum(i["hours"] * i["local_gb"] for i in items)}
    if detailed:
        out["server_usages"] = items
    return out
