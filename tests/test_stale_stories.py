"""Old news found late is stored, not pushed: a feed back after an outage, or an old item put back
in a feed, brings no burst of stale cards (delivery.max_story_age, bot.delivery.routing._late).

The dates are set relative to the clock (bot.clock.utcnow) and nothing waits on time: the rule
measures a story against its feed's newest date, so each test waits for what the bot did (a poll
stored, the routing queue emptied, a card arrived), never for a duration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import utcnow
from bot.config import Config, ConfigError, load_config, parse_config
from bot.db.database import Database
from bot.db.models import Feed, Outbox, Story
from bot.delivery import outbox
from bot.delivery.digest import run_digests
from bot.delivery.routing import route_new_stories
from bot.feeds.fetcher import Fetcher
from bot.feeds.models import RouteQueue
from bot.search.service import search
from bot.services import services
from tests.fakes.feed_server import FeedServer
from tests.fakes.feed_server import Story as FeedStory
from tests.fakes.telegram_api import FakeTelegram
from tests.postgres import pg_url
from tests.test_audit_feeds import RawServer, add_feed, item, poll, raw_server, rss
from tests.test_feed_lifecycle import any_db, any_db_url
from tests.test_feed_poller import config, fetcher
from tests.test_routing import add_subscriber

# Fixtures, used by name; `any_db` runs a test on SQLite, then on PostgreSQL when a server is set.
__all__ = ["any_db", "any_db_url", "config", "fetcher", "pg_url", "raw_server"]

READER = 4100  # instant cards
DIGEST_READER = 4200
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


async def _until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 20.0) -> None:
    """Wait for the bot to have done something (polled, routed), checked every 50 ms."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


async def _feed_id(db: Database, url: str) -> int:
    async with db.read() as session:
        feed_id = await session.scalar(select(Feed.id).where(Feed.url == url))
    assert feed_id is not None
    return int(feed_id)


def _stored_and_routed(db: Database, feed_id: int, count: int) -> Callable[[], Awaitable[bool]]:
    """The feed's stories are stored, and routing has taken them (its queue is written in the
    story's own transaction, so an empty queue after the store means routed)."""

    async def check() -> bool:
        async with db.read() as session:
            stored = await session.scalar(
                select(func.count()).select_from(Story).where(Story.feed_id == feed_id)
            )
            waiting = await session.scalar(select(func.count()).select_from(RouteQueue))
        return stored == count and waiting == 0

    return check


async def _story_ids(db: Database, feed_id: int, stories: list[FeedStory]) -> list[int]:
    async with db.read() as session:
        found = dict(
            (await session.execute(select(Story.title, Story.id).where(Story.feed_id == feed_id))).all()
        )
    return [found[s.title] for s in stories]


async def _rows(db: Database, chat_id: int, kind: str) -> set[int]:
    async with db.read() as session:
        ids = await session.scalars(
            select(Outbox.story_id).where(Outbox.chat_id == chat_id, Outbox.kind == kind)
        )
        return {i for i in ids.all() if i is not None}


def _dated(story: FeedStory, tag: str, at: datetime) -> FeedStory:
    return story.variant(tag, published=at)


