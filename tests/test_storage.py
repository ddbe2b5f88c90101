"""Storage: migrations on open, WAL, one writer at a time, config feeds synced into the database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bot.db.database import Database, open_database
from bot.db.models import Feed, Story, Topic
from bot.sync import sync_config
from tests.helpers import make_config


async def test_open_database_applies_migrations_and_wal(tmp_path: Path) -> None:
    db = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'x' / 'akhbar.sqlite3'}")
    try:
        async with db.read() as session:
            mode = (await session.execute(text("PRAGMA journal_mode"))).scalar()
            tables = set(
                (await session.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))).scalars()
            )
        assert mode == "wal"
        assert {"feeds", "stories", "subscribers", "subscriptions", "outbox", "audit_log"} <= tables
    finally:
        await db.close()


async def test_concurrent_writers_never_hit_database_is_locked(db: Database) -> None:
    async def write(i: int) -> None:
        async with db.write() as session:
            session.add(Story(entry_key=f"k{i}", title=f"خبر {i}", source="test"))
            await asyncio.sleep(0)  # yield inside the transaction so writers interleave if they could

    await asyncio.gather(*(write(i) for i in range(200)))
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Story)) == 200


async def test_a_failed_write_loses_nothing_already_stored(db: Database) -> None:
    async with db.write() as session:
        session.add(Story(entry_key="kept", title="محفوظ", source="test"))
    with pytest.raises(RuntimeError):
        async with db.write() as session:
            session.add(Story(entry_key="lost", title="ضائع", source="test"))
            raise RuntimeError("crash mid-write")
    async with db.read() as session:
        keys = set((await session.scalars(select(Story.entry_key))).all())
    assert keys == {"kept"}


async def test_sync_writers_and_async_writers_take_turns(db: Database) -> None:
    # write_sync runs on its own sqlite3 connection in a thread: it must still be one writer at a
    # time with db.write(), or SQLite would answer "database is locked".
    def sync_write(i: int) -> Callable[[Session], None]:
        def run(session: Session) -> None:
            session.add(Story(entry_key=f"s{i}", title=f"خبر {i}", source="test"))
            session.flush()

        return run

    async def async_write(i: int) -> None:
        async with db.write() as session:
            session.add(Story(entry_key=f"a{i}", title=f"خبر {i}", source="test"))
            await asyncio.sleep(0)

    await asyncio.gather(
        *(db.write_sync(sync_write(i)) for i in range(50)), *(async_write(i) for i in range(50))
    )
    count = await db.read_sync(lambda session: session.scalar(select(func.count()).select_from(Story)))
    assert count == 100


async def test_a_failed_sync_write_is_rolled_back_whole(db: Database) -> None:
    def crash(session: Session) -> None:
        session.add(Story(entry_key="lost", title="ضائع", source="test"))
        session.flush()
        raise RuntimeError("crash mid-write")

    with pytest.raises(RuntimeError):
        await db.write_sync(crash)
    await db.write_sync(lambda session: session.add(Story(entry_key="kept", title="محفوظ", source="test")))
    async with db.read() as session:
        assert set((await session.scalars(select(Story.entry_key))).all()) == {"kept"}


async def test_a_cancelled_sync_write_still_commits_before_the_next_writer(db: Database) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(session: Session) -> None:
        session.add(Story(entry_key="first", title="أول", source="test"))
        session.flush()
        started.set()
        release.wait(10)

    entered: list[str] = []

    async def second_writer() -> None:
        async with db.write() as session:
            entered.append("second")
            session.add(Story(entry_key="second", title="ثان", source="test"))

    task = asyncio.create_task(db.write_sync(slow))
    await asyncio.to_thread(started.wait, 10)
    task.cancel()
    second = asyncio.create_task(second_writer())
    for _ in range(20):  # let the event loop run everything that is ready
        await asyncio.sleep(0)
    # The cancelled transaction goes on in its thread, and the lock stays with it.
    assert entered == []
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    await second
    assert entered == ["second"]
    async with db.read() as session:
        assert set((await session.scalars(select(Story.entry_key))).all()) == {"first", "second"}


async def test_sync_functions_run_on_an_in_memory_database_too() -> None:
    # No second connection can see an in-memory database: there, the function runs through the
    # async session (the path PostgreSQL takes as well).
    db = await open_database("sqlite+aiosqlite:///:memory:")
    try:
        assert db.sync_engine is None
        await db.write_sync(lambda session: session.add(Story(entry_key="m", title="ذاكرة", source="test")))
        keys = await db.read_sync(lambda session: list(session.scalars(select(Story.entry_key))))
        assert keys == ["m"]
    finally:
        await db.close()


async def test_reopening_the_same_file_keeps_the_data(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'akhbar.sqlite3'}"
    first = await open_database(url)
    async with first.write() as session:
        session.add(Story(entry_key="a", title="أ", source="test"))
    await first.close()
    second = await open_database(url)
    try:
        async with second.read() as session:
            assert await session.scalar(select(func.count()).select_from(Story)) == 1
    finally:
        await second.close()


async def test_config_feeds_and_topics_are_synced_and_config_wins(tmp_path: Path, db: Database) -> None:
    config = make_config(
        tmp_path,
        feeds=[
            {"url": "https://a.example/rss", "name": "أ", "interval": 120, "topics": ["سوريا"]},
            {"url": "https://b.example/rss", "name": "ب"},
        ],
        topics=[{"name": "سوريا", "keywords": ["سوريا", "دمشق"]}],
    )
    report = await sync_config(db, config)
    assert sorted(report.added) == ["أ", "ب"]
    async with db.write() as session:
        feed = await session.scalar(select(Feed).where(Feed.name == "أ"))
        assert feed is not None
        feed.interval = 999  # an edit in the database to a feed config.toml names
        feed.status = "paused"  # an admin paused it
        session.add(Feed(url="https://chat.example/rss", name="من المحادثة", origin="chat"))

    changed = make_config(
        tmp_path,
        feeds=[{"url": "https://a.example/rss", "name": "أ", "interval": 120, "topics": ["سوريا"]}],
        topics=[{"name": "سوريا", "keywords": ["سوريا"]}],
    )
    report = await sync_config(db, changed)
    assert report.updated == ["أ"]
    assert report.retired == ["ب"]
    async with db.read() as session:
        feeds = {f.name: f for f in (await session.scalars(select(Feed))).all()}
        topic = await session.scalar(select(Topic))
    assert feeds["أ"].interval == 120  # config.toml wins on what it names
    assert feeds["أ"].status == "paused"  # the pause survives the restart
    assert feeds["ب"].status == "paused"  # gone from config: paused, stories kept
    assert feeds["من المحادثة"].status == "active"  # chat feeds are the database's own
    assert topic is not None and topic.keywords == ["سوريا"]


async def test_config_names_a_chat_feed_in_another_spelling_of_its_address(
    db: Database, tmp_path: Path
) -> None:
    # Added from the chat %-escaped (copied from a browser's address bar); config.toml names it as it reads.
    async with db.write() as session:
        session.add(
            Feed(
                url="https://news.example/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/rss",
                name="من المحادثة",
                origin="chat",
            )
        )
    config = make_config(tmp_path, feeds=[{"url": "https://news.example/أخبار/rss", "name": "أخبار"}])
    report = await sync_config(db, config)
    async with db.read() as session:
        feeds = (await session.scalars(select(Feed))).all()
    assert report.added == []
    assert [(f.name, f.origin) for f in feeds] == [("أخبار", "config")]
