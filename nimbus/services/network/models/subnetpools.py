"""Subnet pools (prefixes subnets are carved from) and address scopes (the address spaces
pools belong to). Sharing of both lives in the core RBAC table, as Neutron's
``subnetpoolrbacs`` / ``addressscoperbacs`` do."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base
from nimbus.services.network.models.core import StandardColumns


class AddressScope(StandardColumns, Base):
    __tablename__ = "network_address_scope"

    ip_version: Mapped[int] = mapped_column(Integer)


class SubnetPool(StandardColumns, Base):
    __tablename__ = "network_subnetpool"

    ip_version: Mapped[int] = mapped_column(Integer)
    default_prefixlen: Mapped[int] = mapped_column(Integer)
    min_prefixlen: Mapped[int] = mapped_column(Integer)
    max_prefixlen: Mapped[int] = mapped_column(Integer)
    default_quota: Mapped[int | None] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    address_scope_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Changed on every allocation so two concurrent ones cannot both win (Neutron's hash).
    hash: Mapped[str] = mapped_column(String(36), default="")


class SubnetPoolPrefix(Base):
    __tablename__ = "network_subnetpool_prefix"

    subnetpool_id: Mapped[str] = mapped_column(
        ForeignKey("network_subnetpool.id", ondelete="CASCADE"), primary_key=True)
    cidr: Mapped[str] = mapped_column(String(64), primary_key=True)
