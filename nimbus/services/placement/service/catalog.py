"""Resource classes and traits: the standard ones from code, the CUSTOM_ ones in tables."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.db import Database
from nimbus.services.placement.errors import (
    PlacementBadRequest,
    PlacementConflict,
    PlacementNotFound,
)
from nimbus.services.placement.models.core import (
    Allocation,
    CustomResourceClass,
    CustomTrait,
    Inventory,
    ProviderTrait,
)
from nimbus.services.placement.service.standard import RESOURCE_CLASSES, TRAITS

CUSTOM_NAME = re.compile(r"^CUSTOM_[A-Z0-9_]+$")
_STANDARD_RC = frozenset(RESOURCE_CLASSES)


def class_order(names: Iterable[str]) -> list[str]:
    """Placement's order of classes: the standard ones by their id, then custom ones."""
    index = {n: i for i, n in enumerate(RESOURCE_CLASSES)}
    return sorted(names, key=lambda n: (index.get(n, len(index)), n))


def trait_order(names: Iterable[str]) -> list[str]:
    """Standard traits before custom ones (Placement's trait ids: synced ones first)."""
    return sorted(names, key=lambda n: (n.startswith("CUSTOM_"), n))


def is_custom(name: str) -> bool:
    return bool(CUSTOM_NAME.match(name)) and len(name) <= 255


def resource_class_exists(s: Session, name: str) -> bool:
    return name in _STANDARD_RC or s.get(CustomResourceClass, name) is not None


def require_resource_classes(s: Session, names: Iterable[str]) -> None:
    for name in names:
        if not resource_class_exists(s, name):
            raise PlacementNotFound(f"No such resource class {name}.")


def missing_traits(s: Session, names: Iterable[str]) -> list[str]:
    custom = [n for n in names if n not in TRAITS]
    if not custom:
        return []
    known = set(s.scalars(select(CustomTrait.name).where(CustomTrait.name.in_(custom))))
    return sorted(set(custom) - known)


def ensure_custom_traits(s: Session, names: Iterable[str]) -> None:
    """Create the CUSTOM_ traits that do not exist yet (others must be standard)."""
    for name in missing_traits(s, names):
        if not is_custom(name):
            raise PlacementBadRequest(f"No such trait {name}")
        s.add(CustomTrait(name=name))
    s.flush()


class Catalog:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- resource classes ----------------------------------------------------------------
    def list_resource_classes(self) -> list[tuple[str, object]]:
        """(name, updated_at) of every class: standard first, then custom by name."""
        with self.db.session() as s:
            custom = s.execute(select(CustomResourceClass.name, CustomResourceClass.updated_at)
                               .order_by(CustomResourceClass.name)).all()
        return [(n, None) for n in RESOURCE_CLASSES] + [(r[0], r[1]) for r in custom]

    def get_resource_class(self, name: str) -> tuple[str, object]:
        if name in _STANDARD_RC:
            return name, None
        with self.db.session() as s:
            row = s.get(CustomResourceClass, name)
            if row is None:
                raise PlacementNotFound(f"No such resource class {name}.")
            return row.name, row.updated_at

    def create_resource_class(self, name: str) -> None:
        if name in _STANDARD_RC:
            raise PlacementConflict(f"Conflicting resource class already exists: {name}")
        try:
            with self.db.session() as s:
                if s.get(CustomResourceClass, name) is not None:
                    raise PlacementConflict(
                        f"Conflicting resource class already exists: {name}")
                s.add(CustomResourceClass(name=name))
        except IntegrityError:
            raise PlacementConflict(
                f"Conflicting resource class already exists: {name}") from None

    def ensure_resource_class(self, name: str) -> bool:
        """Create it unless it exists; True when it was created."""
        if resource_class_exists_db(self.db, name):
            return False
        try:
            self.create_resource_class(name)
        except PlacementConflict:
            return False
        return True

    def rename_resource_class(self, name: str, new_name: str) -> None:
        if name in _STANDARD_RC:
            raise PlacementBadRequest(f"Cannot update standard resource class {name}")
        with self.db.session() as s:
            row = s.get(CustomResourceClass, name)
            if row is None:
                raise PlacementNotFound(f"No such resource class {name}.")
            if new_name == name:
                return
            if resource_class_exists(s, new_name):
                raise PlacementConflict(f"Resource class already exists: {new_name}")
            s.add(CustomResourceClass(name=new_name, created_at=row.created_at))
            s.flush()
            for table in (Inventory, Allocation):
                s.execute(update(table).where(table.resource_class == name)
                          .values(resource_class=new_name))
            s.delete(row)

    def delete_resource_class(self, name: str) -> None:
        if name in _STANDARD_RC:
            raise PlacementBadRequest("Error in delete resource class: Cannot delete "
                                      f"standard resource class {name}.")
        with self.db.session() as s:
            row = s.get(CustomResourceClass, name)
            if row is None:
                raise PlacementNotFound(f"No such resource class {name}.")
            used = s.scalar(select(func.count()).select_from(Inventory)
                            .where(Inventory.resource_class == name))
            if used:
                raise PlacementConflict(
                    f"Error in delete resource class: Cannot delete resource class {name}. "
                    "Class is in use in inventory.")
            s.delete(row)

    # -- traits --------------------------------------------------------------------------
    def list_traits(self, *, name_in: list[str] | None = None, prefix: str | None = None,
                    associated: bool | None = None) -> list[str]:
        with self.db.session() as s:
            names = set(TRAITS) | set(s.scalars(select(CustomTrait.name)))
            if associated is not None:
                used = set(s.scalars(select(ProviderTrait.trait).distinct()))
                names = names & used if associated else names - used
        if name_in is not None:
            names &= set(name_in)
        if prefix is not None:
            names = {n for n in names if n.startswith(prefix)}
        return sorted(names)

    def trait_exists(self, name: str) -> bool:
        if name in TRAITS:
            return True
        with self.db.session() as s:
            return s.get(CustomTrait, name) is not None

    def put_trait(self, name: str) -> bool:
        """Create a custom trait; True when it is new."""
        if self.trait_exists(name):
            return False
        try:
            with self.db.session() as s:
                s.add(CustomTrait(name=name))
        except IntegrityError:
            return False
        return True

    def delete_trait(self, name: str) -> None:
        if name in TRAITS:
            raise PlacementBadRequest(f"Cannot delete standard trait {name}.")
        with self.db.session() as s:
            row = s.get(CustomTrait, name)
            if row is None:
                raise PlacementNotFound(f"No such trait(s): {name}.")
            used = s.scalar(select(func.count()).select_from(ProviderTrait)
                            .where(ProviderTrait.trait == name))
            if used:
                raise PlacementConflict(f"The trait {name} is in use by a resource provider.")
            s.execute(delete(CustomTrait).where(CustomTrait.name == name))


def resource_class_exists_db(db: Database, name: str) -> bool:
    with db.session() as s:
        return resource_class_exists(s, name)

