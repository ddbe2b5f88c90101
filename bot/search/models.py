"""The search index row: a story's analysed terms, keyed by the story id.

On SQLite `search_fts` is an FTS5 virtual table (its rowid is the story id); on PostgreSQL it is a
plain table with the same columns (see the search_0001 migration). The story's display text stays
in `stories`; only analysed terms live here.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