async def test_a_feed_back_after_an_outage_sends_its_fresh_stories_not_its_backlog(
    bot_factory: Any, fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    """The feed fails for most of a day; when it answers again it lists what the outlet published
    meanwhile. The reader gets cards of the last hours only; the backlog is searchable, and the
    digest reader's next digest lists what is dated since their last one."""
    now = utcnow()
    s = feed_server.stories
    yesterday = [_dated(s[0], "y0", now - timedelta(hours=30)), _dated(s[1], "y1", now - timedelta(hours=28))]
    url = feed_server.add_feed("daily", yesterday)
    async with bot_factory(feeds=[{"url": url, "name": "اليومية", "interval": 1}]) as app:
        db, cfg = services(app).db, services(app).config
        feed_id = await _feed_id(db, url)
        # The digest reader's last digest went out 9 hours ago; the next is due in 15 hours.
        slot = (now - timedelta(hours=9)).replace(second=0, microsecond=0)
        await add_subscriber(db, READER, subscriptions=[("feed", str(feed_id))])
        await add_subscriber(
            db,
            DIGEST_READER,
            subscriptions=[("feed", str(feed_id))],
            mode="digest",
            timezone="UTC",
            digest_times=[slot.strftime("%H:%M")],
            last_digest_at=slot,
        )
        await _until(_stored_and_routed(db, feed_id, 2), "the first poll")

        feed_server.set_fault("daily", "500")

        async def failing() -> bool:
            async with db.read() as session:
                return bool(await session.scalar(select(Feed.consecutive_errors).where(Feed.id == feed_id)))

        await _until(failing, "a failed poll")
        # Listed while the feed could not be read: two dated before the last digest, two after it,
        # all hours older than what the outlet publishes as the feed comes back. All are dated
        # before the bot first read the feed (moments ago, not hours: the clock runs on), which did
        # not list them: as far as the bot can tell, put back, not delayed by the outage
        # (tests/test_digest_backlog.py has an outage of a day on a stopped clock).
        backlog = [
            _dated(s[2], "b0", now - timedelta(hours=20)),
            _dated(s[3], "b1", now - timedelta(hours=16)),
            _dated(s[4], "b2", now - timedelta(hours=8)),
            _dated(s[5], "b3", now - timedelta(hours=7)),
        ]
        fresh = [
            _dated(s[24], "f0", now - timedelta(hours=1)),
            _dated(s[25], "f1", now - timedelta(minutes=5)),
        ]
        feed_server.set_items("daily", [*reversed(fresh), *reversed(backlog), *reversed(yesterday)])
        feed_server.set_fault("daily", None)

        cards = await fake_telegram.wait_for_messages(READER, count=2, timeout=20)
        await _until(_stored_and_routed(db, feed_id, 8), "the recovered poll routed")
        old = await _story_ids(db, feed_id, backlog)
        new = await _story_ids(db, feed_id, fresh)
        assert [c["plain_text"].split("\n")[0] for c in cards] == [f.title.strip() for f in fresh]
        assert await _rows(db, READER, outbox.STORY) == set(new)  # no card of the backlog, none waiting
        # The digest lists the stories of its period (since the last digest), late ones included;
        # the two dated before the bot's first read, and before the last digest, are in none.
        assert await _rows(db, DIGEST_READER, outbox.DIGEST_ITEM) == {*old[2:], *new}
        assert await run_digests(db, cfg, now=now + timedelta(hours=16)) == 1
        async with db.read() as session:
            digest = (await session.scalars(select(Outbox).where(Outbox.kind == outbox.DIGEST))).one()
        assert {int(i) for i in digest.payload["items"]} == {*old[2:], *new}
        # The backlog is not lost: search finds it.
        page = await search(db, backlog[0].title, relax=False)
        assert old[0] in [hit.story_id for hit in page.hits]
        assert len(fake_telegram.sent_messages(READER)) == 2


async def test_an_old_item_put_back_in_a_healthy_feed_gets_no_card(
    bot_factory: Any, fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    """A CMS lists a three-day-old story again under a new guid: stored, not pushed; the story
    published after it reaches the reader as usual."""
    now = utcnow()
    s = feed_server.stories
    url = feed_server.add_feed(
        "live", [_dated(s[0], "a", now - timedelta(hours=3)), _dated(s[1], "b", now - timedelta(hours=2))]
    )
    async with bot_factory(feeds=[{"url": url, "name": "مباشر", "interval": 1}]) as app:
        db = services(app).db
        feed_id = await _feed_id(db, url)
        await add_subscriber(db, READER, subscriptions=[("feed", str(feed_id))])
        await _until(_stored_and_routed(db, feed_id, 2), "the first poll")

        feed_server.add_item("live", _dated(s[2], "old", now - timedelta(days=3)))
        await _until(_stored_and_routed(db, feed_id, 3), "the old item stored and routed")
        fresh = _dated(s[3], "fresh", now - timedelta(minutes=10))
        feed_server.add_item("live", fresh)

        [card] = await fake_telegram.wait_for_messages(READER, count=1, timeout=20)
        await _until(_stored_and_routed(db, feed_id, 4), "the fresh item routed")
        assert card["plain_text"].split("\n")[0] == fresh.title.strip()
        assert await _rows(db, READER, outbox.STORY) == set(await _story_ids(db, feed_id, [fresh]))
        assert len(fake_telegram.sent_messages(READER)) == 1


def _pub(at: datetime) -> str:
    return format_datetime(at, usegmt=True)


async def test_undated_items_of_a_feed_back_after_an_outage_are_still_delivered(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, feed_server: FeedServer
) -> None:
    """An undated item is dated when it is fetched: it is news, whatever the feed's other dates
    (here yesterday's back catalogue and a dated item from the outage, which is held back)."""
    now = utcnow()
    s = feed_server.stories
    dated = [
        item(s[0], pubDate=_pub(now - timedelta(hours=30))),
        item(s[1], pubDate=_pub(now - timedelta(hours=28))),
    ]
    url = raw_server.set("/undated.xml", rss(dated).encode(), RSS)
    feed_id = await add_feed(db, url)
    await add_subscriber(db, READER, subscriptions=[("feed", str(feed_id))])
    await poll(db, config, fetcher, feed_id)  # the first poll: the back catalogue, routed nowhere

    during = item(s[2], pubDate=_pub(now - timedelta(hours=20)))
    undated = [item(s[3]), item(s[4])]
    raw_server.set("/undated.xml", rss([*undated, during, *dated]).encode(), RSS)
    result = await poll(db, config, fetcher, feed_id)
    assert len(result.new_story_ids) == 3
    await route_new_stories(db, config, result.new_story_ids)
    async with db.read() as session:
        titles = dict((await session.execute(select(Story.id, Story.title))).all())
    carded = {titles[i] for i in await _rows(db, READER, outbox.STORY)}
    assert carded == {s[3].title, s[4].title}


async def _add_story(db: Database, feed_id: int, title: str, published: datetime, fetched: datetime) -> int:
    async with db.write() as session:
        story = Story(
            feed_id=feed_id,
            entry_key=f"k-{title}",
            url=f"https://news.example/{len(title)}-{published.timestamp()}",
            title=title,
            source="اليومية",
            summary=["الجملة الأولى من الخبر.", "الجملة الثانية من الخبر."],
            published_at=published,
            fetched_at=fetched,
        )
        session.add(story)
        await session.flush()
        return story.id


async def _feed(db: Database, interval: float = 600.0) -> int:
    async with db.write() as session:
        feed = Feed(url="https://news.example/rss", name="اليومية", origin="cli", interval=interval)
        session.add(feed)
        await session.flush()
        return feed.id


async def test_a_feed_whose_dates_all_run_late_loses_no_card(any_db: Database, config: Config) -> None:
    """Dates written without the time of day (midnight) or in a wrong zone make every story look
    hours old by our clock: measured against the feed's own newest date, each is still news."""
    db, now = any_db, utcnow()
    feed_id = await _feed(db)
    await add_subscriber(db, READER, subscriptions=[("feed", str(feed_id))])
    earlier = now - timedelta(minutes=10)
    for i, hours in enumerate((44, 40)):
        await _add_story(db, feed_id, f"خبر سابق {i}", now - timedelta(hours=hours), earlier)
    story = await _add_story(db, feed_id, "خبر جديد بتاريخ متأخر", now - timedelta(hours=20), now)
    assert await route_new_stories(db, config, [story]) == 1
    assert await _rows(db, READER, outbox.STORY) == {story}


@pytest.mark.parametrize(("max_story_age", "carded"), [("6h", 1), ("12h", 2), (0, 2)])
async def test_max_story_age_sets_how_old_a_story_may_be_and_still_be_a_card(
    any_db: Database, config_factory: Callable[..., Config], max_story_age: Any, carded: int
) -> None:
    """A backlog story ten hours older than the poll's fresh one: no card under the default six
    hours, a card under twelve, and every story is a card when the setting is 0 (off)."""
    db, cfg = any_db, config_factory(delivery={"max_story_age": max_story_age})
    now = utcnow()
    feed_id = await _feed(db)
    await add_subscriber(db, READER, subscriptions=[("feed", str(feed_id))])
    late = await _add_story(db, feed_id, "خبر من الصباح", now - timedelta(hours=10), now)
    fresh = await _add_story(db, feed_id, "خبر الساعة", now - timedelta(minutes=5), now)
    await route_new_stories(db, cfg, [late, fresh])
    assert len(await _rows(db, READER, outbox.STORY)) == carded


async def test_a_feed_polled_twice_a_day_still_sends_what_each_poll_finds(
    any_db: Database, config: Config
) -> None:
    """A feed an admin polls every 12 hours finds up to half a day of news at once: the morning's
    story, ten hours older than the evening's, is that feed's news and gets its card."""
    db, now = any_db, utcnow()
    feed_id = await _feed(db, interval=12 * 3600.0)
    await add_subscriber(db, READER, subscriptions=[("feed", str(feed_id))])
    morning = await _add_story(db, feed_id, "خبر من الصباح", now - timedelta(hours=10), now)
    evening = await _add_story(db, feed_id, "خبر المساء", now - timedelta(minutes=5), now)
    await route_new_stories(db, config, [morning, evening])
    assert await _rows(db, READER, outbox.STORY) == {morning, evening}


def test_max_story_age_defaults_to_six_hours_in_code_and_in_config_toml() -> None:
    assert parse_config({}).delivery.max_story_age == 6 * 3600
    shipped = Path(__file__).resolve().parent.parent / "config.toml"
    assert load_config(shipped).delivery.max_story_age == 6 * 3600


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("6 hours", "'6 hours' is not a duration: use seconds or '90s', '10m', '1h', '1d'"),
        ("6m", '6 minutes is too short: use at least "1h", or 0 to send every new story as a card'),
        (-3600, 'must not be negative: use a duration such as "6h", or 0 (off)'),
        (True, "expected seconds or a duration"),
    ],
)
def test_a_bad_max_story_age_is_a_clear_error(tmp_path: Path, value: Any, reason: str) -> None:
    written = f'"{value}"' if isinstance(value, str) else str(value).lower()
    path = tmp_path / "config.toml"
    path.write_text(f"[delivery]\nmax_story_age = {written}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: delivery.max_story_age: ")
    assert reason in str(error.value)


