"""Address groups and the CIDRs each holds."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base
from nimbus.services.network.models.core import StandardColumns


class AddressGroup(StandardColumns, Base):
    __tablename__ = "network_address_group"

    # Neutron's long description (1024) rather than the standard 255.
    description: Mapped[str] = mapped_column(String(1024), default="")


class AddressAssociation(Base):
    __tablename__ = "network_address_association"

    address_group_id: Mapped[str] = mapped_column(
        ForeignKey("network_address_group.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
