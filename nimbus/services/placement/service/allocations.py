"""Consumers and their allocations: the claim path, with the capacity check and the
generation compare-and-swaps that keep two claims on the last slot from both winning."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from nimbus.kernel.db import Database, utcnow
from nimbus.services.placement.errors import (
    AllocationConflict,
    ConcurrentUpdate,
    PlacementBadRequest,
    PlacementNotFound,
)
from nimbus.services.placement.models.core import Allocation, Consumer, ResourceProvider
from nimbus.services.placement.models.core import Inventory as InventoryRow
from nimbus.services.placement.service.catalog import resource_class_exists
from nimbus.services.placement.service.providers import (
    bump_generation,
    provider_ids_in,
    row_by_uuid,
    to_provider,
)
from nimbus.services.placement.service.types import ConsumerAllocations, ConsumerWrite

log = logging.getLogger("nimbus.placement")
RETRIES = 10
RACE = ("Inventory and/or allocations changed while attempting to allocate: Another "
        "thread concurrently updated the resource provider data. Please retry your update")


class ProviderRace(Exception):
    """A provider's generation moved during the write: try the whole write again."""


class UnknownClass(PlacementNotFound):
    pass


def _bump_provider(s: Session, row: ResourceProvider) -> None:
    try:
        bump_generation(s, row)
    except ConcurrentUpdate:
        raise ProviderRace() from None


def _consumer_conflict(expected: int | None, got: int | None) -> ConcurrentUpdate:
    want = "null" if expected is None else str(expected)
    return ConcurrentUpdate(f"consumer generation conflict - expected {want} but got {got}")