def _with_ttl(doc: str, minutes: int) -> str:
    link = "<link>https://news.example/</link>"
    return doc.replace(link, f"{link}<ttl>{minutes}</ttl>", 1)


@pytest.mark.parametrize(
    ("headers", "ttl", "hours"),
    [
        ({"Cache-Control": "public, max-age=86400"}, None, (14, 20)),  # a CDN: once a day
        ({}, 720, (9,)),  # RSS <ttl>: every 12 hours
    ],
)
async def test_a_feed_whose_server_asks_for_fewer_polls_still_sends_what_each_poll_finds(
    db: Database,
    config: Config,
    fetcher: Fetcher,
    raw_server: RawServer,
    feed_server: FeedServer,
    headers: dict[str, str],
    ttl: int | None,
    hours: tuple[int, ...],
) -> None:
    """Configured to be polled every minute, but its server asks for a poll a day (Cache-Control)
    or every 12 hours (<ttl>): each poll finds that long of news, and all of it is a card."""
    now, s = utcnow(), feed_server.stories

    def doc(items: list[dict[str, str]]) -> bytes:
        text = rss(items)
        return (text if ttl is None else _with_ttl(text, ttl)).encode()

    old = [item(s[0], pubDate=_pub(now - timedelta(hours=25)))]
    url = raw_server.set("/slow.xml", doc(old), {**RSS, **headers})
    feed_id = await add_feed(db, url)
    await add_subscriber(db, READER, subscriptions=[("feed", str(feed_id))])
    await poll(db, config, fetcher, feed_id)
    news = [item(s[1], pubDate=_pub(now - timedelta(minutes=5)))]
    news += [item(s[2 + i], pubDate=_pub(now - timedelta(hours=h))) for i, h in enumerate(hours)]
    raw_server.set("/slow.xml", doc([*news, *old]), {**RSS, **headers})
    result = await poll(db, config, fetcher, feed_id)
    assert len(result.new_story_ids) == len(news)
    await route_new_stories(db, config, result.new_story_ids)
    assert await _rows(db, READER, outbox.STORY) == set(result.new_story_ids)


