"""End to end: /start, /help, /language, /stop and the command menu, against the fake Bot API."""

from __future__ import annotations

from typing import Any

import pytest

from bot.db.models import Subscriber
from bot.subscribers import service
from tests.helpers import USER_ID
from tests.test_subscriber_support import SECTIONS, db_of, no_feed_polling

EXPECTED_COMMANDS = {
    "start",
    "help",
    "subscribe",
    "unsubscribe",
    "mysubs",
    "follow",
    "unfollow",
    "topics",
    "latest",
    "search",
    "settings",
    "language",
    "stop",
}


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_feed_polling(monkeypatch)
    return bot_factory(**SECTIONS)


async def _subscriber(app: Any, chat_id: int) -> Subscriber | None:
    return await service.get_subscriber(db_of(app), chat_id)


async def test_start_in_arabic_registers_the_chat(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        [reply] = await fake_telegram.converse(USER_ID, "/start", language_code="ar")
        assert "أهلًا بك في أخبار" in reply["plain_text"]
        assert "/subscribe" in reply["plain_text"]
        sub = await _subscriber(app, USER_ID)
        assert sub is not None and sub.active and sub.language == "ar"
        assert sub.chat_type == "private"
        assert sub.mode == "instant" and sub.digest_times == ["08:00", "20:00"]
        assert sub.timezone == "Asia/Riyadh" and sub.sentences == 3
