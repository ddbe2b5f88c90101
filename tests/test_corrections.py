"""A story the outlet corrects is corrected in the chats that have it: the sent card is edited in
place (within Telegram's 48 hours), a queued card is re-rendered, and nothing is sent anew."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from telegram import Bot

from bot.clock import utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed, Outbox, Story, Subscriber
from bot.delivery import outbox
from bot.delivery import service as delivery
from bot.delivery.corrections import queue_corrections
from bot.delivery.digest import run_digests
from bot.delivery.routing import route_new_stories
from bot.services import services
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegram
from tests.test_delivery_e2e import SENTENCES, _deliver_one
from tests.test_delivery_sender import bot, sending, until
from tests.test_routing import add_feed, add_story, add_subscriber, rows

__all__ = ["bot"]  # a fixture, used by name

OLD = "انفجار في مرفأ المدينة يوقع عشرة قتلى"
NEW = "انفجار في مرفأ المدينة يوقع عشرين قتيلا"


async def _correct(db: Database, story_id: int, title: str) -> None:
    """What the poller does with a corrected entry (bot.feeds.poller: same guid, new headline)."""
    async with db.write() as session:
        await session.execute(update(Story).where(Story.id == story_id).values(title=title))


async def _edits_sent(db: Database) -> bool:
    return all(r.status == outbox.SENT for r in await rows(db) if r.kind == outbox.EDIT)


async def test_a_sent_card_is_edited_in_place_with_the_corrected_headline(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    config: Config = config_factory()
    feed = await add_feed(db)
    await add_subscriber(db, 1, subscriptions=[("feed", str(feed))])
    await add_subscriber(db, 2, subscriptions=[("feed", str(feed))], language="en")
    story = await add_story(db, feed, OLD, summary=["قالت السلطات إن الانفجار وقع فجرا."])
    await route_new_stories(db, config, [story])
    async with sending(bot, db, config):
        [card] = await fake_telegram.wait_for_messages(1, count=1)
        await fake_telegram.wait_for_messages(2, count=1)
        await until(lambda: _cards_sent(db))
        await _correct(db, story, NEW)
        assert await queue_corrections(db, config, [story]) == 2
        # The same correction seen again (the next poll) edits nothing more.
        assert await queue_corrections(db, config, [story]) == 0
        await until(lambda: _edits_sent(db))
        assert card["plain_text"].startswith(NEW)  # the record shows the message as it is now
        # Corrected back, and again: each edit follows (the card's row holds what it shows now).
        for title in (OLD, NEW):
            await _correct(db, story, title)
            assert await queue_corrections(db, config, [story]) == 2
            await until(lambda: _edits_sent(db))
    assert [e["plain_text"].split("\n")[0] for e in card["edits"]] == [NEW, OLD, NEW]
    assert fake_telegram.last_message(2)["plain_text"].startswith(NEW)
    # Edited, not sent again: still one message in each chat.
    assert [len(fake_telegram.sent_messages(c)) for c in (1, 2)] == [1, 1]


async def _cards_sent(db: Database) -> bool:
    return all(r.status == outbox.SENT for r in await rows(db))


async def test_a_card_sent_the_day_after_it_was_routed_is_not_edited_for_a_change_it_does_not_show(
    db: Database, config_factory: Any
) -> None:
    # Routed before midnight (its time reads "23:58"), sent after it (quiet hours, a queue): a fix to
    # the body's last paragraph must not turn the card's time into a date.
    config: Config = config_factory()
    feed = await add_feed(db)
    await add_subscriber(db, 1, subscriptions=[("feed", str(feed))])
    story = await add_story(db, feed, OLD, summary=["قالت السلطات إن الانفجار وقع فجرا."])
    await route_new_stories(db, config, [story])
    [card] = await rows(db, 1)
    async with db.write() as session:
        await session.execute(
            update(Outbox)
            .where(Outbox.id == card.id)
            .values(status=outbox.SENT, sent_at=card.not_before + timedelta(days=1), message_id=7)
        )
        await session.execute(update(Story).where(Story.id == story).values(text="فقرة أخيرة تغيرت."))
    assert await queue_corrections(db, config, [story]) == 0


async def test_cards_older_than_telegrams_edit_window_or_unchanged_are_left_alone(
    db: Database, config_factory: Any
) -> None:
    config: Config = config_factory()
    feed = await add_feed(db)
    await add_subscriber(db, 1, subscriptions=[("feed", str(feed))])
    await add_subscriber(db, 2, subscriptions=[("feed", str(feed))])
    story = await add_story(db, feed, OLD, summary=["قالت السلطات إن الانفجار وقع فجرا."])
    await route_new_stories(db, config, [story])
    async with db.write() as session:
        for chat, age in ((1, timedelta(hours=50)), (2, timedelta(hours=1))):
            await session.execute(
                update(Outbox)
                .where(Outbox.chat_id == chat)
                .values(status=outbox.SENT, sent_at=utcnow() - age, message_id=100 + chat)
            )
    # A change the card does not show (the body's last paragraph) edits nothing.
    async with db.write() as session:
        await session.execute(update(Story).where(Story.id == story).values(text="فقرة أخيرة تغيرت."))
    assert await queue_corrections(db, config, [story]) == 0
    await _correct(db, story, NEW)
    assert await queue_corrections(db, config, [story]) == 1
    [edit] = [r for r in await rows(db) if r.kind == outbox.EDIT]
    assert edit.chat_id == 2 and edit.payload["edit_message_id"] == 102


async def test_a_card_still_queued_goes_out_corrected(db: Database, config_factory: Any) -> None:
    config: Config = config_factory()
    feed = await add_feed(db)
    # Quiet hours hold the card until morning.
    await add_subscriber(
        db, 1, subscriptions=[("feed", str(feed))], quiet_start="00:00", quiet_end="23:59", timezone="UTC"
    )
    story = await add_story(db, feed, OLD)
    await route_new_stories(db, config, [story])
    await _correct(db, story, NEW)
    assert await queue_corrections(db, config, [story]) == 0  # nothing to edit: it is not sent yet
    async with db.read() as session:
        [card] = (await session.scalars(select(Outbox))).all()
    assert card.status == outbox.PENDING and NEW in card.payload["text"] and OLD not in card.payload["text"]


async def test_a_headline_the_feed_corrects_is_corrected_in_the_chat(
    bot_factory: Any, fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    """The whole path: the feed re-publishes an item (same guid) with a new headline; the card the
    subscriber already has is edited to it."""
    chat = 3300
    url = feed_server.add_feed("bbc", feed_server.stories[:2])
    async with bot_factory(feeds=[{"url": url, "name": "بي بي سي", "interval": 1}]) as app:
        db = services(app).db
        async with db.read() as session:
            feed_id = await session.scalar(select(Feed.id).where(Feed.url == url))
        await add_subscriber(db, chat, subscriptions=[("feed", str(feed_id))])
        async with asyncio.timeout(15):  # the first poll stores the back catalogue, sends nothing
            while not (await session_count(db, feed_id)) >= 2:
                await asyncio.sleep(0.05)
        fresh = feed_server.stories[5].variant("new")
        feed_server.add_item("bbc", fresh)
        [card] = await fake_telegram.wait_for_messages(chat, count=1, timeout=20)
        corrected = replace(fresh, title=fresh.title + " (محدث)")
        feed_server.set_items("bbc", [corrected, *feed_server.stories[:2]])
        async with asyncio.timeout(20):
            while not card["edits"]:
                await asyncio.sleep(0.05)
    assert card["plain_text"].split("\n")[0] == corrected.title.strip()
    assert len(fake_telegram.sent_messages(chat)) == 1


async def session_count(db: Database, feed_id: int | None) -> int:
    async with db.read() as session:
        return int(
            await session.scalar(select(func.count()).select_from(Story).where(Story.feed_id == feed_id)) or 0
        )


async def test_a_card_the_reader_expanded_stays_expanded_when_corrected(
    bot_factory: Any, fake_telegram: FakeTelegram
) -> None:
    chat = 3301
    async with bot_factory() as app:
        db, config = services(app).db, services(app).config
        story = await _deliver_one(app, chat)
        [card] = await fake_telegram.wait_for_messages(chat, count=1, timeout=10)
        await fake_telegram.callback_query(chat, card["message_id"], f"more:{story}")
        await until(lambda: _recorded_expanded(db, chat))  # the button's work is done
        await _correct(db, story, "افتتاح مستشفى جديد في العاصمة بثلاثمئة سرير")
        assert await queue_corrections(db, config, [story]) == 1
        delivery.wake(app)
        async with asyncio.timeout(10):
            while len(card["edits"]) < 2:
                await asyncio.sleep(0.05)
    text = card["plain_text"]
    assert text.startswith("افتتاح مستشفى جديد في العاصمة بثلاثمئة سرير")
    assert all(s in text for s in SENTENCES[:5])  # still the expanded card the reader asked for


async def _recorded_expanded(db: Database, chat: int) -> bool:
    return any((r.payload or {}).get("expanded") for r in await rows(db, chat))


async def _digest_reader(db: Database, chat: int, feed: int) -> None:
    """A digest-mode chat whose last digest was a day ago: run_digests builds one at once."""
    now = utcnow()
    await add_subscriber(
        db,
        chat,
        since=now - timedelta(days=2),
        subscriptions=[("feed", str(feed))],
        mode="digest",
        timezone="UTC",
        digest_times=["00:00", "12:00"],
        last_digest_at=now - timedelta(days=1),
    )


async def test_a_sent_digest_is_edited_where_it_lists_the_corrected_story(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    config: Config = config_factory()
    feed = await add_feed(db)
    await _digest_reader(db, 1, feed)
    other = "افتتاح جسر جديد فوق النهر"
    story = await add_story(db, feed, OLD, summary=["قالت السلطات إن الانفجار وقع فجرا."])
    await route_new_stories(db, config, [story, await add_story(db, feed, other)])
    assert await run_digests(db, config) == 1
    async with sending(bot, db, config):
        [digest] = await fake_telegram.wait_for_messages(1, count=1)
        await until(lambda: _digests_sent(db))
        await _correct(db, story, NEW)
        assert await queue_corrections(db, config, [story]) == 1
        assert await queue_corrections(db, config, [story]) == 0  # seen again: nothing more
        await until(lambda: _edits_sent(db))
        assert NEW in digest["plain_text"] and OLD not in digest["plain_text"]
        assert other in digest["plain_text"]  # the rest of the digest as it was
        # Corrected back: the digest follows again (the row holds what the message shows now).
        await _correct(db, story, OLD)
        assert await queue_corrections(db, config, [story]) == 1
        await until(lambda: _edits_sent(db))
    assert OLD in digest["plain_text"] and NEW not in digest["plain_text"]
    assert len(digest["edits"]) == 2
    assert len(fake_telegram.sent_messages(1)) == 1  # edited, never sent again


async def _digests_sent(db: Database) -> bool:
    return all(r.status == outbox.SENT for r in await rows(db) if r.kind == outbox.DIGEST)


async def test_a_digest_still_queued_goes_out_corrected(db: Database, config_factory: Any) -> None:
    config: Config = config_factory()
    feed = await add_feed(db)
    await _digest_reader(db, 1, feed)
    story = await add_story(db, feed, OLD)
    await route_new_stories(db, config, [story])
    assert await run_digests(db, config) == 1
    await _correct(db, story, NEW)
    assert await queue_corrections(db, config, [story]) == 0
    [digest] = [r for r in await rows(db) if r.kind == outbox.DIGEST]
    assert digest.status == outbox.PENDING
    assert NEW in digest.payload["text"] and OLD not in digest.payload["text"]


async def test_an_english_readers_digest_item_is_corrected_in_english(
    db: Database, config_factory: Any
) -> None:
    config: Config = config_factory()
    feed = await add_feed(db)
    await _digest_reader(db, 1, feed)
    async with db.write() as session:
        await session.execute(update(Subscriber).where(Subscriber.chat_id == 1).values(language="en"))
    story = await add_story(db, feed, "Talks resume in Geneva", summary=["Both sides sent delegations."])
    await route_new_stories(db, config, [story])
    assert await run_digests(db, config) == 1
    await _correct(db, story, "Talks resume in Geneva on Monday")
    await queue_corrections(db, config, [story])
    [digest] = [r for r in await rows(db) if r.kind == outbox.DIGEST]
    assert "Talks resume in Geneva on Monday" in digest.payload["text"]
    assert "\u200f" not in digest.payload["text"]  # no right-to-left mark in an English message
