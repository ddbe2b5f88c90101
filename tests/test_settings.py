"""/settings end to end (buttons and typed forms) and the parsing of what people type."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.subscribers import prefs, service
from tests.helpers import USER_ID
from tests.test_subscriber_support import SECTIONS, db_of, no_background_jobs


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS)


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in (message["reply_markup"] or {"inline_keyboard": []})["inline_keyboard"] for b in row]


def _data(message: dict[str, Any], contains: str) -> str:
    [button] = [b for b in _buttons(message) if contains in b["text"]]
    return str(button["callback_data"])


async def _press(fake: Any, message: dict[str, Any], data: str, **kwargs: Any) -> dict[str, Any]:
    """Press a button; returns the callback answer once the bot has also edited the message."""
    calls = len(fake.calls())
    update = await fake.callback_query(message["chat_id"], message["message_id"], data, **kwargs)
    answer: dict[str, Any] = await fake.wait_for_callback_answer(update["callback_query"]["id"])
    # Every press redraws the whole screen: text and buttons.
    await fake.wait_for("editMessageText", since=calls)
    return answer


async def _subscriber(app: Any) -> Any:
    return await service.get_subscriber(db_of(app), USER_ID)


async def test_settings_buttons_change_mode_sentences_quiet_and_previews(
    bot: Any, fake_telegram: Any
) -> None:
    async with bot as app:
        [screen] = await fake_telegram.converse(USER_ID, "/settings")
        text = screen["plain_text"]
        assert "الإعدادات" in text
        assert "طريقة الاستلام: فوري" in text
        assert "أوقات الملخص: ٠٨:٠٠، ٢٠:٠٠" in text
        assert "المنطقة الزمنية: الرياض" in text
        assert "جمل الملخص: ٣" in text
        assert "ساعات الهدوء: بلا" in text
        assert "معاينة الروابط: معطّلة" in text

        # Mode: open the section, choose digest.
        await _press(fake_telegram, screen, _data(screen, "طريقة الاستلام"))
        screen = fake_telegram.message(USER_ID, screen["message_id"])
        assert {b["text"] for b in _buttons(screen)} >= {"✓ فوري", "ملخص دوري"}
        answer = await _press(fake_telegram, screen, _data(screen, "ملخص دوري"))
        assert answer["text"] == "حُفظ ✓"
        screen = fake_telegram.message(USER_ID, screen["message_id"])
        assert "طريقة الاستلام: ملخص دوري" in screen["plain_text"]
        assert (await _subscriber(app)).mode == "digest"

        # Digest times preset.
        await _press(fake_telegram, screen, _data(screen, "أوقات الملخص"))
        screen = fake_telegram.message(USER_ID, screen["message_id"])
        await _press(fake_telegram, screen, _data(screen, "٠٧:٠٠ · ١٩:٠٠"))
        screen = fake_telegram.message(USER_ID, screen["message_id"])
        assert "أوقات الملخص: ٠٧:٠٠، ١٩:٠٠" in screen["plain_text"]
        assert (await _subscriber(app)).digest_times == ["07:00", "19:00"]

        # Sentences.
        await _press(fake_telegram, screen, _data(screen, "جمل الملخص"))
        screen = fake_telegram.message(USER_ID, screen["message_id"])
        await _press(fake_telegram, screen, "set:sent:5")
        screen = fake_telegram.message(USER_ID, screen["message_id"])
        assert "جمل الملخص: ٥" in screen["plain_text"]
        assert (await _subscriber(app)).sentences == 5

        # Quiet hours.
        await _press(fake_telegram, screen, _data(screen, "ساعات الهدوء"))
        screen = fake_telegram.message(USER_ID, screen["message_id"])
        await _press(fake_telegram, screen, _data(screen, "من ٢٢:٠٠ إلى ٠٧:٠٠"))
        screen = fake_telegram.message(USER_ID, screen["message_id"])
        assert "ساعات الهدوء: من ٢٢:٠٠ إلى ٠٧:٠٠" in screen["plain_text"]
        sub = await _subscriber(app)
        assert (sub.quiet_start, sub.quiet_end) == ("22:00", "07:00")

        # Time zone from the city list.
        await _press(fake_telegram, screen, _data(screen, "المنطقة الزمنية"))
        screen = fake_telegram.message(USER_ID, screen["message_id"])
        await _press(fake_telegram, screen, _data(screen, "القاهرة"))
        screen = fake_telegram.message(USER_ID, screen["message_id"])
        assert "المنطقة الزمنية: القاهرة" in screen["plain_text"]
        assert (await _subscriber(app)).timezone == "Africa/Cairo"

        # Link previews toggle straight from the main screen.
        await _press(fake_telegram, screen, _data(screen, "معاينة الروابط"))
        screen = fake_telegram.message(USER_ID, screen["message_id"])
        assert "معاينة الروابط: مفعّلة" in screen["plain_text"]
        assert (await _subscriber(app)).link_preview is True

        # Same story from other sources: a link on the first card (the default), or a card each.
        assert "الخبر نفسه من مصادر أخرى: رابط في البطاقة الأولى" in screen["plain_text"]
        await _press(fake_telegram, screen, _data(screen, "الخبر نفسه من مصادر أخرى"))
        screen = fake_telegram.message(USER_ID, screen["message_id"])
        assert "الخبر نفسه من مصادر أخرى: بطاقة لكل مصدر" in screen["plain_text"]
        assert (await _subscriber(app)).group_events is False


async def test_settings_typed_forms_and_clear_errors(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        [ok] = await fake_telegram.converse(USER_ID, "/settings المنطقة Europe/Paris")
        assert ok["plain_text"].startswith("حُفظ ✓")
        assert "المنطقة الزمنية: باريس" in ok["plain_text"]  # the city's Arabic name, not Latin
        assert (await _subscriber(app)).timezone == "Europe/Paris"

        [bad] = await fake_telegram.converse(USER_ID, "/settings timezone Mars/Olympus")
        assert bad["plain_text"].startswith("لا أعرف المنطقة الزمنية «Mars/Olympus»")
        assert (await _subscriber(app)).timezone == "Europe/Paris"  # nothing changed

        [quiet] = await fake_telegram.converse(USER_ID, "/settings quiet 23:00-07:00")
        assert "ساعات الهدوء: من ٢٣:٠٠ إلى ٠٧:٠٠" in quiet["plain_text"]
        [bad_quiet] = await fake_telegram.converse(USER_ID, "/settings الهدوء 25:00-07:00")
        assert bad_quiet["plain_text"].startswith("اكتب ساعات الهدوء هكذا")
        sub = await _subscriber(app)
        assert (sub.quiet_start, sub.quiet_end) == ("23:00", "07:00")
        await fake_telegram.converse(USER_ID, "/settings quiet off")
        assert (await _subscriber(app)).quiet_start is None

        [sentences] = await fake_telegram.converse(USER_ID, "/settings الجمل ٢")
        assert "جمل الملخص: ٢" in sentences["plain_text"]
        [too_many] = await fake_telegram.converse(USER_ID, "/settings sentences 9")
        assert too_many["plain_text"] == "اختر عددًا من ١ إلى ٥، مثل: /settings الجمل 3"
        assert (await _subscriber(app)).sentences == 2

        [digest] = await fake_telegram.converse(USER_ID, "/settings digest 6:30 18:00")
        assert "أوقات الملخص: ٠٦:٣٠، ١٨:٠٠" in digest["plain_text"]
        sub = await _subscriber(app)
        assert (sub.mode, sub.digest_times) == ("digest", ["06:30", "18:00"])

        [grouping] = await fake_telegram.converse(USER_ID, "/settings التجميع لا")
        assert "الخبر نفسه من مصادر أخرى: بطاقة لكل مصدر" in grouping["plain_text"]
        assert (await _subscriber(app)).group_events is False

        [unknown] = await fake_telegram.converse(USER_ID, "/settings colour blue")
        assert unknown["plain_text"].startswith("لا أعرف الإعداد «colour»")


async def test_a_screen_left_open_follows_a_change_of_language(bot: Any, fake_telegram: Any) -> None:
    """An Arabic /settings screen, then /language en: the next press on the old screen shows it all
    in English, not English buttons under Arabic text."""
    async with bot:
        [screen] = await fake_telegram.converse(USER_ID, "/settings")
        await fake_telegram.converse(USER_ID, "/language en")
        await _press(fake_telegram, screen, _data(screen, "جمل الملخص"))
        screen = fake_telegram.message(USER_ID, screen["message_id"])
    assert "Sentences per summary: 3" in screen["plain_text"]
    assert not re.search("[\u0621-\u064a]", screen["plain_text"])
    assert all(not re.search("[\u0621-\u064a]", b["text"]) for b in _buttons(screen))


async def test_settings_in_english(bot: Any, fake_telegram: Any) -> None:
    async with bot:
        [screen] = await fake_telegram.converse(USER_ID, "/settings", language_code="en")
        assert "Delivery: Instant" in screen["plain_text"]
        assert "Time zone: Riyadh" in screen["plain_text"]
        [bad] = await fake_telegram.converse(USER_ID, "/settings timezone Nowhere", language_code="en")
        assert bad["plain_text"].startswith("Unknown time zone «Nowhere»")


def test_parsing_what_people_type() -> None:
    assert prefs.parse_time("7") == "07:00"
    assert prefs.parse_time("٠٧:٣٠") == "07:30"
    assert prefs.parse_time("24:00") == "00:00"
    assert prefs.parse_time("25:00") is None and prefs.parse_time("7:60") is None
    assert prefs.parse_times(["20:00", "08:00", "08:00"]) == ["08:00", "20:00"]
    assert prefs.parse_times(["8:00,", "noon"]) is None
    assert prefs.parse_quiet("23:00-07:00") == ("23:00", "07:00")
    assert prefs.parse_quiet("23:00 إلى 7") == ("23:00", "07:00")
    assert prefs.parse_quiet("07:00-07:00") is None
    assert prefs.parse_timezone("africa/cairo") == "Africa/Cairo"
    assert prefs.parse_timezone("القاهرة") == "Africa/Cairo"
    assert prefs.parse_timezone("Mars/Olympus") is None
    assert prefs.parse_sentences("6") is None and prefs.parse_sentences("٤") == 4
    assert prefs.parse_setting(["previews", "تشغيل"]).changes == {"link_preview": True}
    assert prefs.parse_setting(["فوري"]).changes == {"mode": "instant"}
    assert prefs.parse_setting(["mode", "sometimes"]).error == "bad_mode"
