"""Per-project quota limits (Neutron's ``quotas`` table): a row only where a project's limit
differs from the default; usage is counted from the resources' own tables."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base


class Quota(Base):
    __tablename__ = "network_quota"

    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    resource: Mapped[str] = mapped_column(String(255), primary_key=True)
    limit: Mapped[int] = mapped_column(Integer)
