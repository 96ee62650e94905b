"""The objects and properties of a namespace, one at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.kernel.db import Database, utcnow
from nimbus.services.image.errors import (
    MetadefProtected,
    PropertyPrefixMismatch,
    ResourceTypeAssociationMissing,
)
from nimbus.services.image.models import (
    MetadefNamespace,
    MetadefObject,
    MetadefProperty,
    MetadefResourceTypeAssociation,
)
from nimbus.services.image.service.metadefs.access import (
    duplicate_is,
    namespace_row,
    object_row,
    property_row,
    resource_type_named,
)
from nimbus.services.image.service.metadefs.contents import (
    add_object,
    add_property,
    duplicate_object,
    duplicate_property,
)
from nimbus.services.image.service.metadefs.views import object_view, property_view
from nimbus.services.image.service.records import Caller


def _writable(s: Session, caller: Caller, namespace: str) -> MetadefNamespace:
    return namespace_row(s, caller, namespace, lock=True)


class Objects:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self, caller: Caller, namespace: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            ns = namespace_row(s, caller, namespace)
            rows = s.scalars(select(MetadefObject).where(MetadefObject.namespace_id == ns.id)
                             .order_by(MetadefObject.created_at.desc(), MetadefObject.id))
            return [object_view(ns.namespace, r) for r in rows]

    def get(self, caller: Caller, namespace: str, name: str) -> dict[str, Any]:
        with self.db.session() as s:
            ns = namespace_row(s, caller, namespace)
            return object_view(ns.namespace, object_row(s, ns, name))

    def create(self, caller: Caller, namespace: str, fields: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s:
            ns = _writable(s, caller, namespace)
            return object_view(ns.namespace, add_object(s, ns, fields))

    def update(self, caller: Caller, namespace: str, name: str, fields: dict[str, Any]
               ) -> dict[str, Any]:
        with self.db.session() as s:
            ns = _writable(s, caller, namespace)
            row = object_row(s, ns, name)
            if fields["name"] != name and s.scalars(select(MetadefObject.id).where(
                    MetadefObject.namespace_id == ns.id,
                    MetadefObject.name == fields["name"])).first() is not None:
                raise duplicate_object(fields["name"], ns)
            row.name, row.description = fields["name"], fields.get("description")
            row.required = fields.get("required")
            row.properties = fields.get("properties") or None
            row.updated_at = utcnow()
            with duplicate_is(duplicate_object(fields["name"], ns)):
                s.flush()
            return object_view(ns.namespace, row)

    def delete(self, caller: Caller, namespace: str, name: str) -> None:
        with self.db.session() as s:
            ns = _writable(s, caller, namespace)
            row = object_row(s, ns, name)
            if ns.protected:
                raise MetadefProtected("object", name)
            s.delete(row)


class Properties:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self, caller: Caller, namespace: str) -> dict[str, dict[str, Any]]:
        with self.db.session() as s:
            ns = namespace_row(s, caller, namespace)
            rows = s.scalars(select(MetadefProperty)
                             .where(MetadefProperty.namespace_id == ns.id)
                             .order_by(MetadefProperty.name))
            return {r.name: dict(r.schema) for r in rows}

    def get(self, caller: Caller, namespace: str, name: str,
            resource_type: str | None = None) -> dict[str, Any]:
        """One property; asked for a resource type, ``name`` carries its prefix."""
        with self.db.session() as s:
            ns = namespace_row(s, caller, namespace)
            if resource_type:
                name = _unprefixed(s, ns, name, resource_type)
            row = property_row(s, ns, name)
            return property_view(row.name, dict(row.schema))

    def create(self, caller: Caller, namespace: str, name: str, definition: dict[str, Any]
               ) -> dict[str, Any]:
        with self.db.session() as s:
            ns = _writable(s, caller, namespace)
            row = add_property(s, ns, name, definition)
            return property_view(row.name, dict(row.schema))

    def update(self, caller: Caller, namespace: str, name: str, new_name: str,
               definition: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s:
            ns = _writable(s, caller, namespace)
            row = property_row(s, ns, name)
            if new_name != name and s.scalars(select(MetadefProperty.id).where(
                    MetadefProperty.namespace_id == ns.id,
                    MetadefProperty.name == new_name)).first():
                raise duplicate_property(new_name, ns)
            row.name, row.schema, row.updated_at = new_name, definition, utcnow()
            with duplicate_is(duplicate_property(new_name, ns)):
                s.flush()
            return property_view(row.name, dict(row.schema))

    def delete(self, caller: Caller, namespace: str, name: str) -> None:
        with self.db.session() as s:
            ns = _writable(s, caller, namespace)
            row = property_row(s, ns, name)
            if ns.protected:
                raise MetadefProtected("property", name)
            s.delete(row)


def _unprefixed(s: Session, ns: MetadefNamespace, name: str, resource_type: str) -> str:
    kind = resource_type_named(s, resource_type)
    association = None if kind is None else s.get(MetadefResourceTypeAssociation,
                                                   (ns.id, kind.id))
    if association is None:
        raise ResourceTypeAssociationMissing(resource_type, ns.namespace)
    prefix = association.prefix
    if not prefix or not name.startswith(prefix):
        raise PropertyPrefixMismatch(name, prefix)
    return name[len(prefix):]
