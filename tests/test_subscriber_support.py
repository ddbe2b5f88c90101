"""Shared set-up for the subscriber conversation tests (no tests here).

The real Application runs against the fake Bot API with two feeds and two topics in its config;
feed polling is switched off because these tests put stories in the database themselves (the
feeds' own tests cover polling); the delivery sender runs as in production.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.clock import utcnow
from bot.db.database import Database
from bot.db.models import Feed, Story
from bot.services import services

FEEDS = [
    {"name": "الجزيرة نت", "url": "http://127.0.0.1:9/aljazeera.xml", "interval": 60},
    {"name": "BBC عربي", "url": "http://127.0.0.1:9/bbc.xml", "interval": 60},
]
TOPICS = [
    {"name": "سوريا", "name_en": "Syria", "keywords": ["سوريا", "دمشق", "حلب"]},
    {"name": "اقتصاد", "name_en": "Economy", "keywords": ["اقتصاد", "نفط", "البنك المركزي"]},
]
SECTIONS: dict[str, Any] = {"feeds": FEEDS, "topics": TOPICS}


def no_background_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """No feed polling: the configured feed URLs lead nowhere."""

    async def nothing(application: Any) -> None:
        return None

    monkeypatch.setattr("bot.feeds.scheduler.start", nothing)
    monkeypatch.setattr("bot.feeds.scheduler.stop", nothing)


def db_of(app: Any) -> Database:
    return services(app).db


async def feed_id(db: Database, name: str) -> int:
    async with db.read() as session:
        for feed in (await session.execute(Feed.__table__.select())).all():
            if feed.name == name:
                return int(feed.id)
    raise LookupError(name)


async def add_story(
    db: Database,
    title: str,
    summary: list[str],
    *,
    feed: str | None = "الجزيرة نت",
    age: timedelta = timedelta(hours=1),
    url: str | None = None,
    duplicate_of: int | None = None,
) -> int:
    """A stored (and search-indexed) story, as the feed poller would leave it."""
    fid = await feed_id(db, feed) if feed else None
    published: datetime = utcnow() - age
    async with db.write() as session:
        story = Story(
            feed_id=fid,
            entry_key=f"test:{title}",
            url=url or f"https://news.example/{abs(hash(title))}",
            title=title,
            source=feed or "مصدر",
            published_at=published,
            fetched_at=published,
            text=" ".join(summary),
            summary=summary,
            duplicate_of=duplicate_of,
        )
        session.add(story)
        await session.flush()
        try:
            from bot.search.index import index_story
        except ImportError:  # the search index is optional for these tests
            pass
        else:
            index_story(session, story)
        return int(story.id)
