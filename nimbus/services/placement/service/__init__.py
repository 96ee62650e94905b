"""The placement service facade, ``placement_of(runtime)``: what the Placement API and,
in process, the Compute service and its scheduler call (never the models).

Public in-process functions (methods of ``PlacementService``); errors are the typed ones
of ``placement.errors`` (``ProviderNotFound``, ``ConcurrentUpdate``, ``AllocationConflict``,
``PlacementBadRequest``):

* ``ensure_provider(uuid, name, parent_uuid=None) -> Provider``
* ``create_provider(name, uuid=None, parent_uuid=None) -> Provider``
* ``get_provider(uuid) -> Provider`` / ``find_provider(uuid) -> Provider | None``
* ``delete_provider(uuid) -> None``
* ``set_inventories(uuid, {class: {"total": .., "reserved": .., ...}}, generation=None)
  -> Provider``
* ``set_traits(uuid, traits, generation=None) -> Provider`` (creates missing CUSTOM_ ones)
* ``set_aggregates(uuid, aggregates, generation=None) -> Provider``
* ``allocation_candidates(CandidateRequest) -> Candidates`` (``allocation_requests``:
  [AllocationRequest(allocations={rp: {class: n}}, mappings)], ``provider_summaries``:
  {rp: ProviderSummary}); ``CandidateRequest.simple(resources, required=, forbidden=,
  member_of=, in_tree=, limit=)`` builds the one-group request of a flavor
* ``claim(consumer_uuid, {rp: {class: n}}, project_id, user_id, consumer_generation=None,
  consumer_type=None) -> int`` (the consumer's new generation; raises AllocationConflict
  when it no longer fits, ConcurrentUpdate on a stale consumer generation: of two claims
  on the last slot one wins, under concurrent transactions too)
* ``get_allocations(consumer_uuid) -> ConsumerAllocations``
* ``replace_allocations(consumer_uuid, allocations, project_id, user_id,
  consumer_generation, consumer_type=None) -> int`` (resize: a new set at once)
* ``move_allocations(source_uuid, target_uuid, project_id, user_id,
  source_generation=..., target_generation=None) -> None`` (a migration's hand-over)
* ``delete_allocations(consumer_uuid) -> None``
* ``usages(project_id, user_id=None) -> {class: used}``;
  ``provider_usages(uuid) -> {class: used}``
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nimbus.kernel.runtime import Runtime
from nimbus.services.placement.service import reshaper
from nimbus.services.placement.service.allocations import Allocations
from nimbus.services.placement.service.candidates import CandidateFinder
from nimbus.services.placement.service.catalog import Catalog
from nimbus.services.placement.service.inventories import Inventories, make_inventory
from nimbus.services.placement.service.providers import Providers
from nimbus.services.placement.service.types import (
    CandidateRequest,
    Candidates,
    ConsumerAllocations,
    ConsumerWrite,
    Provider,
)


class PlacementService:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.db = runtime.db
        self.catalog = Catalog(self.db)
        self.providers = Providers(self.db)
        self.inventories = Inventories(self.db)
        self.allocations = Allocations(self.db)
        self.candidates = CandidateFinder(self.db)

    # -- providers -------------------------------------------------------------------------
    def ensure_provider(self, uuid: str, name: str, parent_uuid: str | None = None
                        ) -> Provider:
        return self.providers.ensure(uuid, name, parent_uuid)

    def create_provider(self, name: str, uuid: str | None = None,
                        parent_uuid: str | None = None) -> Provider:
        return self.providers.create(name, uuid, parent_uuid)

    def get_provider(self, uuid: str) -> Provider:
        return self.providers.get(uuid)

    def find_provider(self, uuid: str) -> Provider | None:
        return self.providers.find(uuid)

    def delete_provider(self, uuid: str) -> None:
        self.providers.delete(uuid)

    def set_inventories(self, uuid: str, inventories: Mapping[str, Mapping[str, Any]],
                        generation: int | None = None) -> Provider:
        invs = {rc: make_inventory(rc, data) for rc, data in inventories.items()}
        return self.inventories.set_all(uuid, invs, generation)

    def set_traits(self, uuid: str, traits: Iterable[str], generation: int | None = None
                   ) -> Provider:
        return self.providers.set_traits(uuid, traits, generation, create_custom=True)[0]

    def set_aggregates(self, uuid: str, aggregates: Iterable[str],
                       generation: int | None = None) -> Provider:
        return self.providers.set_aggregates(uuid, aggregates, generation)[0]

    # -- scheduling ------------------------------------------------------------------------
    def allocation_candidates(self, request: CandidateRequest) -> Candidates:
        return self.candidates.find(request)

    def claim(self, consumer_uuid: str, allocations: Mapping[str, Mapping[str, int]],
              project_id: str, user_id: str, consumer_generation: int | None = None,
              consumer_type: str | None = None) -> int:
        return self.replace_allocations(consumer_uuid, allocations, project_id, user_id,
                                        consumer_generation, consumer_type)

    def replace_allocations(self, consumer_uuid: str,
                            allocations: Mapping[str, Mapping[str, int]], project_id: str,
                            user_id: str, consumer_generation: int | None,
                            consumer_type: str | None = None) -> int:
        write = ConsumerWrite(consumer_uuid, {p: dict(r) for p, r in allocations.items()},
                              project_id, user_id, consumer_generation, consumer_type)
        return self.allocations.write([write]).get(consumer_uuid, 0)

    def move_allocations(self, source_uuid: str, target_uuid: str, project_id: str,
                         user_id: str, source_generation: int | None = None,
                         target_generation: int | None = None) -> None:
        held = self.allocations.for_consumer(source_uuid)
        moved = {p: dict(e["resources"]) for p, e in held.allocations.items()}
        gen = held.consumer_generation if source_generation is None else source_generation
        self.allocations.write([
            ConsumerWrite(source_uuid, {}, project_id, user_id, gen),
            ConsumerWrite(target_uuid, moved, project_id, user_id, target_generation)])

    def get_allocations(self, consumer_uuid: str) -> ConsumerAllocations:
        return self.allocations.for_consumer(consumer_uuid)

    def delete_allocations(self, consumer_uuid: str) -> None:
        self.allocations.delete(consumer_uuid)

    def usages(self, project_id: str, user_id: str | None = None) -> dict[str, int]:
        return self.allocations.total_usages(project_id, user_id)

    def provider_usages(self, uuid: str) -> dict[str, int]:
        return self.allocations.provider_usages(uuid)[1]

    def reshape(self, inventories: reshaper.InventoryPlan, writes: list[ConsumerWrite]
                ) -> None:
        reshaper.reshape(self.db, inventories, writes)


def placement_of(runtime: Runtime) -> PlacementService:
    service = runtime.services.get("placement")
    if service is None:
        service = PlacementService(runtime)
        runtime.services["placement"] = service
    return service
