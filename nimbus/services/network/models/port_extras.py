"""What a port carries beside its addresses: allowed address pairs and extra DHCP options."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base


class AllowedAddressPair(Base):
    __tablename__ = "network_allowed_address_pair"

    port_id: Mapped[str] = mapped_column(
        ForeignKey("network_port.id", ondelete="CASCADE"), primary_key=True)
    ip_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    mac_address: Mapped[str] = mapped_column(String(32), primary_key=True)


class ExtraDhcpOpt(Base):
    __tablename__ = "network_extra_dhcp_opt"
    __table_args__ = (UniqueConstraint("port_id", "opt_name", "ip_version",
                                       name="uq_network_extra_dhcp_opt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    port_id: Mapped[str] = mapped_column(
        ForeignKey("network_port.id", ondelete="CASCADE"), index=True)
    opt_name: Mapped[str] = mapped_column(String(255))
    opt_value: Mapped[str] = mapped_column(String(255))
    ip_version: Mapped[int] = mapped_column(Integer, default=4)
