"""The database failing under the feed scheduler (a full disk, PostgreSQL down, a lock held for
long): outlets are not hammered, the log gets one warning per outage instead of tracebacks on
every tick, and everything resumes once the database is back.

Ticks are driven by hand (the real tick job is paused) on a clock the test moves, so every poll
the test sees is one it started."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.clock import utcnow
from bot.db.models import Feed, Story
from bot.feeds import health, poller, scheduler
from bot.services import services
from tests.fakes.feed_server import FeedServer
from tests.test_feed_scheduler import Delivery, eventually


@pytest.fixture
def delivery(monkeypatch: pytest.MonkeyPatch) -> Delivery:
    """Records what the scheduler hands to delivery (the real routing module, its entry point
    replaced: the rest of it stays importable for the handlers)."""
    from bot.delivery import routing
    from bot.delivery import service as delivery_service

    fake = Delivery()
    monkeypatch.setattr(routing, "route_new_stories", fake.route_new_stories)
    monkeypatch.setattr(delivery_service, "wake", fake.wake, raising=False)
    return fake


class Clock:
    """The feed modules' utcnow, moved by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = utcnow()
        for module in (scheduler, poller, health):
            monkeypatch.setattr(module, "utcnow", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class BrokenDatabase:
    """While `on`, every write to the app's database fails as SQLite fails on a full disk (or
    every read, as PostgreSQL down does): the database's own methods raise, whoever calls them."""

    def __init__(self, db: Any, monkeypatch: pytest.MonkeyPatch, *, reads: bool = False) -> None:
        self.on = False
        self.refused = 0
        self.message = "server closed the connection unexpectedly" if reads else "database or disk is full"
        names = ("read", "read_sync") if reads else ("write", "write_sync")
        self._context, self._sync = getattr(db, names[0]), getattr(db, names[1])
        monkeypatch.setattr(db, names[0], self._session)
        monkeypatch.setattr(db, names[1], self._run)

    def _error(self) -> OperationalError:
        self.refused += 1
        return OperationalError("COMMIT", None, sqlite3.OperationalError(self.message))

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[Any]:
        if self.on:
            raise self._error()
        async with self._context() as session:
            yield session

    async def _run(self, fn: Callable[..., Any]) -> Any:
        if self.on:
            raise self._error()
        return await self._sync(fn)


async def settle(app: Any) -> None:
    """Wait for the polls under way to finish."""
    st = scheduler.state(app)
    assert st is not None
    await asyncio.gather(*st.in_flight.values(), return_exceptions=True)


async def stories(app: Any) -> int:
    async with services(app).db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Story)) or 0)


async def feed_id(app: Any, name: str) -> int:
    async with services(app).db.read() as session:
        found = await session.scalar(select(Feed.id).where(Feed.name == name))
        assert found is not None
        return int(found)


async def feed_row(app: Any) -> Feed:
    async with services(app).db.read() as session:
        feed = await session.scalar(select(Feed))
        assert feed is not None
        return feed


async def polled_by_hand(app: Any) -> scheduler.SchedulerState:
    """Pause the tick job and let whatever poll it started finish: from here on, only the test's
    own ticks start polls."""
    st = scheduler.state(app)
    assert st is not None and st.job is not None
    st.job.enabled = False
    await settle(app)
    return st


@pytest.fixture(autouse=True)
def _info_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.feeds")


def feed_logs(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("bot.feeds") and r.levelno == level]


