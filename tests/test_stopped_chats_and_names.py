"""Findings of a subscriber QA pass, end to end against the fake Bot API.

After /stop, opening /settings or /language, /unsubscribe or /unfollow, or closing an old menu set
the chat active again: the next /broadcast reached it and /stats counted it. Only an opt-in (/start,
a subscription turned on) brings a stopped chat back now, and a stopped chat that changes a setting
is reminded it gets nothing. /subscribe and /unsubscribe by name compared names as typed
(«الاقتصاد» was no «اقتصاد», «سورية» no «سوريا») while search and following read them alike.
And some wording: /unfollow's buttons said «ألغيت الاشتراك», «/follow النفط، الذهب» followed one
phrase with its comma, "Your 1 subscription … change them", and the time-zone error asked for whole
hours while +5:30 works.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.subscribers import service
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID, USER_ID
from tests.test_subscriber_support import FEEDS, TOPICS, db_of, feed_id, no_background_jobs

CONFIG: dict[str, Any] = {
    "feeds": [*FEEDS, {"name": "فرانس 24", "url": "http://127.0.0.1:9/f24.xml", "interval": 60}],
    "topics": [*TOPICS, {"name": "رياضة", "name_en": "Sport", "keywords": ["مباراة"]}],
}
GROUP = -1001234567892
GROUP_ADMIN = 3002
NOBODY = "لا يوجد مشتركون نشطون بعد"  # the admin's /broadcast with no active chat to send to


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**CONFIG)


async def said(fake: FakeTelegram, text: str, *, chat_id: int = USER_ID, lang: str = "ar", **kw: Any) -> str:
    [reply] = await fake.converse(chat_id, text, language_code=lang, timeout=10, **kw)
    return str(reply["plain_text"])


async def _press(
    fake: FakeTelegram, message: dict[str, Any], data: str, *, lang: str = "ar", **kw: Any
) -> dict[str, Any]:
    """Press a button under `message`; the answer, once the bot has redrawn the message too."""
    calls = len(fake.calls())
    update = await fake.callback_query(
        message["chat_id"], message["message_id"], data, language_code=lang, **kw
    )
    answer: dict[str, Any] = await fake.wait_for_callback_answer(update["callback_query"]["id"])
    await fake.wait_for("editMessageText", since=calls, timeout=10)
    return answer


async def _state(app: Any, chat_id: int = USER_ID) -> tuple[bool, str | None]:
    sub = await service.get_subscriber(db_of(app), chat_id)
    assert sub is not None
    return sub.active, sub.inactive_reason


async def _stopped_with_old_menu(fake: FakeTelegram) -> dict[str, Any]:
    """A reader who subscribed, kept the /subscribe menu open, and sent /stop."""
    await said(fake, "/start")
    [menu] = await fake.converse(USER_ID, "/subscribe", timeout=10)
    await said(fake, "/subscribe all")
    await said(fake, "/follow النفط")
    assert (await said(fake, "/stop")).startswith("أوقفت كل اشتراكاتك")
    return menu


# ---------------------------------------------------------------- 1. a stopped chat stays stopped


@pytest.mark.parametrize(
    "action",
    [
        "/settings",
        "/settings الجمل 2",
        "/language",
        "/language en",
        "/subscribe",
        "/unsubscribe",
        "/unfollow",
        "/unfollow النفط",
        "/mysubs",
        "/help",
        "press sub:x",
        "press sub:p:0",
        "press set:sent:2",
        "press lang:en",
    ],
)
async def test_looking_at_settings_or_closing_a_menu_does_not_undo_a_stop(
    bot: Any, fake_telegram: FakeTelegram, action: str
) -> None:
    async with bot as app:
        menu = await _stopped_with_old_menu(fake_telegram)
        if action.startswith("press "):
            await _press(fake_telegram, menu, action.removeprefix("press "))
        else:
            await said(fake_telegram, action)
        assert await _state(app) == (False, "stopped")
        # The admins' broadcast reaches no one: the only reader asked for no more messages.
        assert NOBODY in await said(fake_telegram, "/broadcast إعلان من الإدارة", chat_id=ADMIN_ID)


@pytest.mark.parametrize(
    "opt_in", ["/start", "/subscribe BBC عربي", "/subscribe all", "/follow الذهب", "button"]
)
async def test_turning_news_on_brings_a_stopped_chat_back(
    bot: Any, fake_telegram: FakeTelegram, opt_in: str
) -> None:
    async with bot as app:
        menu = await _stopped_with_old_menu(fake_telegram)
        if opt_in == "button":  # a source turned on in the menu left open before /stop
            jazeera = await feed_id(db_of(app), "الجزيرة نت")
            answer = await _press(fake_telegram, menu, f"sub:f:{jazeera}:0")
            assert answer["text"] == "✓ اشتركت في «الجزيرة نت»"
        else:
            await said(fake_telegram, opt_in)
        assert await _state(app) == (True, None)
        preview = await said(fake_telegram, "/broadcast إعلان من الإدارة", chat_id=ADMIN_ID)
        assert NOBODY not in preview


async def test_a_stopped_reader_who_changes_settings_is_reminded_and_start_keeps_them(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    note_ar = "اشتراكك موقوف؛ أرسل /start لاستئنافه."
    note_en = "Your subscription is stopped; send /start to resume it."
    async with bot as app:
        await _stopped_with_old_menu(fake_telegram)
        typed = await said(fake_telegram, "/settings الجمل 2")
        assert typed.startswith("حُفظ ✓") and typed.endswith(note_ar)
        [screen] = await fake_telegram.converse(USER_ID, "/settings", timeout=10)
        assert screen["plain_text"].endswith(note_ar)
        answer = await _press(fake_telegram, screen, "set:prev:on")
        assert answer["text"] == "حُفظ ✓"
        redrawn = fake_telegram.message(USER_ID, screen["message_id"])
        assert redrawn is not None and redrawn["plain_text"].endswith(note_ar)
        # Said in the language just chosen, the reminder too.
        switched = await said(fake_telegram, "/language en")
        assert switched == f"OK, I will talk to you in English from now on.\n\n{note_en}"
        assert await _state(app) == (False, "stopped")

        back = await said(fake_telegram, "/start", lang="en")
        assert back.startswith("Welcome back to Akhbar") and "You follow nothing at the moment" in back
        sub = await service.get_subscriber(db_of(app), USER_ID)
        assert sub is not None and sub.active
        assert (sub.sentences, sub.link_preview, sub.language) == (2, True, "en")
        # Back, the settings say nothing of a stop.
        assert note_en not in await said(fake_telegram, "/settings", lang="en")


async def test_a_stopped_group_is_reminded_in_the_groups_words(bot: Any, fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_chat(GROUP, "supergroup", title="أخبار العائلة")
    fake_telegram.set_chat_admins(GROUP, [GROUP_ADMIN])
    async with bot as app:
        await said(fake_telegram, "/follow النفط", chat_id=GROUP, user_id=GROUP_ADMIN)
        await said(fake_telegram, "/stop", chat_id=GROUP, user_id=GROUP_ADMIN)
        screen = await said(fake_telegram, "/settings", chat_id=GROUP, user_id=GROUP_ADMIN)
        assert screen.endswith("أخبار هذه المحادثة موقوفة؛ يستطيع مشرفوها استئنافها بالأمر /start.")
        assert await _state(app, GROUP) == (False, "stopped")


async def test_a_stopped_reader_who_blocks_and_unblocks_the_bot_stays_stopped(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    """Blocking after /stop changes nothing of the reader's wish (bot.subscribers.service.set_inactive
    is what the membership update calls)."""
    async with bot as app:
        await _stopped_with_old_menu(fake_telegram)
        await service.set_inactive(db_of(app), USER_ID, "blocked")
        await said(fake_telegram, "/settings")
        assert await _state(app) == (False, "stopped")
        assert NOBODY in await said(fake_telegram, "/broadcast إعلان من الإدارة", chat_id=ADMIN_ID)


async def test_a_reader_who_blocked_the_bot_and_talks_to_it_again_is_reachable(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    """Kept as it was: blocking is no request to stop the news; talking to the bot again shows the
    chat can be reached, and its subscriptions are all still there."""
    async with bot as app:
        await said(fake_telegram, "/start")
        await said(fake_telegram, "/subscribe BBC عربي")
        await service.set_inactive(db_of(app), USER_ID, "blocked")
        assert "اشتراك موقوف" not in await said(fake_telegram, "/settings")
        assert await _state(app) == (True, None)


# ---------------------------------------------------------------- 2. names read as search reads them


async def test_subscribe_and_unsubscribe_find_a_name_in_any_of_its_forms(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await said(fake_telegram, "/start")
        assert await said(fake_telegram, "/subscribe اقتصاد") == "اشتركت في «اقتصاد». جديده يصلك من الآن."
        assert await said(fake_telegram, "/unsubscribe الاقتصاد") == "ألغيت الاشتراك في «اقتصاد»."
        assert await said(fake_telegram, "/subscribe الاقتصاد") == "اشتركت في «اقتصاد». جديده يصلك من الآن."
        assert await said(fake_telegram, "/subscribe الرياضة") == "اشتركت في «رياضة». جديده يصلك من الآن."
        assert await said(fake_telegram, "/subscribe سورية") == "اشتركت في «سوريا». جديده يصلك من الآن."
        assert await said(fake_telegram, "/subscribe السورية") == "أنت مشترك في «سوريا» من قبل."
        assert await said(fake_telegram, "/subscribe فرانس٢٤") == "اشتركت في «فرانس 24». جديده يصلك من الآن."
        assert await said(fake_telegram, "/subscribe economy") == "أنت مشترك في «اقتصاد» من قبل."
        # Two letters inside a word («بي» of «عربي») name no source.
        assert await said(fake_telegram, "/subscribe بي") == (
            "لم أجد مصدرًا أو موضوعًا باسم «بي». أرسل /subscribe لترى القائمة."
        )
        listing = await said(fake_telegram, "/mysubs")
    assert "BBC" not in listing


# ---------------------------------------------------------------- 3. wording


@pytest.mark.parametrize(
    ("lang", "said_back"), [("ar", "أوقفت متابعة «النفط»"), ("en", "Stopped following «النفط»")]
)
async def test_a_word_unfollowed_from_the_unfollow_list_is_said_as_unfollow_says_it(
    bot: Any, fake_telegram: FakeTelegram, lang: str, said_back: str
) -> None:
    async with bot:
        await said(fake_telegram, "/follow النفط", lang=lang)
        [listing] = await fake_telegram.converse(USER_ID, "/unfollow", language_code=lang, timeout=10)
        [button] = [
            b for row in listing["reply_markup"]["inline_keyboard"] for b in row if "النفط" in b["text"]
        ]
        answer = await _press(fake_telegram, listing, button["callback_data"], lang=lang)
    assert answer["text"] == said_back


async def test_follow_with_commas_follows_each_word_and_unfollow_stops_each(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        replies = await fake_telegram.converse(USER_ID, "/follow النفط، الذهب", timeout=10)
        assert [r["plain_text"] for r in replies] == [
            "ستصلك الأخبار التي تذكر «النفط» من كل المصادر.\n\nستصلك الأخبار التي تذكر «الذهب» من كل المصادر."
        ]
        assert await said(fake_telegram, "/unfollow الذهب") == "أوقفت متابعة «الذهب»."
        # «؛» and ";" too; a comma between digits is a number's.
        await said(fake_telegram, "/follow القمح؛ الأرز; 1,500")
        words = {s.display for s in await service.list_subscriptions(db_of(app), USER_ID)}
        assert words == {"النفط", "القمح", "الأرز", "1,500"}
        assert await said(fake_telegram, "/unfollow القمح، الأرز، الشعير") == (
            "أوقفت متابعة «القمح».\nأوقفت متابعة «الأرز».\nلا تتابع «الشعير». كلماتك: «النفط»، «1,500»"
        )


async def test_english_welcome_back_with_one_subscription_says_it(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await said(fake_telegram, "/start", lang="en")
        await said(fake_telegram, "/subscribe syria", lang="en")
        back = await said(fake_telegram, "/start", lang="en")
    assert "Your 1 subscription is as you left it, and its news comes to you." in back
    assert "/subscribe to change it, /help" in back


@pytest.mark.parametrize(
    ("lang", "typed", "example"),
    [("ar", "/settings المنطقة +3:15", "مثل +٥:٣٠"), ("en", "/settings timezone +3:15", "such as +5:30")],
)
async def test_an_offset_no_zone_has_is_told_that_hours_and_minutes_work(
    bot: Any, fake_telegram: FakeTelegram, lang: str, typed: str, example: str
) -> None:
    async with bot as app:
        refused = await said(fake_telegram, typed, lang=lang)
        assert example in refused and "whole hours" not in refused and "ساعات كاملة" not in refused
        await said(fake_telegram, typed.replace("+3:15", "+5:30"), lang=lang)
        sub = await service.get_subscriber(db_of(app), USER_ID)
    assert sub is not None and sub.timezone == "Asia/Kolkata"
