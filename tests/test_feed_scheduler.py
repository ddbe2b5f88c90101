"""The feed scheduler inside the real application: feeds flow, faults stay contained, run-time
changes apply without a restart, and every new story reaches delivery exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models import Feed, Story
from bot.delivery import routing
from bot.delivery import service as delivery_service
from bot.feeds import scheduler
from bot.services import services
from tests.fakes.feed_server import FeedServer


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0, what: str = "") -> None:
    """Wait for a condition (checked every 50 ms) or fail after `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while not await check():
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what or check}")


class Delivery:
    """Stands in for bot.delivery.routing and service.wake: records what the scheduler hands over."""

    def __init__(self) -> None:
        self.routed: list[int] = []
        self.wakes = 0

    async def route_new_stories(self, db: Any, config: Any, story_ids: list[int]) -> int:
        self.routed.extend(story_ids)
        return len(story_ids)

    def wake(self, app: Any) -> None:
        self.wakes += 1


@pytest.fixture
def delivery(monkeypatch: pytest.MonkeyPatch) -> Delivery:
    fake = Delivery()
    # The real module's attribute, not a stand-in module: other modules import routing's helpers
    # (follow_checks: story_terms) and must still find them.
    monkeypatch.setattr(routing, "route_new_stories", fake.route_new_stories)
    monkeypatch.setattr(delivery_service, "wake", fake.wake, raising=False)
    return fake


async def count_stories(app: Any, feed_name: str) -> int:
    async with services(app).db.read() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(Story)
                .join(Feed, Story.feed_id == Feed.id)
                .where(Feed.name == feed_name)
            )
            or 0
        )


async def feed_by_name(app: Any, name: str) -> Feed:
    async with services(app).db.read() as session:
        feed = await session.scalar(select(Feed).where(Feed.name == name))
        assert feed is not None
        return feed


async def test_feeds_flow_faults_stay_contained_and_stories_route_once(
    bot_factory: Callable[..., Any], feed_server: FeedServer, delivery: Delivery
) -> None:
    s = feed_server.stories
    feeds = [
        {"url": feed_server.add_feed("good", s[:3]), "name": "good", "interval": 1},
        {"url": feed_server.add_feed("bad", s[3:6]), "name": "bad", "interval": 1},
        {"url": feed_server.add_feed("html", s[6:8]), "name": "html", "interval": 1},
    ]
    feed_server.set_fault("bad", "500")
    feed_server.set_fault("html", "html")
    async with bot_factory(feeds=feeds) as app:

        async def good_polled() -> bool:
            return await count_stories(app, "good") == 3

        await eventually(good_polled, what="the first poll of the good feed")
        assert delivery.routed == []  # first poll: no flood

        feed_server.add_item("good", s[10])
        feed_server.add_item("good", s[11])

        async def two_routed() -> bool:
            # The sender is woken once the routing queue rows are deleted: a write after routing.
            return len(delivery.routed) >= 2 and delivery.wakes >= 1

        await eventually(two_routed, what="two new stories routed and the sender woken")

        async def errors_recorded() -> bool:
            bad, html = await feed_by_name(app, "bad"), await feed_by_name(app, "html")
            return bad.consecutive_errors >= 1 and html.consecutive_errors >= 1

        await eventually(errors_recorded, what="errors on the faulty feeds")
        assert (await feed_by_name(app, "bad")).last_error == "HTTP 500 Internal Server Error"
        assert (await feed_by_name(app, "html")).last_error == "not a feed: got an HTML page"

        # The faulty feed heals and flows; the good one keeps flowing meanwhile.
        feed_server.set_fault("bad", None)
        feed_server.add_item("good", s[12])

        async def healed() -> bool:
            return await count_stories(app, "bad") == 3 and await count_stories(app, "good") == 6

        await eventually(healed, timeout=15, what="the healed feed and the good feed")
        assert app.job_queue.get_jobs_by_name(scheduler.JOB_NAME)  # the scheduler is still running

        async def three_routed() -> bool:
            return len(delivery.routed) >= 3

        await eventually(three_routed, what="the third story routed")
    async with services_db(app) as check:
        good_new = set(
            (
                await check.scalars(
                    select(Story.id).where(Story.title.in_([s[10].title, s[11].title, s[12].title]))
                )
            ).all()
        )
    # Exactly once: each new story of the good feed routed once; the healed feed's first poll none.
    assert sorted(delivery.routed) == sorted(good_new)


def services_db(app: Any) -> Any:
    """A read session on the app's database file after the app has stopped (its engine is closed)."""
    from contextlib import asynccontextmanager

    from bot.db.database import Database

    @asynccontextmanager
    async def session() -> Any:
        db = Database(services(app).config.database.url)
        try:
            async with db.read() as s:
                yield s
        finally:
            await db.close()

    return session()


async def test_run_time_add_pause_and_no_double_polls(
    bot_factory: Callable[..., Any], feed_server: FeedServer, delivery: Delivery
) -> None:
    s = feed_server.stories
    feeds = [{"url": feed_server.add_feed("one", s[:2]), "name": "one", "interval": 1}]
    async with bot_factory(feeds=feeds, fetch={"read_timeout": 2}) as app:

        async def one_polled() -> bool:
            return await count_stories(app, "one") == 2

        await eventually(one_polled, what="the configured feed")
        db = services(app).db

        # Added at run time (as /addfeed does), then reschedule: polled without a restart.
        url = feed_server.add_feed("two", s[5:9])
        async with db.write() as session:
            session.add(Feed(url=url, name="two", interval=1, origin="chat"))
        await scheduler.reschedule(app)

        async def two_polled() -> bool:
            return await count_stories(app, "two") == 4

        await eventually(two_polled, what="the feed added at run time")

        # Paused at run time: no more requests, whatever it publishes.
        async with db.write() as session:
            feed = await session.scalar(select(Feed).where(Feed.name == "two"))
            assert feed is not None
            feed.status = "paused"
        await scheduler.reschedule(app)
        await asyncio.sleep(0)  # let an already started poll of "two" take its request
        paused_requests = len(feed_server.requests("two"))
        feed_server.add_item("two", s[12])
        seen_one = len(feed_server.requests("one"))
        await feed_server.wait_for_requests("one", seen_one + 2)  # more polls of the other feed
        assert len(feed_server.requests("two")) <= paused_requests + 1
        assert await count_stories(app, "two") == 4

        # A slow feed is in flight; ticks meanwhile never start a second poll of it.
        feed_server.set_fault("one", "slow")
        before = len(feed_server.requests("one"))
        st = scheduler.state(app)
        assert st is not None
        one_id = (await feed_by_name(app, "one")).id

        async def in_flight() -> bool:
            return one_id in st.in_flight

        await eventually(in_flight, what="the slow poll to start")
        for _ in range(3):
            assert one_id not in await scheduler.tick(app)

        async def timed_out() -> bool:
            return (await feed_by_name(app, "one")).consecutive_errors >= 1

        await eventually(timed_out, timeout=10, what="the slow poll to time out")
        assert len(feed_server.requests("one")) == before + 1
        assert "timed out" in ((await feed_by_name(app, "one")).last_error or "")


async def test_restart_routes_only_what_arrived_while_down(
    bot_factory: Callable[..., Any], feed_server: FeedServer, delivery: Delivery
) -> None:
    s = feed_server.stories
    feeds = [{"url": feed_server.add_feed("news", s[:3]), "name": "news", "interval": 1}]
    async with bot_factory(feeds=feeds) as app:

        async def polled() -> bool:
            return await count_stories(app, "news") == 3

        await eventually(polled, what="the first poll")
    feed_server.add_item("news", s[15])  # published while the bot is down
    async with bot_factory(feeds=feeds) as app:

        async def routed() -> bool:
            return len(delivery.routed) == 1

        await eventually(routed, what="the story published while down")
        before = len(feed_server.requests("news"))
        await feed_server.wait_for_requests("news", before + 2)
        assert len(delivery.routed) == 1
        assert await count_stories(app, "news") == 4


async def test_end_to_end_one_message_per_story_for_a_subscriber_of_two_feeds(
    bot_factory: Callable[..., Any], feed_server: FeedServer, fake_telegram: Any
) -> None:
    """Real routing and sender: the same story in two feeds reaches a subscriber of both once."""
    from bot.db.models import Subscriber, Subscription
    from tests.helpers import USER_ID

    s = feed_server.stories
    feeds = [
        {"url": feed_server.add_feed("a", s[:2]), "name": "أ", "interval": 1},
        {"url": feed_server.add_feed("b", s[2:4]), "name": "ب", "interval": 1},
    ]
    async with bot_factory(feeds=feeds) as app:
        db = services(app).db

        async def both_polled() -> bool:
            return await count_stories(app, "أ") == 2 and await count_stories(app, "ب") == 2

        await eventually(both_polled, what="the first polls")
        async with db.write() as session:
            session.add(Subscriber(chat_id=USER_ID, chat_type="private", language="ar"))
            await session.flush()
            for name in ("أ", "ب"):
                feed = await session.scalar(select(Feed).where(Feed.name == name))
                assert feed is not None
                session.add(Subscription(chat_id=USER_ID, kind="feed", target=str(feed.id)))
        assert fake_telegram.sent_messages(USER_ID) == []  # the back catalogue is not pushed

        feed_server.add_item("a", s[10])
        feed_server.add_item("b", s[10])  # same story, same link (other utm_source)
        feed_server.add_item("b", s[11])
        messages = await fake_telegram.wait_for_messages(USER_ID, count=2, timeout=10)
        seen_a, seen_b = len(feed_server.requests("a")), len(feed_server.requests("b"))
        await feed_server.wait_for_requests("a", seen_a + 2)
        await feed_server.wait_for_requests("b", seen_b + 2)
        messages = fake_telegram.sent_messages(USER_ID)
    texts = [m.get("text", "") for m in messages]
    assert len(texts) == 2
    assert sum(s[10].title in t for t in texts) == 1 and sum(s[11].title in t for t in texts) == 1


async def test_a_story_routing_cannot_take_does_not_hold_back_the_ones_after_it(
    bot_factory: Callable[..., Any], delivery: Delivery, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.feeds.models import RouteQueue

    async with bot_factory() as app:
        db = services(app).db
        async with db.write() as session:
            stories = [Story(entry_key=f"k{i}", title=f"خبر {i}", source="x", text="نص") for i in range(8)]
            session.add_all(stories)
            await session.flush()
            ids = [s.id for s in stories]
            session.add_all([RouteQueue(story_id=i) for i in ids])
        poison = ids[:4]  # several, at the head of the queue (one broken feed polled first)
        route = delivery.route_new_stories

        async def fragile(db: Any, config: Any, story_ids: list[int]) -> int:
            if set(poison) & set(story_ids):
                raise ValueError("a story routing cannot take")
            return await route(db, config, story_ids)

        monkeypatch.setattr(routing, "route_new_stories", fragile)
        assert await scheduler._route_pending(app) == 4
        assert sorted(delivery.routed) == ids[4:]  # the others went on
        async with db.read() as session:
            assert sorted((await session.scalars(select(RouteQueue.story_id))).all()) == poison  # kept
