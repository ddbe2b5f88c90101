"""A constraint that fails while a poll stores its stories: a race is polled again, anything else
is the feed's failure where the operator sees it (a QA pass: after a hand copy of a SQLite
database into PostgreSQL, whose id sequences stayed at 1, every poll failed on a duplicate key and
was logged as "stored concurrently by another poller" while /feed and the feed list said all was well)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.config import Config
from bot.db.database import Database
from bot.db.models import Story
from bot.feeds import poller
from bot.feeds.fetcher import Fetcher
from bot.feeds.poller import poll_feed
from tests.fakes.feed_server import FeedServer
from tests.postgres import pg_url
from tests.test_feed_lifecycle import any_db, any_db_url
from tests.test_feed_poller import add_feed, config, feed_row, fetcher, stories

__all__ = ["any_db", "any_db_url", "config", "fetcher", "pg_url"]  # fixtures, used by name

# SQLite hands out ids past any written by hand, so there the same refusal comes from a trigger.
_REFUSE = (
    "CREATE TRIGGER refuse BEFORE INSERT ON stories "
    "BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: stories.id'); END"
)


async def test_a_race_with_another_poller_is_polled_again_and_stores_the_stories(
    db: Database, config: Config, fetcher: Fetcher, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_id = await add_feed(db, feed_server.add_feed("news", feed_server.stories[:3]), "الأخبار")
    real, tries = poller._poll, []

    async def raced(*args: Any) -> Any:
        tries.append(1)
        if len(tries) == 1:  # `akhbar digest` beside the bot stored the same entries first
            raise IntegrityError("INSERT INTO feed_entries", {}, Exception("UNIQUE constraint failed"))
        return await real(*args)

    monkeypatch.setattr(poller, "_poll", raced)
    result = await poll_feed(db, config, fetcher, feed_id)
    assert result.error is None and len(result.stored_story_ids) == 3
    assert (await feed_row(db, feed_id)).consecutive_errors == 0


async def test_a_constraint_failing_again_is_the_feeds_failure_not_a_race(
    any_db: Database, config: Config, fetcher: Fetcher, feed_server: FeedServer
) -> None:
    db = any_db
    feed_id = await add_feed(db, feed_server.add_feed("news", feed_server.stories[:3]), "الأخبار")
    # Rows with the ids the database will hand out next, written past its id sequence: what a
    # hand copy into PostgreSQL leaves.
    async with db.write() as session:
        for n in range(1, 4):
            session.add(
                Story(id=n, entry_key=f"copied-{n}", title=f"قديم {n}", source="نسخ", text="", summary=[])
            )
        if db.is_sqlite:
            await session.execute(text(_REFUSE))
    result = await poll_feed(db, config, fetcher, feed_id)
    feed = await feed_row(db, feed_id)
    assert result.error is not None and "IntegrityError" in result.error
    assert not result.unrecorded  # recorded: it counts toward pausing the feed and its alert
    assert feed.consecutive_errors == 1 and "IntegrityError" in (feed.last_error or "")
    assert [s.entry_key for s in await stories(db)] == ["copied-1", "copied-2", "copied-3"]
