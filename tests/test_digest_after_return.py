"""A digest reader's week on a stopped clock: what comes back after the chat returns, and what a
held card's «وأيضًا في» becomes when the reader switches to digests (found by a QA pass)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import clock as bot_clock
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Outbox
from bot.delivery import digest, grouping, outbox, routing
from bot.delivery.digest import run_digests
from bot.delivery.routing import route_new_stories
from bot.subscribers import service
from tests.test_grouping import SUDAN_F24, SUDAN_SKY
from tests.test_routing import add_feed, add_story, add_subscriber, rows

RIYADH = ZoneInfo("Asia/Riyadh")


def riyadh(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=RIYADH).astimezone(UTC)


@dataclass
class Clock:
    now: datetime


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    stopped = Clock(riyadh("2026-05-03T07:00"))
    for module in (digest, routing, outbox, grouping, service, bot_clock):
        if hasattr(module, "utcnow"):
            monkeypatch.setattr(module, "utcnow", lambda: stopped.now)
    return stopped


@pytest.fixture
def config(config_factory: Callable[..., Config]) -> Config:
    return config_factory()


async def run_until(db: Database, config: Config, clock: Clock, end: datetime) -> None:
    """The digest job, every minute of the simulated time, as the bot's JobQueue runs it."""
    while clock.now < end:
        clock.now += timedelta(minutes=1)
        await run_digests(db, config, now=clock.now)


async def digests(db: Database, chat_id: int) -> list[Outbox]:
    return [row for row in await rows(db, chat_id) if row.kind == outbox.DIGEST]


async def news(db: Database, config: Config, clock: Clock, feed: int, n: int) -> int:
    story_id = await add_story(
        db, feed, f"خبر رقم {n} عن شأن مختلف {n * 7919}", fetched_at=clock.now, url=f"https://x.example/{n}"
    )
    await route_new_stories(db, config, [story_id])
    return story_id


async def test_a_reader_back_after_stop_gets_the_next_chosen_digest_not_one_at_once(
    db: Database, config: Config, clock: Clock
) -> None:
    feed = await add_feed(db)
    await add_subscriber(
        db,
        1,
        since=clock.now,
        subscriptions=[("feed", str(feed))],
        mode="digest",
        digest_times=["08:00", "20:00"],
    )
    await news(db, config, clock, feed, 1)
    await run_until(db, config, clock, riyadh("2026-05-03T08:05"))
    assert len(await digests(db, 1)) == 1
    clock.now = riyadh("2026-05-03T12:00")
    await service.stop(db, 1)
    clock.now = riyadh("2026-05-04T14:00")
    await service.subscribe(db, 1, "feed", str(feed))  # turning a subscription on: back
    await news(db, config, clock, feed, 2)
    await run_until(db, config, clock, riyadh("2026-05-04T19:55"))
    # Measured from the digest before the stop, this morning's 08:00 was owed: a digest went out
    # at 14:01 headed «٠٨:٠٠».
    assert len(await digests(db, 1)) == 1
    await run_until(db, config, clock, riyadh("2026-05-04T20:02"))
    [_, evening] = await digests(db, 1)
    assert evening.not_before.replace(tzinfo=UTC) >= riyadh("2026-05-04T20:00")


async def sudan(db: Database, feed: int, story: tuple[str, str], source: str, url: str, now: datetime) -> int:
    title, body = story
    return await add_story(db, feed, title, text=body, summary=[body], source=source, url=url, fetched_at=now)


async def test_a_held_card_listing_another_outlet_keeps_it_in_the_digest(
    db: Database, config: Config, clock: Clock
) -> None:
    f24, sky = await add_feed(db, "فرانس 24"), await add_feed(db, "سكاي نيوز عربية")
    clock.now = riyadh("2026-05-04T00:30")
    await add_subscriber(
        db,
        6,
        since=clock.now - timedelta(hours=1),
        subscriptions=[("feed", str(f24)), ("feed", str(sky))],
        digest_times=["08:00"],
        quiet_start="23:00",
        quiet_end="07:00",
    )
    first = await sudan(db, f24, SUDAN_F24, "فرانس 24", "https://f24.example/s", clock.now)
    await route_new_stories(db, config, [first])
    clock.now += timedelta(minutes=20)
    other = await sudan(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/s", clock.now)
    await route_new_stories(db, config, [other])
    assert {r.story_id: r.status for r in await rows(db, 6)} == {first: "pending", other: "grouped"}
    clock.now = riyadh("2026-05-04T01:00")
    await service.update_settings(db, 6, config=config, mode="digest")
    await run_until(db, config, clock, riyadh("2026-05-04T08:02"))
    [morning] = await digests(db, 6)
    # The other outlet's story was in nothing: not an item, not a link under the held card's item.
    assert "https://sky.example/s" in morning.payload["text"]
    assert "https://f24.example/s" in morning.payload["text"]
