from __future__ import annotations

from nimbus.services.compute.scheduler.host_state import HostState, RequestSpec


class AvailabilityZoneFilter:
    """Hosts in the zone the request asks for (any host when it asks for none)."""

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        if not spec.availability_zone:
            return True
        zones = host.aggregate_metadata.get("availability_zone") or {host.availability_zone}
        return spec.availability_zone in zones
