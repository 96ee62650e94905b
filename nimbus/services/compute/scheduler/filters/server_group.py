from __future__ import annotations

from nimbus.services.compute.scheduler.host_state import HostState, RequestSpec


class ServerGroupAffinityFilter:
    """An "affinity" group's members share one host: once a member runs somewhere, only
    that host passes."""

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        if spec.group_policy != "affinity" or not spec.group_hosts:
            return True
        return host.host in spec.group_hosts


class ServerGroupAntiAffinityFilter:
    """An "anti-affinity" group's members on different hosts ("max_server_per_host" rule
    for more than one)."""

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        if spec.group_policy != "anti-affinity":
            return True
        members_here = spec.group_hosts.count(host.host)
        return members_here < max(spec.group_max_server_per_host, 1)
