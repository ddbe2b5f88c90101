"""Admin-only tables (the rest of the schema is in bot/db/models.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.clock import utcnow
from bot.db.models import Base


class Broadcast(Base):
    """A /broadcast text between the admin's request and the confirmation button.

    Kept in the database so a confirmation survives a restart and a second tap on "confirm" cannot
    send the message twice (status moves draft -> sent exactly once, under the write lock).
    """

    __tablename__ = "admin_broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    text_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | sent | cancelled
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
