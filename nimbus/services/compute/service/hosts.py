"""The compute hosts as their agents report them (``report_state``): the scheduler's host
states, and each host's Placement provider and inventory.

The compute-resources family owns the compute node and service records (os-hypervisors,
os-services); each report is handed to its ``hypervisors.report`` when that store is on
the facade. Here a process keeps the last report of each host it heard from.
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


class Hosts:
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
        store = getattr(self.compute, "hypervisors", None)
        if store is not None and hasattr(store, "report"):
            store.report(report)

    def last_report(self, host: str) -> HostReport | None:
        with self._lock:
            seen = self._reports.get(host)
        return seen[0] if seen else None

    def is_up(self, host: str) -> bool:
        with self._lock:
            seen = self._reports.get(host)
        return seen is not None and \
            time.monotonic() - seen[1] <= self.compute.options.service_down_time

    def known(self) -> list[str]:
        with self._lock:
            return sorted(self._reports)

    def state(self, host: str) -> HostState | None:
        report = self.last_report(host)
        if report is None:
            return None
        return HostState(
            host=host, node=report.hypervisor_hostname, availability_zone=report.availability_zone,
            enabled=self._enabled(host), up=self.is_up(host), vcpus=report.vcpus,
            vcpus_used=report.vcpus_used, memory_mb=report.memory_mb,
            memory_mb_used=report.memory_mb_used, local_gb=report.local_gb,
            local_gb_used=report.local_gb_used, hypervisor_type=report.hypervisor_type,
            hypervisor_version=report.hypervisor_version,
            cpu_arch=str(report.cpu_info.get("arch", "x86_64")))

    def _enabled(self, host: str) -> bool:
        """os-services' disabled flag, from compute-resources' store when it has one."""
        store = getattr(self.compute, "os_services", None)
        if store is not None and hasattr(store, "is_enabled"):
            return bool(store.is_enabled(host))
        return True
