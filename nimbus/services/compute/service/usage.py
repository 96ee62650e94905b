"""What compute's own families count but do not own: servers. The servers engineer registers
providers here; until then servers count 0 and the usage and migration lists are empty.

* ``ServerCounter.count(project_id, user_id)`` -> ``{"instances": n, "cores": n, "ram": MiB}``
  for a project (``user_id`` None) or one user in it; feeds limits, quota details and
  ``quotas.check``.
* ``TenantUsageSource.usage(start, end, project_id, detailed)`` -> Nova's ``tenant_usage``
  dicts (tenant_id, start, stop, total_hours, total_vcpus_usage, total_memory_mb_usage,
  total_local_gb_usage, server_usages when ``detailed``), one a project, for servers that
  lived between ``start`` and ``end``; ``project_id`` None means every project.
* ``MigrationSource.migrations(filters)`` -> Nova's migration dicts for os-migrations;
  ``filters`` may hold host, status, source_compute, migration_type, instance_uuid,
  project_id, user_id, changes_since, changes_before.
* ``HostServers.servers_on_host(host)`` -> ``[{"name": ..., "uuid": ...}]`` for
  os-hypervisors' ``servers`` and the running_vms count.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol


class ServerCounter(Protocol):
    def count(self, project_id: str, user_id: str | None) -> dict[str, int]: ...


class TenantUsageSource(Protocol):
    def usage(self, start: dt.datetime, end: dt.datetime, project_id: str | None,
              detailed: bool) -> list[dict[str, Any]]: ...


class MigrationSource(Protocol):
    def migrations(self, filters: dict[str, Any]) -> list[dict[str, Any]]: ...


class HostServers(Protocol):
    def servers_on_host(self, host: str) -> list[dict[str, str]]: ...


SERVER_RESOURCES = ("instances", "cores", "ram")


class Usage:
    """The registry of providers; each is optional."""

    def __init__(self) -> None:
        self.counter: ServerCounter | None = None
        self.tenant_usage: TenantUsageSource | None = None
        self.migration_source: MigrationSource | None = None
        self.host_servers: HostServers | None = None

    def register(self, counter: ServerCounter | None = None, *,
                 tenant_usage: TenantUsageSource | None = None,
                 migrations: MigrationSource | None = None,
                 host_servers: HostServers | None = None) -> None:
        self.counter = counter or self.counter
        self.tenant_usage = tenant_usage or self.tenant_usage
        self.migration_source = migrations or self.migration_source
        self.host_servers = host_servers or self.host_servers

    def servers(self, project_id: str, user_id: str | None = None) -> dict[str, int]:
        counted = self.counter.count(project_id, user_id) if self.counter else {}
        return {r: int(counted.get(r, 0)) for r in SERVER_RESOURCES}

    def usages(self, start: dt.datetime, end: dt.datetime, project_id: str | None,
               detailed: bool) -> list[dict[str, Any]]:
        if self.tenant_usage is None:
            return []
        return self.tenant_usage.usage(start, end, project_id, detailed)

    def migrations(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        return self.migration_source.migrations(filters) if self.migration_source else []

    def servers_on_host(self, host: str) -> list[dict[str, str]]:
        return self.host_servers.servers_on_host(host) if self.host_servers else []
