from __future__ import annotations

from nimbus.services.compute.scheduler.filters.same_host import hinted
from nimbus.services.compute.scheduler.host_state import HostState, RequestSpec


class DifferentHostFilter:
    """The ``different_host`` hint: only hosts running none of the named instances."""

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return not any(spec.instance_hosts.get(u) == host.host
                       for u in hinted(spec, "different_host"))
