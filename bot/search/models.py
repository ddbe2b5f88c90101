"""The search index row: a story's analysed terms, keyed by the story id.

On SQLite `search_fts` is an FTS5 virtual table (its rowid is the story id); on PostgreSQL it is a
plain table with the same columns (see the search_0001 migration). The story's display text stays
in `stories`; only analysed terms live here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.clock import utcnow
from bot.db.models import Base, Story


class SearchDoc(Base):
    __tablename__ = "search_fts"

    # The relationship fills rowid from the story at flush time, so a story that has not been
    # flushed yet can be indexed in the same session.
    rowid: Mapped[int] = mapped_column(
        Integer, ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    title_terms: Mapped[str] = mapped_column(Text, default="")
    body_terms: Mapped[str] = mapped_column(Text, default="")
    story: Mapped[Story] = relationship(Story, lazy="raise")


class SearchQuery(Base):
    """A /search query kept server-side, so page buttons carry only its id (callback data ≤ 64 bytes)."""

    __tablename__ = "search_queries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(40), unique=True)  # sha1 of the text: same query, same id
    text: Mapped[str] = mapped_column(Text)
    used_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
