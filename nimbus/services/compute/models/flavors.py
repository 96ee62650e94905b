"""Flavors (Nova's ``flavors``, ``flavor_extra_specs``, ``flavor_projects``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base, UTCDateTime, utcnow


class Flavor(Base):
    __tablename__ = "compute_flavor"

    # Nova's internal id orders listings (the marker walks it); flavorid is the API's id.
    internal_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flavorid: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    memory_mb: Mapped[int] = mapped_column(Integer)
    vcpus: Mapped[int] = mapped_column(Integer)
    root_gb: Mapped[int] = mapped_column(Integer)
    ephemeral_gb: Mapped[int] = mapped_column(Integer, default=0)
    swap: Mapped[int] = mapped_column(Integer, default=0)
    rxtx_factor: Mapped[float] = mapped_column(Float, default=1.0)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FlavorExtraSpec(Base):
    __tablename__ = "compute_flavor_extra_spec"

    flavor_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("compute_flavor.internal_id", ondelete="CASCADE"),
        primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class FlavorProject(Base):
    __tablename__ = "compute_flavor_project"

    flavor_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("compute_flavor.internal_id", ondelete="CASCADE"),
        primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)


class FlavorsSeeded(Base):
    """One row once ``nimbus up`` seeded the default flavors: deleted ones stay deleted."""

    __tablename__ = "compute_flavor_seeded"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    seeded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
