"""Trunks: a parent port carrying subports, each on its own VLAN."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base
from nimbus.services.network.models.core import StandardColumns


class Trunk(StandardColumns, Base):
    __tablename__ = "network_trunk"

    port_id: Mapped[str] = mapped_column(
        ForeignKey("network_port.id", ondelete="CASCADE"), unique=True)
    admin_state_up: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(16), default="DOWN")


class SubPort(Base):
    __tablename__ = "network_subport"
    __table_args__ = (UniqueConstraint("trunk_id", "segmentation_type", "segmentation_id",
                                       name="uq_network_subport_segment"),)

    port_id: Mapped[str] = mapped_column(
        ForeignKey("network_port.id", ondelete="CASCADE"), primary_key=True)
    trunk_id: Mapped[str] = mapped_column(
        ForeignKey("network_trunk.id", ondelete="CASCADE"), index=True)
    segmentation_type: Mapped[str] = mapped_column(String(32), default="vlan")
    segmentation_id: Mapped[int] = mapped_column(Integer)
