"""Every call the compute service makes to Placement, in one adapter: providers and
inventories from the agents' reports, allocation candidates, claims and their removal.

It calls Placement's in-process public functions (``placement_of(runtime)``).
"""

from __future__ import annotations

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

    def _placement(self) -> Any:
        from nimbus.services.placement.service import placement_of

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
        from nimbus.services.placement.service.types import CandidateRequest

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
        from nimbus.services.placement.errors import PlacementConflict

        try:
            return int(placement.claim(consumer, allocations, project_id, user_id,
                                       consumer_generation=generation,
                                       consumer_type="INSTANCE"))
        except PlacementConflict as err:
            raise ClaimConflict(str(err)) from err

    def allocations(self, consumer: str) -> tuple[dict[str, dict[str, int]], int | None]:
        placement = self._placement()
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