async def test_a_full_disk_holds_a_feed_back_instead_of_refetching_it_on_every_tick(
    bot_factory: Callable[..., Any],
    feed_server: FeedServer,
    delivery: Delivery,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = feed_server.stories
    feeds = [{"url": feed_server.add_feed("news", s[:3]), "name": "news", "interval": 60}]
    async with bot_factory(feeds=feeds, fetch={"max_backoff": 200}) as app:
        await polled_by_hand(app)
        await scheduler.tick(app)
        await settle(app)
        assert await stories(app) == 3
        feed_id = (await feed_row(app)).id
        clock = Clock(monkeypatch)
        disk = BrokenDatabase(services(app).db, monkeypatch)
        disk.on = True
        feed_server.add_item("news", s[5])  # published while the disk is full
        caplog.clear()

        clock.advance(61)  # the feed's interval is over
        fetched = len(feed_server.requests("news"))
        assert await scheduler.tick(app) == [feed_id]
        await settle(app)
        assert disk.refused >= 2  # storing the story, then recording the failure
        for _ in range(4):  # four ticks a second: the feed is not fetched again
            assert await scheduler.tick(app) == []
        clock.advance(59)
        assert await scheduler.tick(app) == []
        assert len(feed_server.requests("news")) == fetched + 1

        # It is tried again after its interval, then after twice that, up to fetch.max_backoff.
        for wait in (120, 200, 200):
            clock.advance(1)
            assert await scheduler.tick(app) == [feed_id]
            await settle(app)
            clock.advance(wait - 1)
            assert await scheduler.tick(app) == [], f"tried again before {wait} s"
        assert len(feed_server.requests("news")) == fetched + 4

        # One warning, with the database's error, for the whole outage: no error on every try.
        warnings = feed_logs(caplog, logging.WARNING)
        assert len(warnings) == 1 and warnings[0].exc_info is not None
        assert "cannot be written" in warnings[0].getMessage()
        assert "database or disk is full" in warnings[0].getMessage()
        assert feed_logs(caplog, logging.ERROR) == []

        # Space freed: the next try stores the story and the database schedules the feed again.
        disk.on = False
        clock.advance(1)
        assert await scheduler.tick(app) == [feed_id]
        await settle(app)
        assert await stories(app) == 4
        assert [s[5].title] == [await _title(app, i) for i in delivery.routed]
        assert any("written again" in r.getMessage() for r in feed_logs(caplog, logging.INFO))
        st = scheduler.state(app)
        assert st is not None and st.held == {}
        row = await feed_row(app)
        assert row.consecutive_errors == 0 and row.status == "active"
        assert await scheduler.tick(app) == []  # next in its interval, as before the outage
        clock.advance(61)
        assert await scheduler.tick(app) == [feed_id]
        await settle(app)
        assert feed_logs(caplog, logging.ERROR) == []


async def _title(app: Any, story_id: int) -> str:
    async with services(app).db.read() as session:
        story = await session.get(Story, story_id)
        assert story is not None
        return story.title


async def test_a_hold_ends_early_once_another_feed_is_recorded_again(
    bot_factory: Callable[..., Any],
    feed_server: FeedServer,
    delivery: Delivery,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A long outage grows a feed's hold; once the database takes writes again, no feed waits out
    the rest of a long hold: at most its own interval."""
    s = feed_server.stories
    feeds = [
        {"url": feed_server.add_feed("a", s[:2]), "name": "a", "interval": 60},
        {"url": feed_server.add_feed("b", s[2:4]), "name": "b", "interval": 600},
    ]
    async with bot_factory(feeds=feeds) as app:
        st = await polled_by_hand(app)
        clock = Clock(monkeypatch)
        clock.advance(1)  # the start spreads the first polls over a second
        await scheduler.tick(app)
        await settle(app)
        assert await stories(app) == 4
        disk = BrokenDatabase(services(app).db, monkeypatch)
        disk.on = True
        clock.advance(601)
        assert len(await scheduler.tick(app)) == 2
        await settle(app)
        clock.advance(601)  # a's second try (b's hold is 600 s)
        assert len(await scheduler.tick(app)) == 2
        await settle(app)
        a_id, b_id = await feed_id(app, "a"), await feed_id(app, "b")
        clock.advance(119)
        assert await scheduler.tick(app) == []  # a is now held for 120 s, b for 1200 s

        disk.on = False
        clock.advance(1)
        assert await scheduler.tick(app) == [a_id]  # recorded: b's hold shrinks to 600 s from now
        await settle(app)
        assert list(st.held) == [b_id]
        clock.advance(601)
        assert b_id in await scheduler.tick(app)
        await settle(app)
        assert st.held == {}


async def test_a_tick_that_cannot_read_the_database_logs_once_and_carries_on(
    bot_factory: Callable[..., Any],
    feed_server: FeedServer,
    delivery: Delivery,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """PostgreSQL down (or SQLite locked past its timeout): every tick's read fails. Each one used
    to reach the application's error handler, a traceback four times a second."""
    s = feed_server.stories
    feeds = [{"url": feed_server.add_feed("news", s[:2]), "name": "news", "interval": 60}]
    async with bot_factory(feeds=feeds) as app:
        await polled_by_hand(app)
        await scheduler.tick(app)
        await settle(app)
        clock = Clock(monkeypatch)
        down = BrokenDatabase(services(app).db, monkeypatch, reads=True)
        down.on = True
        caplog.clear()
        clock.advance(61)
        for _ in range(8):
            assert await scheduler.tick(app) == []
        assert down.refused >= 8
        warnings = feed_logs(caplog, logging.WARNING)
        assert len(warnings) == 1 and warnings[0].exc_info is not None
        assert "cannot be read" in warnings[0].getMessage()
        assert feed_logs(caplog, logging.ERROR) == []

        down.on = False
        assert len(await scheduler.tick(app)) == 1
        await settle(app)
        assert any("read again" in r.getMessage() for r in feed_logs(caplog, logging.INFO))
        assert (await feed_row(app)).consecutive_errors == 0


async def test_a_tick_still_running_when_the_next_is_due_is_no_warning(
    bot_factory: Callable[..., Any],
    delivery: Delivery,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A busy event loop (a large first poll, routing thousands of rows) makes a tick outlast the
    next: APScheduler skips that one, as it should; the operator's log must not call it trouble."""
    caplog.set_level(logging.DEBUG, logger="bot.feeds.scheduler")
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow_tick(app: Any) -> list[int]:
        started.set()
        await release.wait()
        return []

    async with bot_factory() as app:
        st = scheduler.state(app)
        assert st is not None and st.job is not None
        monkeypatch.setattr(scheduler, "tick", slow_tick)
        await started.wait()

        async def skipped() -> bool:
            return any("tick skipped" in r.getMessage() for r in caplog.records)

        try:
            await eventually(skipped, what="APScheduler to skip a tick")
        finally:
            release.set()
        assert not [
            r for r in caplog.records if r.name.startswith("apscheduler") and r.levelno >= logging.WARNING
        ]
        other = logging.LogRecord(
            "apscheduler.scheduler",
            logging.WARNING,
            __file__,
            0,
            'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
            ("digest (trigger: interval)", 1),
            None,
        )
        assert logging.getLogger("apscheduler.scheduler").filter(other)  # other jobs still warn
