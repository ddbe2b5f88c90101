"""End to end: the real Application against the fake Bot API delivers a routed story to a chat, in
Arabic and in English, and the "المزيد" button expands the card in place."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed, Story
from bot.delivery import outbox
from bot.delivery import service as delivery
from bot.delivery.routing import route_new_stories
from bot.services import services
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegram
from tests.test_routing import add_feed, add_story, add_subscriber

SENTENCES = [
    "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في العاصمة.",
    "ويضم المستشفى ثلاثمئة سرير وقسمًا للطوارئ يعمل على مدار الساعة.",
    "وقال الوزير إن المشروع تأخر عامين بسبب نقص التمويل.",
    "وأضاف أن مستشفيين آخرين سيفتتحان قبل نهاية العام.",
    "ورحب سكان المدينة بالخطوة وطالبوا بتحسين الطرق المؤدية إليه.",
    "ويأتي الافتتاح ضمن خطة حكومية لتطوير القطاع الصحي.",
]


async def _deliver_one(app: Any, chat_id: int, **settings: Any) -> int:
    svc = services(app)
    db: Database = svc.db
    config: Config = svc.config
    feed = await add_feed(db, "وكالة الأنباء")
    await add_subscriber(db, chat_id, subscriptions=[("feed", str(feed))], sentences=2, **settings)
    story = await add_story(
        db,
        feed,
        "افتتاح مستشفى جديد في العاصمة",
        summary=SENTENCES,
        source="وكالة الأنباء",
        url="https://news.example/1",
    )
    assert await route_new_stories(db, config, [story]) == 1
    delivery.wake(app)
    return story


async def test_story_arrives_in_arabic_and_more_expands_it(
    bot_factory: Any, fake_telegram: FakeTelegram
) -> None:
    chat = 3001
    async with bot_factory() as app:
        story = await _deliver_one(app, chat)
        [message] = await fake_telegram.wait_for_messages(chat, count=1, timeout=10)
        lines = message["plain_text"].split("\n")
        assert lines[0] == "افتتاح مستشفى جديد في العاصمة"
        assert lines[1].startswith("وكالة الأنباء · ")
        assert re.fullmatch(r"وكالة الأنباء · [٠-٩]{2}:[٠-٩]{2}", lines[1])
        assert SENTENCES[0] in message["plain_text"] and SENTENCES[1] in message["plain_text"]
        assert SENTENCES[2] not in message["plain_text"]
        assert not re.search(r"[A-Za-z]", message["plain_text"])  # Arabic only
        bold_link = [e for e in message["entities"] if e["type"] == "text_link"]
        assert bold_link and bold_link[0]["url"] == "https://news.example/1"
        [[source, more]] = message["reply_markup"]["inline_keyboard"]
        assert source == {"text": "المصدر", "url": "https://news.example/1"}
        assert more == {"text": "المزيد", "callback_data": f"more:{story}"}

        await fake_telegram.callback_query(chat, message["message_id"], f"more:{story}")
        await fake_telegram.wait_for("editMessageText", timeout=10)
        edited = fake_telegram.message(chat, message["message_id"])
        assert edited is not None
        assert all(s in edited["plain_text"] for s in SENTENCES[:5])
        assert [b["text"] for b in edited["reply_markup"]["inline_keyboard"][0]] == ["المصدر"]
        assert len(fake_telegram.sent_messages(chat)) == 1  # edited in place, nothing new sent


async def test_story_arrives_with_english_labels_for_an_english_subscriber(
    bot_factory: Any, fake_telegram: FakeTelegram
) -> None:
    chat = 3002
    async with bot_factory() as app:
        await _deliver_one(app, chat, language="en", timezone="Europe/London")
        [message] = await fake_telegram.wait_for_messages(chat, count=1, timeout=10)
    assert re.fullmatch(r"وكالة الأنباء · \d{2}:\d{2}", message["plain_text"].split("\n")[1])
    assert [b["text"] for b in message["reply_markup"]["inline_keyboard"][0]] == ["Source", "More"]
    assert SENTENCES[0] in message["plain_text"]


async def test_stopping_the_application_mid_fan_out_then_restarting_sends_each_chat_once(
    bot_factory: Any, fake_telegram: FakeTelegram
) -> None:
    chats = list(range(3100, 3150))
    async with bot_factory() as app:
        db = services(app).db
        feed = await add_feed(db, "وكالة الأنباء")
        for chat in chats:
            await add_subscriber(db, chat, subscriptions=[("feed", str(feed))])
        story = await add_story(db, feed, "خبر للجميع", summary=SENTENCES[:2])
        await route_new_stories(db, services(app).config, [story])
        delivery.wake(app)
        await fake_telegram.wait_for_messages(None, count=10, timeout=10)
    # A clean stop: what was in flight finished, nothing was given up or left uncertain.
    first = Counter(m["chat_id"] for m in fake_telegram.sent_messages())
    assert sum(first.values()) < len(chats)
    async with bot_factory() as app:
        statuses = Counter(await outbox.status_counts(services(app).db))
        assert statuses["failed"] == statuses["uncertain"] == 0  # leftovers of a kill would be uncertain
        await fake_telegram.wait_for_messages(None, count=len(chats), timeout=15)
    assert Counter(m["chat_id"] for m in fake_telegram.sent_messages()) == Counter(chats)


async def _stories_of(db: Database, feed_id: int) -> int:
    async with db.read() as session:
        return int(
            await session.scalar(select(func.count()).select_from(Story).where(Story.feed_id == feed_id)) or 0
        )


@pytest.mark.parametrize("language", ["ar", "en"])
async def test_an_item_published_on_a_feed_arrives_in_the_subscribers_chat(
    language: str, bot_factory: Any, fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    """The whole path: feed server → poller → summary → routing → outbox → sender → chat."""
    chat = 3200
    url = feed_server.add_feed("arabiya", feed_server.stories[:3])
    async with bot_factory(feeds=[{"url": url, "name": "العربية", "interval": 1}]) as app:
        db = services(app).db
        async with db.read() as session:
            feed_id = await session.scalar(select(Feed.id).where(Feed.url == url))
        assert feed_id is not None
        await add_subscriber(db, chat, subscriptions=[("feed", str(feed_id))], language=language)
        # The first poll of a new feed stores its items and sends none (no flood).
        async with asyncio.timeout(15):
            while await _stories_of(db, feed_id) < 3:
                await asyncio.sleep(0.05)
        fresh = feed_server.stories[5].variant("new")
        feed_server.add_item("arabiya", fresh)
        [message] = await fake_telegram.wait_for_messages(chat, count=1, timeout=20)
    text = message["plain_text"]
    assert text.split("\n")[0] == fresh.title.strip()
    assert text.split("\n")[1].startswith("العربية · ")
    body = text.split("\n", 3)[-1]
    assert len(body) > 40 and all(w in fresh.text + fresh.abstract for w in body.split()[:3])
    labels = [b["text"] for b in message["reply_markup"]["inline_keyboard"][0]]
    assert labels[0] == ("المصدر" if language == "ar" else "Source")
    assert len(fake_telegram.sent_messages(chat)) == 1  # the three older items were not pushed
