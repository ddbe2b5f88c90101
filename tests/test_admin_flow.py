"""The admin's whole story, through the fake Bot API, the local feed server, the poller and the sender:
a feed added from the chat starts delivering, and admins hear about a feed that keeps failing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from bot.db.models import Feed, Story
from bot.services import services
from bot.subscribers.service import ensure_subscriber, subscribe
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID, USER_ID


async def test_admin_adds_a_feed_and_its_next_stories_reach_a_subscriber(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    stories = feed_server.stories
    url = feed_server.add_feed("live", stories[:3], title="البث المباشر")
    async with bot_factory() as app:
        svc = services(app)
        [reply] = await fake_telegram.converse(ADMIN_ID, f"/addfeed {url} 1", timeout=10)
        assert "أُضيف المصدر" in reply["plain_text"]
        async with svc.db.read() as session:
            feed = (await session.scalars(select(Feed))).one()

        # The first poll stores the three items already in the feed (no flood: nobody gets them).
        await ensure_subscriber(svc.db, svc.config, USER_ID)
        await subscribe(svc.db, USER_ID, "feed", str(feed.id))
        await _stored_stories(svc.db, feed.id, 3)
        [details] = await fake_telegram.converse(ADMIN_ID, f"/feed {feed.id}", timeout=10)
        assert "قصص محفوظة: ٣" in details["plain_text"]
        assert stories[0].title[:100] in details["plain_text"]

        # A story published after that reaches the subscriber, summarised, with its source.
        fresh = stories[5].variant("fresh")
        feed_server.add_item("live", fresh)
        [message] = await fake_telegram.wait_for_messages(USER_ID, count=1, timeout=20)
        assert fresh.title in message["plain_text"]
        assert all(s.title not in message["plain_text"] for s in stories[:3])


async def _stored_stories(db: Any, feed_id: int, count: int) -> None:
    """Wait (bounded) until the background poll has stored the feed's first items."""
    async with asyncio.timeout(15):
        while True:
            async with db.read() as session:
                stored = await session.scalar(
                    select(func.count()).select_from(Story).where(Story.feed_id == feed_id)
                )
            if stored >= count:
                return
            await asyncio.sleep(0.05)  # re-check a condition, under the timeout above


async def test_admins_are_told_when_a_feed_pauses_itself(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    url = feed_server.add_feed("broken", feed_server.stories[:2], title="مصدر متعطل")
    feed_server.set_fault("broken", "500")
    feeds = [{"url": url, "name": "مصدر متعطل", "interval": 1}]
    async with bot_factory(feeds=feeds, fetch={"pause_after_failures": 2, "max_backoff": 2}):
        messages = await fake_telegram.wait_for_messages(ADMIN_ID, count=1, timeout=20)
        assert "مصدر متعطل" in messages[0]["plain_text"]
        assert fake_telegram.sent_messages(USER_ID) == []


async def test_admins_are_told_when_delivery_failures_pass_the_threshold(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    async with bot_factory(delivery={"failure_alert_threshold": 2}) as app:
        svc = services(app)
        for chat in (31, 32):
            await ensure_subscriber(svc.db, svc.config, chat)
        [preview] = await fake_telegram.converse(ADMIN_ID, "/broadcast تجربة", timeout=10)
        # Telegram refuses both broadcast messages.
        fake_telegram.fail_next(
            "sendMessage", 2, error_code=400, description="Bad Request: can't parse entities"
        )
        confirm = preview["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        await fake_telegram.callback_query(ADMIN_ID, preview["message_id"], confirm)
        [alert] = await fake_telegram.wait_for_messages(ADMIN_ID, count=1, since=1, timeout=15)
        assert "تنبيه للمشرفين" in alert["plain_text"]
        assert fake_telegram.sent_messages(31) == [] and fake_telegram.sent_messages(32) == []
