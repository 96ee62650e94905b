"""Inventories of a provider: one record per resource class, every change moving the
provider's generation on."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nimbus.kernel.db import Database, utcnow
from nimbus.services.placement.errors import (
    CONCURRENT_UPDATE,
    INVENTORY_INUSE,
    ConcurrentUpdate,
    PlacementBadRequest,
    PlacementConflict,
    PlacementNotFound,
)
from nimbus.services.placement.models.core import Allocation, ResourceProvider
from nimbus.services.placement.models.core import Inventory as InventoryRow
from nimbus.services.placement.service.catalog import class_order, resource_class_exists
from nimbus.services.placement.service.providers import (
    bump_generation,
    row_by_uuid,
    to_provider,
)
from nimbus.services.placement.service.types import (
    INVENTORY_DEFAULTS,
    INVENTORY_FIELDS,
    Inventory,
    Provider,
)

log = logging.getLogger("nimbus.placement")
GENERATION_CONFLICT = "resource provider generation conflict"


def make_inventory(resource_class: str, data: Mapping[str, Any]) -> Inventory:
    values = {**INVENTORY_DEFAULTS, **{k: v for k, v in data.items() if k in INVENTORY_FIELDS}}
    return Inventory(resource_class=resource_class, **values)


def check_capacity(provider_uuid: str, inventories: list[Inventory],
                   reserved_can_be_total: bool) -> str | None:
    """Placement's capacity rule: reserved below total (up to total from 1.26). The
    message when an inventory breaks it, else None."""
    for inv in inventories:
        if reserved_can_be_total and inv.capacity < 0:
            return (f"Invalid inventory for '{inv.resource_class}' on resource provider "
                    f"'{provider_uuid}'. The reserved value is greater than total.")
        if not reserved_can_be_total and inv.capacity <= 0:
            return (f"Invalid inventory for '{inv.resource_class}' on resource provider "
                    f"'{provider_uuid}'. The reserved value is greater than or equal to "
                    "total.")
    return None


def _from_row(row: InventoryRow) -> Inventory:
    return Inventory(resource_class=row.resource_class, total=row.total,
                     reserved=row.reserved, min_unit=row.min_unit, max_unit=row.max_unit,
                     step_size=row.step_size, allocation_ratio=row.allocation_ratio,
                     updated_at=row.updated_at)


def _rows(s: Session, provider_id: int) -> dict[str, InventoryRow]:
    rows = s.scalars(select(InventoryRow).where(InventoryRow.provider_id == provider_id))
    return {r.resource_class: r for r in rows}


def _in_use(s: Session, provider: ResourceProvider, classes: set[str]) -> list[str]:
    if not classes:
        return []
    return class_order(s.scalars(select(Allocation.resource_class).distinct()
                                 .where(Allocation.provider_id == provider.id,
                                        Allocation.resource_class.in_(classes))))


def _usage(s: Session, provider_id: int, resource_class: str) -> int:
    return int(s.scalar(select(func.coalesce(func.sum(Allocation.used), 0))
                        .where(Allocation.provider_id == provider_id,
                               Allocation.resource_class == resource_class)) or 0)


def _write(row: InventoryRow, inv: Inventory) -> None:
    for name in INVENTORY_FIELDS:
        setattr(row, name, getattr(inv, name))
    row.updated_at = utcnow()


def replace_inventories(s: Session, row: ResourceProvider,
                        inventories: Mapping[str, Inventory]) -> None:
    """Make the provider's inventory exactly ``inventories`` (no generation check here)."""
    for rc in inventories:
        if not resource_class_exists(s, rc):
            raise PlacementBadRequest(
                f"Unknown resource class in inventory for resource provider {row.uuid}: "
                f"No such resource class {rc}.")
    current = _rows(s, row.id)
    removed = set(current) - set(inventories)
    used = _in_use(s, row, removed)
    if used:
        raise PlacementConflict(
            f"update conflict: Inventory for '{', '.join(used)}' on resource provider "
            f"'{row.uuid}' in use.", code=INVENTORY_INUSE)
    for rc in removed:
        s.delete(current[rc])
    for rc, inv in inventories.items():
        existing = current.get(rc)
        if existing is None:
            existing = InventoryRow(provider_id=row.id, resource_class=rc)
            s.add(existing)
        elif _usage(s, row.id, rc) > inv.capacity:
            # Placement takes it (the overcommit is the operator's call) and says so.
            log.warning("inventory of %s on %s is now below its usage", rc, row.uuid)
        _write(existing, inv)
    s.flush()


