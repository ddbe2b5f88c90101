"""What a demanding user still noticed after the first audit: the real Application against the fake
Bot API, one thing a user or an admin did per test and what they should see back.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import USER_ID
from tests.test_subscriber_support import SECTIONS, no_background_jobs

LATIN = re.compile(r"[A-Za-z]")
LATIN_DIGIT = re.compile(r"[0-9]")
GROUP = -100777
_IDS = itertools.count(900_000)  # incoming message ids of our own, clear of the fake's


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS)


async def say(fake: FakeTelegram, text: str, *, chat_id: int = USER_ID, lang: str = "ar") -> str:
    [reply] = await fake.converse(chat_id, text, language_code=lang, timeout=10)
    return str(reply["plain_text"])


def _arabic_only(reply: str, *commands: str) -> bool:
    """No English word in Arabic text (the commands aside)."""
    for command in commands:
        reply = reply.replace(command, "")
    return not LATIN.search(reply)


# -- 1. a message with no word in it ------------------------------------------------------------


# "😀🔥" was searched as a news topic: "لم أجد أخبارًا عن «😀🔥»", as if the bot had looked and failed.
@pytest.mark.parametrize(("typed", "lang"), [("😀🔥", "ar"), ("؟؟!", "ar"), ("…", "ar"), ("👍👍", "en")])
async def test_a_message_with_no_word_gets_a_hint_to_type_one(
    typed: str, lang: str, bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        reply = await say(fake_telegram, typed, lang=lang)
    assert "/topics" in reply and "/help" in reply
    if lang == "ar":
        assert "اكتب كلمة" in reply and "لم أجد" not in reply
        assert _arabic_only(reply, "/topics", "/help")
    else:
        assert reply.startswith("Type a word") and "found no" not in reply


async def test_a_word_next_to_an_emoji_is_still_searched(bot: Any, fake_telegram: FakeTelegram) -> None:
    async with bot:
        reply = await say(fake_telegram, "المريخ 🔥")
    assert reply.startswith("لم أجد أخبارًا عن «المريخ")


async def test_an_emoji_in_a_group_is_left_alone(bot: Any, fake_telegram: FakeTelegram) -> None:
    async with bot:
        await fake_telegram.user_message(GROUP, "😀🔥", chat_type="group")
        await fake_telegram.user_message(GROUP, "سوريا", chat_type="group")
        # The next command is answered, so the messages before it were handled (silently) already.
        [reply] = await fake_telegram.converse(GROUP, "/help", timeout=10)
    assert "/subscribe" in reply["plain_text"]
    assert len(fake_telegram.sent_messages(GROUP)) == 1
