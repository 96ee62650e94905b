"""Listing in SQL, the same way for every resource: the caller's scope, column filters,
tag filters, sort keys (with ``id`` last, so pages are stable), and keyset paging from a
marker. Filters on attributes that are not columns are left for the resource to apply."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from nimbus.services.network.errors import ResourceNotFound
from nimbus.services.network.models.core import Tag
from nimbus.services.network.schemas.listing import ListQuery


def apply_filters(stmt: Select[Any], columns: Mapping[str, Any], query: ListQuery,
                  ) -> tuple[Select[Any], dict[str, list[Any]]]:
    """Column filters into WHERE; returns the filters that name no column."""
    rest: dict[str, list[Any]] = {}
    for name, values in query.filters.items():
        column = columns.get(name)
        if column is None:
            rest[name] = values
            continue
        plain = [v for v in values if v is not None]
        conds = [column.in_(plain)] if plain else []
        if len(plain) != len(values):
            conds.append(column.is_(None))
        stmt = stmt.where(or_(*conds) if conds else false())
    return stmt, rest


def apply_tags(stmt: Select[Any], id_column: Any, resource_type: str,
               tags: Mapping[str, list[str]]) -> Select[Any]:
    def has(tag: str) -> ColumnElement[bool]:
        return exists().where(Tag.resource_type == resource_type,
                              Tag.resource_id == id_column, Tag.tag == tag)

    if tags.get("tags"):
        stmt = stmt.where(and_(*[has(t) for t in tags["tags"]]))
    if tags.get("tags-any"):
        stmt = stmt.where(or_(*[has(t) for t in tags["tags-any"]]))
    if tags.get("not-tags"):
        stmt = stmt.where(~and_(*[has(t) for t in tags["not-tags"]]))
    if tags.get("not-tags-any"):
        stmt = stmt.where(~or_(*[has(t) for t in tags["not-tags-any"]]))
    return stmt


def apply_order_and_page(s: Session, stmt: Select[Any], model: Any,
                         columns: Mapping[str, Any], query: ListQuery,
                         kind: str) -> Select[Any]:
    """ORDER BY the sort keys then id; after the marker row; at most ``limit`` rows.
    With ``page_reverse`` the order is flipped (the caller reverses the rows back)."""
    keys = [(columns[k], asc) for k, asc in query.sorts if k in columns and k != "id"]
    keys.append((model.id, next((asc for k, asc in query.sorts if k == "id"), True)))
    if query.page_reverse:
        keys = [(c, not asc) for c, asc in keys]
    if query.marker:
        marker = s.execute(select(*[c for c, _ in keys]).where(model.id == query.marker)
                           ).first()
        if marker is None:
            raise ResourceNotFound("Marker", query.marker)
        stmt = stmt.where(_after(keys, list(marker)))
    stmt = stmt.order_by(*[c.asc() if asc else c.desc() for c, asc in keys])
    if query.limit:
        stmt = stmt.limit(query.limit)
    return stmt


def _after(keys: list[tuple[Any, bool]], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after the marker in the (mixed-direction) order of ``keys``."""
    terms = []
    for i, (column, asc) in enumerate(keys):
        equal = [c == v for (c, _), v in zip(keys[:i], values[:i], strict=True)]
        value = values[i]
        if value is None:
            step = column.is_not(None) if asc else false()
        else:
            step = column > value if asc else or_(column < value, column.is_(None))
        terms.append(and_(*equal, step))
    return or_(*terms)


def finish_page(rows: list[Any], query: ListQuery) -> list[Any]:
    return list(reversed(rows)) if query.page_reverse else rows
