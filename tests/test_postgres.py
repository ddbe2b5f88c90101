"""PostgreSQL, the scale-out store: the same behaviour as on SQLite, on a real server.

The tests below are about PostgreSQL itself; after them, the storage, poller, search, routing and
sender suites run here unchanged on a fresh PostgreSQL schema per test (see tests/postgres.py;
tests/test_postgres_app.py does the same for the whole application). Without a server
(AKHBAR_TEST_POSTGRES_URL, set by scripts/test.sh) everything here skips.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bot.config import Config
from bot.db.database import Database, open_database
from bot.db.instance_lock import InstanceLock
from bot.db.models import Feed, Story
from bot.feeds.fetcher import Fetcher
from bot.feeds.poller import poll_feed
from bot.search.index import index_story
from bot.search.service import search
from tests import (
    test_audit_delivery,
    test_corrections,
    test_delivery_races,
    test_delivery_sender,
    test_digest_limits,
    test_feed_poller,
    test_feed_relisting,
    test_grouping,
    test_instance_lock,
    test_retention,
    test_routing,
    test_search,
    test_storage,
)
from tests.fakes.feed_server import FeedServer
from tests.postgres import adopt

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


async def test_upgrading_a_database_with_stories_makes_them_searchable(pg_url: str) -> None:
    from bot.db.migrate import upgrade

    database = Database(pg_url)
    try:
        await upgrade(database.engine, "0001")  # an instance from before search existed
        async with database.write() as session:
            session.add(
                Story(entry_key="old", title="عودة اللاجئين", source="old feed", text="نص", summary=["نص"])
            )
        await database.migrate()
        page = await search(database, "لاجئ")
        assert [h.title for h in page.hits] == ["عودة اللاجئين"]
    finally:
        await database.close()


async def test_upgrading_makes_the_name_ali_searchable_on_postgres(pg_url: str) -> None:
    from tests.test_search import ali_found_after_upgrading

    database = Database(pg_url)
    try:
        assert await ali_found_after_upgrading(database) == ["وصول علي خامنئي إلى طهران"]
    finally:
        await database.close()


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


async def test_a_cancelled_sync_write_is_rolled_back_and_the_next_writer_goes_on(db: Database) -> None:
    # On PostgreSQL a sync function runs through AsyncSession.run_sync: cancelling the task (the
    # bot stopping mid-poll) interrupts its statement, and the transaction is rolled back whole.
    def slow(session: Session) -> None:
        session.add(Story(entry_key="half", title="نصف", source="test"))
        session.flush()
        session.execute(text("SELECT pg_sleep(30)"))

    task = asyncio.create_task(db.write_sync(slow))

    async def sleeping() -> bool:
        async with db.read() as session:
            query = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'"
            return bool(await session.scalar(text(query)))

    async with asyncio.timeout(10):
        while not await sleeping():
            await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(10):  # the lock is free and the pool still works
        await db.write_sync(lambda session: session.add(Story(entry_key="next", title="تال", source="test")))
    keys = await db.read_sync(lambda session: sorted(session.scalars(select(Story.entry_key))))
    assert keys == ["next"]


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


async def test_two_processes_polling_the_same_feed_store_each_story_once(
    pg_url: str, config: Config, fetcher: Fetcher, feed_server: FeedServer
) -> None:
    # Each poll's transaction starts by updating its feed's row; PostgreSQL makes the second wait
    # for the first to commit, and its next statement then sees the stories the first stored.
    first, second = await open_database(pg_url), await open_database(pg_url)
    try:
        s = feed_server.stories
        async with first.write() as session:
            feed = Feed(url=feed_server.add_feed("news", s[:3]), name="news", interval=1.0, origin="cli")
            session.add(feed)
            await session.flush()
            feed_id = feed.id
        await poll_feed(first, config, fetcher, feed_id)
        for story in s[10:14]:
            feed_server.add_item("news", story)
        results = await asyncio.gather(
            poll_feed(first, config, fetcher, feed_id), poll_feed(second, config, fetcher, feed_id)
        )
        assert all(r.error is None for r in results)
        assert sorted(len(r.new_story_ids) for r in results) == [0, 4]  # routed once, not twice
        async with second.read() as session:
            titles = list((await session.scalars(select(Story.title))).all())
        assert sorted(titles) == sorted(x.title for x in [*s[:3], *s[10:14]])
    finally:
        await first.close()
        await second.close()


async def test_search_ranks_by_relevance_from_the_full_text_index(
    db: Database, stories: dict[str, int]
) -> None:
    from bot.search.service import tsquery_expression

    page = await search(db, "اللاجئين")
    assert page.total == 7 and page.hits[0].score > page.hits[-1].score > 0
    # The index can answer the match (sequential scans priced out, so the plan shows whether it can
    # at all): a LIKE scan read every story's terms on every query.
    async with db.engine.connect() as conn:
        await conn.execute(text("SET enable_seqscan = off"))
        rows = await conn.execute(
            text("EXPLAIN SELECT rowid FROM search_fts WHERE document @@ to_tsquery('simple', :q)"),
            {"q": tsquery_expression([("لاجء", "للاجء")])},
        )
        plan = "\n".join(r[0] for r in rows)
    assert "ix_search_fts_document" in plan, plan


async def test_a_title_match_ranks_above_a_body_match_of_the_same_day(db: Database) -> None:
    async with db.write() as session:
        for title, body in (("أسعار النفط", "ارتفعت الأسواق اليوم"), ("الأسواق اليوم", "ارتفعت أسعار النفط")):
            story = Story(entry_key=title, title=title, source="s", text=body, summary=[body])
            session.add(story)
            await session.flush()
            index_story(session, story)
    page = await search(db, "النفط")
    assert [h.title for h in page.hits] == ["أسعار النفط", "الأسواق اليوم"]


async def _drop_session(database: Database, lock: InstanceLock) -> None:
    """What a PostgreSQL restart does to the bot's lock: its session ends, the lock with it."""
    assert lock.connection is not None
    pid = (await lock.connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    await lock.connection.commit()
    async with database.engine.connect() as other:
        await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await other.commit()


async def test_the_instance_lock_is_taken_again_when_its_session_is_lost(pg_url: str) -> None:
    from bot.db.instance_lock import AnotherInstanceRunning, acquire

    database = Database(pg_url)
    try:
        lock = await acquire(database)
        await _drop_session(database, lock)
        await lock.keep()  # the check finds the session gone and takes the lock again
        with pytest.raises(AnotherInstanceRunning):
            await acquire(database)  # so a second bot is still refused
        await lock.release()
        await (await acquire(database)).release()  # and released for good on stop
    finally:
        await database.close()


async def test_a_bot_that_lost_its_lock_to_another_one_is_told_to_stop(pg_url: str) -> None:
    from bot.db.instance_lock import AnotherInstanceRunning, acquire

    database = Database(pg_url)
    try:
        lock = await acquire(database)
        await _drop_session(database, lock)
        second = await acquire(database)  # started while the first had no lock
        with pytest.raises(AnotherInstanceRunning):
            await lock.keep()
        await lock.release()  # a dead session: nothing to release, and no error either
        await second.release()
    finally:
        await database.close()


# --------------------------------------------------------------------------- the SQLite suite, on PostgreSQL

adopt(
    globals(),
    [
        test_storage,
        test_feed_poller,
        test_search,
        test_routing,
        test_delivery_sender,
        test_delivery_races,
        test_instance_lock,
        test_audit_delivery,
        test_digest_limits,
        test_corrections,
        test_retention,
        test_grouping,
        test_feed_relisting,
    ],
    fixtures=[
        (test_delivery_sender, "bot"),
        (test_feed_poller, "config"),
        (test_feed_poller, "fetcher"),
        (test_search, "stories"),
        (test_feed_relisting, "raw_server"),
        (test_feed_relisting, "reader"),
    ],
    exclude={
        # It holds a sync write open in its worker thread; on PostgreSQL the function runs on the
        # event loop (AsyncSession.run_sync), so the test would only block the loop until its
        # timeout. There a cancelled sync write is rolled back like any failed one.
        "test_a_cancelled_sync_write_still_commits_before_the_next_writer": "sync writes run on the loop",
    },
)
