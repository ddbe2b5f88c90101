"""A group upgraded to a supergroup: what was queued, chosen and sent follows it, and nothing the
bot does in the new chat touches a message by an id that belonged to the old one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy import select
from telegram import Bot

from bot.clock import utcnow
from bot.db.database import Database
from bot.db.models import Outbox, Subscriber, Subscription
from bot.delivery import outbox
from bot.delivery.sender import Sender, migrate_chat
from bot.subscribers import service
from tests.fakes.telegram_api import FakeTelegram
from tests.test_routing import add_feed, add_subscriber, rows

OLD, NEW = -4101, -1004101


@pytest_asyncio.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as client:
        yield client


async def _sent_card(db: Database, chat_id: int, message_id: int) -> None:
    async with db.write() as session:
        session.add(
            Outbox(
                chat_id=chat_id,
                kind=outbox.STORY,
                dedup_key="story:1",
                payload={"text": "<b>وزير المالية يعلن الموازنة</b>"},
                status=outbox.SENT,
                sent_at=utcnow(),
                message_id=message_id,
            )
        )


async def _settled(db: Database) -> bool:
    return all(r.status not in (outbox.PENDING, outbox.SENDING) for r in await rows(db))


async def test_an_edit_queued_for_the_old_group_never_rewrites_a_message_of_the_new_one(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    await add_subscriber(db, OLD, chat_type="group")
    fake_telegram.migrate_chat(OLD, NEW)
    # Message 1 of the supergroup is something else the bot said there.
    answer = await bot.send_message(NEW, "انفجار في دمشق")
    await _sent_card(db, OLD, answer.message_id)  # the old group's card had the same number
    async with db.write() as session:
        session.add(
            Outbox(
                chat_id=OLD,
                kind=outbox.EDIT,
                dedup_key="edit:1:1:x",
                payload={
                    "text": "<b>وزير المالية يعلن موازنة 2025</b>",
                    "edit_message_id": answer.message_id,
                },
            )
        )
    await outbox.enqueue_text(db, OLD, "بعد الانتقال", kind="text", dedup_key="later")
    sender = Sender(bot, db, config_factory(), idle_poll=0.05)
    task = asyncio.create_task(sender.run())
    try:
        await fake_telegram.wait_for_messages(NEW, count=2)
        async with asyncio.timeout(10):
            while not await _settled(db):
                await asyncio.sleep(0.02)
    finally:
        await sender.stop()
        await asyncio.wait_for(task, 5)
    shown = fake_telegram.message(NEW, answer.message_id)
    assert shown is not None and shown["plain_text"] == "انفجار في دمشق"
    assert [m["plain_text"] for m in fake_telegram.sent_messages(NEW)] == ["انفجار في دمشق", "بعد الانتقال"]
    edit = next(r for r in await rows(db) if r.kind == outbox.EDIT)
    assert edit.status == outbox.WITHDRAWN  # not a delivery failure: nothing went wrong
    assert not [
        c for c in fake_telegram.calls("editMessageText") if c["params"].get("chat_id") in (NEW, str(NEW))
    ]


async def test_the_groups_settings_survive_a_member_registering_the_new_chat_first(db: Database) -> None:
    feed = await add_feed(db)
    await add_subscriber(
        db,
        OLD,
        chat_type="group",
        mode="digest",
        digest_times=["09:00"],
        timezone="Africa/Cairo",
        language="en",
        sentences=2,
        subscriptions=[("feed", str(feed)), ("keyword", "سوريا")],
    )
    # A member's /start in the supergroup reached the bot before the message saying it moved.
    await add_subscriber(db, NEW, chat_type="supergroup", subscriptions=[("keyword", "سوريا")])
    await migrate_chat(db, OLD, NEW)
    moved = await service.get_subscriber(db, NEW)
    assert moved is not None
    assert (moved.mode, moved.digest_times, moved.timezone, moved.language, moved.sentences) == (
        "digest",
        ["09:00"],
        "Africa/Cairo",
        "en",
        2,
    )
    assert moved.chat_type == "supergroup"
    async with db.read() as session:
        subs = sorted((s.kind, s.target) for s in await session.scalars(select(Subscription)))
        assert await session.get(Subscriber, OLD) is None
    assert subs == [("feed", str(feed)), ("keyword", "سوريا")]


async def test_forget_in_the_supergroup_deletes_what_the_old_group_was_sent(db: Database) -> None:
    await add_subscriber(db, OLD, chat_type="group")
    await _sent_card(db, OLD, message_id=5)
    await migrate_chat(db, OLD, NEW)
    # The record moved without its message number: «المزيد» on the supergroup's own message 5 is
    # not taken for the old group's card.
    assert await outbox.card_shown(db, NEW, 5) is None
    assert [(r.chat_id, r.status) for r in await rows(db)] == [(NEW, outbox.SENT)]
    assert await service.forget(db, NEW)
    assert await rows(db) == []
