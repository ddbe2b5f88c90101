"""A feed's stories and address over time: corrected items, moved feeds, renamed config URLs, and
stories from different feeds that share a generic link.

The feeds are served by test_audit_feeds' RawServer (exact bytes, loopback only); the search test
also runs on PostgreSQL when AKHBAR_TEST_POSTGRES_URL is set (see tests/postgres.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Config
from bot.db.database import Database, open_database
from bot.db.models import Story
from bot.feeds.fetcher import Fetcher
from bot.search.service import search
from tests.postgres import ADMIN_URL, pg_url
from tests.test_audit_feeds import RawServer, poll, raw_server, rss
from tests.test_audit_feeds import add_feed as add_raw_feed
from tests.test_feed_poller import config, fetcher, queued

__all__ = ["config", "fetcher", "pg_url", "raw_server"]  # fixtures, used by name

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'lifecycle.sqlite3'}"
    if not ADMIN_URL:
        pytest.skip("no PostgreSQL server: AKHBAR_TEST_POSTGRES_URL is not set")
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
async def any_db(any_db_url: str) -> AsyncIterator[Database]:
    """The test's database on SQLite, then on PostgreSQL (skipped without a server)."""
    database = await open_database(any_db_url)
    try:
        yield database
    finally:
        await database.close()


async def titles_found(db: Database, query: str) -> list[str]:
    page = await search(db, query, relax=False)
    return [hit.title for hit in page.hits]


# -- 1. a corrected story ---------------------------------------------------------------------------

MINISTER = {
    "guid": "https://news.example/ar/1001",
    "link": "https://news.example/ar/1001",
    "pubDate": "Thu, 01 Mar 2018 10:00:00 +0300",
}
MINISTER_LEAD = (
    "أعلن الوزير صباح اليوم خطة جديدة لدعم المزارعين في المحافظات الجنوبية، "
    "وقال إن الحكومة ستخصص مبالغ إضافية لشراء البذور والأسمدة خلال الموسم المقبل."
)


async def test_a_corrected_headline_replaces_the_old_one_in_search(
    any_db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer
) -> None:
    db = any_db
    old = {**MINISTER, "title": "وزير الزراعة يعلن خطة لدعم المزارعين", "description": MINISTER_LEAD}
    other = {
        "guid": "https://news.example/ar/1002",
        "link": "https://news.example/ar/1002",
        "title": "افتتاح معرض الكتاب في العاصمة",
        "description": "افتتح المعرض أبوابه أمام الزوار بمشاركة مئات دور النشر من عشرين دولة.",
    }
    url = raw_server.set("/fix", rss([old, other]).encode(), RSS)
    feed_id = await add_raw_feed(db, url)
    await poll(db, config, fetcher, feed_id)
    assert await titles_found(db, "الزراعة") == [old["title"]]

    # The outlet corrects the headline (the minister's portfolio) and a word of the lead, under
    # the same guid.
    fixed_lead = MINISTER_LEAD.replace("البذور", "الشتلات")
    new = {**MINISTER, "title": "وزير الري يعلن خطة لدعم المزارعين", "description": fixed_lead}
    raw_server.set("/fix", rss([new, other]).encode(), RSS)
    result = await poll(db, config, fetcher, feed_id)
    assert result.new_story_ids == [] and result.stored_story_ids == []  # not a new story, not re-sent
    assert await queued(db) == []

    assert await titles_found(db, "الري") == [new["title"]]
    assert await titles_found(db, "الزراعة") == []  # the old wording is gone from search
    assert await titles_found(db, "الشتلات") == [new["title"]]
    assert await titles_found(db, "البذور") == []
    async with db.read() as session:
        story = (await session.scalars(select(Story).where(Story.url == MINISTER["link"]))).one()
    assert story.title == new["title"] and "الشتلات" in story.text
    assert story.summary and all(sentence in story.text for sentence in story.summary)

    # Polled again unchanged: nothing to do.
    again = await poll(db, config, fetcher, feed_id)
    assert again.updated_story_ids == [] and again.stored_story_ids == []
