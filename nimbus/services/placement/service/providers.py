"""Resource providers: the tree (parent, root), generations, traits and aggregates."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.db import Database, utcnow
from nimbus.services.placement.errors import (
    DUPLICATE_NAME,
    PROVIDER_CANNOT_DELETE_PARENT,
    PROVIDER_IN_USE,
    ConcurrentUpdate,
    PlacementBadRequest,
    PlacementConflict,
    ProviderNotFound,
)
from nimbus.services.placement.models.core import (
    Allocation,
    Inventory,
    ProviderAggregate,
    ProviderTrait,
    ResourceProvider,
)
from nimbus.services.placement.service.catalog import (
    ensure_custom_traits,
    missing_traits,
    trait_order,
)
from nimbus.services.placement.service.types import Provider

UNSET: Any = object()
GENERATION_CHANGED = ("Resource provider's generation already changed. Please update the "
                      "generation and try again.")


def row_by_uuid(s: Session, uuid: str) -> ResourceProvider:
    row = s.scalar(select(ResourceProvider).where(ResourceProvider.uuid == uuid))
    if row is None:
        raise ProviderNotFound(uuid)
    return row


def bump_generation(s: Session, row: ResourceProvider,
                    message: str = "Another thread concurrently updated the resource "
                    "provider data. Please retry your update") -> int:
    """Compare-and-swap: the provider's generation moves on only from the value this
    transaction read; a concurrent writer makes the row count 0 (PostgreSQL re-reads the
    row after the other's commit; SQLite writers queue on the database lock)."""
    done = s.execute(update(ResourceProvider)
                     .where(ResourceProvider.id == row.id,
                            ResourceProvider.generation == row.generation)
                     .values(generation=row.generation + 1, updated_at=utcnow())
                     .execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentUpdate(message)
    row.generation += 1
    return row.generation


def check_generation(row: ResourceProvider, generation: int | None,
                     message: str = GENERATION_CHANGED) -> None:
    if generation is not None and generation != row.generation:
        raise ConcurrentUpdate(message)


def to_provider(s: Session, row: ResourceProvider) -> Provider:
    uuids = _uuids(s, [i for i in (row.parent_id, row.root_id) if i is not None])
    return Provider(uuid=row.uuid, name=row.name, generation=row.generation,
                    parent_provider_uuid=uuids.get(row.parent_id) if row.parent_id else None,
                    root_provider_uuid=uuids.get(row.root_id or row.id, row.uuid),
                    created_at=row.created_at, updated_at=row.updated_at)


def _uuids(s: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = s.execute(select(ResourceProvider.id, ResourceProvider.uuid)
                     .where(ResourceProvider.id.in_(wanted))).all()
    return {r[0]: r[1] for r in rows}


def _is_duplicate(err: IntegrityError) -> bool:
    text = str(err.orig).lower()
    return "unique" in text or "duplicate" in text


class Providers:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, uuid: str) -> Provider:
        with self.db.session() as s:
            return to_provider(s, row_by_uuid(s, uuid))

    def find(self, uuid: str) -> Provider | None:
        try:
            return self.get(uuid)
        except ProviderNotFound:
            return None

    def create(self, name: str, uuid: str | None = None,
               parent_uuid: str | None = None) -> Provider:
        uuid = str(uuidlib.UUID(uuid)) if uuid else str(uuidlib.uuid4())
        prefix = f'Unable to create resource provider "{name}", {uuid}: Object action ' \
                 'create failed because: '
        try:
            with self.db.session() as s:
                self._check_unique(s, name, uuid)
                parent = None
                if parent_uuid is not None:
                    if parent_uuid == uuid:
                        raise PlacementBadRequest(
                            prefix + "parent provider UUID cannot be same as UUID. Please "
                            "set parent provider UUID to None if there is no parent.")
                    parent = s.scalar(select(ResourceProvider)
                                      .where(ResourceProvider.uuid == parent_uuid))
                    if parent is None:
                        raise PlacementBadRequest(
                            prefix + "parent provider UUID does not exist.")
                row = ResourceProvider(uuid=uuid, name=name, generation=0,
                                       parent_id=parent.id if parent else None,
                                       root_id=parent.root_id if parent else None)
                s.add(row)
                s.flush()
                if row.root_id is None:
                    row.root_id = row.id
                s.flush()
                return to_provider(s, row)
        except IntegrityError as err:
            if not _is_duplicate(err):
                raise
            raise PlacementConflict(f"Conflicting resource provider name: {name} already "
                                    "exists.", code=DUPLICATE_NAME) from None

    @staticmethod
    def _check_unique(s: Session, name: str, uuid: str) -> None:
        dups = []
        if s.scalar(select(ResourceProvider.id).where(ResourceProvider.uuid == uuid)):
            dups.append(f"uuid: {uuid}")
        if s.scalar(select(ResourceProvider.id).where(ResourceProvider.name == name)):
            dups.append(f"name: {name}")
        if dups:
            raise PlacementConflict(f"Conflicting resource provider {', '.join(dups)} "
                                    "already exists.", code=DUPLICATE_NAME)

    def ensure(self, uuid: str, name: str, parent_uuid: str | None = None) -> Provider:
        """The provider with this uuid, created (under ``parent_uuid``) if missing."""
        found = self.find(uuid)
        if found is not None:
            return found
        try:
            return self.create(name, uuid, parent_uuid)
        except PlacementConflict:
            found = self.find(uuid)
            if found is None:
                raise
            return found

    def update(self, uuid: str, *, name: str | None = None, parent_uuid: Any = UNSET,
               allow_reparenting: bool = False) -> Provider:
        try:
            with self.db.session() as s:
                row = row_by_uuid(s, uuid)
                if name is not None and name != row.name:
                    if s.scalar(select(ResourceProvider.id)
                                .where(ResourceProvider.name == name)):
                        raise PlacementConflict(
                            f"Conflicting resource provider {name} already exists.",
                            code=DUPLICATE_NAME)
                    row.name = name
                if parent_uuid is not UNSET:
                    self._reparent(s, row, parent_uuid, allow_reparenting)
                row.updated_at = utcnow()
                s.flush()
                return to_provider(s, row)
        except IntegrityError as err:
            if not _is_duplicate(err):
                raise
            raise PlacementConflict(f"Conflicting resource provider {name} already exists.",
                                    code=DUPLICATE_NAME) from None

    def _reparent(self, s: Session, row: ResourceProvider, parent_uuid: str | None,
                  allow: bool) -> None:
        prefix = f"Unable to save resource provider {row.uuid}: Object action update " \
                 "failed because: "
        if parent_uuid is None:
            if row.parent_id is None:
                return
            if not allow:
                raise PlacementBadRequest(prefix + "un-parenting a provider is not "
                                          "currently allowed.")
            row.parent_id = None
            self._set_root(s, row, row.id)
            return
        parent = s.scalar(select(ResourceProvider).where(ResourceProvider.uuid == parent_uuid))
        if parent is None:
            raise PlacementBadRequest(prefix + "parent provider UUID does not exist.")
        if parent.id == row.parent_id:
            return
        if row.parent_id is not None and not allow:
            raise PlacementBadRequest(prefix + "re-parenting a provider is not currently "
                                      "allowed.")
        if parent.id == row.id or parent.id in self._descendants(s, row.id):
            raise PlacementBadRequest(prefix + "creating loop in the provider tree is not "
                                      "allowed.")
        row.parent_id = parent.id
        self._set_root(s, row, parent.root_id or parent.id)

    def _set_root(self, s: Session, row: ResourceProvider, root_id: int) -> None:
        ids = [row.id, *self._descendants(s, row.id)]
        s.execute(update(ResourceProvider).where(ResourceProvider.id.in_(ids))
                  .values(root_id=root_id).execution_options(synchronize_session=False))
        row.root_id = root_id

    @staticmethod
    def _descendants(s: Session, provider_id: int) -> list[int]:
        found: list[int] = []
        frontier = [provider_id]
        for _depth in range(64):
            if not frontier:
                break
            frontier = list(s.scalars(select(ResourceProvider.id)
                                      .where(ResourceProvider.parent_id.in_(frontier))))
            found.extend(frontier)
        return found

    def delete(self, uuid: str) -> None:
        with self.db.session() as s:
            row = s.scalar(select(ResourceProvider).where(ResourceProvider.uuid == uuid))
            if row is None:
                raise ProviderNotFound(uuid, f"No resource provider with uuid {uuid} found "
                                       "for delete")
            if s.scalar(select(ResourceProvider.id).where(ResourceProvider.parent_id == row.id)
                        .limit(1)):
                raise PlacementConflict(
                    f"Unable to delete parent resource provider {uuid}: It has child "
                    "resource providers.", code=PROVIDER_CANNOT_DELETE_PARENT)
            if s.scalar(select(func.count()).select_from(Allocation)
                        .where(Allocation.provider_id == row.id)):
                raise PlacementConflict(
                    f"Unable to delete resource provider {uuid}: Resource provider has "
                    "allocations.", code=PROVIDER_IN_USE)
            for table in (Inventory, ProviderTrait, ProviderAggregate):
                s.execute(delete(table).where(table.provider_id == row.id))
            s.delete(row)

    # -- traits ----------------------------------------------------------------------------
    def traits(self, uuid: str) -> tuple[Provider, list[str]]:
        with self.db.session() as s:
            row = row_by_uuid(s, uuid)
            names = trait_order(s.scalars(select(ProviderTrait.trait)
                                          .where(ProviderTrait.provider_id == row.id)))
            return to_provider(s, row), names

    def set_traits(self, uuid: str, traits: Iterable[str], generation: int | None,
                   *, create_custom: bool = False) -> tuple[Provider, list[str]]:
        wanted = trait_order(set(traits))
        with self.db.session() as s:
            row = row_by_uuid(s, uuid)
            check_generation(row, generation)
            if create_custom:
                ensure_custom_traits(s, wanted)
            else:
                missing = missing_traits(s, wanted)
                if missing:
                    raise PlacementBadRequest(f"No such trait {', '.join(missing)}")
            s.execute(delete(ProviderTrait).where(ProviderTrait.provider_id == row.id))
            s.add_all([ProviderTrait(provider_id=row.id, trait=t) for t in wanted])
            s.flush()
            bump_generation(s, row)
            return to_provider(s, row), wanted

    def delete_traits(self, uuid: str) -> None:
        with self.db.session() as s:
            row = row_by_uuid(s, uuid)
            s.execute(delete(ProviderTrait).where(ProviderTrait.provider_id == row.id))
            bump_generation(s, row)

    # -- aggregates ------------------------------------------------------------------------
    def aggregates(self, uuid: str) -> tuple[Provider, list[str]]:
        with self.db.session() as s:
            row = row_by_uuid(s, uuid)
            aggs = list(s.scalars(select(ProviderAggregate.aggregate)
                                  .where(ProviderAggregate.provider_id == row.id)
                                  .order_by(ProviderAggregate.id)))
            return to_provider(s, row), aggs

    def set_aggregates(self, uuid: str, aggregates: Iterable[str], generation: int | None,
                       *, bump: bool = True) -> tuple[Provider, list[str]]:
        wanted = list(dict.fromkeys(aggregates))
        with self.db.session() as s:
            row = row_by_uuid(s, uuid)
            check_generation(row, generation)
            s.execute(delete(ProviderAggregate)
                      .where(ProviderAggregate.provider_id == row.id))
            s.add_all([ProviderAggregate(provider_id=row.id, aggregate=a) for a in wanted])
            s.flush()
            if bump:
                bump_generation(s, row)
            return to_provider(s, row), wanted


def provider_ids_in(s: Session, uuids: Iterable[str]) -> dict[str, ResourceProvider]:
    wanted = set(uuids)
    rows = s.scalars(select(ResourceProvider).where(ResourceProvider.uuid.in_(wanted)))
    return {r.uuid: r for r in rows}

