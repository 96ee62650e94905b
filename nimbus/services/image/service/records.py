"""What the image service hands out: plain records, never its rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CompoundSelect, Row, null, select, union_all
from sqlalchemy.orm import Session

from nimbus.services.image.models import Image, ImageMember, ImageProperty, ImageTag, ImageTask


@dataclass(frozen=True)
class Caller:
    """Who asks: the project of their token, and whether policy makes them an admin."""

    project_id: str | None
    user_id: str | None = None
    is_admin: bool = False
    request_id: str | None = None


@dataclass(frozen=True)
class ImageRecord:
    id: str
    name: str | None
    owner: str | None
    status: str
    visibility: str
    protected: bool
    os_hidden: bool
    min_disk: int
    min_ram: int
    disk_format: str | None
    container_format: str | None
    size: int | None
    virtual_size: int | None
    checksum: str | None
    os_hash_algo: str | None
    os_hash_value: str | None
    store: str | None
    location: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    properties: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)

    def member_id_for(self, caller: Caller) -> str | None:
        """The caller's project when it reaches a shared image as a member (Glance's
        ``member_id`` in policy targets)."""
        if self.visibility == "shared" and caller.project_id != self.owner:
            return caller.project_id
        return None

    def policy_target(self, caller: Caller) -> dict[str, Any]:
        return {**self.properties, "id": self.id, "name": self.name, "owner": self.owner,
                "project_id": self.owner, "visibility": self.visibility,
                "status": self.status, "protected": self.protected,
                "member_id": self.member_id_for(caller)}


@dataclass(frozen=True)
class MemberRecord:
    image_id: str
    member_id: str
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class TaskRecord:
    id: str
    image_id: str
    type: str
    status: str
    owner: str | None
    user_id: str | None
    request_id: str | None
    input: dict[str, Any]
    result: dict[str, Any] | None
    message: str
    created_at: dt.datetime
    updated_at: dt.datetime
    expires_at: dt.datetime | None


IMAGE_FIELDS = ("id", "name", "owner", "status", "visibility", "protected", "os_hidden",
                "min_disk", "min_ram", "disk_format", "container_format", "size",
                "virtual_size", "checksum", "os_hash_algo", "os_hash_value", "store",
                "location", "created_at", "updated_at")


def image_record(row: Image | Row[Any], properties: dict[str, str], tags: list[str]) -> ImageRecord:
    return ImageRecord(**{name: getattr(row, name) for name in IMAGE_FIELDS},
                       properties=properties, tags=tags)


def load_records(s: Session, rows: Sequence[Image | Row[Any]]) -> list[ImageRecord]:
    """Records for rows, with their properties and tags in one query. Reads go through the
    Core connection: the ORM's statement layer cost more than the queries themselves."""
    ids = [row.id for row in rows]
    properties: dict[str, dict[str, str]] = {i: {} for i in ids}
    tags: dict[str, list[str]] = {i: [] for i in ids}
    if ids:
        extras: CompoundSelect = union_all(
            select(ImageProperty.image_id, ImageProperty.name, ImageProperty.value)
            .where(ImageProperty.image_id.in_(ids)),
            select(ImageTag.image_id, ImageTag.value, null())
            .where(ImageTag.image_id.in_(ids)))
        for image_id, name, value in s.connection().execute(extras):
            if value is None:
                tags[image_id].append(name)
            else:
                properties[image_id][name] = value
        for found in tags.values():
            found.sort()
    return [image_record(row, properties[row.id], tags[row.id]) for row in rows]


def member_record(row: ImageMember) -> MemberRecord:
    return MemberRecord(row.image_id, row.member, row.status, row.created_at, row.updated_at)


def task_record(row: ImageTask) -> TaskRecord:
    return TaskRecord(row.id, row.image_id, row.type, row.status, row.owner, row.user_id,
                      row.request_id, row.input or {}, row.result, row.message or "",
                      row.created_at, row.updated_at, row.expires_at)
