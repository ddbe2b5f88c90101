"""End to end: /start, /help, /language, /stop and the command menu, against the fake Bot API."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.clock import as_utc, utcnow
from bot.db.models import Subscriber
from bot.subscribers import service
from tests.helpers import USER_ID
from tests.test_subscriber_support import SECTIONS, db_of, no_background_jobs

EXPECTED_COMMANDS = {
    "start",
    "forget",
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
    no_background_jobs(monkeypatch)
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


async def test_start_in_english_for_an_english_telegram_user(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        [reply] = await fake_telegram.converse(USER_ID, "/start", language_code="en-GB")
        assert reply["plain_text"].startswith("Welcome to Akhbar")
        assert "/subscribe" in reply["plain_text"]
        sub = await _subscriber(app, USER_ID)
        assert sub is not None and sub.language == "en"


async def test_command_menu_is_set_in_arabic_and_english(bot: Any, fake_telegram: Any) -> None:
    async with bot:
        default = fake_telegram.commands_for("")
        arabic = fake_telegram.commands_for("ar")
        english = fake_telegram.commands_for("en")
    assert {c["command"] for c in default} == EXPECTED_COMMANDS
    assert arabic == default
    assert {c["command"] for c in english} == EXPECTED_COMMANDS
    by_name_ar = {c["command"]: c["description"] for c in arabic}
    by_name_en = {c["command"]: c["description"] for c in english}
    assert by_name_ar["subscribe"] == "اختر المصادر والمواضيع"
    assert by_name_en["subscribe"] == "Choose sources and topics"
    # Arabic descriptions carry no Latin letters.
    assert not any(ch.isascii() and ch.isalpha() for d in by_name_ar.values() for ch in d)


async def test_help_lists_the_commands_in_the_users_language(bot: Any, fake_telegram: Any) -> None:
    async with bot:
        [ar] = await fake_telegram.converse(USER_ID, "/help", language_code="ar")
        [en] = await fake_telegram.converse(USER_ID + 1, "/help", language_code="en")
    for command in ("/subscribe", "/follow", "/latest", "/settings", "/stop", "/search"):
        assert command in ar["plain_text"] and command in en["plain_text"]
    assert "أوامر أخبار" in ar["plain_text"]
    assert "Akhbar commands" in en["plain_text"]
    # Arabic lines that start with a command are marked right-to-left.
    assert "\u200f/subscribe" in ar["plain_text"]


async def test_language_is_switched_and_remembered(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        await fake_telegram.converse(USER_ID, "/start", language_code="ar")
        [reply] = await fake_telegram.converse(USER_ID, "/language en", language_code="ar")
        assert reply["plain_text"] == "OK, I will talk to you in English from now on."
        sub = await _subscriber(app, USER_ID)
        assert sub is not None and sub.language == "en"
        # The stored choice wins over Telegram's language code from now on.
        [helped] = await fake_telegram.converse(USER_ID, "/help", language_code="ar")
        assert "Akhbar commands" in helped["plain_text"]
        [back] = await fake_telegram.converse(USER_ID, "/language ar", language_code="ar")
        assert back["plain_text"] == "حسنًا، سأكلمك بالعربية من الآن."
        sub = await _subscriber(app, USER_ID)
        assert sub is not None and sub.language == "ar"


async def test_stop_ends_every_subscription_and_start_comes_back(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        db = db_of(app)
        await fake_telegram.converse(USER_ID, "/start")
        await fake_telegram.converse(USER_ID, "/subscribe all")
        await fake_telegram.converse(USER_ID, "/follow النفط")
        assert len(await service.list_subscriptions(db, USER_ID)) == 3
        [reply] = await fake_telegram.converse(USER_ID, "/stop")
        assert "أوقفت كل اشتراكاتك" in reply["plain_text"]
        assert await service.list_subscriptions(db, USER_ID) == []
        sub = await _subscriber(app, USER_ID)
        assert sub is not None and not sub.active and sub.inactive_reason == "stopped"
        before_return = utcnow()
        [welcome] = await fake_telegram.converse(USER_ID, "/start")
        # Told it follows nothing now, not greeted as if it were new.
        assert "أهلًا بعودتك" in welcome["plain_text"] and "ليس لديك اشتراكات الآن" in welcome["plain_text"]
        sub = await _subscriber(app, USER_ID)
        assert sub is not None and sub.active and sub.inactive_reason is None
        # Coming back starts a new `since`: nothing published while away is pushed.
        assert as_utc(sub.since) >= before_return


async def test_start_again_says_the_subscriptions_are_still_there(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        [first] = await fake_telegram.converse(USER_ID, "/start", language_code="en")
        assert first["plain_text"].startswith("Welcome to Akhbar")
        await fake_telegram.converse(USER_ID, "/follow النفط", language_code="en")
        # The reader blocks the bot and later unblocks it: its subscription is kept, the chat inactive.
        await fake_telegram.user_blocked_bot(USER_ID)
        async with asyncio.timeout(10):
            while (sub := await _subscriber(app, USER_ID)) is None or sub.active:
                await asyncio.sleep(0.02)
        fake_telegram.unblock_chat(USER_ID)
        [again] = await fake_telegram.converse(USER_ID, "/start", language_code="en")
    assert "Welcome back" in again["plain_text"]
    assert "Your 1 subscription is as you left it" in again["plain_text"]
