"""The agents that report over the bus (Neutron's ``agents`` table): one row per
(agent_type, host), written by the plugin endpoint from each heartbeat."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base, JSONText, UTCDateTime, utcnow


class Agent(Base):
    __tablename__ = "network_agent"
    __table_args__ = (UniqueConstraint("agent_type", "host", name="uq_network_agent"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agent_type: Mapped[str] = mapped_column(String(255))
    binary: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(255))
    host: Mapped[str] = mapped_column(String(255), index=True)
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(String(255))
    configurations: Mapped[Any] = mapped_column(JSONText, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_timestamp: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DhcpBinding(Base):
    """A network served by a DHCP agent (Neutron's networkdhcpagentbindings)."""

    __tablename__ = "network_dhcp_binding"

    network_id: Mapped[str] = mapped_column(
        ForeignKey("network_network.id", ondelete="CASCADE"), primary_key=True)
    agent_id: Mapped[str] = mapped_column(
        ForeignKey("network_agent.id", ondelete="CASCADE"), primary_key=True)


class DhcpScheduled(Base):
    """Networks the scheduler has placed once: what an admin removes then stays removed."""

    __tablename__ = "network_dhcp_scheduled"

    network_id: Mapped[str] = mapped_column(
        ForeignKey("network_network.id", ondelete="CASCADE"), primary_key=True)
