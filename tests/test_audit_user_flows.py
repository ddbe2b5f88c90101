"""What a demanding user noticed, end to end: the real Application against the fake Bot API.

Each test is one thing a subscriber or an admin did and what they should see back.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID, USER_ID
from tests.test_subscriber_support import SECTIONS, no_background_jobs

OOPS_AR = "عذرًا، حدث خطأ غير متوقع"
OOPS_EN = "Sorry, something went wrong"
TELEGRAM_MAX_CHARS = 4096
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS)


async def say(fake: FakeTelegram, text: str, *, chat_id: int = USER_ID, lang: str = "ar") -> str:
    [reply] = await fake.converse(chat_id, text, language_code=lang, timeout=10)
    return str(reply["plain_text"])


# A user may send up to 4,096 characters; a reply that repeats all of it back is longer than
# Telegram accepts, and the user got "something went wrong" instead of the real answer.
LONG = "ب" * 4080


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/subscribe", "لم أجد مصدرًا أو موضوعًا باسم"),
        ("/unfollow", "لا تتابع"),
        ("/settings المنطقة", "لا أعرف المنطقة الزمنية"),
        ("/settings الأوقات", "ليست أوقاتًا صالحة"),
        ("/settings", "لا أعرف الإعداد"),
    ],
)
async def test_a_very_long_argument_gets_the_real_answer_not_an_error(
    command: str, expected: str, bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await say(fake_telegram, "/start")
        reply = await say(fake_telegram, f"{command} {LONG}")
    assert expected in reply
    assert OOPS_AR not in reply
    assert len(reply) < 1000  # the echo is cut, not the whole input again


@pytest.mark.parametrize("command", ["/feed", "/pausefeed", "/removefeed", "/addfeed ftp://x.example/"])
async def test_an_admin_command_with_a_very_long_argument_says_what_is_wrong(
    command: str, bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        reply = await say(
            fake_telegram,
            f"{command}{LONG}" if command.endswith("/") else f"{command} {LONG}",
            chat_id=ADMIN_ID,
        )
    assert reply.startswith("⚠️") or reply.lstrip("\u200f").startswith("⚠️")
    assert OOPS_AR not in reply
    assert len(reply) < 1000


async def test_an_english_user_with_a_very_long_argument_gets_the_real_answer(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await say(fake_telegram, "/start", lang="en")
        reply = await say(fake_telegram, "/subscribe " + "x" * 4080, lang="en")
    assert reply.startswith("I found no source or topic called «xxx")
    assert OOPS_EN not in reply


# /language with a word it did not know toggled the language: an Arabic user typing
# "/language عربية" (with ة, or عربى with ى) was switched to English.
@pytest.mark.parametrize("word", ["عربية", "عربى", "العربيه", "Arabic"])
async def test_language_named_in_another_spelling_is_understood(
    word: str, bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await say(fake_telegram, "/start")
        assert await say(fake_telegram, f"/language {word}") == "حسنًا، سأكلمك بالعربية من الآن."
        assert "الإعدادات" in await say(fake_telegram, "/settings")


async def test_language_with_an_unknown_name_changes_nothing_and_says_what_to_type(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await say(fake_telegram, "/start")
        reply = await say(fake_telegram, "/language فرنسي")
        assert "«فرنسي»" in reply and "/language" in reply
        assert not LATIN.search(reply.replace("/language", ""))
        assert "الإعدادات" in await say(fake_telegram, "/settings")  # still Arabic
        await say(fake_telegram, "/language الإنجليزية")
        assert "Settings" in await say(fake_telegram, "/settings")
        reply = await say(fake_telegram, "/language french")
        assert "«french»" in reply and "Settings" in await say(fake_telegram, "/settings")


# An unknown command in a private chat got no answer at all: the user could not tell a typo
# ("/subscibe") from a bot that is down.
@pytest.mark.parametrize(("text", "lang"), [("/subscibe", "ar"), ("/health", "ar"), ("/usage extra", "en")])
async def test_an_unknown_command_in_a_private_chat_points_to_help(
    text: str, lang: str, bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        reply = await say(fake_telegram, text, lang=lang, chat_id=ADMIN_ID)
    assert "/help" in reply
    if lang == "ar":
        assert "لا أعرف" in reply and not LATIN.search(reply.replace("/help", ""))
    else:
        assert "don't know" in reply


async def test_an_unknown_command_in_a_group_is_left_alone(bot: Any, fake_telegram: FakeTelegram) -> None:
    group = -100777
    async with bot:
        await fake_telegram.user_message(group, "/othersbotcommand")
        # The next command is answered, so the one before it was handled (silently) already.
        [reply] = await fake_telegram.converse(group, "/help", timeout=10)
    assert "/subscribe" in reply["plain_text"]
    assert len(fake_telegram.sent_messages(group)) == 1


# An admin who chose English with /language still got the admin commands' replies in Arabic (they
# followed the Telegram app's language, every other reply follows the chat's choice).
async def test_admin_replies_follow_the_language_the_admin_chose(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await say(fake_telegram, "/start", chat_id=ADMIN_ID)
        assert (await say(fake_telegram, "/language en", chat_id=ADMIN_ID)).startswith("OK")
        feeds = await say(fake_telegram, "/feeds", chat_id=ADMIN_ID)
        missing = await say(fake_telegram, "/feed 999", chat_id=ADMIN_ID)
        assert feeds.startswith("📋 Feeds: 2")
        assert missing.startswith("⚠️ No feed with that number or name")
        await say(fake_telegram, "/language ar", chat_id=ADMIN_ID, lang="en")
        assert (await say(fake_telegram, "/feeds", chat_id=ADMIN_ID, lang="en")).startswith("📋 المصادر")


# Editing an old admin message ran its command again: correcting a typo in a "/pausefeed 1" sent
# an hour ago paused the feed a second time around, unlike every other command (which ignore edits).
async def test_editing_an_old_admin_command_does_not_run_it_again(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    chat = {"id": ADMIN_ID, "type": "private", "first_name": "مشرف"}
    user = {"id": ADMIN_ID, "is_bot": False, "first_name": "مشرف", "language_code": "ar"}
    edited = {
        "message_id": 1,
        "date": 1_700_000_000,
        "edit_date": 1_700_000_100,
        "chat": chat,
        "from": user,
        "text": "/pausefeed 1",
        "entities": [{"type": "bot_command", "offset": 0, "length": len("/pausefeed")}],
    }
    async with bot:
        await fake_telegram.inject_update({"edited_message": edited})
        detail = await say(fake_telegram, "/feed 1", chat_id=ADMIN_ID)
    assert "✅" in detail.split("\n")[0]  # still active
    assert len(fake_telegram.sent_messages(ADMIN_ID)) == 1  # only /feed was answered


# "/addfeed الجزيرة" (a name where the URL goes) or "/addfeed bbc" was sent off as https://bbc
# and came back as "could not reach the server", which hides the real mistake.
@pytest.mark.parametrize("typed", ["الجزيرة", "not-a-url"])
async def test_addfeed_with_a_word_instead_of_an_address_says_it_is_not_a_link(
    typed: str, bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        reply = await say(fake_telegram, f"/addfeed {typed}", chat_id=ADMIN_ID)
    assert reply.startswith(f"⚠️ هذا ليس رابطًا صالحًا: {typed}")
    assert "/addfeed https://example.com/rss" in reply


def _button_texts(message: dict[str, Any]) -> list[str]:
    return [
        b["text"]
        for row in (message["reply_markup"] or {"inline_keyboard": []})["inline_keyboard"]
        for b in row
    ]


# An English user saw the topic as «Syria» on /subscribe, /topics and /mysubs, but «سوريا» when
# subscribing by name and on every /unsubscribe button and reply.
async def test_an_english_user_sees_topics_by_their_english_name_when_unsubscribing(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await say(fake_telegram, "/start", lang="en")
        assert await say(fake_telegram, "/subscribe syria", lang="en") == (
            "Subscribed to «Syria». Its new stories reach you from now on."
        )
        [menu] = await fake_telegram.converse(USER_ID, "/unsubscribe", language_code="en", timeout=10)
        assert _button_texts(menu)[0] == "✗ 🏷 Syria"
        assert await say(fake_telegram, "/unsubscribe Syria", lang="en") == "Unsubscribed from «Syria»."
        await say(fake_telegram, "/subscribe syria", lang="en")
        [menu] = await fake_telegram.converse(USER_ID, "/unsubscribe", language_code="en", timeout=10)
        data = menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        update = await fake_telegram.callback_query(USER_ID, menu["message_id"], data, language_code="en")
        answer = await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
    assert answer["text"] == "Unsubscribed from «Syria»"


# "ما الجديد؟" from a user whose subscriptions matched nothing yet said "there are no stories yet",
# though the bot had plenty; /latest in the same state says "nothing from your subscriptions yet".
async def test_whats_new_with_quiet_subscriptions_does_not_claim_there_is_no_news(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    from tests.test_subscriber_support import add_story, db_of

    async with bot as app:
        await add_story(db_of(app), "ارتفاع أسعار النفط في الأسواق", ["ارتفعت أسعار النفط اليوم."])
        await say(fake_telegram, "/start")
        await say(fake_telegram, "/follow المريخ")
        reply = await say(fake_telegram, "ما الجديد؟")
        latest = await say(fake_telegram, "/latest")
    assert reply == latest
    assert reply.startswith("لا أخبار من اشتراكاتك بعد")


# "شكرا لك" or the full "السلام عليكم ورحمة الله وبركاته" was searched as a news topic:
# "لم أجد أخبارًا عن «شكرا لك»".
# A thanks was then answered with a hello («أهلًا بك!» to «شكرا»): it gets a "you're welcome".
@pytest.mark.parametrize(
    ("text", "lang", "answer"),
    [
        ("شكرا لك", "ar", "العفو!"),
        ("شكراً جزيلاً", "ar", "العفو!"),
        ("مشكور", "ar", "العفو!"),
        ("يعطيك العافية", "ar", "العفو!"),
        ("السلام عليكم ورحمة الله وبركاته", "ar", "أهلًا بك!"),
        ("thank you very much", "en", "You're welcome!"),
        ("thanks!", "en", "You're welcome!"),
        ("hello", "en", "Hello!"),
    ],
)
async def test_courtesies_get_a_courtesy_not_a_news_search(
    text: str, lang: str, answer: str, bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        reply = await say(fake_telegram, text, lang=lang)
    assert reply.startswith(answer)


# The apology after a failure followed the Telegram app's language, not the one the user chose.
async def test_the_apology_after_a_failure_is_in_the_language_the_user_chose(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await say(fake_telegram, "/start")
        await say(fake_telegram, "/language en")
        fake_telegram.fail_next("sendMessage", error_code=400, description="Bad Request: something odd")
        reply = await say(fake_telegram, "/help")
    assert reply.startswith(OOPS_EN)


# Inline mode followed the Telegram app's language only: a user who chose English with /language
# in the bot's chat got Arabic notes and Arabic dates on the stories they shared.
async def test_inline_answers_follow_the_language_chosen_in_the_bots_chat(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    from tests.test_subscriber_support import add_story, db_of

    async with bot as app:
        await add_story(db_of(app), "ارتفاع أسعار النفط في الأسواق", ["ارتفعت أسعار النفط اليوم."])
        await say(fake_telegram, "/start")
        await say(fake_telegram, "/language en")
        found = await fake_telegram.inline_query("النفط", user_id=USER_ID, language_code="ar")
        answer = await fake_telegram.wait_for_inline_answer(found["inline_query"]["id"], timeout=10)
        empty = await fake_telegram.inline_query("المريخ", user_id=USER_ID, language_code="ar")
        nothing = await fake_telegram.wait_for_inline_answer(empty["inline_query"]["id"], timeout=10)
    [result] = answer["results"]
    meta = result["input_message_content"]["message_text"].split("\n")[1]
    # In English, as the story's card says it: "21:02" today, "5 Mar 21:02" on another day.
    assert re.search(r" · (\d+ [A-Z][a-z]{2} )?\d{2}:\d{2}$", meta), meta
    assert nothing["button"]["text"].startswith("No stories")


# A button whose data no handler knows (from an older version of the bot, or a cut keyboard) got
# no answer at all: Telegram keeps the button spinning and the user never learns why.
@pytest.mark.parametrize(("lang", "expected"), [("ar", "هذا الخيار لم يعد متاحًا."), ("en", "That choice")])
async def test_a_button_nobody_handles_is_answered_that_it_is_gone(
    lang: str, expected: str, bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        [message] = await fake_telegram.converse(USER_ID, "/help", language_code=lang, timeout=10)
        update = await fake_telegram.callback_query(
            USER_ID, message["message_id"], "old:7:9", language_code=lang
        )
        answer = await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"], timeout=10)
    assert answer["text"].startswith(expected)
