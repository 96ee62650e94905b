"""Compute services (Nova's ``services`` table: one row a host and binary, kept fresh by
``report_service`` heartbeats) and compute nodes (``report_node``, the hypervisor's
resources as the agent reports them)."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.db import Database, utcnow
from nimbus.services.compute.errors import ComputeHostNotFound, ServiceNotFound
from nimbus.services.compute.models.hosts import ComputeNode, ComputeServiceRecord

COMPUTE = "nova-compute"
PROC = Path("/proc")
NODE_DEFAULTS: dict[str, Any] = {
    "vcpus": 0, "memory_mb": 0, "local_gb": 0, "vcpus_used": 0, "memory_mb_used": 0,
    "local_gb_used": 0, "hypervisor_type": "QEMU", "hypervisor_version": 0,
    "cpu_info": {}, "host_ip": None, "running_vms": 0, "current_workload": 0,
    "disk_available_least": None, "uptime": None,
}


def service_dict(row: ComputeServiceRecord) -> dict[str, Any]:
    return {"id": row.id, "uuid": row.uuid, "host": row.host, "binary": row.binary,
            "disabled": row.disabled, "disabled_reason": row.disabled_reason,
            "forced_down": row.forced_down, "updated_at": row.updated_at,
            "last_seen_up": row.last_seen_up, "created_at": row.created_at}


def node_dict(row: ComputeNode) -> dict[str, Any]:
    out = {"id": row.id, "uuid": row.uuid, "host": row.host,
           "hypervisor_hostname": row.hypervisor_hostname,
           **NODE_DEFAULTS, **(row.resources or {})}
    if out["uptime"] is None and row.host in (socket.gethostname(), socket.getfqdn()):
        out["uptime"] = local_uptime()
    return out


def local_uptime() -> str | None:
    """What `uptime` prints on this machine (Nova's get_host_uptime), for a node that runs
    here and did not report one."""
    try:
        seconds = int(float((PROC / "uptime").read_text().split()[0]))
        load = (PROC / "loadavg").read_text().split()[:3]
    except (OSError, ValueError, IndexError):
        return None
    days, rest = divmod(seconds, 86400)
    hours, minutes = divmod(rest // 60, 60)
    up = f"{days} day{'s' if days != 1 else ''}, {hours:2d}:{minutes:02d}" if days \
        else f"{hours:2d}:{minutes:02d}"
    return (f" {time.strftime('%H:%M:%S')} up {up},  0 users,  load average: "
            f"{', '.join(load)}")


class Hosts:
    def __init__(self, db: Database, down_time: int) -> None:
        self.db = db
        self.down_time = down_time

    # -- public functions (the compute agent's reports, the scheduler) --------------------
    def report_service(self, host: str, binary: str = COMPUTE, *,
                       topic: str | None = "compute", version: int = 0) -> dict[str, Any]:
        """A heartbeat: makes the service row on the first report, marks it up on each."""
        try:
            return self._heartbeat(host, binary, topic, version)
        except IntegrityError:
            # The first reports of a host raced; the row exists now.
            return self._heartbeat(host, binary, topic, version)

    def _heartbeat(self, host: str, binary: str, topic: str | None,
                   version: int) -> dict[str, Any]:
        now = utcnow()
        with self.db.session() as s:
            row = s.scalar(select(ComputeServiceRecord).where(
                ComputeServiceRecord.host == host, ComputeServiceRecord.binary == binary))
            if row is None:
                row = ComputeServiceRecord(uuid=str(uuid.uuid4()), host=host, binary=binary,
                                           topic=topic, report_count=0, version=version)
                s.add(row)
            row.report_count = (row.report_count or 0) + 1
            row.last_seen_up = now
            row.updated_at = now
            row.version = version
            s.flush()
            return service_dict(row)

    def service_is_up(self, service: dict[str, Any]) -> bool:
        """Up: not forced down and heard from within [compute] service_down_time."""
        if service["forced_down"]:
            return False
        seen = service.get("last_seen_up") or service.get("updated_at")
        if seen is None:
            return False
        return (utcnow() - seen.replace(tzinfo=None)).total_seconds() <= self.down_time

    def host_is_up(self, host: str, binary: str = COMPUTE) -> bool:
        """``service_is_up`` for a host's service, by name (False for an unknown one)."""
        service = self.find_service(host, binary)
        return service is not None and self.service_is_up(service)

    def enabled_up_hosts(self) -> list[str]:
        """The compute hosts the scheduler may place on: enabled and up."""
        return [s["host"] for s in self.services(binary=COMPUTE)
                if not s["disabled"] and self.service_is_up(s)]

    def report_node(self, host: str, resources: dict[str, Any]) -> dict[str, Any]:
        """The agent's view of its hypervisor: vcpus, memory_mb, local_gb, *_used,
        hypervisor_type, hypervisor_version, cpu_info, host_ip, running_vms...; the node is
        named by ``resources["hypervisor_hostname"]`` (default: the host)."""
        try:
            return self._store_node(host, resources)
        except IntegrityError:
            return self._store_node(host, resources)

    def _store_node(self, host: str, resources: dict[str, Any]) -> dict[str, Any]:
        name = str(resources.get("hypervisor_hostname") or host)
        kept = {k: v for k, v in resources.items() if k != "hypervisor_hostname"}
        with self.db.session() as s:
            row = s.scalar(select(ComputeNode).where(ComputeNode.hypervisor_hostname == name))
            if row is None:
                row = ComputeNode(uuid=str(uuid.uuid4()), host=host,
                                  hypervisor_hostname=name, resources={})
                s.add(row)
            row.host = host
            row.resources = {**(row.resources or {}), **kept}
            row.updated_at = utcnow()
            s.flush()
            return node_dict(row)

    def compute_hosts(self) -> list[str]:
        with self.db.session() as s:
            return sorted(set(s.scalars(select(ComputeServiceRecord.host).where(
                ComputeServiceRecord.binary == COMPUTE)).all()))

    def require_compute_host(self, host: str) -> None:
        if host not in self.compute_hosts():
            raise ComputeHostNotFound(host)

    # -- services -------------------------------------------------------------------------
    def services(self, host: str | None = None,
                 binary: str | None = None) -> list[dict[str, Any]]:
        with self.db.session() as s:
            query = select(ComputeServiceRecord).order_by(ComputeServiceRecord.id)
            if host:
                query = query.where(ComputeServiceRecord.host == host)
            if binary:
                query = query.where(ComputeServiceRecord.binary == binary)
            return [service_dict(r) for r in s.scalars(query).all()]

    def _service_row(self, s: Session, service_id: str | int) -> ComputeServiceRecord:
        column = ComputeServiceRecord.id if isinstance(service_id, int) \
            else ComputeServiceRecord.uuid
        row = s.scalar(select(ComputeServiceRecord).where(column == service_id))
        if row is None:
            raise ServiceNotFound(service_id)
        return row

    def service(self, service_id: str | int) -> dict[str, Any]:
        with self.db.session() as s:
            return service_dict(self._service_row(s, service_id))

    def find_service(self, host: str, binary: str) -> dict[str, Any] | None:
        found = self.services(host, binary)
        return found[0] if found else None

    def update_service(self, service_id: str | int, changes: dict[str, Any]
                       ) -> dict[str, Any]:
        with self.db.session() as s:
            row = self._service_row(s, service_id)
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            s.flush()
            return service_dict(row)

    def delete_service(self, service_id: str | int) -> dict[str, Any]:
        with self.db.session() as s:
            row = self._service_row(s, service_id)
            gone = service_dict(row)
            if row.binary == COMPUTE:
                s.execute(delete(ComputeNode).where(ComputeNode.host == row.host))
            s.delete(row)
            return gone

    # -- nodes ----------------------------------------------------------------------------
    def nodes(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            return [node_dict(r) for r in
                    s.scalars(select(ComputeNode).order_by(ComputeNode.id)).all()]

    def node(self, node_id: str | int) -> dict[str, Any] | None:
        column = ComputeNode.id if isinstance(node_id, int) else ComputeNode.uuid
        with self.db.session() as s:
            row = s.scalar(select(ComputeNode).where(column == node_id))
            return node_dict(row) if row else None
