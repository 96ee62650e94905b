"""Placement's tables: providers (a tree each, by parent and root), their inventories,
traits and aggregates, the custom resource classes and traits, consumers and their
allocations. Resource classes and traits are stored by name (the standard ones live in
code, service/standard.py); a generation column on providers and consumers is the
compare-and-swap every write goes through."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base, UTCDateTime, utcnow


class ResourceProvider(Base):
    __tablename__ = "placement_provider"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement_provider.id"), index=True)
    root_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Inventory(Base):
    __tablename__ = "placement_inventory"

    provider_id: Mapped[int] = mapped_column(
        ForeignKey("placement_provider.id", ondelete="CASCADE"), primary_key=True)
    resource_class: Mapped[str] = mapped_column(String(255), primary_key=True)
    total: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    min_unit: Mapped[int] = mapped_column(Integer, default=1)
    max_unit: Mapped[int] = mapped_column(Integer)
    step_size: Mapped[int] = mapped_column(Integer, default=1)
    allocation_ratio: Mapped[float] = mapped_column(Float, default=1.0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProviderTrait(Base):
    __tablename__ = "placement_provider_trait"

    provider_id: Mapped[int] = mapped_column(
        ForeignKey("placement_provider.id", ondelete="CASCADE"), primary_key=True)
    trait: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class ProviderAggregate(Base):
    """A provider's aggregate; ``id`` keeps the order they were given in."""

    __tablename__ = "placement_provider_aggregate"
    __table_args__ = (UniqueConstraint("provider_id", "aggregate",
                                       name="uq_placement_provider_aggregate"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("placement_provider.id", ondelete="CASCADE"), index=True)
    aggregate: Mapped[str] = mapped_column(String(36), index=True)


class CustomResourceClass(Base):
    __tablename__ = "placement_resource_class"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomTrait(Base):
    __tablename__ = "placement_trait"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consumer(Base):
    __tablename__ = "placement_consumer"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str] = mapped_column(String(255))
    consumer_type: Mapped[str | None] = mapped_column(String(255))
    generation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Allocation(Base):
    __tablename__ = "placement_allocation"
    __table_args__ = (Index("ix_placement_allocation_provider_class", "provider_id",
                            "resource_class"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("placement_provider.id"))
    consumer_id: Mapped[str] = mapped_column(String(36), index=True)
    resource_class: Mapped[str] = mapped_column(String(255))
    used: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