def _usage_map(s: Session, keys: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    if not keys:
        return {}
    providers = {k[0] for k in keys}
    rows = s.execute(select(Allocation.provider_id, Allocation.resource_class,
                            func.sum(Allocation.used))
                     .where(Allocation.provider_id.in_(providers))
                     .group_by(Allocation.provider_id, Allocation.resource_class)).all()
    return {(r[0], r[1]): int(r[2] or 0) for r in rows}


def _check_capacity(s: Session, rows: dict[str, ResourceProvider],
                    wanted: list[tuple[str, str, int]],
                    prev: dict[tuple[int, str], int]) -> None:
    """Placement's rule: each amount within min/max/step, and the provider's usage plus
    everything asked of it within capacity, unless that only lessens an overcommit."""
    keys = {(rows[p].id, rc) for p, rc, _n in wanted}
    invs = {(r.provider_id, r.resource_class): r for r in s.scalars(
        select(InventoryRow).where(InventoryRow.provider_id.in_({k[0] for k in keys})))}
    used_now = _usage_map(s, keys)
    asked: dict[tuple[int, str], int] = defaultdict(int)
    for p, rc, n in wanted:
        asked[(rows[p].id, rc)] += n
    for p, rc, n in wanted:
        key = (rows[p].id, rc)
        inv = invs.get(key)
        if inv is None:
            raise AllocationConflict(f"Unable to allocate inventory: Inventory for '{rc}' on "
                                     f"resource provider '{p}' invalid.")
        if n < inv.min_unit or n > inv.max_unit or n % inv.step_size:
            raise AllocationConflict(
                f"Unable to allocate inventory: Unable to create allocation for '{rc}' on "
                f"resource provider '{p}'. The requested amount would violate inventory "
                "constraints.")
        capacity = (inv.total - inv.reserved) * inv.allocation_ratio
        total = used_now.get(key, 0) + asked[key]
        if capacity < total and not (key in prev and total <= prev[key]):
            raise AllocationConflict(
                f"Unable to allocate inventory: Unable to create allocation for '{rc}' on "
                f"resource provider '{p}'. The requested amount would exceed the capacity.")


def _load_consumers(s: Session, writes: list[ConsumerWrite]) -> dict[str, Consumer | None]:
    found: dict[str, Consumer | None] = {}
    for w in writes:
        row = s.get(Consumer, w.consumer_uuid)
        if w.check_generation:
            if row is None and w.consumer_generation is not None:
                raise _consumer_conflict(None, w.consumer_generation)
            if row is not None and row.generation != w.consumer_generation:
                raise _consumer_conflict(row.generation, w.consumer_generation)
        found[w.consumer_uuid] = row
    return found


def _save_consumer(s: Session, w: ConsumerWrite, row: Consumer | None) -> int:
    now = utcnow()
    if row is None:
        s.add(Consumer(uuid=w.consumer_uuid, project_id=w.project_id, user_id=w.user_id,
                       consumer_type=w.consumer_type, generation=1, created_at=now,
                       updated_at=now))
        s.flush()
        return 1
    values: dict[str, Any] = {"generation": row.generation + 1, "updated_at": now,
                              "project_id": w.project_id, "user_id": w.user_id}
    if w.consumer_type is not None:
        values["consumer_type"] = w.consumer_type
    done = s.execute(update(Consumer).where(Consumer.uuid == row.uuid,
                                            Consumer.generation == row.generation)
                     .values(**values).execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        if w.check_generation:
            raise _consumer_conflict(row.generation, w.consumer_generation)
        raise ProviderRace()
    return row.generation + 1


def _write_once(s: Session, writes: list[ConsumerWrite]) -> dict[str, int]:
    consumers = _load_consumers(s, writes)
    uuids = {p for w in writes for p in w.allocations}
    rows = provider_ids_in(s, uuids)
    for p in sorted(uuids):
        if p not in rows:
            raise PlacementBadRequest(
                f"Allocation for resource provider '{p}' that does not exist.")
    wanted = [(p, rc, n) for w in writes for p, res in w.allocations.items()
              for rc, n in res.items()]
    for rc in sorted({rc for _p, rc, _n in wanted}):
        if not resource_class_exists(s, rc):
            raise UnknownClass(f"No such resource class {rc}.")
    ids = list(consumers)
    old = list(s.scalars(select(Allocation).where(Allocation.consumer_id.in_(ids))))
    emptied = {w.consumer_uuid for w in writes if not any(w.allocations.values())}
    # Placement moves the generations of the providers written to, and of those a
    # consumer's allocations are removed from (not those it merely moves away from).
    touched = {a.provider_id for a in old if a.consumer_id in emptied}
    prev = _usage_map(s, {(a.provider_id, a.resource_class) for a in old})
    s.execute(delete(Allocation).where(Allocation.consumer_id.in_(ids)))
    _check_capacity(s, rows, wanted, prev)
    now = utcnow()
    for w in writes:
        for p, res in w.allocations.items():
            s.add_all([Allocation(provider_id=rows[p].id, consumer_id=w.consumer_uuid,
                                  resource_class=rc, used=n, created_at=now, updated_at=now)
                       for rc, n in res.items()])
    s.flush()
    by_id = {r.id: r for r in rows.values()}
    extra = touched - set(by_id)
    if extra:
        by_id.update({r.id: r for r in s.scalars(
            select(ResourceProvider).where(ResourceProvider.id.in_(extra)))})
    for pid in sorted(by_id):  # one order everywhere: no deadlock between two writers
        _bump_provider(s, by_id[pid])
    return _finish_consumers(s, writes, consumers)


def _finish_consumers(s: Session, writes: list[ConsumerWrite],
                      consumers: dict[str, Consumer | None]) -> dict[str, int]:
    out: dict[str, int] = {}
    for w in writes:
        row = consumers[w.consumer_uuid]
        if any(w.allocations.values()):
            out[w.consumer_uuid] = _save_consumer(s, w, row)
        elif row is not None:
            # A consumer left without allocations is gone (its generation with it).
            s.execute(delete(Consumer).where(Consumer.uuid == row.uuid))
            out[w.consumer_uuid] = row.generation + 1
    return out


class Allocations:
    def __init__(self, db: Database) -> None:
        self.db = db

    def write(self, writes: list[ConsumerWrite]) -> dict[str, int]:
        """Replace the allocations of every consumer in ``writes`` at once; the consumers'
        new generations. Raises ConcurrentUpdate (a consumer generation, or providers that
        kept changing), AllocationConflict (no room), PlacementBadRequest."""
        for _attempt in range(RETRIES):
            try:
                with self.db.session() as s:
                    return _write_once(s, writes)
            except ProviderRace:
                log.debug("retrying an allocation write after a provider generation moved")
            except IntegrityError:
                # Another writer created the same consumer first.
                raise ConcurrentUpdate(RACE.replace(" resource provider", "")) from None
            except OperationalError as err:
                if "locked" not in str(err).lower() and "deadlock" not in str(err).lower():
                    raise
                log.debug("retrying an allocation write after a lock timeout")
        raise ConcurrentUpdate(RACE)

    def for_consumer(self, consumer_uuid: str) -> ConsumerAllocations:
        with self.db.session() as s:
            rows = s.execute(select(Allocation, ResourceProvider)
                             .join(ResourceProvider,
                                   ResourceProvider.id == Allocation.provider_id)
                             .where(Allocation.consumer_id == consumer_uuid)
                             .order_by(Allocation.id)).all()
            consumer = s.get(Consumer, consumer_uuid)
        allocations: dict[str, dict[str, Any]] = {}
        updated = None
        for alloc, rp in rows:
            entry = allocations.setdefault(rp.uuid, {"generation": rp.generation,
                                                     "resources": {}})
            entry["resources"][alloc.resource_class] = alloc.used
            updated = max(updated, alloc.updated_at) if updated else alloc.updated_at
        if consumer is None or not rows:
            return ConsumerAllocations(consumer_uuid, allocations, updated_at=updated)
        return ConsumerAllocations(consumer_uuid, allocations, consumer.project_id,
                                   consumer.user_id, consumer.generation,
                                   consumer.consumer_type, updated)

    def for_provider(self, uuid: str) -> tuple[Any, dict[str, dict[str, Any]]]:
        with self.db.session() as s:
            row = row_by_uuid(s, uuid)
            rows = s.execute(select(Allocation, Consumer.generation)
                             .outerjoin(Consumer, Consumer.uuid == Allocation.consumer_id)
                             .where(Allocation.provider_id == row.id)
                             .order_by(Allocation.id)).all()
            provider = to_provider(s, row)
        out: dict[str, dict[str, Any]] = {}
        for alloc, generation in rows:
            entry = out.setdefault(alloc.consumer_id, {"resources": {},
                                                       "consumer_generation": generation})
            entry["resources"][alloc.resource_class] = alloc.used
        return provider, out

    def delete(self, consumer_uuid: str) -> None:
        """Drop a consumer's allocations (and the consumer). As in Placement, this moves
        no provider generation: freeing room cannot make another claim wrong."""
        with self.db.session() as s:
            done = s.execute(delete(Allocation).where(Allocation.consumer_id == consumer_uuid))
            if not done.rowcount:  # type: ignore[attr-defined]
                raise PlacementNotFound(f"No allocations for consumer '{consumer_uuid}'")
            s.execute(delete(Consumer).where(Consumer.uuid == consumer_uuid))

    # -- usages ----------------------------------------------------------------------------
    def provider_usages(self, uuid: str) -> tuple[Any, dict[str, int]]:
        with self.db.session() as s:
            row = row_by_uuid(s, uuid)
            classes = s.scalars(select(InventoryRow.resource_class)
                                .where(InventoryRow.provider_id == row.id))
            usage = {rc: 0 for rc in classes}
            for rc, used in s.execute(select(Allocation.resource_class,
                                             func.sum(Allocation.used))
                                      .where(Allocation.provider_id == row.id)
                                      .group_by(Allocation.resource_class)):
                usage[rc] = int(used or 0)
            return to_provider(s, row), usage

    def total_usages(self, project_id: str, user_id: str | None = None) -> dict[str, int]:
        with self.db.session() as s:
            query = (select(Allocation.resource_class, func.sum(Allocation.used))
                     .join(Consumer, Consumer.uuid == Allocation.consumer_id)
                     .where(Consumer.project_id == project_id)
                     .group_by(Allocation.resource_class))
            if user_id is not None:
                query = query.where(Consumer.user_id == user_id)
            return {rc: int(n or 0) for rc, n in s.execute(query)}

    def usages_by_type(self, project_id: str, user_id: str | None = None,
                       consumer_type: str | None = None) -> dict[str, dict[str, int]]:
        """From 1.38: {consumer type ("unknown" for none): {class: used, consumer_count}};
        ``all`` and ``unknown`` fold every type into one key."""
        with self.db.session() as s:
            query = (select(Consumer.consumer_type, Allocation.resource_class,
                            Allocation.used, Consumer.uuid)
                     .join(Consumer, Consumer.uuid == Allocation.consumer_id)
                     .where(Consumer.project_id == project_id))
            if user_id is not None:
                query = query.where(Consumer.user_id == user_id)
            rows = s.execute(query).all()
        out: dict[str, dict[str, int]] = {}
        counted: dict[str, set[str]] = defaultdict(set)
        for ctype, rc, used, cuuid in rows:
            key = _type_key(ctype, consumer_type)
            if key is None:
                continue
            entry = out.setdefault(key, {})
            entry[rc] = entry.get(rc, 0) + used
            counted[key].add(cuuid)
        for key, entry in out.items():
            entry["consumer_count"] = len(counted[key])
        return out


def _type_key(ctype: str | None, wanted: str | None) -> str | None:
    if wanted == "all":
        return "all"
    if wanted == "unknown":
        return "unknown" if ctype is None else None
    name = ctype or "unknown"
    if wanted is not None and name != wanted:
        return None
    return name
