"""L3 tables: routers (their ports, extra routes and gateway mode), floating IPs and their
port forwardings.

A router's ports are ordinary ports (device_id = the router's id) listed again in
``network_router_port`` with their role, as Neutron's ``routerports``; deleting the
port deletes the row. A floating IP's address is held by a port of its own on the
external network (device_owner ``network:floatingip``); deleting that port deletes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base, JSONText, UTCDateTime, utcnow
from nimbus.services.network.models.core import StandardColumns


class Router(StandardColumns, Base):
    __tablename__ = "network_router"

    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    gw_port_id: Mapped[str | None] = mapped_column(
        ForeignKey("network_port.id", ondelete="SET NULL"), index=True)
    enable_snat: Mapped[bool] = mapped_column(Boolean, default=True)
    ha: Mapped[bool] = mapped_column(Boolean, default=False)
    distributed: Mapped[bool] = mapped_column(Boolean, default=False)
    availability_zone_hints: Mapped[Any] = mapped_column(JSONText, default=list)
    flavor_id: Mapped[str | None] = mapped_column(String(36))
    # The L3 agent's host that serves the router ('' until one is picked).
    host: Mapped[str] = mapped_column(String(255), default="", index=True)


class RouterPort(Base):
    """A port of a router and its role (network:router_interface / _gateway)."""

    __tablename__ = "network_router_port"

    router_id: Mapped[str] = mapped_column(
        ForeignKey("network_router.id", ondelete="CASCADE"), primary_key=True)
    port_id: Mapped[str] = mapped_column(
        ForeignKey("network_port.id", ondelete="CASCADE"), primary_key=True, unique=True)
    port_type: Mapped[str] = mapped_column(String(255))


class RouterRoute(Base):
    __tablename__ = "network_router_route"

    router_id: Mapped[str] = mapped_column(
        ForeignKey("network_router.id", ondelete="CASCADE"), primary_key=True)
    destination: Mapped[str] = mapped_column(String(64), primary_key=True)
    nexthop: Mapped[str] = mapped_column(String(64), primary_key=True)


class FloatingIp(Base):
    __tablename__ = "network_floatingip"
    __table_args__ = (UniqueConstraint("floating_network_id", "fixed_port_id",
                                       "fixed_ip_address", name="uq_network_floatingip_fixed"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    revision_number: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    floating_ip_address: Mapped[str] = mapped_column(String(64), index=True)
    floating_network_id: Mapped[str] = mapped_column(String(36), index=True)
    floating_port_id: Mapped[str] = mapped_column(
        ForeignKey("network_port.id", ondelete="CASCADE"), unique=True)
    fixed_port_id: Mapped[str | None] = mapped_column(String(36), index=True)
    fixed_ip_address: Mapped[str | None] = mapped_column(String(64))
    router_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(16), default="DOWN")
    dns_name: Mapped[str] = mapped_column(String(255), default="")
    dns_domain: Mapped[str] = mapped_column(String(255), default="")


class PortForwarding(Base):
    __tablename__ = "network_port_forwarding"
    __table_args__ = (
        UniqueConstraint("floatingip_id", "protocol", "external_port_start",
                         "external_port_end", name="uq_network_pf_external"),
        UniqueConstraint("protocol", "internal_port_id", "internal_ip_address",
                         "internal_port_start", "internal_port_end",
                         name="uq_network_pf_internal"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    floatingip_id: Mapped[str] = mapped_column(
        ForeignKey("network_floatingip.id", ondelete="CASCADE"), index=True)
    internal_port_id: Mapped[str] = mapped_column(
        ForeignKey("network_port.id", ondelete="CASCADE"), index=True)
    protocol: Mapped[str] = mapped_column(String(40))
    internal_ip_address: Mapped[str] = mapped_column(String(64))
    internal_port_start: Mapped[int] = mapped_column(Integer)
    internal_port_end: Mapped[int] = mapped_column(Integer)
    external_port_start: Mapped[int] = mapped_column(Integer)
    external_port_end: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(255), default="")
    revision_number: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
