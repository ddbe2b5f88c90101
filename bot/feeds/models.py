"""Tables the feed poller adds to the schema (migrations feeds_0001 to feeds_0003)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.clock import utcnow
from bot.db.models import Base, Story


class FeedPollState(Base):
    """What a feed's last full response said about polling it, kept for the 304s that follow:
    an RSS <ttl> is only visible in a body, yet stays a lower bound while the feed is unchanged."""

    __tablename__ = "feed_poll_state"

    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    ttl_seconds: Mapped[float | None] = mapped_column(Float)
    # A permanent redirect (301/308) seen on `moved_count` successful polls in a row: the feed's URL
    # becomes `moved_to` once the count reaches poller.MOVE_AFTER (a CDN's one-off blip does not).
    moved_to: Mapped[str | None] = mapped_column(String(2048))
    moved_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RouteQueue(Base):
    """Stories stored but not yet handed to delivery. A row is written in the same transaction as
    its story and deleted once routing has run, so a crash in between routes it again on restart
    (delivery's outbox is unique per chat and story, so routing twice never sends twice)."""

    __tablename__ = "feed_route_queue"

    story_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EntryDigest(Base):
    """A digest of an entry's title and text as the feed last listed it (parser.entry_digest), so a
    poll notices an item the outlet corrected under the same guid without cleaning every entry
    again: only an entry whose digest changed is prepared again and its story updated."""

    __tablename__ = "feed_entry_digests"

    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    entry_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    digest: Mapped[str] = mapped_column(String(40))


class FeedAlias(Base):
    """A URL a feed had before it moved (a permanent redirect followed, or config.toml's URL
    edited): config sync recognises the feed by it, and /feed shows where it came from."""

    __tablename__ = "feed_url_aliases"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), index=True)
    moved_at: Mapped[datetime] = mapped_column(default=utcnow)


# Cross-feed duplicate checks look at the stories fetched in the last 48 hours.
Index("ix_stories_fetched_at", Story.fetched_at)
