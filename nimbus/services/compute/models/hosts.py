"""What the compute hosts report (Nova's ``services`` and ``compute_nodes``) and the host
aggregates an operator groups them in (``aggregates``, ``aggregate_hosts``,
``aggregate_metadata``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base, JSONText, UTCDateTime, utcnow


class ComputeServiceRecord(Base):
    __tablename__ = "compute_service"
    __table_args__ = (UniqueConstraint("host", "binary"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    binary: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str | None] = mapped_column(String(255), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    forced_down: Mapped[bool] = mapped_column(Boolean, default=False)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen_up: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ComputeNode(Base):
    __tablename__ = "compute_node"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    hypervisor_hostname: Mapped[str] = mapped_column(String(255), unique=True)
    # vcpus, memory_mb, local_gb, *_used, hypervisor_type, version, cpu_info, host_ip...
    resources: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Aggregate(Base):
    __tablename__ = "compute_aggregate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AggregateHost(Base):
    __tablename__ = "compute_aggregate_host"

    aggregate_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("compute_aggregate.id", ondelete="CASCADE"), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), primary_key=True)


class AggregateMetadata(Base):
    __tablename__ = "compute_aggregate_metadata"

    aggregate_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("compute_aggregate.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
