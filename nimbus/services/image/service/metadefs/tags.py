"""The tags of a namespace, and resource types with their associations to namespaces."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from nimbus.kernel.db import Database, utcnow
from nimbus.services.image.errors import (
    BadRequest,
    MetadefProtected,
    ResourceTypeAssociationNotFound,
)
from nimbus.services.image.models import (
    MetadefResourceType,
    MetadefResourceTypeAssociation,
    MetadefTag,
)
from nimbus.services.image.service.metadefs.access import (
    duplicate_is,
    namespace_row,
    resource_type_named,
    tag_row,
    tag_taken,
)
from nimbus.services.image.service.metadefs.contents import (
    add_association,
    add_tag,
    duplicate_tag,
)
from nimbus.services.image.service.metadefs.namespaces import associations_of
from nimbus.services.image.service.metadefs.views import (
    association_view,
    resource_type_view,
    tag_view,
)
from nimbus.services.image.service.records import Caller

TAG_SORT_KEYS = ("name", "created_at", "updated_at")


@dataclass
class TagQuery:
    limit: int | None = None
    marker: str | None = None
    sort_key: str = "created_at"
    sort_dir: str = "desc"


class Tags:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self, caller: Caller, namespace: str, query: TagQuery) -> list[dict[str, str]]:
        if query.sort_key not in TAG_SORT_KEYS:
            raise BadRequest(f"Invalid sort key: {query.sort_key}. It must be one of the "
                             f"following: {', '.join(TAG_SORT_KEYS)}.")
        with self.db.session() as s:
            ns = namespace_row(s, caller, namespace)
            if query.marker is not None:
                tag_row(s, ns, query.marker)
            rows = list(s.scalars(select(MetadefTag).where(MetadefTag.namespace_id == ns.id)))
            rows.sort(key=lambda r: (getattr(r, query.sort_key), r.created_at, r.id),
                      reverse=query.sort_dir == "desc")
            names = [r.name for r in rows]
            if query.marker is not None:
                names = names[names.index(query.marker) + 1:]
            if query.limit is not None:
                names = names[:query.limit]
            return [{"name": name} for name in names]

    def get(self, caller: Caller, namespace: str, name: str) -> dict[str, Any]:
        with self.db.session() as s:
            return tag_view(tag_row(s, namespace_row(s, caller, namespace), name))

    def create(self, caller: Caller, namespace: str, name: str) -> dict[str, Any]:
        with self.db.session() as s:
            ns = namespace_row(s, caller, namespace, lock=True)
            return tag_view(add_tag(s, ns, name))

    def create_many(self, caller: Caller, namespace: str, names: builtins.list[str], *,
                    append: bool) -> builtins.list[dict[str, str]]:
        """Replaces the namespace's tags with ``names`` (adds them, with ``append``); an
        empty list changes nothing, as in Glance."""
        with self.db.session() as s:
            ns = namespace_row(s, caller, namespace, lock=True)
            if not names:
                return []
            if not append:
                s.execute(delete(MetadefTag).where(MetadefTag.namespace_id == ns.id))
            for name in names:
                add_tag(s, ns, name)
            return [{"name": name} for name in names]

    def update(self, caller: Caller, namespace: str, name: str, new_name: str
               ) -> dict[str, Any]:
        with self.db.session() as s:
            ns = namespace_row(s, caller, namespace, lock=True)
            row = tag_row(s, ns, name)
            if tag_taken(s, ns, new_name, but=row.id):
                raise duplicate_tag(new_name, ns)
            row.name, row.updated_at = new_name, utcnow()
            with duplicate_is(duplicate_tag(new_name, ns)):
                s.flush()
            return tag_view(row)

    def delete(self, caller: Caller, namespace: str, name: str) -> None:
        with self.db.session() as s:
            ns = namespace_row(s, caller, namespace, lock=True)
            row = tag_row(s, ns, name)
            if ns.protected:
                raise MetadefProtected("tag", name)
            s.delete(row)


class ResourceTypes:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(select(MetadefResourceType).order_by(MetadefResourceType.name))
            return [resource_type_view(r) for r in rows]

    def associations(self, caller: Caller, namespace: str) -> builtins.list[dict[str, Any]]:
        with self.db.session() as s:
            ns = namespace_row(s, caller, namespace)
            return associations_of(s, [ns.id]).get(ns.id, [])

    def associate(self, caller: Caller, namespace: str, fields: dict[str, Any]
                  ) -> dict[str, Any]:
        with self.db.session() as s:
            ns = namespace_row(s, caller, namespace, lock=True)
            row = add_association(s, ns, fields)
            return association_view(row, fields["name"])

    def dissociate(self, caller: Caller, namespace: str, name: str) -> None:
        with self.db.session() as s:
            ns = namespace_row(s, caller, namespace, lock=True)
            kind = resource_type_named(s, name)
            row = None if kind is None else s.get(MetadefResourceTypeAssociation,
                                                  (ns.id, kind.id))
            if row is None:
                raise ResourceTypeAssociationNotFound(name)
            if ns.protected:
                raise MetadefProtected("resource-type-association", name)
            s.delete(row)
