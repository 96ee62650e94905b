"""Security groups, their rules, the groups a port belongs to, and each project's default
group."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base, UTCDateTime, utcnow
from nimbus.services.network.models.core import StandardColumns


class SecurityGroup(StandardColumns, Base):
    __tablename__ = "network_security_group"

    stateful: Mapped[bool] = mapped_column(Boolean, default=True)


class SecurityGroupRule(Base):
    __tablename__ = "network_security_group_rule"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("network_security_group.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    ethertype: Mapped[str] = mapped_column(String(8), default="IPv4")
    protocol: Mapped[str | None] = mapped_column(String(40))
    port_range_min: Mapped[int | None] = mapped_column(Integer)
    port_range_max: Mapped[int | None] = mapped_column(Integer)
    remote_ip_prefix: Mapped[str | None] = mapped_column(String(64))
    remote_group_id: Mapped[str | None] = mapped_column(
        ForeignKey("network_security_group.id", ondelete="CASCADE"), index=True)
    remote_address_group_id: Mapped[str | None] = mapped_column(String(36), index=True)
    normalized_cidr: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(255), default="")
    revision_number: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PortSecurityGroup(Base):
    __tablename__ = "network_port_security_group"

    port_id: Mapped[str] = mapped_column(
        ForeignKey("network_port.id", ondelete="CASCADE"), primary_key=True)
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("network_security_group.id", ondelete="CASCADE"), primary_key=True,
        index=True)


class DefaultSecurityGroup(Base):
    __tablename__ = "network_default_security_group"

    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("network_security_group.id", ondelete="CASCADE"))