async def test_a_date_only_feed_loses_no_card_to_an_undated_item(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, feed_server: FeedServer
) -> None:
    """A feed dates its items at midnight (no time of day) and once lists one undated, dated when
    it was fetched: the next item, dated today at midnight, is news all the same."""
    now, s = utcnow(), feed_server.stories
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = [item(s[0], pubDate=_pub(midnight - timedelta(days=1)))]
    url = raw_server.set("/dateonly.xml", rss(first).encode(), RSS)
    feed_id = await add_feed(db, url)
    await add_subscriber(db, READER, subscriptions=[("feed", str(feed_id))])
    await poll(db, config, fetcher, feed_id)
    second = [item(s[1]), *first]
    raw_server.set("/dateonly.xml", rss(second).encode(), RSS)
    undated = await poll(db, config, fetcher, feed_id)
    await route_new_stories(db, config, undated.new_story_ids)
    raw_server.set("/dateonly.xml", rss([item(s[2], pubDate=_pub(midnight)), *second]).encode(), RSS)
    today = await poll(db, config, fetcher, feed_id)
    await route_new_stories(db, config, today.new_story_ids)
    assert await _rows(db, READER, outbox.STORY) == {*undated.new_story_ids, *today.new_story_ids}


@pytest.mark.parametrize("zone", ["GMT", "+0300"])
async def test_a_date_only_feed_sends_yesterdays_last_story_after_midnight(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, feed_server: FeedServer, zone: str
) -> None:
    """Just after midnight (in the feed's zone) one poll finds the last item of yesterday and the
    first of today, both dated at midnight: both are news. An item of three days ago put back in
    the feed is not: a date without a time of day gets one day more, no more."""
    now, s = utcnow(), feed_server.stories
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)

    def day(days_ago: int) -> str:
        return (midnight - timedelta(days=days_ago)).strftime("%a, %d %b %Y 00:00:00 ") + zone

    first = [item(s[0], pubDate=day(1))]
    url = raw_server.set("/midnight.xml", rss(first).encode(), RSS)
    feed_id = await add_feed(db, url)
    await add_subscriber(db, READER, subscriptions=[("feed", str(feed_id))])
    await poll(db, config, fetcher, feed_id)
    news = [item(s[1], pubDate=day(0)), item(s[2], pubDate=day(1))]
    put_back = item(s[3], pubDate=day(3))
    raw_server.set("/midnight.xml", rss([*news, put_back, *first]).encode(), RSS)
    result = await poll(db, config, fetcher, feed_id)
    assert len(result.new_story_ids) == 3
    await route_new_stories(db, config, result.new_story_ids)
    async with db.read() as session:
        titles = dict((await session.execute(select(Story.id, Story.title))).all())
    assert {titles[i] for i in await _rows(db, READER, outbox.STORY)} == {s[1].title, s[2].title}


