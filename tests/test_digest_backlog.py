"""A digest reader loses no story a feed outage delayed (bot.delivery.routing._in_digest_period).

A feed that could not be read from Monday 06:00 to Tuesday 10:00 lists, once back, what its outlet
published meanwhile. Those stories are old news (no cards), but no digest could list them: the next
digest does, whether they are dated before the last digest or after it, since the reader came. An
old item the outlet put back in the feed (dated before a poll that did not list it) is in none.

The real poller reads the feed from a local server, routing and the digest job run as the bot runs
them, and the real sender sends the digest to the fake Bot API. Every clock the poller, the feed
health and routing read is stopped at fixed moments of a week in 2025 (never the machine's time of
day); the digest job is given its `now`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.config import Config
from bot.db.database import Database
from bot.db.models import Outbox, Story
from bot.delivery import digest, outbox, routing
from bot.delivery.digest import run_digests
from bot.delivery.format import COMMAND_TEXTS, number
from bot.delivery.routing import route_new_stories
from bot.feeds import health, poller
from bot.feeds.fetcher import Fetcher
from bot.feeds.poller import PollResult, poll_feed
from bot.i18n import text
from tests.fakes.feed_server import FeedServer
from tests.fakes.feed_server import Story as FeedStory
from tests.fakes.telegram_api import FakeTelegram
from tests.postgres import pg_url
from tests.test_audit_feeds import RawServer, add_feed, item, raw_server, rss
from tests.test_delivery_sender import bot, sending
from tests.test_feed_lifecycle import any_db, any_db_url
from tests.test_routing import add_subscriber

# Fixtures, used by name; `any_db` runs a test on SQLite, then on PostgreSQL when a server is set.
__all__ = ["any_db", "any_db_url", "bot", "pg_url", "raw_server"]

READER = 4300  # a daily digest at 08:00 UTC, since the day before the outage
NEWCOMER = 4301  # a daily digest at 08:00 UTC, since Monday 15:00, in the middle of the outage
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
MON = datetime(2025, 11, 3, tzinfo=UTC)  # a Monday
TUE, WED = MON + timedelta(days=1), MON + timedelta(days=2)


def at(day: datetime, clock: str) -> datetime:
    hours, minutes = clock.split(":")
    return day + timedelta(hours=int(hours), minutes=int(minutes))


@dataclass
class Clock:
    """The time every module of the pipeline reads (their `utcnow`), set by the test."""

    now: datetime


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    stopped = Clock(MON)
    for module in (poller, health, routing, digest):
        monkeypatch.setattr(module, "utcnow", lambda: stopped.now)
    return stopped


@pytest.fixture
def cfg(config_factory: Callable[..., Config], request: pytest.FixtureRequest) -> Config:
    cap = getattr(request, "param", 30)
    return config_factory(delivery={"digest_max_stories": cap})


@pytest.fixture
async def fetcher(cfg: Config) -> AsyncIterator[Fetcher]:
    async with Fetcher(cfg.fetch) as f:
        yield f


@dataclass
class Outlet:
    """The feed the outlet serves (newest first, as feeds list), and the bot polling it."""

    db: Database
    config: Config
    fetcher: Fetcher
    server: RawServer
    clock: Clock
    feed_id: int = 0
    items: tuple[dict[str, str], ...] = ()

    def publish(self, *items: dict[str, str]) -> None:
        self.items = (*reversed(items), *self.items)
        self.server.set("/news.xml", rss(list(self.items)).encode(), RSS)

    def fail(self) -> None:
        self.server.set("/news.xml", b"unavailable", status=500)

    async def poll(self, when: datetime) -> PollResult:
        self.clock.now = when
        return await poll_feed(self.db, self.config, self.fetcher, self.feed_id)

    async def route(self, result: PollResult, when: datetime) -> None:
        self.clock.now = when
        await route_new_stories(self.db, self.config, result.new_story_ids)


def dated(story: FeedStory, when: datetime) -> dict[str, str]:
    return item(story, pubDate=format_datetime(when, usegmt=True))


async def _titles(db: Database) -> dict[str, int]:
    async with db.read() as session:
        return dict((await session.execute(select(Story.title, Story.id))).all())


async def _digest_items(db: Database, chat_id: int) -> set[int]:
    async with db.read() as session:
        ids = await session.scalars(
            select(Outbox.story_id).where(Outbox.chat_id == chat_id, Outbox.kind == outbox.DIGEST_ITEM)
        )
        return {i for i in ids.all() if i is not None}


async def _delivered(fake: FakeTelegram, chat_id: int, since: int) -> str:
    [message] = await fake.wait_for_messages(chat_id, count=1, since=since, timeout=20)
    return str(message["plain_text"])


def _lists(message: str, *stories: FeedStory) -> list[bool]:
    return [s.title.strip() in message for s in stories]


@pytest.mark.parametrize(
    ("route_late", "cfg"),
    [(False, 30), (True, 30), (False, 3)],
    ids=["routed-at-once", "routed-after-the-next-poll", "digest-capped-at-3"],
    indirect=["cfg"],
)
async def test_the_next_digest_lists_what_a_feed_outage_delayed_but_not_an_old_item_put_back(
    any_db: Database,
    cfg: Config,
    fetcher: Fetcher,
    raw_server: RawServer,
    feed_server: FeedServer,
    fake_telegram: FakeTelegram,
    bot: Bot,
    clock: Clock,
    route_late: bool,
) -> None:
    """Down from Monday 06:00 to Tuesday 10:00: Wednesday's digest lists Monday's stories the
    Tuesday digest could not (since the reader came), and not a two-week-old item put back in the
    feed as it came back (the bot read the feed for a week, and it was not there). Routing may run after the next poll recorded its own success: the same.
    Capped at three stories, the digest keeps the newest and counts the backlog as more."""
    db, s = any_db, feed_server.stories
    outlet = Outlet(db, cfg, fetcher, raw_server, clock)
    week_before = MON - timedelta(days=7)
    outlet.publish(dated(s[0], at(week_before, "04:00")), dated(s[1], at(week_before, "05:00")))
    outlet.feed_id = await add_feed(db, raw_server.base + "/news.xml")
    digest_reader: dict[str, Any] = {"mode": "digest", "timezone": "UTC", "digest_times": ["08:00"]}
    follows = [("feed", str(outlet.feed_id))]
    await add_subscriber(
        db, READER, since=datetime(2025, 10, 1, tzinfo=UTC), subscriptions=follows, **digest_reader
    )
    await add_subscriber(db, NEWCOMER, since=at(MON, "15:00"), subscriptions=follows, **digest_reader)
    await outlet.poll(at(week_before, "05:50"))  # the first poll: its back catalogue, routed nowhere
    outlet.publish(dated(s[2], at(MON, "05:55")))
    await outlet.route(await outlet.poll(at(MON, "06:00")), at(MON, "06:00"))

    # The outage: Tuesday's digest lists what was read before it.
    outlet.fail()
    assert (await outlet.poll(at(MON, "06:10"))).error
    sent = len(fake_telegram.sent_messages(READER))
    assert await run_digests(db, cfg, now=at(TUE, "08:00")) == 1
    async with sending(bot, db, cfg):
        assert _lists(await _delivered(fake_telegram, READER, sent), s[2]) == [True]

    backlog = [s[3], s[4], s[5]]  # Monday 07:00, 12:00 and 20:00: old news by Tuesday 10:00
    put_back = s[6]  # dated two weeks ago, since the reader came, never listed while the bot read the feed
    recent = s[7]  # Tuesday 07:00: not old news, a story of its digest as ever
    fresh = [s[8], s[9]]  # Tuesday 09:50, and 10:05 (the next poll's)
    outlet.publish(
        dated(put_back, MON - timedelta(days=14)),
        *(
            dated(story, at(MON, hour))
            for story, hour in zip(backlog, ("07:00", "12:00", "20:00"), strict=True)
        ),
        dated(recent, at(TUE, "07:00")),
        dated(fresh[0], at(TUE, "09:50")),
    )
    back = await outlet.poll(at(TUE, "10:00"))
    assert len(back.new_story_ids) == 6
    if not route_late:
        await outlet.route(back, at(TUE, "10:00"))
    outlet.publish(dated(fresh[1], at(TUE, "10:05")))
    following = await outlet.poll(at(TUE, "10:10"))
    if route_late:
        await outlet.route(back, at(TUE, "10:10"))
    await outlet.route(following, at(TUE, "10:10"))

    ids = await _titles(db)
    assert await _digest_items(db, READER) == {ids[x.title] for x in [s[2], *backlog, recent, *fresh]}
    assert await _digest_items(db, NEWCOMER) == {ids[x.title] for x in [backlog[2], recent, *fresh]}
    sent, joined = len(fake_telegram.sent_messages(READER)), len(fake_telegram.sent_messages(NEWCOMER))
    assert await run_digests(db, cfg, now=at(WED, "08:00")) == 2
    async with sending(bot, db, cfg):
        read, newcomer = (
            await _delivered(fake_telegram, READER, sent),
            await _delivered(fake_telegram, NEWCOMER, joined),
        )
    assert not _lists(read, put_back)[0] and not _lists(newcomer, put_back)[0]
    if cfg.delivery.digest_max_stories == 3:
        # The newest three, the backlog counted as three more: the outage crowds out no fresh story.
        assert _lists(read, *fresh, recent, *backlog) == [True, True, True, False, False, False]
        assert text(COMMAND_TEXTS, "digest_more", "ar", count=number(3, "ar")) in read
        return
    assert all(_lists(read, *backlog, recent, *fresh))
    assert _lists(newcomer, *backlog, recent, *fresh) == [False, False, True, True, True, True]


def day_only(story: FeedStory, day: datetime) -> dict[str, str]:
    """An item of a feed that dates its items with no time of day (midnight)."""
    return item(story, pubDate=day.strftime("%a, %d %b %Y 00:00:00 GMT"))


async def test_a_date_only_feed_back_after_an_outage_loses_no_story_of_the_day_it_broke(
    any_db: Database,
    cfg: Config,
    fetcher: Fetcher,
    raw_server: RawServer,
    feed_server: FeedServer,
    clock: Clock,
) -> None:
    """A feed dating its items with no time of day is read at 10:00 on Monday, then down until
    Wednesday. An item dated Monday may have been written that afternoon, after the last read: the
    next digest lists it. One dated Sunday was there to be read on Monday, and was not: put back."""
    db, s = any_db, feed_server.stories
    outlet = Outlet(db, cfg, fetcher, raw_server, clock)
    outlet.publish(day_only(s[0], MON - timedelta(days=3)), day_only(s[1], MON - timedelta(days=2)))
    outlet.feed_id = await add_feed(db, raw_server.base + "/news.xml")
    await add_subscriber(
        db,
        READER,
        since=datetime(2025, 10, 1, tzinfo=UTC),
        subscriptions=[("feed", str(outlet.feed_id))],
        mode="digest",
        timezone="UTC",
        digest_times=["08:00"],
    )
    await outlet.poll(at(MON - timedelta(days=2), "10:00"))  # the first poll: routed nowhere
    outlet.publish(day_only(s[2], MON))
    await outlet.route(await outlet.poll(at(MON, "10:00")), at(MON, "10:00"))
    outlet.fail()
    assert (await outlet.poll(at(MON, "10:10"))).error
    assert await run_digests(db, cfg, now=at(TUE, "08:00")) == 1

    monday, put_back = s[3], s[4]
    outlet.publish(day_only(put_back, MON - timedelta(days=1)), day_only(monday, MON))
    outlet.publish(day_only(s[5], TUE), day_only(s[6], WED))
    back = await outlet.poll(at(WED, "10:00"))
    assert len(back.new_story_ids) == 4
    await outlet.route(back, at(WED, "10:00"))
    assert await run_digests(db, cfg, now=at(WED + timedelta(days=1), "08:00")) == 1
    async with db.read() as session:
        latest = (
            await session.scalars(
                select(Outbox)
                .where(Outbox.chat_id == READER, Outbox.kind == outbox.DIGEST)
                .order_by(Outbox.id)
            )
        ).all()[-1]
    ids = await _titles(db)
    assert {int(i) for i in latest.payload["items"]} == {ids[x.title] for x in (monday, s[5], s[6])}
