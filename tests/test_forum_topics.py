"""Forum supergroups: news goes to the topic the group's admins set the bot up from, not to
General, and back to General if that topic is deleted."""

from __future__ import annotations

from typing import Any

import pytest

from bot.delivery import service as delivery
from bot.delivery.routing import route_new_stories
from bot.services import services
from bot.subscribers import service
from tests.test_routing import add_story
from tests.test_subscriber_support import SECTIONS, db_of, feed_id, no_background_jobs

FORUM = -1007000000
ADMIN, MEMBER = 3100, 3200
NEWS_TOPIC, CHAT_TOPIC = 42, 77


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS)


def _in_topic(chat: dict[str, Any], text: str, message_id: int, *, topic: int, user: int) -> dict[str, Any]:
    command = text.split()[0]
    return {
        "message": {
            "message_id": message_id,
            "date": 0,
            "chat": chat,
            "message_thread_id": topic,
            "is_topic_message": True,
            "from": {"id": user, "is_bot": False, "first_name": "مشرف", "language_code": "ar"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        }
    }


def _forum(fake_telegram: Any) -> dict[str, Any]:
    chat = fake_telegram.add_chat(FORUM, "supergroup", title="منتدى الأخبار")
    chat["is_forum"] = True
    fake_telegram.set_chat_admins(FORUM, [ADMIN])
    return dict(chat)


async def test_news_goes_to_the_topic_the_admins_subscribed_from(bot: Any, fake_telegram: Any) -> None:
    chat = _forum(fake_telegram)
    async with bot as app:
        db = db_of(app)
        await fake_telegram.inject_update(
            _in_topic(chat, "/subscribe الجزيرة نت", 500, topic=NEWS_TOPIC, user=ADMIN)
        )
        [reply] = await fake_telegram.wait_for_messages(FORUM)
        # A member's question in another topic is answered there and moves nothing; nor does an
        # admin looking at the settings from there.
        await fake_telegram.inject_update(_in_topic(chat, "/latest", 501, topic=CHAT_TOPIC, user=MEMBER))
        await fake_telegram.wait_for_messages(FORUM, since=1)
        await fake_telegram.inject_update(_in_topic(chat, "/settings", 502, topic=CHAT_TOPIC, user=ADMIN))
        await fake_telegram.wait_for_messages(FORUM, since=2)
        story = await add_story(
            db, await feed_id(db, "الجزيرة نت"), "ارتفاع أسعار النفط عالميا", url="https://n.example/1"
        )
        assert await route_new_stories(db, services(app).config, [story]) == 1
        delivery.wake(app)
        cards = await fake_telegram.wait_for_messages(FORUM, since=3, timeout=10)
    assert reply["params"].get("message_thread_id") == NEWS_TOPIC
    assert [c["plain_text"].splitlines()[0] for c in cards] == ["ارتفاع أسعار النفط عالميا"]
    assert cards[0]["params"].get("message_thread_id") == NEWS_TOPIC


async def test_news_falls_back_to_general_when_the_topic_is_deleted(bot: Any, fake_telegram: Any) -> None:
    chat = _forum(fake_telegram)
    async with bot as app:
        db = db_of(app)
        await fake_telegram.inject_update(
            _in_topic(chat, "/subscribe الجزيرة نت", 500, topic=NEWS_TOPIC, user=ADMIN)
        )
        await fake_telegram.wait_for_messages(FORUM)
        fake_telegram.fail_next(
            "sendMessage", error_code=400, description="Bad Request: message thread not found"
        )
        story = await add_story(
            db, await feed_id(db, "الجزيرة نت"), "ارتفاع أسعار النفط عالميا", url="https://n.example/1"
        )
        await route_new_stories(db, services(app).config, [story])
        delivery.wake(app)
        [card] = await fake_telegram.wait_for_messages(FORUM, since=1, timeout=10)
        sub = await service.get_subscriber(db, FORUM)
    assert card["plain_text"].startswith("ارتفاع أسعار النفط عالميا")
    assert card["params"].get("message_thread_id") is None
    assert sub is not None and sub.thread_id is None and sub.active
