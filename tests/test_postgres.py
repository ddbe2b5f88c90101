"""PostgreSQL, the scale-out store: the same behaviour as on SQLite, on a real server.

scripts/test.sh starts a throwaway server and sets AKHBAR_TEST_POSTGRES_URL (a URL to a database the
test may use to create others, e.g. postgresql+asyncpg://akhbar@/postgres?host=/tmp/akhbar-pg.x);
without it every test here skips. Each test gets a database of its own, created from empty and
dropped afterwards, so tests are independent.

Besides the PostgreSQL-specific tests below, a selection of the SQLite suite's tests run here
unchanged: they are imported into this module, where the `db` and `config_factory` fixtures below
(a fresh PostgreSQL database) take the place of the SQLite ones.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.config import Config
from bot.db.database import Database, open_database
from bot.db.models import Feed, Story
from bot.feeds.fetcher import Fetcher
from bot.feeds.poller import poll_feed
from bot.search.service import search
from tests import test_delivery_sender, test_feed_poller, test_routing, test_search, test_storage
from tests.fakes.feed_server import FeedServer
from tests.helpers import make_config

ADMIN_URL = os.environ.get("AKHBAR_TEST_POSTGRES_URL", "")

pytestmark = pytest.mark.skipif(
    not ADMIN_URL,
    reason="no PostgreSQL server: AKHBAR_TEST_POSTGRES_URL is not set "
    "(scripts/test.sh sets it when PostgreSQL's initdb and pg_ctl are installed)",
)


async def _admin_execute(sql: str) -> None:
    import asyncpg  # the `postgres` extra; only needed when a server is there

    url = make_url(ADMIN_URL)
    conn = await asyncpg.connect(
        host=url.query.get("host") or url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """The URL of a new, empty database, dropped after the test."""
    name = f"akhbar_test_{uuid.uuid4().hex[:12]}"
    await _admin_execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _fresh_extraction_memory() -> None:
    """trafilatura (deduplicate=True in bot.feeds.fulltext) remembers in the process every text it
    extracted and discards one seen more than twice; the tests imported below already extracted
    the same local articles in their own module, so start each test with a clean memory."""
    import trafilatura.meta

    trafilatura.meta.reset_caches()


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[Database]:
    database = await open_database(pg_url)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def config_factory(tmp_path: Path, pg_url: str) -> Callable[..., Config]:
    def factory(**sections: Any) -> Config:
        sections.setdefault("database", {"url": pg_url})
        return make_config(tmp_path, **sections)

    return factory


# --------------------------------------------------------------------------- PostgreSQL specifics


async def test_migrations_apply_from_empty_and_again_as_a_no_op(pg_url: str) -> None:
    from bot.db.migrate import current

    first = await open_database(pg_url)
    try:
        assert not first.is_sqlite and first.sync_engine is None
        async with first.read() as session:
            tables = set(
                (
                    await session.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                    )
                ).scalars()
            )
        assert {"feeds", "stories", "subscribers", "subscriptions", "outbox", "search_fts"} <= tables
        heads = set(await current(first.engine))
    finally:
        await first.close()
    again = await open_database(pg_url)  # a restart: nothing left to apply, nothing breaks
    try:
        assert set(await current(again.engine)) == heads and len(heads) >= 2
    finally:
        await again.close()


async def test_polled_stories_are_stored_summarised_searchable_and_never_twice(
    db: Database,
    config: Config,
    fetcher: Fetcher,
    feed_server: FeedServer,
) -> None:
    s = feed_server.stories
    async with db.write() as session:
        feed = Feed(url=feed_server.add_feed("news", s[:4]), name="الأخبار", interval=1.0, origin="cli")
        session.add(feed)
        await session.flush()
        feed_id = feed.id
    assert config.database.url.startswith("postgresql")
    first = await poll_feed(db, config, fetcher, feed_id)
    assert first.error is None and len(first.stored_story_ids) == 4
    feed_server.add_item("news", s[9])
    second = await poll_feed(db, config, fetcher, feed_id)
    assert second.error is None and len(second.new_story_ids) == 1
    third = await poll_feed(db, config, fetcher, feed_id)
    assert third.error is None and third.stored_story_ids == []

    async with db.read() as session:
        stored = list((await session.scalars(select(Story).order_by(Story.id))).all())
    assert [x.title for x in stored] == [x.title for x in sorted(s[:4], key=lambda x: x.published)] + [
        s[9].title
    ]
    newest = stored[-1]
    assert newest.summary and all(sentence in newest.text for sentence in newest.summary)
    assert newest.published_at.tzinfo is not None  # timestamptz comes back aware
    # The 64-bit SimHash does not fit a signed 32-bit column; BIGINT keeps it whole.
    assert newest.fingerprint is not None

    # Search (the LIKE fallback on PostgreSQL) finds it by an Arabic word of its title.
    word = max(newest.title.split(), key=len)
    page = await search(db, word)
    assert page.error is None and newest.id in [hit.story_id for hit in page.hits]


async def test_a_signed_64_bit_fingerprint_round_trips(db: Database) -> None:
    values = [2**63 - 1, -(2**63), -1, 0]
    async with db.write() as session:
        session.add_all(
            Story(entry_key=f"f{i}", title="بصمة", source="test", fingerprint=v) for i, v in enumerate(values)
        )
    async with db.read() as session:
        got = (await session.scalars(select(Story.fingerprint).order_by(Story.entry_key))).all()
    assert list(got) == values


async def test_write_sync_commits_and_rolls_back_and_read_sync_reads(db: Database) -> None:
    def add(key: str) -> Callable[[Session], int]:
        def fn(session: Session) -> int:
            story = Story(entry_key=key, title="خبر", source="test")
            session.add(story)
            session.flush()
            return story.id

        return fn

    story_id = await db.write_sync(add("kept"))
    assert isinstance(story_id, int)

    def fails(session: Session) -> None:
        add("lost")(session)
        raise RuntimeError("crash mid-write")

    with pytest.raises(RuntimeError):
        await db.write_sync(fails)
    keys = await db.read_sync(lambda session: sorted(session.scalars(select(Story.entry_key))))
    assert keys == ["kept"]


async def test_two_processes_writing_at_once_each_store_their_stories(pg_url: str) -> None:
    # Two Database handles stand for two bot processes: the in-process write lock does not span
    # them, PostgreSQL's own row locking has to.
    first, second = await open_database(pg_url), await open_database(pg_url)
    try:

        async def write(database: Database, i: int) -> None:
            if i % 2:
                async with database.write() as session:
                    session.add(Story(entry_key=f"a{i}", title=f"خبر {i}", source="test"))
                    await asyncio.sleep(0)
            else:
                await database.write_sync(
                    lambda session: session.add(Story(entry_key=f"s{i}", title=f"خبر {i}", source="test"))
                )

        await asyncio.gather(*(write(first if i % 3 else second, i) for i in range(60)))
        async with first.read() as session:
            assert await session.scalar(select(func.count()).select_from(Story)) == 60
    finally:
        await first.close()
        await second.close()


# --------------------------------------------------------------------------- the SQLite suite, on PostgreSQL

# Tests whose assertions are about SQLite itself, with the reason they do not carry over.
_SQLITE_ONLY = {
    # The LIKE fallback orders title matches first, then newest first (the same order this test
    # checks), but its score has no recency factor, so two equal matches score the same.
    "test_recent_story_ranks_above_an_equal_old_one",
    # It holds a sync write open in its worker thread; on PostgreSQL the function runs on the event
    # loop (AsyncSession.run_sync), so the test would only block the loop until its timeout. There,
    # a cancelled sync write is rolled back like any failed one (see test_write_sync_* above).
    "test_a_cancelled_sync_write_still_commits_before_the_next_writer",
}

# The fixtures those tests ask for that live in their own modules (config and fetcher: a config on
# the database above, and a Fetcher on it).
for _module, _fixture in (
    (test_delivery_sender, "bot"),
    (test_feed_poller, "config"),
    (test_feed_poller, "fetcher"),
    (test_search, "stories"),
):
    globals()[_fixture] = getattr(_module, _fixture)

for _module in (test_storage, test_feed_poller, test_search, test_routing, test_delivery_sender):
    for _name, _test in vars(_module).items():
        if not _name.startswith("test_") or not callable(_test) or _name in _SQLITE_ONLY:
            continue
        # Only tests that take the database from the fixtures above; the others open SQLite
        # files of their own and already ran in their module.
        if {"db", "config_factory", "config"} & set(inspect.signature(_test).parameters):
            assert _name not in globals(), f"{_name} is defined twice"
            globals()[_name] = _test
