"""QoS policies and their rules (bandwidth limit per direction, DSCP marking, minimum
bandwidth). Sharing is an ``access_as_shared`` RBAC row with object_type ``qos_policy``."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base
from nimbus.services.network.models.core import StandardColumns


class QosPolicy(StandardColumns, Base):
    __tablename__ = "network_qos_policy"

    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class QosRule(Base):
    """One rule; ``direction`` is '' for rule types without one (dscp_marking), so the
    unique constraint keeps one rule per type and direction in a policy, as Neutron does."""

    __tablename__ = "network_qos_rule"
    __table_args__ = (UniqueConstraint("policy_id", "rule_type", "direction",
                                       name="uq_network_qos_rule"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    policy_id: Mapped[str] = mapped_column(
        ForeignKey("network_qos_policy.id", ondelete="CASCADE"), index=True)
    rule_type: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(16), default="")
    max_kbps: Mapped[int | None] = mapped_column(Integer)
    max_burst_kbps: Mapped[int | None] = mapped_column(Integer)
    dscp_mark: Mapped[int | None] = mapped_column(Integer)
    min_kbps: Mapped[int | None] = mapped_column(Integer)
