"""Image tables: images, their custom properties, tags, members and import tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base, JSONText, UTCDateTime, utcnow


class Image(Base):
    __tablename__ = "image_image"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255), index=True)
    owner: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(30), index=True)
    visibility: Mapped[str] = mapped_column(String(20), index=True)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    os_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    min_disk: Mapped[int] = mapped_column(Integer, default=0)
    min_ram: Mapped[int] = mapped_column(Integer, default=0)
    disk_format: Mapped[str | None] = mapped_column(String(32))
    container_format: Mapped[str | None] = mapped_column(String(32))
    size: Mapped[int | None] = mapped_column(BigInteger)
    virtual_size: Mapped[int | None] = mapped_column(BigInteger)
    checksum: Mapped[str | None] = mapped_column(String(32))
    os_hash_algo: Mapped[str | None] = mapped_column(String(64))
    os_hash_value: Mapped[str | None] = mapped_column(String(128), index=True)
    # Where the data is: the store's id and its own key for it; None until uploaded.
    store: Mapped[str | None] = mapped_column(String(64))
    location: Mapped[str | None] = mapped_column(String(1024))
    # What staging learnt of the staged data (size, hashes, format); never shown.
    staged: Mapped[dict[str, Any] | None] = mapped_column(JSONText)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImageProperty(Base):
    __tablename__ = "image_property"

    image_id: Mapped[str] = mapped_column(
        ForeignKey("image_image.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ImageTag(Base):
    __tablename__ = "image_tag"

    image_id: Mapped[str] = mapped_column(
        ForeignKey("image_image.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)


class ImageMember(Base):
    __tablename__ = "image_member"

    image_id: Mapped[str] = mapped_column(
        ForeignKey("image_image.id", ondelete="CASCADE"), primary_key=True)
    member: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImageTask(Base):
    """An import, as Glance's tasks API (v2.12) shows it."""

    __tablename__ = "image_task"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    image_id: Mapped[str] = mapped_column(
        ForeignKey("image_image.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30))
    # GET /v2/tasks lists a project's tasks, newest first (image_tasks migration).
    owner: Mapped[str | None] = mapped_column(String(255), index=True)
    user_id: Mapped[str | None] = mapped_column(String(255))
    request_id: Mapped[str | None] = mapped_column(String(64))
    input: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONText)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


# -- metadata definitions (Glance's metadefs) -----------------------------------------------


class MetadefNamespace(Base):
    __tablename__ = "image_metadef_namespace"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(32), default="private")
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MetadefObject(Base):
    __tablename__ = "image_metadef_object"
    __table_args__ = (sa.UniqueConstraint("namespace_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    namespace_id: Mapped[str] = mapped_column(
        ForeignKey("image_metadef_namespace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(Text)
    required: Mapped[list[str] | None] = mapped_column(JSONText)
    # Property name -> its definition (type, title, enum...), as the API shows it.
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSONText)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MetadefProperty(Base):
    __tablename__ = "image_metadef_property"
    __table_args__ = (sa.UniqueConstraint("namespace_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    namespace_id: Mapped[str] = mapped_column(
        ForeignKey("image_metadef_namespace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    schema: Mapped[dict[str, Any]] = mapped_column(JSONText)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MetadefTag(Base):
    __tablename__ = "image_metadef_tag"
    __table_args__ = (sa.UniqueConstraint("namespace_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    namespace_id: Mapped[str] = mapped_column(
        ForeignKey("image_metadef_namespace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MetadefResourceType(Base):
    __tablename__ = "image_metadef_resource_type"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # Seeded system types; the API has no call that deletes a resource type.
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MetadefResourceTypeAssociation(Base):
    __tablename__ = "image_metadef_namespace_resource_type"

    namespace_id: Mapped[str] = mapped_column(
        ForeignKey("image_metadef_namespace.id", ondelete="CASCADE"), primary_key=True)
    resource_type_id: Mapped[str] = mapped_column(
        ForeignKey("image_metadef_resource_type.id"), primary_key=True, index=True)
    prefix: Mapped[str | None] = mapped_column(String(80))
    properties_target: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MetadefSeeded(Base):
    """The standard namespaces seeded once: one an operator deleted is not seeded again."""

    __tablename__ = "image_metadef_seeded"

    namespace: Mapped[str] = mapped_column(String(80), primary_key=True)
    seeded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

class ImageCacheEntry(Base):
    """An image in one node's local cache (Glance's image_cache_dir), or queued for it.

    ``node`` names the host and cache directory: each API node has a cache of its own, as
    each glance-api has, and the database may be shared by several."""

    __tablename__ = "image_cache_entry"

    node: Mapped[str] = mapped_column(String(255), primary_key=True)
    image_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # "queued" (waiting for the cache worker) or "cached" (the file is complete).
    state: Mapped[str] = mapped_column(String(20))
    size: Mapped[int | None] = mapped_column(BigInteger)
    checksum: Mapped[str | None] = mapped_column(String(32))
    hits: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_accessed: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_modified: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ImageTransfer(Base):
    """Who is moving an image's data right now (an upload, a staging, an import): written
    in the transaction that changes the image's status, removed in the one that ends it, so
    a process that dies mid-transfer leaves a record that says whose transfer it was."""

    __tablename__ = "image_transfer"

    image_id: Mapped[str] = mapped_column(
        ForeignKey("image_image.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(30))
    node: Mapped[str] = mapped_column(String(255), index=True)
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
