"""Adding what a namespace holds: objects, properties, tags and resource type associations.

Each helper checks the name is free first (the answer a client sees), and the unique
constraints settle races.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.kernel.db import utcnow
from nimbus.services.image.errors import MetadefDuplicate
from nimbus.services.image.models import (
    MetadefNamespace,
    MetadefObject,
    MetadefProperty,
    MetadefResourceType,
    MetadefResourceTypeAssociation,
    MetadefTag,
)
from nimbus.services.image.service.metadefs.access import (
    duplicate_is,
    new_id,
    resource_type_named,
    tag_taken,
)


def duplicate_object(name: str, ns: MetadefNamespace) -> MetadefDuplicate:
    return MetadefDuplicate(f"A metadata definition object with name={name} already "
                            f"exists in namespace={ns.namespace}.")


def duplicate_property(name: str, ns: MetadefNamespace) -> MetadefDuplicate:
    return MetadefDuplicate(f"A metadata definition property with name={name} already "
                            f"exists in namespace={ns.namespace}.")


def duplicate_tag(name: str, ns: MetadefNamespace) -> MetadefDuplicate:
    return MetadefDuplicate(f"A metadata tag with name={name} already exists in "
                            f"namespace={ns.namespace}. (Please note that metadata tag "
                            "names are case insensitive).")


def add_object(s: Session, ns: MetadefNamespace, fields: dict[str, Any]) -> MetadefObject:
    name = fields["name"]
    taken = s.scalars(select(MetadefObject.id).where(
        MetadefObject.namespace_id == ns.id, MetadefObject.name == name)).first()
    if taken is not None:
        raise duplicate_object(name, ns)
    now = utcnow()
    row = MetadefObject(id=new_id(), namespace_id=ns.id, name=name,
                        description=fields.get("description"),
                        required=fields.get("required"),
                        properties=fields.get("properties") or None,
                        created_at=now, updated_at=now)
    with duplicate_is(duplicate_object(name, ns)):
        s.add(row)
        s.flush()
    return row


def add_property(s: Session, ns: MetadefNamespace, name: str, definition: dict[str, Any]
                 ) -> MetadefProperty:
    taken = s.scalars(select(MetadefProperty.id).where(
        MetadefProperty.namespace_id == ns.id, MetadefProperty.name == name)).first()
    if taken is not None:
        raise duplicate_property(name, ns)
    now = utcnow()
    row = MetadefProperty(id=new_id(), namespace_id=ns.id, name=name, schema=definition,
                          created_at=now, updated_at=now)
    with duplicate_is(duplicate_property(name, ns)):
        s.add(row)
        s.flush()
    return row


def add_tag(s: Session, ns: MetadefNamespace, name: str) -> MetadefTag:
    if tag_taken(s, ns, name):
        raise duplicate_tag(name, ns)
    now = utcnow()
    row = MetadefTag(id=new_id(), namespace_id=ns.id, name=name, created_at=now,
                     updated_at=now)
    with duplicate_is(duplicate_tag(name, ns)):
        s.add(row)
        s.flush()
    return row


def resource_type(s: Session, name: str, *, protected: bool = False) -> MetadefResourceType:
    """The resource type of that name, made on first use (as Glance does on association)."""
    row = resource_type_named(s, name)
    if row is None:
        now = utcnow()
        row = MetadefResourceType(id=new_id(), name=name, protected=protected,
                                  created_at=now, updated_at=now)
        with duplicate_is(MetadefDuplicate(f"A metadata definition resource-type with "
                                           f"name={name} already exists.")):
            s.add(row)
            s.flush()
    return row


def add_association(s: Session, ns: MetadefNamespace, fields: dict[str, Any], *,
                    protected_type: bool = False) -> MetadefResourceTypeAssociation:
    kind = resource_type(s, fields["name"], protected=protected_type)
    conflict = MetadefDuplicate(
        f"The metadata definition resource-type association of resource-type="
        f"{kind.name} to namespace={ns.namespace} already exists.")
    if s.get(MetadefResourceTypeAssociation, (ns.id, kind.id)) is not None:
        raise conflict
    now = utcnow()
    row = MetadefResourceTypeAssociation(
        namespace_id=ns.id, resource_type_id=kind.id, prefix=fields.get("prefix"),
        properties_target=fields.get("properties_target"), created_at=now, updated_at=now)
    with duplicate_is(conflict):
        s.add(row)
        s.flush()
    return row


def fill_namespace(s: Session, ns: MetadefNamespace, parsed: dict[str, Any], *,
                   protected_types: bool = False) -> None:
    """Everything a namespace body carries beyond the namespace itself."""
    for association in parsed.get("resource_type_associations", []):
        add_association(s, ns, association, protected_type=protected_types)
    for fields in parsed.get("objects", []):
        add_object(s, ns, fields)
    for name in parsed.get("tags", []):
        add_tag(s, ns, name)
    for name, definition in parsed.get("properties", {}).items():
        add_property(s, ns, name, definition)
