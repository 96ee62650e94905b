from __future__ import annotations

from nimbus.services.compute.scheduler.host_state import HostState, RequestSpec


class ComputeFilter:
    """Hosts whose compute service is enabled and up (reported within service_down_time)."""

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.enabled and host.up
