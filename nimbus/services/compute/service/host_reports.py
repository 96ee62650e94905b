"""The compute hosts as their agents report them (``report_state``): the scheduler's host
states, and each host's Placement provider and inventory.

The compute-resources family owns the compute service and node records (os-services,
os-hypervisors): each report goes to its ``hosts.report_service`` / ``report_node`` when
that store is on the facade, and whether a host is up and enabled is its answer. A process
also keeps the last report of each host it heard from (the scheduler's view of the node).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from nimbus.agents.compute.messages import HostReport
from nimbus.services.compute.scheduler.host_state import HostState
from nimbus.services.compute.scheduler.placement_client import PlacementClient

log = logging.getLogger("nimbus.compute.hosts")


def inventories_of(report: HostReport) -> dict[str, dict[str, Any]]:
    """Placement inventories of a compute node, as Nova's resource tracker makes them."""
    return {
        "VCPU": {"total": report.vcpus, "reserved": report.reserved_host_cpus,
                 "allocation_ratio": report.cpu_allocation_ratio, "min_unit": 1,
                 "max_unit": max(report.vcpus, 1), "step_size": 1},
        "MEMORY_MB": {"total": report.memory_mb, "reserved": report.reserved_host_memory_mb,
                      "allocation_ratio": report.ram_allocation_ratio, "min_unit": 1,
                      "max_unit": max(report.memory_mb, 1), "step_size": 1},
        "DISK_GB": {"total": report.local_gb,
                    "reserved": (report.reserved_host_disk_mb + 1023) // 1024,
                    "allocation_ratio": report.disk_allocation_ratio, "min_unit": 1,
                    "max_unit": max(report.local_gb, 1), "step_size": 1},
    }


def node_resources(report: HostReport) -> dict[str, Any]:
    """What os-hypervisors shows of a node (compute-resources' report_node)."""
    keys = ("hypervisor_hostname", "hypervisor_type", "hypervisor_version", "vcpus",
            "memory_mb", "local_gb", "vcpus_used", "memory_mb_used", "local_gb_used",
            "running_vms", "cpu_info", "host_ip")
    return {k: getattr(report, k) for k in keys}


class HostReports:
    def __init__(self, compute: Any, placement: PlacementClient) -> None:
        self.compute = compute
        self.placement = placement
        self._lock = threading.Lock()
        self._reports: dict[str, tuple[HostReport, float]] = {}
        self._synced: dict[str, dict[str, Any]] = {}

    def report(self, report: HostReport) -> None:
        with self._lock:
            self._reports[report.host] = (report, time.monotonic())
        inventories = inventories_of(report)
        if self._synced.get(report.host) != inventories:
            self.placement.sync_node(report.host, inventories, list(report.traits))
            self._synced[report.host] = inventories
        self.compute.hosts.report_service(report.host, "nova-compute")
        self.compute.hosts.report_node(report.host, node_resources(report))

    def last_report(self, host: str) -> HostReport | None:
        with self._lock:
            seen = self._reports.get(host)
        return seen[0] if seen else None

    def _service(self, host: str) -> dict[str, Any] | None:
        return self.compute.hosts.find_service(  # type: ignore[no-any-return]
            host, "nova-compute")

    def is_up(self, host: str) -> bool:
        service = self._service(host)
        if service is not None:
            return bool(self.compute.hosts.service_is_up(service))
        with self._lock:
            seen = self._reports.get(host)
        return seen is not None and \
            time.monotonic() - seen[1] <= self.compute.options.service_down_time

    def _nodes(self) -> dict[str, dict[str, Any]]:
        """host -> its node record (the hosts store: every API process sees the reports
        any of them took)."""
        return {n["host"]: n for n in self.compute.hosts.nodes()}

    def known(self) -> list[str]:
        with self._lock:
            heard = set(self._reports)
        return sorted(heard | set(self._nodes()))

    def _resources(self, host: str) -> dict[str, Any] | None:
        report = self.last_report(host)
        if report is not None:
            return {**node_resources(report), "availability_zone": report.availability_zone}
        node = self._nodes().get(host)
        if node is None:
            return None
        return {**node, "availability_zone": self.compute.options.default_availability_zone}

    def state(self, host: str) -> HostState | None:
        found = self._resources(host)
        if found is None:
            return None
        return HostState(
            host=host, node=str(found.get("hypervisor_hostname") or host),
            availability_zone=self.zone_of(host, str(found["availability_zone"])),
            aggregate_metadata=self.aggregate_metadata(host),
            enabled=self._enabled(host), up=self.is_up(host),
            vcpus=int(found.get("vcpus") or 0), vcpus_used=int(found.get("vcpus_used") or 0),
            memory_mb=int(found.get("memory_mb") or 0),
            memory_mb_used=int(found.get("memory_mb_used") or 0),
            local_gb=int(found.get("local_gb") or 0),
            local_gb_used=int(found.get("local_gb_used") or 0),
            hypervisor_type=str(found.get("hypervisor_type") or "QEMU"),
            hypervisor_version=int(found.get("hypervisor_version") or 0),
            cpu_arch=str((found.get("cpu_info") or {}).get("arch", "x86_64")))

    def _enabled(self, host: str) -> bool:
        """os-services' disabled flag (compute-resources' record, when there is one)."""
        service = self._service(host)
        return service is None or not service.get("disabled")

    def zone_of(self, host: str, reported: str) -> str:
        return str(self.compute.aggregates.zone_of(host) or reported)

    def aggregate_metadata(self, host: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for aggregate in self.compute.aggregates.of_host(host):
            for key, value in (aggregate.get("metadata") or {}).items():
                out.setdefault(key, set()).add(str(value))
        return out
