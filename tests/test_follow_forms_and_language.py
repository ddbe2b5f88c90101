"""What a user saw of /follow, /unfollow and /language, end to end against the fake Bot API.

Followed words are matched against stories through the analyzer (clitics and ة/ه folded), so
«المدرسة», «مدرسة» and «مدرسه» find the same stories; /follow and /unfollow used to compare the
words as typed and treated them as different keywords. /language alone switched the language
at once, so a user who sent it to see the options found the bot speaking the other language.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.clock import utcnow
from bot.db.models import Subscription
from bot.subscribers import service
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import USER_ID
from tests.test_subscriber_support import SECTIONS, db_of, no_background_jobs

LATIN = re.compile(r"[A-Za-z]")
GROUP = -1001234567891
GROUP_ADMIN = 3001


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS)


async def say(fake: FakeTelegram, text: str, *, chat_id: int = USER_ID, lang: str = "ar", **kw: Any) -> Any:
    [reply] = await fake.converse(chat_id, text, language_code=lang, timeout=10, **kw)
    return reply


async def said(fake: FakeTelegram, text: str, **kw: Any) -> str:
    return str((await say(fake, text, **kw))["plain_text"])


def _keywords(listing: str) -> list[str]:
    return [line.lstrip("\u200f• ") for line in listing.split("\n") if line.lstrip("\u200f").startswith("• ")]


# ---------------------------------------------------------------- /follow, /unfollow


async def test_unfollow_of_another_form_stops_the_word_and_names_it_as_followed(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await said(fake_telegram, "/start")
        await said(fake_telegram, "/follow المدرسة")
        assert await said(fake_telegram, "/unfollow مدرسة") == "أوقفت متابعة «المدرسة»."
        assert "ليست لديك اشتراكات بعد" in await said(fake_telegram, "/mysubs")


async def test_following_another_form_is_already_following_and_keeps_the_first_spelling(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await said(fake_telegram, "/start")
        await said(fake_telegram, "/follow المدرسة")
        assert await said(fake_telegram, "/follow مدرسه") == "أنت تتابع «المدرسة» من قبل."
        assert _keywords(await said(fake_telegram, "/mysubs")) == ["المدرسة"]


@pytest.mark.parametrize(
    ("first", "second"),
    [("اللاجئين", "لاجئين"), ("لاجئين", "اللاجئين"), ("ليبيا", "لليبيا"), ("المدرسة", "ومدرسة")],
)
async def test_a_form_read_with_a_leading_preposition_is_still_the_same_word(
    bot: Any, fake_telegram: FakeTelegram, first: str, second: str
) -> None:
    # «لاجئين» may also be read as ل + «اجئين»: still the word «اللاجئين» is.
    async with bot:
        await said(fake_telegram, "/start")
        await said(fake_telegram, f"/follow {first}")
        assert await said(fake_telegram, f"/follow {second}") == f"أنت تتابع «{first}» من قبل."
        assert await said(fake_telegram, f"/unfollow {second}") == f"أوقفت متابعة «{first}»."
        assert "ليست لديك اشتراكات بعد" in await said(fake_telegram, "/mysubs")


async def test_an_english_user_following_another_form_is_told_in_english(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await said(fake_telegram, "/start", lang="en")
        await said(fake_telegram, "/follow المدرسة", lang="en")
        assert await said(fake_telegram, "/follow مدرسه", lang="en") == "You already follow «المدرسة»."
        assert await said(fake_telegram, "/unfollow مدرسة", lang="en") == "Stopped following «المدرسة»."


async def test_a_phrase_is_one_keyword_in_any_of_its_forms(bot: Any, fake_telegram: FakeTelegram) -> None:
    async with bot:
        await said(fake_telegram, "/start")
        await said(fake_telegram, "/follow الأمم المتحدة")
        assert await said(fake_telegram, "/follow الامم المتحده") == "أنت تتابع «الأمم المتحدة» من قبل."
        assert _keywords(await said(fake_telegram, "/mysubs")) == ["الأمم المتحدة"]
        assert await said(fake_telegram, "/unfollow امم المتحده") == "أوقفت متابعة «الأمم المتحدة»."
        assert "ليست لديك اشتراكات بعد" in await said(fake_telegram, "/mysubs")


async def test_a_keyword_followed_in_quotes_is_its_words(bot: Any, fake_telegram: FakeTelegram) -> None:
    """/search reads quotes as a phrase; a reader who quotes a /follow by habit follows the words,
    listed without the marks and one keyword with the unquoted form."""
    async with bot:
        await said(fake_telegram, "/start")
        assert "«حزب الله»" in await said(fake_telegram, '/follow "حزب الله"')
        assert await said(fake_telegram, "/follow «حزب الله»") == "أنت تتابع «حزب الله» من قبل."
        assert _keywords(await said(fake_telegram, "/mysubs")) == ["حزب الله"]
        assert await said(fake_telegram, "/unfollow حزب الله") == "أوقفت متابعة «حزب الله»."


async def test_unsubscribe_by_another_form_of_a_followed_word(bot: Any, fake_telegram: FakeTelegram) -> None:
    async with bot:
        await said(fake_telegram, "/start")
        await said(fake_telegram, "/follow المدرسة")
        assert await said(fake_telegram, "/unsubscribe مدرسه") == "ألغيت الاشتراك في «المدرسة»."
        assert "ليست لديك اشتراكات بعد" in await said(fake_telegram, "/mysubs")


async def _stored_before_the_fix(app: Any, *typed: str) -> None:
    """Keyword rows as an older bot wrote them: one per spelling, each under its own target."""
    async with db_of(app).write() as session:
        for word in typed:
            target = service.keyword_target(word)
            session.add(
                Subscription(
                    chat_id=USER_ID, kind="keyword", target=target, display=word, created_at=utcnow()
                )
            )


async def test_words_followed_before_the_fix_are_found_in_any_form(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        await said(fake_telegram, "/start")
        await _stored_before_the_fix(app, "المدرسة", "مدرسه", "النفط")
        assert await said(fake_telegram, "/follow مدرسة") == "أنت تتابع «المدرسة» من قبل."
        # Both old spellings go: keeping one would keep the stories coming.
        assert await said(fake_telegram, "/unfollow مدرسة") == "أوقفت متابعة «المدرسة»، «مدرسه»."
        assert _keywords(await said(fake_telegram, "/mysubs")) == ["النفط"]


# ---------------------------------------------------------------- /language


def _button_texts(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return [b["text"] for row in markup["inline_keyboard"] for b in row]


def _data(message: dict[str, Any], text: str) -> str:
    markup = message["reply_markup"]
    return next(b["callback_data"] for row in markup["inline_keyboard"] for b in row if text in b["text"])


async def _press(fake: FakeTelegram, message: dict[str, Any], text: str, **kw: Any) -> dict[str, Any]:
    """Press the button showing `text`; returns the answer to the press once the bot gave it."""
    update = await fake.callback_query(message["chat_id"], message["message_id"], _data(message, text), **kw)
    return dict(await fake.wait_for_callback_answer(update["callback_query"]["id"]))


async def test_language_alone_offers_the_choice_and_changes_nothing(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await said(fake_telegram, "/start")
        choice = await say(fake_telegram, "/language")
        assert choice["plain_text"] == "اختر اللغة التي أكلمك بها:"
        assert not LATIN.search(choice["plain_text"])
        assert _button_texts(choice) == ["✓ العربية", "English"]
        # Still Arabic: sending /language only to look did not switch anything.
        assert "أوامر أخبار" in await said(fake_telegram, "/help")
        # Naming the language still switches at once, with no choice in between.
        assert (
            await said(fake_telegram, "/language English") == "OK, I will talk to you in English from now on."
        )
        assert await said(fake_telegram, "/language العربية") == "حسنًا، سأكلمك بالعربية من الآن."


async def test_the_language_buttons_switch_and_confirm_in_the_new_language(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await said(fake_telegram, "/start")
        choice = await say(fake_telegram, "/language")
        calls = len(fake_telegram.calls())
        await _press(fake_telegram, choice, "English")
        await fake_telegram.wait_for("editMessageText", since=calls)
        now = fake_telegram.message(USER_ID, choice["message_id"])
        assert now is not None
        assert now["plain_text"] == "OK, I will talk to you in English from now on."
        assert _button_texts(now) == []
        assert "Akhbar commands" in await said(fake_telegram, "/help")

        again = await say(fake_telegram, "/language")
        assert again["plain_text"] == "Choose the language I talk to you in:"
        assert _button_texts(again) == ["العربية", "✓ English"]
        calls = len(fake_telegram.calls())
        await _press(fake_telegram, again, "العربية")
        await fake_telegram.wait_for("editMessageText", since=calls)
        now = fake_telegram.message(USER_ID, again["message_id"])
        assert now is not None and now["plain_text"] == "حسنًا، سأكلمك بالعربية من الآن."
        assert "أوامر أخبار" in await said(fake_telegram, "/help")


async def test_in_a_group_only_admins_choose_the_language(bot: Any, fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_chat(GROUP, "supergroup", title="مجموعة اللغة")
    fake_telegram.set_chat_admins(GROUP, [GROUP_ADMIN])
    async with bot as app:
        refused = await said(fake_telegram, "/language", chat_id=GROUP, user_id=USER_ID)
        assert "مشرفو هذه المحادثة وحدهم" in refused
        choice = await say(fake_telegram, "/language", chat_id=GROUP, user_id=GROUP_ADMIN)
        assert _button_texts(choice) == ["✓ العربية", "English"]

        answer = await _press(fake_telegram, choice, "English", user_id=USER_ID)
        assert answer["show_alert"] is True and "مشرفو هذه المحادثة وحدهم" in answer["text"]
        sub = await service.get_subscriber(db_of(app), GROUP)
        assert sub is not None and sub.language == "ar"

        calls = len(fake_telegram.calls())
        await _press(fake_telegram, choice, "English", user_id=GROUP_ADMIN)
        await fake_telegram.wait_for("editMessageText", since=calls)
        now = fake_telegram.message(GROUP, choice["message_id"])
        assert now is not None and now["plain_text"] == "OK, I will post in this chat in English from now on."
