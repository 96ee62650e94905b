"""Host weighers: one class a file, each with ``weigh(host, spec) -> float`` (the raw
weight); ``weigh_hosts`` normalises each weigher's weights to 0..1 across the hosts and
sums them times the weigher's multiplier, as Nova's weights.py does."""

from __future__ import annotations

from typing import Protocol

from nimbus.services.compute.scheduler.host_state import HostState, RequestSpec


class HostWeigher(Protocol):
    multiplier: float

    def weigh(self, host: HostState, spec: RequestSpec) -> float: ...


def normalize(values: list[float]) -> list[float]:
    """Nova's normalize: (v - min) / (max - min); all 0.0 when every value is the same."""
    if not values:
        return []
    low, high = min(values), max(values)
    if high == low:
        return [0.0 for _ in values]
    return [(v - low) / (high - low) for v in values]


def weigh_hosts(weighers: list[HostWeigher], hosts: list[HostState],
                spec: RequestSpec) -> list[tuple[float, HostState]]:
    """The hosts with their total weights, heaviest first (ties keep the given order)."""
    totals = [0.0 for _ in hosts]
    for weigher in weighers:
        raw = [weigher.weigh(h, spec) for h in hosts]
        for i, value in enumerate(normalize(raw)):
            totals[i] += weigher.multiplier * value
    order = sorted(range(len(hosts)), key=lambda i: -totals[i])
    return [(totals[i], hosts[i]) for i in order]


def default_weighers() -> list[HostWeigher]:
    from nimbus.services.compute.scheduler.weighers.cpu import CPUWeigher
    from nimbus.services.compute.scheduler.weighers.disk import DiskWeigher
    from nimbus.services.compute.scheduler.weighers.ram import RAMWeigher

    return [RAMWeigher(), CPUWeigher(), DiskWeigher()]
