"""The sender against the fake Telegram Bot API: limits, errors, restarts, quiet hours, digests."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select, update
from telegram import Bot

from bot.clock import utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Outbox, Subscriber, Subscription
from bot.delivery import outbox
from bot.delivery.digest import run_digests
from bot.delivery.routing import route_new_stories
from bot.delivery.sender import MAX_IN_FLIGHT, Sender
from bot.subscribers import service as subscriber_service
from tests.fakes.telegram_api import FakeTelegram, RateLimits
from tests.helpers import ADMIN_ID
from tests.test_routing import add_feed, add_story, add_subscriber, rows

ROOT = Path(__file__).resolve().parents[1]


async def until(
    condition: Callable[[], Awaitable[bool]], timeout: float = 10.0, what: str = "condition"
) -> None:
    """Wait for a condition checked against the database (with a deadline, not a fixed sleep)."""
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.02)
    _ = what


@pytest_asyncio.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as client:
        yield client


@asynccontextmanager
async def sending(client: Bot, db: Database, config: Config, **kwargs: Any) -> AsyncIterator[Sender]:
    sender = Sender(client, db, config, idle_poll=0.2, **kwargs)
    task = asyncio.create_task(sender.run())
    try:
        yield sender
    finally:
        await sender.stop()
        await asyncio.wait_for(task, 5)


async def status_of(db: Database, chat_id: int) -> list[str]:
    return [row.status for row in await rows(db, chat_id)]


async def queue(db: Database, chat_id: int, text: str = "رسالة", key: str = "m1") -> None:
    await outbox.enqueue_text(db, chat_id, text, kind="text", dedup_key=key)


# --------------------------------------------------------------------------- the happy path


async def test_sends_each_row_once_and_records_it(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    config = config_factory()
    feed = await add_feed(db)
    for chat in (1, 2, 3):
        await add_subscriber(db, chat, subscriptions=[("feed", str(feed))])
    story = await add_story(db, feed, "عنوان <الخبر> & تفاصيله")
    await route_new_stories(db, config, [story])
    async with sending(bot, db, config):
        for chat in (1, 2, 3):
            [message] = await fake_telegram.wait_for_messages(chat, count=1)
            assert message["plain_text"].startswith("عنوان <الخبر> & تفاصيله")
            assert message["parse_mode"] == "HTML"
            assert message["link_preview_options"] == {"is_disabled": True}
            buttons = message["reply_markup"]["inline_keyboard"][0]
            assert [b["text"] for b in buttons] == ["المصدر"]
        await until(lambda: _all_sent(db))
    sent = await rows(db)
    assert {row.message_id for row in sent} == {
        m["message_id"] for c in (1, 2, 3) for m in fake_telegram.sent_messages(c)
    }
    assert await outbox.pending_count(db) == 0


async def _all_sent(db: Database) -> bool:
    return all(row.status == "sent" for row in await rows(db))


async def test_the_same_message_is_never_queued_twice(db: Database) -> None:
    assert await outbox.enqueue_text(db, 5, "أ", kind="text", dedup_key="same") == 1
    assert await outbox.enqueue_text(db, 5, "ب", kind="text", dedup_key="same") == 0
    assert len(await rows(db, 5)) == 1


async def test_broadcast_reaches_every_active_subscriber_once(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    config = config_factory()
    for chat in (11, 12, 13):
        await add_subscriber(db, chat, active=chat != 13)
    assert await outbox.enqueue_broadcast(db, 1, "<b>إعلان</b> مهم") == 2
    assert await outbox.enqueue_broadcast(db, 1, "<b>إعلان</b> مهم") == 0
    async with sending(bot, db, config):
        await fake_telegram.wait_for_messages(11)
        await fake_telegram.wait_for_messages(12)
        await until(lambda: _all_sent(db))
    assert fake_telegram.sent_messages(13) == []
    assert [m["plain_text"] for m in fake_telegram.sent_messages(11)] == ["إعلان مهم"]


# --------------------------------------------------------------------------- Telegram's errors


async def test_429_waits_out_retry_after_then_delivers(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    config = config_factory()
    fake_telegram.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 1",
        parameters={"retry_after": 1},
    )
    await queue(db, 21)
    async with sending(bot, db, config) as sender:
        await fake_telegram.wait_for_messages(21, timeout=5)
    refused, delivered = fake_telegram.calls("sendMessage")
    assert refused["status"] == 429 and delivered["status"] == 200
    assert delivered["time"] - refused["time"] >= 1.0
    assert sender.stats["retry_after"] == 1
    assert len(fake_telegram.sent_messages(21)) == 1


async def test_403_marks_the_subscriber_inactive_and_drops_its_queue(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    config = config_factory()
    await add_subscriber(db, 31)
    await add_subscriber(db, 32)
    fake_telegram.block_chat(31)
    await outbox.enqueue_text(db, 31, "أولى", kind="story", dedup_key="a")
    await outbox.enqueue_text(db, 31, "ثانية", kind="story", dedup_key="b")
    await outbox.enqueue_text(db, 32, "للآخر", kind="story", dedup_key="a")
    async with sending(bot, db, config):
        await fake_telegram.wait_for_messages(32)
        await until(lambda: _inactive(db, 31))
        await until(lambda: _no_pending(db, 31))
    async with db.read() as session:
        sub = await session.get(Subscriber, 31)
    assert sub is not None and not sub.active and "blocked" in (sub.inactive_reason or "")
    assert await status_of(db, 31) == ["withdrawn", "withdrawn"]  # not sent, and no delivery failure
    assert len(fake_telegram.calls("sendMessage")) == 2  # one refused, then the chat is skipped


async def _inactive(db: Database, chat: int) -> bool:
    async with db.read() as session:
        sub = await session.get(Subscriber, chat)
        return sub is not None and not sub.active


async def _no_pending(db: Database, chat: int) -> bool:
    return all(s not in ("pending", "sending") for s in await status_of(db, chat))


async def test_a_migrated_group_is_followed_to_its_new_chat_id(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    config = config_factory()
    feed = await add_feed(db)
    old, new = -4001, -1004001
    await add_subscriber(db, old, chat_type="group", subscriptions=[("feed", str(feed))])
    fake_telegram.migrate_chat(old, new)
    await queue(db, old, "إلى المجموعة")
    async with sending(bot, db, config):
        [message] = await fake_telegram.wait_for_messages(new)
    assert message["plain_text"] == "إلى المجموعة"
    async with db.read() as session:
        assert await session.get(Subscriber, old) is None
        moved = await session.get(Subscriber, new)
        subs = list((await session.scalars(select(Subscription).where(Subscription.chat_id == new))).all())
    assert moved is not None and moved.active and moved.chat_type == "supergroup"
    assert [(s.kind, s.target) for s in subs] == [("feed", str(feed))]
    assert [(r.chat_id, r.status) for r in await rows(db)] == [(new, "sent")]


async def test_network_errors_are_retried_with_backoff(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    config = config_factory()
    fake_telegram.drop_next("sendMessage", 2)
    await queue(db, 41)
    async with sending(bot, db, config, retry_base=0.05):
        await fake_telegram.wait_for_messages(41)
        await until(lambda: _all_sent(db))
    [row] = await rows(db, 41)
    assert row.attempts == 3 and len(fake_telegram.sent_messages(41)) == 1


async def test_gives_up_after_max_retries_with_a_clear_reason(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    config = config_factory(delivery={"max_retries": 2})
    fake_telegram.fail_next("sendMessage", 5, error_code=502, description="Bad Gateway")
    await queue(db, 42)
    async with sending(bot, db, config, retry_base=0.05):
        await until(lambda: _no_pending(db, 42))
    [row] = await rows(db, 42)
    assert row.status == "failed" and "gave up after 2 attempts" in (row.last_error or "")


async def test_bad_request_fails_the_row_and_repeated_failures_alert_the_admins(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    config = config_factory(delivery={"failure_alert_threshold": 2})
    fake_telegram.fail_next("sendMessage", 2, error_code=400, description="Bad Request: can't parse entities")
    await queue(db, 51, key="x")
    await queue(db, 52, key="x")
    async with sending(bot, db, config):
        [alert] = await fake_telegram.wait_for_messages(ADMIN_ID)
    assert "٢" in alert["plain_text"] and "تنبيه" in alert["plain_text"]
    assert "Can't parse entities" in alert["plain_text"]  # why, for an Arabic-speaking admin too
    assert await status_of(db, 51) == ["failed"] and await status_of(db, 52) == ["failed"]
    [row] = await rows(db, 51)
    assert "can't parse entities" in (row.last_error or "").lower()


# --------------------------------------------------------------------------- limits


async def test_keeps_telegrams_limits_no_429(
    fake_telegram_factory: Any, db: Database, config_factory: Any
) -> None:
    fake: FakeTelegram = await fake_telegram_factory(rate_limits=RateLimits())
    config = config_factory()
    for chat in range(100, 140):
        await queue(db, chat)
    for i in range(3):  # three messages to one chat: one a second
        await queue(db, 99, f"رسالة {i}", key=f"k{i}")
    async with Bot(fake.token, base_url=fake.base_url) as client, sending(client, db, config):
        await fake.wait_for_messages(99, count=3, timeout=10)
        await until(lambda: _all_sent(db))
    assert [c["status"] for c in fake.calls("sendMessage")].count(429) == 0
    assert [m["plain_text"] for m in fake.sent_messages(99)] == ["رسالة 0", "رسالة 1", "رسالة 2"]
    times = [m["time"] for m in fake.sent_messages(99)]
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))


# --------------------------------------------------------------------------- quiet hours and digests


async def test_quiet_hours_hold_the_message_back(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    config = config_factory()
    feed = await add_feed(db)
    now = utcnow()
    quiet = {
        "timezone": "UTC",
        "quiet_start": (now - timedelta(hours=1)).strftime("%H:%M"),
        "quiet_end": (now + timedelta(hours=1)).strftime("%H:%M"),
    }
    await add_subscriber(db, 61, subscriptions=[("feed", str(feed))], **quiet)
    await add_subscriber(db, 62, subscriptions=[("feed", str(feed))])
    await route_new_stories(db, config, [await add_story(db, feed)])
    async with sending(bot, db, config):
        await fake_telegram.wait_for_messages(62)
        assert fake_telegram.sent_messages(61) == []
        assert await status_of(db, 61) == ["pending"]
        # The quiet hours end (moved to now): the held story goes out.
        async with db.write() as session:
            await session.execute(update(Outbox).where(Outbox.chat_id == 61).values(not_before=utcnow()))
        outbox.notify(db)
        await fake_telegram.wait_for_messages(61)


async def test_digest_groups_the_periods_stories_by_source_once(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    config = config_factory()
    first, second = await add_feed(db, "المصدر الأول"), await add_feed(db, "المصدر الثاني")
    since = utcnow() - timedelta(days=2)
    await add_subscriber(
        db,
        71,
        since=since,
        subscriptions=[("feed", str(first)), ("feed", str(second))],
        mode="digest",
        timezone="UTC",
        digest_times=[(utcnow() - timedelta(minutes=5)).strftime("%H:%M")],
    )
    ids = [
        await add_story(db, first, "خبر أول", source="المصدر الأول"),
        await add_story(db, second, "خبر ثان", source="المصدر الثاني"),
        await add_story(db, first, "خبر ثالث", source="المصدر الأول"),
    ]
    await route_new_stories(db, config, ids)
    assert await run_digests(db, config) == 1
    assert await run_digests(db, config) == 0  # the same digest time never sends twice
    async with sending(bot, db, config):
        [digest] = await fake_telegram.wait_for_messages(71)
    text = digest["plain_text"]
    assert text.startswith("موجز الأخبار")
    first_block, second_block = text.split("المصدر الثاني")
    assert "خبر أول" in first_block and "خبر ثالث" in first_block and "خبر ثان" in second_block
    assert sorted(Counter(await status_of(db, 71)).items()) == [("digested", 3), ("sent", 1)]


# --------------------------------------------------------------------------- restarts


async def test_stop_mid_fan_out_then_restart_sends_each_chat_exactly_once(
    fake_telegram_factory: Any, db: Database, config_factory: Any
) -> None:
    fake: FakeTelegram = await fake_telegram_factory(rate_limits=RateLimits.disabled(), latency=0.02)
    config = config_factory(telegram={"max_messages_per_second": 200})
    chats = list(range(1000, 1060))
    feed = await add_feed(db)
    for chat in chats:
        await add_subscriber(db, chat, subscriptions=[("feed", str(feed))])
    await route_new_stories(db, config, [await add_story(db, feed)])
    async with Bot(fake.token, base_url=fake.base_url) as client:
        async with sending(client, db, config):
            await fake.wait_for_messages(None, count=15)
        first_run = len(fake.sent_messages())
        assert first_run < len(chats)  # stopped in the middle
        assert "sending" not in await status_of_all(db)  # a clean stop leaves nothing uncertain
        async with sending(client, db, config) as second:
            await until(lambda: _all_sent(db))
    assert second.stats["uncertain"] == 0
    per_chat = Counter(m["chat_id"] for m in fake.sent_messages())
    assert per_chat == Counter(chats)


async def status_of_all(db: Database) -> list[str]:
    return [row.status for row in await rows(db)]


CHILD = """
import asyncio, sys
from telegram import Bot
from bot.config import parse_config
from bot.db.database import open_database
from bot.delivery.sender import Sender

