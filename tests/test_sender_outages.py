"""When Telegram is down, or the bot's token stops working, or the bot is stopped while Telegram
holds it back: the real Sender against the fake Bot API. Nothing sleeps to synchronise."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot

from bot.db.database import Database
from bot.delivery import outbox
from bot.delivery.sender import Sender
from bot.delivery.wire import WireRequest
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID
from tests.test_delivery_sender import bot, queue, sending, status_of, until
from tests.test_routing import rows

__all__ = ["bot"]  # a fixture, used by name

CHATS = [901, 902, 903, 904, 905, 906]


async def _settled(db: Database) -> bool:
    return all(r.status not in ("pending", "sending") for r in await rows(db))


async def test_an_outage_longer_than_the_retries_loses_nothing(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    """Telegram answers 502 to fifteen requests in a row, far more than max_retries: it is an
    outage, not six bad messages. Every card arrives once it is over, none is given up, and the
    admins get no "could not deliver" alert for it."""
    config = config_factory(delivery={"max_retries": 2, "failure_alert_threshold": 1})
    fake_telegram.fail_next("sendMessage", 15, error_code=502, description="Bad Gateway")
    for chat in CHATS:
        await queue(db, chat, key=f"card-{chat}")
    async with sending(bot, db, config, retry_base=0.005) as sender:
        await until(lambda: _settled(db), timeout=20)
    for chat in CHATS:
        assert await status_of(db, chat) == ["sent"]
        assert len(fake_telegram.sent_messages(chat)) == 1
    assert sender.stats["outages"] == 1 and sender.stats["failed"] == 0
    assert fake_telegram.sent_messages(ADMIN_ID) == []


async def test_a_rejected_token_stops_the_bot_without_spending_the_queue(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    """The token is revoked at @BotFather while the bot runs (Telegram answers 401): the sender
    tells the application to stop, and every card stays queued for when the operator fixes it."""
    config = config_factory()
    fake_telegram.fail_next("sendMessage", 50, error_code=401, description="Unauthorized")
    for chat in CHATS:
        await queue(db, chat, key=f"card-{chat}")
    stopped = asyncio.Event()
    async with sending(bot, db, config, on_token_rejected=stopped.set):
        await asyncio.wait_for(stopped.wait(), 10)
    assert {r.status for r in await rows(db)} == {"pending"}
    assert len(fake_telegram.calls("sendMessage")) <= 16  # what was in flight, not retry after retry


async def test_a_stop_while_telegram_holds_the_bot_back_leaves_nothing_uncertain(
    fake_telegram: FakeTelegram, db: Database, config_factory: Any
) -> None:
    """A 429 asks to wait 30 s; PTB's rate limiter waits inside the request, and the bot is
    stopped meanwhile (a deploy). Those cards never reached Telegram: the next start sends them,
    rather than marking them uncertain and telling the admins the bot stopped abruptly."""
    config = config_factory()
    fake_telegram.fail_next(
        "sendMessage",
        1,
        error_code=429,
        description="Too Many Requests: retry after 30",
        parameters={"retry_after": 30},
    )
    await queue(db, 911, key="held")
    limiter: AIORateLimiter = AIORateLimiter(max_retries=3)
    client = ExtBot(
        fake_telegram.token, base_url=fake_telegram.base_url, request=WireRequest(), rate_limiter=limiter
    )
    async with client:
        sender = Sender(client, db, config, idle_poll=0.2)
        task = asyncio.create_task(sender.run())
        await fake_telegram.wait_for("sendMessage")  # refused with the 429: the limiter now waits
        await sender.stop(timeout=0.5)
        await asyncio.wait_for(task, 5)
    assert await status_of(db, 911) == ["pending"]
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as plain:
        async with sending(plain, db, config) as again:
            await fake_telegram.wait_for_messages(911)
            await until(lambda: _settled(db))
        assert again.stats["uncertain"] == 0
    assert await status_of(db, 911) == ["sent"]
    assert len(fake_telegram.sent_messages(911)) == 1
    assert [r for r in await rows(db, ADMIN_ID) if r.kind == outbox.ALERT] == []
