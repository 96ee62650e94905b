"""The scheduler driver: allocation candidates from Placement -> host states -> filters ->
weighers -> a claim of the heaviest host, the next one on a conflict, so that two boots
never take the same last slot."""

from __future__ import annotations

import logging
from typing import Any

from nimbus.services.compute.scheduler.filters import HostFilter, default_filters
from nimbus.services.compute.scheduler.host_state import HostState, RequestSpec
from nimbus.services.compute.scheduler.placement_client import (
    ClaimConflict,
    PlacementClient,
    node_uuid,
)
from nimbus.services.compute.scheduler.weighers import (
    HostWeigher,
    default_weighers,
    weigh_hosts,
)

log = logging.getLogger("nimbus.compute.scheduler")


class NoValidHost(Exception):  # noqa: N818 - Nova's name
    def __init__(self, reason: str = "") -> None:
        super().__init__("No valid host was found. " + reason)


def resources_of(flavor: dict[str, Any]) -> dict[str, int]:
    """What a flavor asks Placement for (swap counts as disk, in whole GiB)."""
    disk = int(flavor.get("disk") or 0) + int(flavor.get("ephemeral") or 0) \
        + (int(flavor.get("swap") or 0) + 1023) // 1024
    return {"VCPU": int(flavor["vcpus"]), "MEMORY_MB": int(flavor["ram"]), "DISK_GB": disk}


class Scheduler:
    def __init__(self, hosts: Any, placement: PlacementClient,
                 filters: list[HostFilter] | None = None,
                 weighers: list[HostWeigher] | None = None) -> None:
        self.hosts = hosts              # service.hosts: state(host), known()
        self.placement = placement
        self.filters = filters if filters is not None else default_filters()
        self.weighers = weighers if weighers is not None else default_weighers()

    def host_states(self, spec: RequestSpec) -> list[HostState]:
        """The hosts Placement says have room, with their free resources filled in."""
        by_rp = {node_uuid(h): h for h in self.hosts.known()}
        states = []
        for cand in self.placement.candidates(resources_of(spec.flavor)):
            host = by_rp.get(cand.provider_uuid)
            state = self.hosts.state(host) if host else None
            if state is None:
                continue
            state.provider_uuid = cand.provider_uuid
            state.allocation = cand.allocations
            free = {rc: r.get("capacity", 0) - r.get("used", 0)
                    for rc, r in cand.resources.items()}
            state.free_ram_mb = float(free.get("MEMORY_MB", 0))
            state.free_vcpus = float(free.get("VCPU", 0))
            state.free_disk_mb = float(free.get("DISK_GB", 0)) * 1024
            states.append(state)
        return states

    def passing(self, states: list[HostState], spec: RequestSpec) -> list[HostState]:
        hosts = [h for h in states if h.host not in spec.ignore_hosts]
        if spec.force_host:
            # An admin's forced host skips the filters (Nova's force_hosts).
            return [h for h in hosts if h.host == spec.force_host and
                    (not spec.force_node or h.node == spec.force_node)]
        for host_filter in self.filters:
            hosts = [h for h in hosts if host_filter.host_passes(h, spec)]
            if not hosts:
                log.info("scheduler: %s left no host for %s", type(host_filter).__name__,
                         spec.instance_uuid)
                break
        return hosts

    def select_and_claim(self, spec: RequestSpec) -> HostState:
        """The host the instance goes to, its resources claimed in Placement."""
        hosts = self.passing(self.host_states(spec), spec)
        if not hosts:
            raise NoValidHost("There are not enough hosts available.")
        for _weight, host in weigh_hosts(self.weighers, hosts, spec):
            try:
                self.placement.claim(spec.instance_uuid, host.allocation, spec.project_id,
                                     spec.user_id)
            except ClaimConflict as err:
                log.info("scheduler: claim on %s for %s lost (%s); next host", host.host,
                         spec.instance_uuid, err)
                continue
            return host
        raise NoValidHost("There are not enough hosts available.")
