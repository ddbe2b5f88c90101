"""The relational schema. Alembic migrations in bot/db/migrations create and evolve it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.clock import utcnow


def _references(name: str, column: str) -> Index:
    """An index of the rows that point at a story (most rows point at none)."""
    where = text(f"{column} IS NOT NULL")
    return Index(name, column, sqlite_where=where, postgresql_where=where)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    site_url: Mapped[str | None] = mapped_column(String(2048))
    interval: Mapped[float] = mapped_column(Float, default=600.0)
    topics: Mapped[list[str]] = mapped_column(default=list)
    full_text: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="ar")
    # active | paused (by an admin) | failing (paused itself after repeated errors)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # config | chat | cli | opml: where the feed came from; config.toml wins for origin=config.
    origin: Mapped[str] = mapped_column(String(16), default="config")
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    next_check_at: Mapped[datetime | None]
    last_checked_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedEntry(Base):
    """Every entry identity a feed has ever shown: what makes restarts and reorders never re-send."""

    __tablename__ = "feed_entries"
    __table_args__ = (
        UniqueConstraint("feed_id", "entry_key"),
        # Partial indexes of the columns pointing at a story: deleting old stories (bot.db.retention)
        # is otherwise a table scan per story. Migration retention_0001.
        _references("ix_feed_entries_story_id", "story_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    entry_key: Mapped[str] = mapped_column(String(512))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Story(Base):
    __tablename__ = "stories"
    __table_args__ = (
        Index("ix_stories_published_at", "published_at"),
        Index("ix_stories_feed_published", "feed_id", "published_at"),
        Index("ix_stories_url", "url"),
        _references("ix_stories_duplicate_of", "duplicate_of"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    entry_key: Mapped[str] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    categories: Mapped[list[str]] = mapped_column(default=list)
    text: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[list[str]] = mapped_column(default=list)
    # 64-bit SimHash of the normalised title and lead, for near-duplicates across feeds.
    fingerprint: Mapped[int | None] = mapped_column(BigInteger)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))


class Subscriber(Base):
    __tablename__ = "subscribers"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_type: Mapped[str] = mapped_column(String(16), default="private")
    title: Mapped[str | None] = mapped_column(String(256))
    language: Mapped[str] = mapped_column(String(8), default="ar")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Riyadh")
    mode: Mapped[str] = mapped_column(String(16), default="instant")  # instant | digest
    digest_times: Mapped[list[str]] = mapped_column(default=list)
    sentences: Mapped[int] = mapped_column(Integer, default=3)
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # "23:00", local time
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    link_preview: Mapped[bool] = mapped_column(Boolean, default=False)
    # Another outlet's story on an event the chat has a card of becomes a link on it (grouping.py).
    group_events: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # In a forum supergroup, the topic its admins last changed its subscriptions from: news goes
    # there (None: the General topic, and every chat that is not a forum).
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(String(200))
    # Stories published before this moment are never pushed to the chat: no flood of old items.
    since: Mapped[datetime] = mapped_column(default=utcnow)
    last_digest_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AdminLanguage(Base):
    """The language of an admin's Telegram app, as last seen on an admin command or button: their
    alerts are written in it when they have no Subscriber row (whose language, /language's
    choice, wins). Kept apart from subscribers, so an admin who only runs the bot is never counted
    as a reader nor sent stories."""

    __tablename__ = "admin_languages"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str] = mapped_column(String(8), default="ar")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Topic(Base):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    keywords: Mapped[list[str]] = mapped_column(default=list)
    origin: Mapped[str] = mapped_column(String(16), default="config")


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("chat_id", "kind", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("subscribers.chat_id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # feed | topic | keyword
    # feed: the feed id as text; topic: the topic name; keyword: the normalised keyword.
    target: Mapped[str] = mapped_column(String(300))
    display: Mapped[str | None] = mapped_column(String(300))  # the keyword as the user typed it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Outbox(Base):
    """Messages owed to chats. A row is the unit of exactly-once delivery."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("chat_id", "dedup_key"),
        Index("ix_outbox_status_due", "status", "not_before"),
        _references("ix_outbox_story_id", "story_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # story | digest | broadcast | alert | text
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    # Unique per chat: "story:<canonical story id>", "broadcast:<id>", ... so a story reaches a chat once.
    dedup_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ArticleCache(Base):
    """Full article text fetched for feeds with full_text = true."""

    __tablename__ = "article_cache"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    text: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