async def main():
    db_url, base_url, token = sys.argv[1:4]
    config = parse_config({"telegram": {"api_base_url": base_url, "max_messages_per_second": 100},
                           "database": {"url": db_url}})
    db = await open_database(db_url)
    async with Bot(token, base_url=base_url) as bot:
        await Sender(bot, db, config).run()

asyncio.run(main())
"""


async def test_killed_mid_fan_out_loses_nothing_and_sends_nothing_twice(
    fake_telegram_factory: Any, db: Database, config_factory: Any
) -> None:
    fake: FakeTelegram = await fake_telegram_factory(rate_limits=RateLimits.disabled(), latency=0.1)
    config = config_factory(telegram={"max_messages_per_second": 100})
    chats = list(range(2000, 2080))
    feed = await add_feed(db)
    for chat in chats:
        await add_subscriber(db, chat, subscriptions=[("feed", str(feed))])
    await route_new_stories(db, config, [await add_story(db, feed)])

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, db.url, fake.base_url, fake.token, env=env, cwd=ROOT
    )
    try:
        await fake.wait_for_messages(None, count=20, timeout=30)
    finally:
        child.send_signal(signal.SIGKILL)  # no clean-up of any kind: as if the power went
        await child.wait()
    killed_at = len(fake.sent_messages())
    assert killed_at < len(chats)

    async with Bot(fake.token, base_url=fake.base_url) as client, sending(client, db, config) as sender:
        await until(lambda: _no_pending_at_all(db), timeout=20)
    statuses = Counter(await status_of_all(db))
    uncertain = statuses["uncertain"]
    assert set(statuses) <= {"sent", "uncertain"}
    assert uncertain <= MAX_IN_FLIGHT and sender.stats["uncertain"] == uncertain
    per_chat = Counter(m["chat_id"] for m in fake.sent_messages() if m["chat_id"] in chats)
    assert max(per_chat.values()) == 1  # nothing twice
    assert len(chats) - len(per_chat) <= uncertain  # only the uncertain ones can be missing
    if uncertain:  # the admins are told how many
        [alert] = await fake.wait_for_messages(ADMIN_ID)
        assert "لن تُرسل مرة أخرى" in alert["plain_text"]


async def _no_pending_at_all(db: Database) -> bool:
    return all(s not in ("pending", "sending") for s in await status_of_all(db))


async def test_stories_waiting_for_a_digest_are_sent_when_the_chat_switches_to_instant(
    db: Database, config_factory: Any
) -> None:
    config = config_factory()
    feed = await add_feed(db)
    await add_subscriber(db, 72, subscriptions=[("feed", str(feed))], mode="digest", digest_times=["08:00"])
    await route_new_stories(db, config, [await add_story(db, feed, "خبر ينتظر الموجز")])
    async with db.write() as session:
        await session.execute(update(Subscriber).where(Subscriber.chat_id == 72).values(mode="instant"))
    assert await run_digests(db, config) == 1
    assert await run_digests(db, config) == 0
    statuses = Counter(await status_of(db, 72))
    assert statuses == Counter({"digested": 1, "pending": 1})
    [digest] = [row for row in await rows(db, 72) if row.kind == "digest"]
    assert "خبر ينتظر الموجز" in digest.payload["text"]


@pytest.mark.parametrize(
    ("chat_type", "refusal"),
    [
        ("supergroup", "Bad Request: not enough rights to send text messages to the chat"),
        # A channel whose admins took the bot's right to post: each story was a failed delivery,
        # and the operator's hourly alert counted them.
        ("channel", "Bad Request: need administrator rights in the channel chat"),
    ],
)
async def test_a_group_that_muted_the_bot_is_not_failed_and_gets_news_again_once_it_may_post(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, chat_type: str, refusal: str
) -> None:
    group = -1004444
    await add_subscriber(db, group, chat_type=chat_type)
    fake_telegram.fail_next("sendMessage", times=2, error_code=400, description=refusal)
    await queue(db, group, "الأول", key="a")
    await queue(db, group, "الثاني", key="b")
    async with sending(bot, db, config_factory()) as sender:
        await until(lambda: _no_pending(db, group))
        # Posting allowed again (Telegram sends no update for a group's permissions): the next
        # story simply goes through.
        await queue(db, group, "الثالث", key="c")
        [message] = await fake_telegram.wait_for_messages(group)
    async with db.read() as session:
        sub = await session.get(Subscriber, group)
    assert message["plain_text"] == "الثالث"
    assert sub is not None and sub.active
    assert await status_of(db, group) == ["withdrawn", "withdrawn", "sent"]
    assert sender.stats["failed"] == 0


async def test_a_stopped_chat_that_turns_out_blocked_is_still_stopped(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    # "blocked" would let the chat come back the next time it opens /settings (subscribers.service
    # resumes a blocked chat that talks to the bot, never a stopped one).
    config = config_factory()
    await add_subscriber(db, 33)
    await subscriber_service.set_inactive(db, 33, subscriber_service.STOPPED)
    fake_telegram.block_chat(33)
    await outbox.enqueue_text(db, 33, "تنبيه", kind="alert", dedup_key="a")
    async with sending(bot, db, config):
        await until(lambda: _no_pending(db, 33))
    async with db.read() as session:
        sub = await session.get(Subscriber, 33)
    assert sub is not None and (sub.active, sub.inactive_reason) == (False, "stopped")


@pytest.mark.parametrize("lost", [True, False])
async def test_a_lost_database_connection_is_one_log_line_not_a_traceback(
    bot: Bot, db: Database, config_factory: Any, caplog: pytest.LogCaptureFixture, lost: bool
) -> None:
    # A PostgreSQL restart mid fan-out logged a hundred lines of asyncpg and SQLAlchemy traceback at
    # ERROR for an event the next lines said was over (a QA pass); anything else keeps its traceback.
    from sqlalchemy.exc import DBAPIError

    sender = Sender(bot, db, config_factory(), idle_poll=0.2)

    async def cycle() -> None:
        await sender.stop()  # one failing cycle, then the loop ends
        error = DBAPIError("SELECT 1", {}, ConnectionResetError("connection was closed in the middle"))
        error.connection_invalidated = lost
        raise error

    sender._cycle = cycle  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="bot.delivery.sender"):
        await asyncio.wait_for(sender.run(), 5)
    [record] = [r for r in caplog.records if "cycle failed" in r.getMessage()]
    if lost:
        assert record.levelno == logging.WARNING and record.exc_info is None
        assert "database connection lost (ConnectionResetError: connection was closed" in record.getMessage()
    else:
        assert record.levelno == logging.ERROR and record.exc_info is not None
