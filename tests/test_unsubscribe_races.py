"""A reader who stops following a source, a topic or a word while its stories are on their way: no
card for what they just left, whether it waits its turn in a fan-out or is being routed that very
moment; following it again before it would have gone out brings it back. Each interleaving is
forced with asyncio events around the step that leaves the gap (nothing sleeps to synchronise),
on SQLite and on PostgreSQL (skipped without a server, see tests/postgres.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot

from bot.clock import utcnow
from bot.config import Config
from bot.db.database import Database, open_database
from bot.delivery import outbox, routing
from bot.delivery.digest import run_digests
from bot.delivery.sender import Sender
from bot.subscribers import service
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import make_config
from tests.postgres import database_url, pg_url
from tests.test_delivery_races import hold, hold_after_first_read, settled, texts_to
from tests.test_delivery_sender import bot, sending, until
from tests.test_grouping import SUDAN_F24, SUDAN_SKY
from tests.test_routing import add_feed, add_story, add_subscriber, add_topic, rows

__all__ = ["bot", "pg_url"]  # fixtures, used by name

ECONOMY = "ارتفاع أسعار النفط يهز الاقتصاد العالمي"
WEATHER = "موجة حر تضرب المدن الساحلية"
TOPIC = "اقتصاد"
WORD = "الاقتصاد"
# How a reader follows the economy news, and how they stop: the /subscribe keyboard (a press
# toggles), /unsubscribe's buttons, /unfollow, or /unsubscribe with nothing after it (all of it).
WAYS = ["feed", "topic", "keyword", "button", "everything"]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request, tmp_path / "akhbar.sqlite3")


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = await open_database(db_url)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def config_factory(tmp_path: Path, db_url: str) -> Callable[..., Config]:
    def factory(**sections: Any) -> Config:
        sections.setdefault("database", {"url": db_url})
        return make_config(tmp_path, **sections)

    return factory


async def reader(db: Database, chat_id: int, way: str, feed: int, **settings: Any) -> None:
    """A chat that follows the economy news one way (registered an hour ago, so new stories reach it)."""
    await add_subscriber(db, chat_id, **settings)
    if way == "topic":
        await service.subscribe(db, chat_id, "topic", TOPIC)
    elif way == "keyword":
        await service.follow(db, chat_id, WORD)
    else:
        await service.subscribe(db, chat_id, "feed", str(feed))


async def stop_following(db: Database, chat_id: int, way: str, feed: int) -> None:
    if way == "feed":
        assert await service.unsubscribe(db, chat_id, "feed", str(feed))
    elif way == "topic":
        assert not await service.toggle(db, chat_id, "topic", TOPIC)
    elif way == "keyword":
        assert await service.unfollow(db, chat_id, WORD) == [WORD]
    elif way == "button":
        [item] = await service.describe_subscriptions(db, chat_id)
        assert await service.unsubscribe_id(db, chat_id, item.id) is not None
    else:
        assert await service.unsubscribe_all(db, chat_id) == 1


async def follow_again(db: Database, chat_id: int, way: str, feed: int) -> None:
    if way == "topic":
        assert await service.toggle(db, chat_id, "topic", TOPIC)
    elif way == "keyword":
        assert (await service.follow(db, chat_id, WORD)).added
    else:
        assert await service.subscribe(db, chat_id, "feed", str(feed))


async def economy_feed(db: Database) -> int:
    await add_topic(db, TOPIC, [WORD])
    return await add_feed(db, "الجزيرة نت")


async def digest_reader(db: Database, chat_id: int, feed: int) -> None:
    """A digest reader of the source whose digest is due now (none sent for two days)."""
    await reader(db, chat_id, "feed", feed, mode="digest", since=utcnow() - timedelta(days=2))


def titles_to(fake_telegram: FakeTelegram, chat_id: int) -> list[str]:
    return [text.split("\n")[0] for text in texts_to(fake_telegram, chat_id)]


# --------------------------------------------------------------------------- cards waiting their turn


@pytest.mark.parametrize("way", WAYS)
async def test_a_reader_who_unsubscribes_while_the_card_waits_its_turn_does_not_get_it(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, way: str
) -> None:
    """The story is queued for both readers (a fan-out to thousands takes minutes; here the sender
    simply has not started); reader 31 stops following it meanwhile. Reader 32 gets the card, 31
    nothing."""
    config: Config = config_factory()
    feed = await economy_feed(db)
    await reader(db, 31, way, feed)
    await reader(db, 32, way, feed)
    story = await add_story(db, feed, ECONOMY)
    assert await routing.route_new_stories(db, config, [story]) == 2
    await stop_following(db, 31, way, feed)
    async with sending(bot, db, config):
        await fake_telegram.wait_for_messages(32)
        await until(lambda: settled(db))
    assert titles_to(fake_telegram, 32) == [ECONOMY]
    assert texts_to(fake_telegram, 31) == []


async def test_a_card_another_subscription_still_wants_comes_and_only_that_one(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    """Reader 33 follows the source and the word «الاقتصاد», and leaves the source while two of its
    stories wait: the one the word also wants comes, the other does not."""
    config: Config = config_factory()
    feed = await economy_feed(db)
    await reader(db, 33, "feed", feed)
    await service.follow(db, 33, WORD)
    stories = [await add_story(db, feed, WEATHER), await add_story(db, feed, ECONOMY)]
    assert await routing.route_new_stories(db, config, stories) == 2
    await stop_following(db, 33, "feed", feed)
    async with sending(bot, db, config):
        await fake_telegram.wait_for_messages(33)
        await until(lambda: settled(db))
    assert titles_to(fake_telegram, 33) == [ECONOMY]


@pytest.mark.parametrize("way", ["feed", "topic", "keyword"])
async def test_a_mistaken_tap_undone_before_the_card_goes_loses_nothing(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, way: str
) -> None:
    """Off and on again while the card waits: it comes, once."""
    config: Config = config_factory()
    feed = await economy_feed(db)
    await reader(db, 34, way, feed)
    story = await add_story(db, feed, ECONOMY)
    assert await routing.route_new_stories(db, config, [story]) == 1
    await stop_following(db, 34, way, feed)
    await follow_again(db, 34, way, feed)
    async with sending(bot, db, config):
        await fake_telegram.wait_for_messages(34)
        await until(lambda: settled(db))
    assert titles_to(fake_telegram, 34) == [ECONOMY]
    assert [r.status for r in await rows(db, 34)] == [outbox.SENT]


async def test_following_again_long_after_brings_no_old_card(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, monkeypatch: Any
) -> None:
    """Back to the source well after the card would have gone out (routing.RESTORE_WITHIN): the
    story left behind then is old news, and does not arrive now."""
    config: Config = config_factory()
    feed = await economy_feed(db)
    await reader(db, 37, "feed", feed)
    assert await routing.route_new_stories(db, config, [await add_story(db, feed, ECONOMY)]) == 1
    await stop_following(db, 37, "feed", feed)
    later = utcnow() + routing.RESTORE_WITHIN + timedelta(minutes=1)
    monkeypatch.setattr(service, "utcnow", lambda: later)
    await follow_again(db, 37, "feed", feed)
    await outbox.enqueue_text(db, 37, "نهاية", dedup_key="end")  # sent after anything queued before it
    async with sending(bot, db, config):
        await fake_telegram.wait_for_messages(37)
        await until(lambda: settled(db))
    assert texts_to(fake_telegram, 37) == ["نهاية"]


async def test_a_reader_who_leaves_and_comes_back_at_once_gets_no_card_from_before(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    """Unsubscribed while the card waited, then /stop, /start and the same source again, within a
    minute: coming back brings no old story (as /stop promises), however recently it was left."""
    config: Config = config_factory()
    feed = await economy_feed(db)
    await reader(db, 38, "feed", feed)
    assert await routing.route_new_stories(db, config, [await add_story(db, feed, ECONOMY)]) == 1
    await stop_following(db, 38, "feed", feed)
    await service.stop(db, 38)
    await service.ensure_subscriber(db, config, 38)
    await follow_again(db, 38, "feed", feed)
    await outbox.enqueue_text(db, 38, "نهاية", dedup_key="end")
    async with sending(bot, db, config):
        await fake_telegram.wait_for_messages(38)
        await until(lambda: settled(db))
    assert texts_to(fake_telegram, 38) == ["نهاية"]


async def test_a_card_already_on_its_way_when_the_reader_unsubscribes_is_delivered_once(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, monkeypatch: Any
) -> None:
    """The sender has taken the card (its request about to leave) when the reader unsubscribes: it
    arrives, once, and is recorded as sent (not withdrawn under the sender's feet)."""
    config: Config = config_factory()
    feed = await economy_feed(db)
    await reader(db, 35, "feed", feed)
    story = await add_story(db, feed, ECONOMY)
    assert await routing.route_new_stories(db, config, [story]) == 1
    entered, release = hold(monkeypatch, Sender, "_send")
    async with sending(bot, db, config):
        await entered.wait()
        await stop_following(db, 35, "feed", feed)
        release.set()
        await fake_telegram.wait_for_messages(35)
        await until(lambda: settled(db))
    assert titles_to(fake_telegram, 35) == [ECONOMY]
    assert [r.status for r in await rows(db, 35)] == [outbox.SENT]


@pytest.mark.parametrize("held", [False, True], ids=["due", "held by quiet hours"])
async def test_a_card_that_also_tells_a_followed_outlets_story_still_comes(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, held: bool
) -> None:
    """Two outlets' stories on one event make one card (France 24's, listing Sky News); the reader
    leaves France 24 but keeps Sky News while it waits (its turn, or the end of the quiet hours,
    which the reader then turns off). The card comes: Sky News' story has no other card."""
    config: Config = config_factory()
    f24, sky = await add_feed(db, "فرانس 24"), await add_feed(db, "سكاي نيوز عربية")
    quiet: dict[str, Any] = {"quiet_start": "00:00", "quiet_end": "23:59", "timezone": "UTC"} if held else {}
    await add_subscriber(db, 36, **quiet)
    for feed in (f24, sky):
        await service.subscribe(db, 36, "feed", str(feed))
    told = [
        await add_story(
            db, feed, title, text=lead, summary=[lead], source=source, url=f"https://{feed}.example/sudan"
        )
        for feed, (title, lead), source in ((f24, SUDAN_F24, "فرانس 24"), (sky, SUDAN_SKY, "سكاي نيوز عربية"))
    ]
    await routing.route_new_stories(db, config, told)
    assert sorted(r.status for r in await rows(db, 36)) == [outbox.GROUPED, outbox.PENDING]
    await stop_following(db, 36, "feed", f24)
    if held:
        await service.update_settings(db, 36, quiet_start=None, quiet_end=None)
    async with sending(bot, db, config):
        [card] = await fake_telegram.wait_for_messages(36)
        await until(lambda: settled(db))
    assert card["plain_text"].startswith(SUDAN_F24[0]) and "سكاي نيوز عربية" in card["plain_text"]


# --------------------------------------------------------------------------- while routing works


@pytest.mark.parametrize("way", WAYS)
async def test_a_reader_who_unsubscribes_while_the_story_is_routed_does_not_get_it(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, monkeypatch: Any, way: str
) -> None:
    """Routing has read who follows what, and waits for the database to write the rows; reader 41
    stops following meanwhile. 42 gets the card, 41 nothing; following again at once (before the
    card would have gone out) brings it."""
    config: Config = config_factory()
    feed = await economy_feed(db)
    await reader(db, 41, way, feed)
    await reader(db, 42, way, feed)
    story = await add_story(db, feed, ECONOMY)
    entered, release = hold(monkeypatch, routing, "fold_same_events")
    routed = asyncio.create_task(routing.route_new_stories(db, config, [story]))
    await entered.wait()  # the subscriptions are read
    await stop_following(db, 41, way, feed)
    release.set()
    await routed
    async with sending(bot, db, config):
        await fake_telegram.wait_for_messages(42)
        await until(lambda: settled(db))
        assert texts_to(fake_telegram, 41) == []
        await follow_again(db, 41, way, feed)
        await fake_telegram.wait_for_messages(41)
        await until(lambda: settled(db))
    assert titles_to(fake_telegram, 41) == titles_to(fake_telegram, 42) == [ECONOMY]


async def test_a_digest_reader_who_unsubscribes_while_the_story_is_routed_does_not_get_it(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, monkeypatch: Any
) -> None:
    config: Config = config_factory()
    feed = await economy_feed(db)
    for chat in (43, 44):
        await digest_reader(db, chat, feed)
    story = await add_story(db, feed, ECONOMY)
    entered, release = hold(monkeypatch, routing, "fold_same_events")
    routed = asyncio.create_task(routing.route_new_stories(db, config, [story]))
    await entered.wait()
    await stop_following(db, 43, "feed", feed)
    release.set()
    await routed
    await run_digests(db, config)
    async with sending(bot, db, config):
        await fake_telegram.wait_for_messages(44)
        await until(lambda: settled(db))
    assert ECONOMY in texts_to(fake_telegram, 44)[0]
    assert texts_to(fake_telegram, 43) == []


async def test_a_digest_reader_who_unsubscribes_while_digests_are_built_does_not_get_the_story(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, monkeypatch: Any
) -> None:
    """The digest job has read whose digest is due; reader 45 leaves the source before it writes."""
    config: Config = config_factory()
    feed = await economy_feed(db)
    for chat in (45, 46):
        await digest_reader(db, chat, feed)
    await routing.route_new_stories(db, config, [await add_story(db, feed, ECONOMY)])
    entered, release = hold_after_first_read(monkeypatch, db)
    built = asyncio.create_task(run_digests(db, config))
    await entered.wait()  # the chats whose digest is due are read
    await stop_following(db, 45, "feed", feed)
    release.set()
    assert await built == 1
    async with sending(bot, db, config):
        await fake_telegram.wait_for_messages(46)
        await until(lambda: settled(db))
    assert ECONOMY in texts_to(fake_telegram, 46)[0]
    assert texts_to(fake_telegram, 45) == []
