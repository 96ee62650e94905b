"""What the filters and weighers judge: one compute host, and the request being placed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class HostState:
    host: str
    node: str
    provider_uuid: str = ""
    availability_zone: str = "nova"
    enabled: bool = True
    up: bool = True
    vcpus: int = 0
    vcpus_used: int = 0
    memory_mb: int = 0
    memory_mb_used: int = 0
    local_gb: int = 0
    local_gb_used: int = 0
    # Free capacity as Placement sees it (allocation ratios and reservations applied).
    free_ram_mb: float = 0.0
    free_disk_mb: float = 0.0
    free_vcpus: float = 0.0
    hypervisor_type: str = "QEMU"
    hypervisor_version: int = 0
    cpu_arch: str = "x86_64"
    # Aggregates the host is in: their metadata (key -> value), merged.
    aggregate_metadata: dict[str, set[str]] = field(default_factory=dict)
    # Instances on the host (uuids), for affinity and same/different host.
    instances: set[str] = field(default_factory=set)
    # The placement allocation request that would land the instance here.
    allocation: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class RequestSpec:
    instance_uuid: str
    project_id: str
    user_id: str
    flavor: dict[str, Any]
    image_properties: dict[str, Any] = field(default_factory=dict)
    availability_zone: str | None = None
    # Scheduler hints: group, same_host, different_host (lists of instance uuids).
    hints: dict[str, Any] = field(default_factory=dict)
    # The server group: policy ("affinity" | "anti-affinity" | ...) and the host of each
    # of its members (a host once per member).
    group_policy: str | None = None
    group_hosts: list[str] = field(default_factory=list)
    group_max_server_per_host: int = 1
    # A host (and node) an admin forced with availability_zone "az:host:node".
    force_host: str | None = None
    force_node: str | None = None
    # Hosts already tried for this request (retries).
    ignore_hosts: set[str] = field(default_factory=set)
    # instance uuid -> host, for same_host / different_host.
    instance_hosts: dict[str, str] = field(default_factory=dict)
