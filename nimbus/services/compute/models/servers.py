"""Servers: instances with their flavor snapshot and states, metadata, tags, faults, block
device mappings, instance actions and their events, and migrations (resizes).

Deleted instances stay as rows (``deleted`` holds 1, ``deleted_at`` the time) for the admin
``deleted`` filter and ``changes-since``, as Nova's soft-delete columns do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base, JSONText, UTCDateTime, utcnow


class Instance(Base):
    __tablename__ = "compute_instance"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Insertion order: Nova's default sort (created_at) needs a tie-breaker.
    seq: Mapped[int] = mapped_column(Integer, index=True, default=0)
    display_name: Mapped[str] = mapped_column(String(255), default="", index=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str] = mapped_column(String(255), default="")
    hostname: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str | None] = mapped_column(String(255))
    image_ref: Mapped[str] = mapped_column(String(36), default="", index=True)
    flavor_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    # The flavor as it was at boot (Nova's embedded flavor): name, vcpus, ram, disk...
    flavor: Mapped[Any] = mapped_column(JSONText, default=dict)
    vm_state: Mapped[str] = mapped_column(String(32), default="building", index=True)
    task_state: Mapped[str | None] = mapped_column(String(32))
    power_state: Mapped[int] = mapped_column(Integer, default=0)
    host: Mapped[str | None] = mapped_column(String(255), index=True)
    node: Mapped[str | None] = mapped_column(String(255))
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    launched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    terminated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    deleted: Mapped[int] = mapped_column(Integer, default=0, index=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_by: Mapped[str | None] = mapped_column(String(16))
    locked_reason: Mapped[str | None] = mapped_column(String(255))
    key_name: Mapped[str | None] = mapped_column(String(255))
    key_data: Mapped[str | None] = mapped_column(Text)
    user_data: Mapped[str | None] = mapped_column(Text)
    config_drive: Mapped[str] = mapped_column(String(16), default="")
    access_ip_v4: Mapped[str] = mapped_column(String(64), default="")
    access_ip_v6: Mapped[str] = mapped_column(String(64), default="")
    reservation_id: Mapped[str] = mapped_column(String(32), default="", index=True)
    launch_index: Mapped[int] = mapped_column(Integer, default=0)
    security_groups: Mapped[Any] = mapped_column(JSONText, default=list)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    # The password the guest set or was given (os-server-password), encrypted by the guest.
    password: Mapped[str] = mapped_column(Text, default="")
    # The boot request's networks and hints, kept for rebuilds and unshelve.
    request: Mapped[Any] = mapped_column(JSONText, default=dict)


class InstanceMetadata(Base):
    __tablename__ = "compute_instance_metadata"

    instance_id: Mapped[str] = mapped_column(
        ForeignKey("compute_instance.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), default="")


class InstanceTag(Base):
    __tablename__ = "compute_instance_tag"

    instance_id: Mapped[str] = mapped_column(
        ForeignKey("compute_instance.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(80), primary_key=True, index=True)


class InstanceFault(Base):
    __tablename__ = "compute_instance_fault"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(
        ForeignKey("compute_instance.id", ondelete="CASCADE"), index=True)
    code: Mapped[int] = mapped_column(Integer, default=500)
    message: Mapped[str] = mapped_column(String(255), default="")
    details: Mapped[str] = mapped_column(Text, default="")
    host: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BlockDeviceMapping(Base):
    __tablename__ = "compute_block_device_mapping"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(
        ForeignKey("compute_instance.id", ondelete="CASCADE"), index=True)
    source_type: Mapped[str] = mapped_column(String(16))        # image | blank
    destination_type: Mapped[str] = mapped_column(String(16))   # local
    boot_index: Mapped[int | None] = mapped_column(Integer)
    image_id: Mapped[str | None] = mapped_column(String(36))
    volume_size: Mapped[int | None] = mapped_column(Integer)
    guest_format: Mapped[str | None] = mapped_column(String(32))
    device_name: Mapped[str | None] = mapped_column(String(255))
    device_type: Mapped[str | None] = mapped_column(String(32))
    disk_bus: Mapped[str | None] = mapped_column(String(32))
    delete_on_termination: Mapped[bool] = mapped_column(Boolean, default=True)
    tag: Mapped[str | None] = mapped_column(String(255))


class InstanceAction(Base):
    __tablename__ = "compute_instance_action"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(
        ForeignKey("compute_instance.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(255))
    request_id: Mapped[str] = mapped_column(String(255), default="")
    project_id: Mapped[str] = mapped_column(String(255), default="")
    user_id: Mapped[str] = mapped_column(String(255), default="")
    start_time: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finish_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    message: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class InstanceActionEvent(Base):
    __tablename__ = "compute_instance_action_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("compute_instance_action.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(255))
    start_time: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finish_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(String(255))
    traceback: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[str | None] = mapped_column(Text)


class Migration(Base):
    """A resize (os-migrations): from one flavor (and host) to another."""

    __tablename__ = "compute_migration"
    __table_args__ = (UniqueConstraint("uuid", name="uq_compute_migration_uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36))
    instance_id: Mapped[str] = mapped_column(
        ForeignKey("compute_instance.id", ondelete="CASCADE"), index=True)
    migration_type: Mapped[str] = mapped_column(String(32), default="resize")
    status: Mapped[str] = mapped_column(String(32), default="pre-migrating", index=True)
    source_compute: Mapped[str | None] = mapped_column(String(255))
    dest_compute: Mapped[str | None] = mapped_column(String(255))
    source_node: Mapped[str | None] = mapped_column(String(255))
    dest_node: Mapped[str | None] = mapped_column(String(255))
    old_flavor: Mapped[Any] = mapped_column(JSONText, default=dict)
    new_flavor: Mapped[Any] = mapped_column(JSONText, default=dict)
    project_id: Mapped[str] = mapped_column(String(255), default="")
    user_id: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
