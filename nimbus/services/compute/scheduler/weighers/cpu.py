from __future__ import annotations

from nimbus.services.compute.scheduler.host_state import HostState, RequestSpec


class CPUWeigher:
    """More free vCPUs weighs more: a positive multiplier spreads, a negative one stacks."""

    def __init__(self, multiplier: float = 1.0) -> None:
        self.multiplier = multiplier

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return float(host.free_vcpus)