async def test_an_undated_story_is_not_the_date_its_feed_is_measured_by(
    any_db: Database, config: Config
) -> None:
    """An earlier poll's undated story (dated when fetched) is no evidence that the feed's dates
    run to now: a story dated ten hours before it is still that feed's news."""
    db, now = any_db, utcnow()
    feed_id = await _feed(db)
    await add_subscriber(db, READER, subscriptions=[("feed", str(feed_id))])
    earlier = now - timedelta(minutes=10)
    await _add_story(db, feed_id, "خبر بلا تاريخ", earlier, earlier)
    story = await _add_story(db, feed_id, "خبر بتاريخ متأخر", earlier - timedelta(hours=10), now)
    assert await route_new_stories(db, config, [story]) == 1
    assert await _rows(db, READER, outbox.STORY) == {story}


async def test_a_date_only_story_found_with_an_undated_one_is_news(any_db: Database, config: Config) -> None:
    """One poll lists an undated item (dated when fetched, 18:00) and one dated today with no time
    of day (00:00): both are news. A story of the same poll dated 00:00:01 has a time of day and is
    old news, as the feed's undated item shows it lists what is new now."""
    db = any_db
    feed_id = await _feed(db)
    midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    # A reader since yesterday: the poll at 18:00 may be in the past or the future of the clock.
    await add_subscriber(
        db, READER, since=midnight - timedelta(days=1), subscriptions=[("feed", str(feed_id))]
    )
    fetched = midnight + timedelta(hours=18)
    undated = await _add_story(db, feed_id, "خبر بلا تاريخ", fetched, fetched)
    today = await _add_story(db, feed_id, "خبر اليوم بلا ساعة", midnight, fetched)
    timed = await _add_story(db, feed_id, "خبر بعد منتصف الليل", midnight + timedelta(seconds=1), fetched)
    await route_new_stories(db, config, [undated, today, timed])
    assert await _rows(db, READER, outbox.STORY) == {undated, today}
