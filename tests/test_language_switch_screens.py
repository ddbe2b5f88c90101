"""One language per message: lists opened before /language switched the chat, alerts only the
presser sees, and a group's replies spoken to the group (findings of a language QA pass)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.helpers import USER_ID
from tests.test_subscriber_support import SECTIONS, no_background_jobs

GROUP = -1001234567890
GROUP_ADMIN = 3000
ARABIC = re.compile(r"[\u0600-\u06FF]")
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS, telegram={"max_messages_per_chat_per_second": 30})


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def _press(fake: Any, chat: int, message: dict[str, Any], data: str, lang: str) -> dict[str, Any]:
    calls = len(fake.calls())
    update = await fake.callback_query(chat, message["message_id"], data, language_code=lang)
    await fake.wait_for_callback_answer(update["callback_query"]["id"])
    await fake.wait_for("editMessageText", since=calls, timeout=10)
    edited: dict[str, Any] = fake.message(chat, message["message_id"])
    return edited


@pytest.mark.parametrize(("first", "then"), [("ar", "en"), ("en", "ar")])
async def test_a_list_opened_before_a_language_switch_is_redrawn_wholly_in_the_new_language(
    bot: Any, fake_telegram: Any, first: str, then: str
) -> None:
    """Pressing a /subscribe, /topics, /unsubscribe or /unfollow button after /language redrew the
    buttons in the new language under the heading in the old one."""
    chat = 5401

    async def say(text: str) -> list[dict[str, Any]]:
        return list(await fake_telegram.converse(chat, text, language_code=first, timeout=10))

    async with bot:
        for command in ("/start", "/follow النفط", "/follow الذهب", "/subscribe سوريا"):
            await say(command)
        [subscribe] = await say("/subscribe")
        [topics] = await say("/topics")
        [unsubscribe] = await say("/unsubscribe")
        [unfollow] = await say("/unfollow")
        await say(f"/language {then}")
        pressed = [
            (subscribe, next(b for b in _buttons(subscribe) if b["callback_data"].startswith("sub:t:"))),
            (topics, _buttons(topics)[0]),
            (unsubscribe, next(b for b in _buttons(unsubscribe) if "🔎" in b["text"])),
            (unfollow, next(b for b in _buttons(unfollow) if "🔎" in b["text"])),
        ]
        redrawn = [await _press(fake_telegram, chat, m, b["callback_data"], first) for m, b in pressed]
    for message in redrawn:
        heading = message["plain_text"].split("\n")[0]
        if then == "en":
            assert not ARABIC.search(heading), heading
        else:
            assert ARABIC.search(heading) and not LATIN.search(heading), heading


async def test_a_member_refused_a_button_is_told_in_their_own_language(bot: Any, fake_telegram: Any) -> None:
    """The alert under a button is seen by the presser alone: an Arabic-speaking member of an English
    group got "Sorry, only this chat's administrators…" (admin commands already answer so)."""
    fake_telegram.add_chat(GROUP, "supergroup", title="Family news")
    fake_telegram.set_chat_admins(GROUP, [GROUP_ADMIN])
    async with bot:
        await fake_telegram.converse(GROUP, "/language en", user_id=GROUP_ADMIN, language_code="en")
        [menu] = await fake_telegram.converse(GROUP, "/subscribe", user_id=GROUP_ADMIN, language_code="en")
        data = _buttons(menu)[0]["callback_data"]
        update = await fake_telegram.callback_query(
            GROUP, menu["message_id"], data, user_id=USER_ID, language_code="ar"
        )
        answer = await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
    assert answer["show_alert"] is True
    assert "مشرفو هذه المحادثة وحدهم" in answer["text"] and not LATIN.search(answer["text"])
    assert menu["plain_text"].startswith("Choose")  # the chat itself still reads English


async def test_a_groups_language_and_subscription_replies_speak_to_the_group(
    bot: Any, fake_telegram: Any
) -> None:
    """«سأكلمك بالعربية» and «اشتراكاتك» addressed one reader in a chat of many."""
    fake_telegram.add_chat(GROUP, "supergroup", title="أخبار العائلة")
    fake_telegram.set_chat_admins(GROUP, [GROUP_ADMIN])
    async with bot:
        [empty] = await fake_telegram.converse(GROUP, "/mysubs", user_id=USER_ID)
        [choose] = await fake_telegram.converse(GROUP, "/language", user_id=GROUP_ADMIN)
        [english] = await fake_telegram.converse(GROUP, "/language en", user_id=GROUP_ADMIN)
        await fake_telegram.converse(GROUP, "/follow oil", user_id=GROUP_ADMIN, language_code="en")
        [listing] = await fake_telegram.converse(GROUP, "/mysubs", user_id=USER_ID, language_code="en")
        [arabic] = await fake_telegram.converse(
            GROUP, "/language ar", user_id=GROUP_ADMIN, language_code="en"
        )
        [private] = await fake_telegram.converse(USER_ID, "/language en", user_id=USER_ID)
    assert empty["plain_text"].startswith("ليست لهذه المحادثة اشتراكات بعد")
    assert choose["plain_text"] == "اختر اللغة التي أكتب بها في هذه المحادثة:"
    assert english["plain_text"] == "OK, I will post in this chat in English from now on."
    assert listing["plain_text"].startswith("This chat's subscriptions")
    assert arabic["plain_text"] == "حسنًا، سأكتب في هذه المحادثة بالعربية من الآن."
    # A private chat is one reader, addressed as such.
    assert private["plain_text"] == "OK, I will talk to you in English from now on."
