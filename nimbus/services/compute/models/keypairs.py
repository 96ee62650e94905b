"""Key pairs (Nova's ``key_pairs``), per user."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base, UTCDateTime, utcnow


class KeyPair(Base):
    __tablename__ = "compute_keypair"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    # The project the key was made in (quota key_pairs counts per user, though).
    project_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(8), default="ssh")
    fingerprint: Mapped[str] = mapped_column(String(255))
    public_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
