"""Quota limits that differ from the defaults: per project, per project and user, and per
quota class (``default`` is the one Nova reads)."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base


class QuotaLimit(Base):
    __tablename__ = "compute_quota"

    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    # Empty for the project's own limit; a user id for a per-user limit.
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True, default="")
    resource: Mapped[str] = mapped_column(String(255), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(Integer)


class QuotaClassLimit(Base):
    __tablename__ = "compute_quota_class"

    class_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    resource: Mapped[str] = mapped_column(String(255), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(Integer)
