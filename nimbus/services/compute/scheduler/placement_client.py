"""Every call the compute service makes to Placement, in one adapter: providers and
inventories from the agents' reports, allocation candidates, claims and their removal.

It calls Placement's in-process public functions (``placement_of(runtime)``). Until the
placement service is part of the tree, ``LocalPlacement`` stands in: the same calls on
in-memory inventories and allocations behind one lock (one process only).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

# Placement's UUID namespace for compute node providers: the same host, the same uuid.
_NODE_NAMESPACE = uuid.UUID("a8b7b2a0-6d39-4c1e-9b32-6b1c7f4a2e11")


def node_uuid(host: str) -> str:
    return str(uuid.uuid5(_NODE_NAMESPACE, host))


@dataclass
class Candidate:
    provider_uuid: str
    allocations: dict[str, dict[str, int]]
    # class -> {"capacity": .., "used": ..} of the root provider.
    resources: dict[str, dict[str, int]] = field(default_factory=dict)
    traits: list[str] = field(default_factory=list)


class ClaimConflict(Exception):  # noqa: N818 - Placement's word
    """The host no longer has room, or the consumer changed meanwhile: try the next."""


class PlacementClient:
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self._local: LocalPlacement | None = None

    def _placement(self) -> Any:
        try:
            from nimbus.services.placement.service import placement_of  # type: ignore
        except ImportError:
            if self._local is None:
                self._local = LocalPlacement()
            return self._local
        return placement_of(self.runtime)

    # -- providers (from the agents' reports) ----------------------------------------------
    def sync_node(self, host: str, inventories: dict[str, dict[str, Any]],
                  traits: list[str]) -> str:
        placement = self._placement()
        rp = node_uuid(host)
        placement.ensure_provider(rp, host)
        placement.set_inventories(rp, inventories)
        if traits:
            placement.set_traits(rp, traits)
        return rp

    # -- scheduling ---------------------------------------------------------------------
    def candidates(self, resources: dict[str, int], required: set[str] | None = None,
                   forbidden: set[str] | None = None,
                   limit: int | None = None) -> list[Candidate]:
        placement = self._placement()
        if isinstance(placement, LocalPlacement):
            return placement.candidates(resources)
        from nimbus.services.placement.service.types import CandidateRequest  # type: ignore

        found = placement.allocation_candidates(CandidateRequest.simple(
            resources, required=required or None, forbidden=forbidden or None, limit=limit))
        out = []
        for request in found.allocation_requests:
            root = next(iter(request.allocations))
            summary = found.provider_summaries.get(root)
            out.append(Candidate(root, {p: dict(r) for p, r in request.allocations.items()},
                                 dict(summary.resources) if summary else {},
                                 list(summary.traits) if summary else []))
        return out

    def claim(self, consumer: str, allocations: dict[str, dict[str, int]], project_id: str,
              user_id: str, generation: int | None = None) -> int:
        """The consumer's new generation; ClaimConflict when it does not fit (any more)."""
        placement = self._placement()
        if isinstance(placement, LocalPlacement):
            return placement.claim(consumer, allocations)
        from nimbus.services.placement.errors import PlacementConflict  # type: ignore

        try:
            return int(placement.claim(consumer, allocations, project_id, user_id,
                                       consumer_generation=generation,
                                       consumer_type="INSTANCE"))
        except PlacementConflict as err:
            raise ClaimConflict(str(err)) from err

    def allocations(self, consumer: str) -> tuple[dict[str, dict[str, int]], int | None]:
        placement = self._placement()
        if isinstance(placement, LocalPlacement):
            return placement.get(consumer)
        held = placement.get_allocations(consumer)
        return ({p: dict(e.get("resources", {})) for p, e in held.allocations.items()},
                held.consumer_generation)

    def remove(self, consumer: str) -> None:
        """The consumer's allocations gone; none held is fine (a boot that never got a
        host, a second delete)."""
        from nimbus.kernel.errors import CloudError

        try:
            self._placement().delete_allocations(consumer)
        except CloudError as err:
            if err.status != 404:
                raise


class LocalPlacement:
    """In-memory stand-in for Placement (see the module's note)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.inventories: dict[str, dict[str, dict[str, Any]]] = {}
        self.traits: dict[str, list[str]] = {}
        self.held: dict[str, tuple[dict[str, dict[str, int]], int]] = {}

    def ensure_provider(self, rp: str, name: str) -> None:
        with self._lock:
            self.inventories.setdefault(rp, {})

    def set_inventories(self, rp: str, inventories: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            self.inventories[rp] = {k: dict(v) for k, v in inventories.items()}

    def set_traits(self, rp: str, traits: list[str]) -> None:
        with self._lock:
            self.traits[rp] = list(traits)

    def _capacity(self, inv: dict[str, Any]) -> int:
        return int((inv.get("total", 0) - inv.get("reserved", 0))
                   * inv.get("allocation_ratio", 1.0))

    def _used(self, rp: str, rc: str) -> int:
        return sum(a.get(rp, {}).get(rc, 0) for a, _gen in self.held.values())

    def _fits(self, rp: str, resources: dict[str, int]) -> bool:
        inv = self.inventories.get(rp, {})
        return all(rc in inv and self._used(rp, rc) + n <= self._capacity(inv[rc])
                   for rc, n in resources.items() if n)

    def candidates(self, resources: dict[str, int]) -> list[Candidate]:
        with self._lock:
            return [Candidate(rp, {rp: {k: v for k, v in resources.items() if v}},
                              {rc: {"capacity": self._capacity(i), "used": self._used(rp, rc)}
                               for rc, i in inv.items()}, self.traits.get(rp, []))
                    for rp, inv in self.inventories.items() if self._fits(rp, resources)]

    def claim(self, consumer: str, allocations: dict[str, dict[str, int]]) -> int:
        with self._lock:
            previous = self.held.pop(consumer, None)
            if not all(self._fits(rp, res) for rp, res in allocations.items()):
                if previous is not None:
                    self.held[consumer] = previous
                raise ClaimConflict("no room left on the host")
            generation = (previous[1] + 1) if previous else 1
            self.held[consumer] = ({p: dict(r) for p, r in allocations.items()}, generation)
            return generation

    def get(self, consumer: str) -> tuple[dict[str, dict[str, int]], int | None]:
        with self._lock:
            held = self.held.get(consumer)
            return (held[0], held[1]) if held else ({}, None)

    def delete_allocations(self, consumer: str) -> None:
        with self._lock:
            self.held.pop(consumer, None)