class Inventories:
    def __init__(self, db: Database) -> None:
        self.db = db

    def of_provider(self, uuid: str) -> tuple[Provider, list[Inventory]]:
        with self.db.session() as s:
            row = row_by_uuid(s, uuid)
            invs = [_from_row(r) for r in _rows(s, row.id).values()]
            return to_provider(s, row), sorted(invs, key=lambda i: i.resource_class)

    def get(self, uuid: str, resource_class: str) -> tuple[Provider, Inventory]:
        provider, invs = self.of_provider(uuid)
        for inv in invs:
            if inv.resource_class == resource_class:
                return provider, inv
        raise PlacementNotFound(f"No inventory of class {resource_class} for {uuid}")

    def create(self, uuid: str, inv: Inventory) -> Provider:
        with self.db.session() as s:
            row = row_by_uuid(s, uuid)
            if not resource_class_exists(s, inv.resource_class):
                raise PlacementBadRequest(
                    f"Unable to create inventory for resource provider {uuid}: No such "
                    f"resource class {inv.resource_class}.")
            if inv.resource_class in _rows(s, row.id):
                raise PlacementConflict(
                    "Update conflict: Another thread concurrently updated the data. "
                    "Please retry your update", code=CONCURRENT_UPDATE)
            new = InventoryRow(provider_id=row.id, resource_class=inv.resource_class)
            _write(new, inv)
            s.add(new)
            s.flush()
            bump_generation(s, row)
            return to_provider(s, row)

    def update(self, uuid: str, inv: Inventory, generation: int) -> Provider:
        with self.db.session() as s:
            row = row_by_uuid(s, uuid)
            if generation != row.generation:
                raise ConcurrentUpdate(GENERATION_CONFLICT)
            if not resource_class_exists(s, inv.resource_class):
                raise PlacementBadRequest(f"No such resource class {inv.resource_class}.")
            existing = _rows(s, row.id).get(inv.resource_class)
            if existing is None:
                raise PlacementBadRequest(
                    "No inventory record with resource class for resource provider "
                    f"{uuid}: No inventory of class {inv.resource_class} found.")
            if _usage(s, row.id, inv.resource_class) > inv.capacity:
                log.warning("inventory of %s on %s is now below its usage",
                            inv.resource_class, uuid)
            _write(existing, inv)
            bump_generation(s, row)
            return to_provider(s, row)

    def set_all(self, uuid: str, inventories: Mapping[str, Inventory],
                generation: int | None) -> Provider:
        """Replace the whole inventory; ``generation`` None skips the check (in process)."""
        with self.db.session() as s:
            row = row_by_uuid(s, uuid)
            if generation is not None and generation != row.generation:
                raise ConcurrentUpdate(GENERATION_CONFLICT)
            replace_inventories(s, row, inventories)
            bump_generation(s, row)
            return to_provider(s, row)

    def delete(self, uuid: str, resource_class: str) -> None:
        with self.db.session() as s:
            row = row_by_uuid(s, uuid)
            if not resource_class_exists(s, resource_class):
                raise PlacementNotFound(f"No such resource class {resource_class}.")
            if _in_use(s, row, {resource_class}):
                raise PlacementConflict(
                    f"Unable to delete inventory of class {resource_class}: Inventory for "
                    f"'{resource_class}' on resource provider '{uuid}' in use.",
                    code=CONCURRENT_UPDATE)
            done = s.execute(delete(InventoryRow).where(
                InventoryRow.provider_id == row.id,
                InventoryRow.resource_class == resource_class))
            if not done.rowcount:  # type: ignore[attr-defined]
                raise PlacementNotFound(
                    f"No inventory of class {resource_class} found for delete: No "
                    f"inventory of class {resource_class} found for delete")
            bump_generation(s, row)

    def delete_all(self, uuid: str) -> None:
        with self.db.session() as s:
            row = row_by_uuid(s, uuid)
            used = _in_use(s, row, set(_rows(s, row.id)))
            if used:
                raise PlacementConflict(
                    f"Inventory for '{', '.join(used)}' on resource provider '{uuid}' in "
                    "use.", code=INVENTORY_INUSE)
            s.execute(delete(InventoryRow).where(InventoryRow.provider_id == row.id))
            bump_generation(s, row)
