"""Who sees which namespace (Glance's rule), and the lookups of what a namespace holds."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.services.image.errors import MetadefDuplicate, MetadefNotFound, NamespaceNotFound
from nimbus.services.image.models import (
    MetadefNamespace,
    MetadefObject,
    MetadefProperty,
    MetadefResourceType,
    MetadefTag,
)
from nimbus.services.image.service.records import Caller


@dataclass(frozen=True)
class NamespaceRef:
    """What policy judges a namespace by, and what deleting from it depends on."""

    namespace: str
    owner: str | None
    visibility: str
    protected: bool


def new_id() -> str:
    return str(uuid.uuid4())


def can_see(row: MetadefNamespace, caller: Caller) -> bool:
    """Admins see all; others public namespaces, unowned ones and their project's."""
    if caller.is_admin or row.owner is None or row.visibility == "public":
        return True
    return caller.project_id is not None and caller.project_id == row.owner


def visible_clause(caller: Caller) -> ColumnElement[bool]:
    if caller.is_admin:
        return true()
    seen = [MetadefNamespace.owner.is_(None), MetadefNamespace.visibility == "public"]
    if caller.project_id is not None:
        seen.append(MetadefNamespace.owner == caller.project_id)
    return or_(*seen)


def namespace_row(s: Session, caller: Caller, name: str, *, lock: bool = False
                  ) -> MetadefNamespace:
    query = select(MetadefNamespace).where(MetadefNamespace.namespace == name)
    if lock:
        query = query.with_for_update()
    row = s.scalars(query).first()
    if row is None or not can_see(row, caller):
        raise NamespaceNotFound(name)
    return row


def ref_of(row: MetadefNamespace) -> NamespaceRef:
    return NamespaceRef(row.namespace, row.owner, row.visibility, row.protected)


def object_row(s: Session, ns: MetadefNamespace, name: str) -> MetadefObject:
    row = s.scalars(select(MetadefObject).where(MetadefObject.namespace_id == ns.id,
                                                MetadefObject.name == name)).first()
    if row is None:
        raise MetadefNotFound("object", name, ns.namespace)
    return row


def property_row(s: Session, ns: MetadefNamespace, name: str) -> MetadefProperty:
    row = s.scalars(select(MetadefProperty).where(MetadefProperty.namespace_id == ns.id,
                                                  MetadefProperty.name == name)).first()
    if row is None:
        raise MetadefNotFound("property", name, ns.namespace)
    return row


def tag_row(s: Session, ns: MetadefNamespace, name: str) -> MetadefTag:
    row = s.scalars(select(MetadefTag).where(MetadefTag.namespace_id == ns.id,
                                             MetadefTag.name == name)).first()
    if row is None:
        raise MetadefNotFound("tag", name, ns.namespace)
    return row


def tag_taken(s: Session, ns: MetadefNamespace, name: str, *, but: str | None = None
              ) -> bool:
    """Tag names are unique in a namespace whatever their case, as in Glance."""
    query = select(MetadefTag.id).where(MetadefTag.namespace_id == ns.id,
                                        func.lower(MetadefTag.name) == name.lower())
    if but is not None:
        query = query.where(MetadefTag.id != but)
    return s.scalars(query).first() is not None


def resource_type_named(s: Session, name: str) -> MetadefResourceType | None:
    return s.scalars(select(MetadefResourceType)
                     .where(MetadefResourceType.name == name)).first()


@contextmanager
def duplicate_is(conflict: MetadefDuplicate) -> Iterator[None]:
    """Two writers racing for one name: the loser's unique violation is a 409."""
    try:
        yield
    except IntegrityError:
        raise conflict from None
