"""Metadata definition namespaces: list, show (with everything they hold), create, update,
delete, and emptying one of its objects, properties or tags."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nimbus.kernel.db import Database, utcnow
from nimbus.services.image.errors import BadRequest, MetadefDuplicate, MetadefProtected
from nimbus.services.image.models import (
    MetadefNamespace,
    MetadefObject,
    MetadefProperty,
    MetadefResourceType,
    MetadefResourceTypeAssociation,
    MetadefTag,
)
from nimbus.services.image.service.metadefs.access import (
    NamespaceRef,
    duplicate_is,
    namespace_row,
    new_id,
    ref_of,
    visible_clause,
)
from nimbus.services.image.service.metadefs.contents import fill_namespace
from nimbus.services.image.service.metadefs.views import (
    association_view,
    namespace_view,
    object_view,
    tag_view,
    with_prefix,
)
from nimbus.services.image.service.records import Caller

SORT_KEYS = ("namespace", "display_name", "description", "visibility", "protected", "owner",
             "created_at", "updated_at")
CONTENTS: dict[str, type[MetadefObject] | type[MetadefProperty] | type[MetadefTag]] = {
    "objects": MetadefObject, "properties": MetadefProperty, "tags": MetadefTag}


@dataclass
class NamespaceQuery:
    limit: int = 25
    marker: str | None = None
    sort_key: str = "created_at"
    sort_dir: str = "desc"
    visibility: str | None = None
    resource_types: list[str] = field(default_factory=list)


def duplicate_namespace(name: str) -> MetadefDuplicate:
    return MetadefDuplicate(f"The metadata definition namespace={name} already exists.")


def associations_of(s: Session, namespace_ids: list[str]
                    ) -> dict[str, list[dict[str, Any]]]:
    rows = s.execute(
        select(MetadefResourceTypeAssociation, MetadefResourceType.name)
        .join(MetadefResourceType,
              MetadefResourceType.id == MetadefResourceTypeAssociation.resource_type_id)
        .where(MetadefResourceTypeAssociation.namespace_id.in_(namespace_ids))
        .order_by(MetadefResourceTypeAssociation.created_at, MetadefResourceType.name))
    found: dict[str, list[dict[str, Any]]] = {}
    for association, name in rows:
        found.setdefault(association.namespace_id, []).append(
            association_view(association, name))
    return found


def _sort_value(row: MetadefNamespace, key: str) -> tuple[bool, Any]:
    value = getattr(row, key)
    return (value is None, value if value is not None else "")


class Namespaces:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, caller: Caller, name: str) -> NamespaceRef:
        with self.db.session() as s:
            return ref_of(namespace_row(s, caller, name))

    def list(self, caller: Caller, query: NamespaceQuery,
             may_see: Callable[[NamespaceRef], bool]) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the namespaces the caller sees, and the marker of the next page."""
        if query.sort_key not in SORT_KEYS:
            raise BadRequest(f"Invalid sort key: {query.sort_key}. It must be one of the "
                             f"following: {', '.join(SORT_KEYS)}.")
        with self.db.session() as s:
            if query.marker is not None:
                namespace_row(s, caller, query.marker)
            rows = self._candidates(s, caller, query)
            rows.sort(key=lambda r: (_sort_value(r, query.sort_key), r.created_at, r.id),
                      reverse=query.sort_dir == "desc")
            rows = [r for r in rows if may_see(ref_of(r))]
            if query.marker is not None:
                names = [r.namespace for r in rows]
                rows = rows[names.index(query.marker) + 1:] if query.marker in names else []
            page = rows[:query.limit]
            found = associations_of(s, [r.id for r in page])
            views = []
            for row in page:
                view = namespace_view(row)
                if found.get(row.id):
                    view["resource_type_associations"] = found[row.id]
                views.append(view)
            more = bool(page) and len(page) == query.limit
            return views, (page[-1].namespace if more else None)

    def _candidates(self, s: Session, caller: Caller, query: NamespaceQuery
                    ) -> builtins.list[MetadefNamespace]:
        select_rows = select(MetadefNamespace).where(visible_clause(caller))
        if query.visibility is not None:
            select_rows = select_rows.where(MetadefNamespace.visibility == query.visibility)
        if query.resource_types:
            associated = (select(MetadefResourceTypeAssociation.namespace_id)
                          .join(MetadefResourceType, MetadefResourceType.id ==
                                MetadefResourceTypeAssociation.resource_type_id)
                          .where(MetadefResourceType.name.in_(query.resource_types)))
            select_rows = select_rows.where(MetadefNamespace.id.in_(associated))
        return list(s.scalars(select_rows))

    def show(self, caller: Caller, name: str, resource_type: str | None = None
             ) -> dict[str, Any]:
        """The namespace with its objects, properties, tags and associations; for one
        resource type, property names carry that association's prefix."""
        with self.db.session() as s:
            row = namespace_row(s, caller, name)
            detail = namespace_view(row)
            objects = s.scalars(select(MetadefObject).where(
                MetadefObject.namespace_id == row.id).order_by(MetadefObject.created_at,
                                                               MetadefObject.name))
            if listed := [object_view(name, o) for o in objects]:
                detail["objects"] = listed
            associations = associations_of(s, [row.id]).get(row.id, [])
            if associations:
                detail["resource_type_associations"] = associations
            properties = s.scalars(select(MetadefProperty).where(
                MetadefProperty.namespace_id == row.id).order_by(MetadefProperty.name))
            if defined := {p.name: dict(p.schema) for p in properties}:
                detail["properties"] = defined
            prefix = next((a.get("prefix") for a in associations
                           if a["name"] == resource_type), None)
            if resource_type and prefix:
                detail = with_prefix(detail, prefix)
            tags = s.scalars(select(MetadefTag).where(
                MetadefTag.namespace_id == row.id).order_by(MetadefTag.created_at,
                                                            MetadefTag.name))
            if names := [{"name": tag_view(t)["name"]} for t in tags]:
                detail["tags"] = names
            return detail

    def create(self, caller: Caller, parsed: dict[str, Any]) -> dict[str, Any]:
        name = parsed["namespace"]
        with self.db.session() as s:
            if s.scalars(select(MetadefNamespace.id)
                         .where(MetadefNamespace.namespace == name)).first() is not None:
                raise duplicate_namespace(name)
            now = utcnow()
            row = MetadefNamespace(
                id=new_id(), namespace=name, display_name=parsed.get("display_name"),
                description=parsed.get("description"),
                visibility=parsed.get("visibility") or "private",
                protected=bool(parsed.get("protected")),
                owner=parsed.get("owner") or caller.project_id, created_at=now,
                updated_at=now)
            with duplicate_is(duplicate_namespace(name)):
                s.add(row)
                s.flush()
            fill_namespace(s, row, parsed)
            return self._created_view(s, row, parsed)

    def _created_view(self, s: Session, row: MetadefNamespace, parsed: dict[str, Any]
                      ) -> dict[str, Any]:
        """What Glance answers a create with: the namespace and the contents it was sent."""
        view = namespace_view(row)
        if parsed["resource_type_associations"]:
            view["resource_type_associations"] = associations_of(s, [row.id])[row.id]
        if parsed["objects"]:
            objects = s.scalars(select(MetadefObject)
                                .where(MetadefObject.namespace_id == row.id))
            view["objects"] = [object_view(row.namespace, o) for o in objects]
        if parsed["properties"]:
            view["properties"] = parsed["properties"]
        if parsed["tags"]:
            view["tags"] = [{"name": t} for t in parsed["tags"]]
        return view

    def update(self, caller: Caller, name: str, parsed: dict[str, Any]) -> dict[str, Any]:
        """Glance's PUT: fields left out go back to their defaults; contents stay."""
        new_name = parsed["namespace"]
        with self.db.session() as s:
            row = namespace_row(s, caller, name, lock=True)
            if new_name != row.namespace and s.scalars(
                    select(MetadefNamespace.id)
                    .where(MetadefNamespace.namespace == new_name)).first() is not None:
                raise MetadefDuplicate("Invalid update. It would result in a duplicate "
                                       "metadata definition namespace with the same name "
                                       f"of {new_name}")
            row.namespace = new_name
            row.display_name = parsed.get("display_name")
            row.description = parsed.get("description")
            row.visibility = parsed.get("visibility") or "private"
            row.protected = bool(parsed.get("protected"))
            row.owner = parsed.get("owner") or caller.project_id
            row.updated_at = utcnow()
            with duplicate_is(duplicate_namespace(new_name)):
                s.flush()
            return namespace_view(row)

    def delete(self, caller: Caller, name: str) -> None:
        with self.db.session() as s:
            row = namespace_row(s, caller, name, lock=True)
            if row.protected:
                raise MetadefProtected("namespace", row.namespace)
            for model in (*CONTENTS.values(), MetadefResourceTypeAssociation):
                s.execute(delete(model).where(model.namespace_id == row.id))
            s.delete(row)

    def delete_contents(self, caller: Caller, name: str, kind: str) -> None:
        """Every object, property or tag of the namespace (``kind``), unless protected."""
        model = CONTENTS[kind]
        with self.db.session() as s:
            row = namespace_row(s, caller, name, lock=True)
            if row.protected:
                raise MetadefProtected("namespace", row.namespace)
            s.execute(delete(model).where(model.namespace_id == row.id))
