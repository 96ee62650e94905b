"""POST /reshaper: move inventories and allocations between providers in one
transaction (a compute host splitting its VGPU inventory into child providers, say)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from nimbus.kernel.db import Database
from nimbus.services.placement.errors import (
    RESOURCE_PROVIDER_NOT_FOUND,
    ConcurrentUpdate,
    PlacementBadRequest,
)
from nimbus.services.placement.models.core import Inventory as InventoryRow
from nimbus.services.placement.models.core import ResourceProvider
from nimbus.services.placement.service.allocations import RACE, ProviderRace, _write_once
from nimbus.services.placement.service.inventories import _from_row, replace_inventories
from nimbus.services.placement.service.providers import bump_generation
from nimbus.services.placement.service.types import ConsumerWrite, Inventory

# provider uuid -> (the generation the caller saw, its whole new inventory)
InventoryPlan = Mapping[str, tuple[int, Mapping[str, Inventory]]]


def reshape(db: Database, inventories: InventoryPlan, writes: list[ConsumerWrite]) -> None:
    try:
        with db.session() as s:
            rows = {}
            for uuid, (generation, new) in inventories.items():
                row = s.scalar(select(ResourceProvider).where(ResourceProvider.uuid == uuid))
                if row is None:
                    raise PlacementBadRequest(
                        f"Resource provider {uuid} in inventories not found: No resource "
                        f"provider with uuid {uuid} found",
                        code=RESOURCE_PROVIDER_NOT_FOUND)
                if row.generation != generation:
                    raise ConcurrentUpdate(
                        f"resource provider generation conflict for provider {uuid}: "
                        f"actual: {row.generation}, given: {generation}")
                rows[uuid] = row
                if not new:
                    continue
                # In between, the provider holds both its old and its new classes.
                interim = {r.resource_class: _from_row(r) for r in s.scalars(
                    select(InventoryRow).where(InventoryRow.provider_id == row.id))}
                interim.update(new)
                replace_inventories(s, row, interim)
                bump_generation(s, row)
            _write_once(s, writes)
            for uuid, (_generation, new) in inventories.items():
                replace_inventories(s, rows[uuid], new)
                bump_generation(s, rows[uuid])
    except ProviderRace:
        raise ConcurrentUpdate(RACE) from None
