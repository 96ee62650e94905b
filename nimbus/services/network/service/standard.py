"""Standard attributes: their rendering, revision bumps, and tags."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nimbus.kernel.db import utcnow
from nimbus.services.network.models.core import Tag


def iso(value: dt.datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def standard_view(row: Any, tags: list[str], *, name: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row.id}
    if name:
        out["name"] = row.name
    out.update({
        "tenant_id": row.project_id, "project_id": row.project_id,
        "description": row.description, "tags": sorted(tags),
        "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
        "revision_number": row.revision_number,
    })
    return out


def bump(row: Any) -> None:
    """A change: one revision more, and a new updated_at."""
    row.revision_number = (row.revision_number or 0) + 1
    row.updated_at = utcnow()


def tags_of(s: Session, resource_type: str, ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    if not ids:
        return found
    for chunk in range(0, len(ids), 500):
        rows = s.execute(select(Tag.resource_id, Tag.tag).where(
            Tag.resource_type == resource_type,
            Tag.resource_id.in_(ids[chunk:chunk + 500])))
        for resource_id, tag in rows:
            found[resource_id].append(tag)
    return found


def drop_tags(s: Session, resource_type: str, resource_id: str) -> None:
    s.execute(delete(Tag).where(Tag.resource_type == resource_type,
                                Tag.resource_id == resource_id))
