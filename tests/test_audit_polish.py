"""What a demanding user still noticed after the first audit: the real Application against the fake
Bot API, one thing a user or an admin did per test and what they should see back.
"""

from __future__ import annotations

import itertools
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.clock import utcnow
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID, USER_ID
from tests.test_audit_user_flows import bot, say

__all__ = ["bot"]  # a fixture, used by name

LATIN = re.compile(r"[A-Za-z]")
LATIN_DIGIT = re.compile(r"[0-9]")
GROUP = -100777
_IDS = itertools.count(900_000)  # incoming message ids of our own, clear of the fake's


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


# -- 2. a sticker, a photo, a voice note… ------------------------------------------------------

_FILE = {"file_id": "f1", "file_unique_id": "u1"}
CONTENT: dict[str, dict[str, Any]] = {
    "sticker": {
        "sticker": {
            **_FILE,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    },
    "photo": {"photo": [{**_FILE, "width": 90, "height": 90}], "caption": "انظر"},
    "voice": {"voice": {**_FILE, "duration": 3}},
    "location": {"location": {"latitude": 30.04, "longitude": 31.24}},
    "pdf": {"document": {**_FILE, "file_name": "report.pdf", "mime_type": "application/pdf"}},
}


def _message(
    fake: FakeTelegram, chat_id: int, lang: str, content: dict[str, Any], *, chat_type: str
) -> dict[str, Any]:
    chat = fake.add_chat(chat_id, chat_type)
    user_id = chat_id if chat_type == "private" else USER_ID
    return {
        "message_id": next(_IDS),
        "date": int(time.time()),
        "chat": dict(chat),
        "from": {"id": user_id, "is_bot": False, "first_name": "مستخدم", "language_code": lang},
        **content,
    }


async def send(
    fake: FakeTelegram, chat_id: int, kind: str, *, lang: str = "ar", chat_type: str = "private"
) -> None:
    await fake.inject_update({"message": _message(fake, chat_id, lang, CONTENT[kind], chat_type=chat_type)})


# A photo or a sticker in the bot's chat got no answer at all: the user could not tell a bot that
# only reads text from one that is down.
@pytest.mark.parametrize("kind", list(CONTENT))
@pytest.mark.parametrize("lang", ["ar", "en"])
async def test_a_private_message_that_is_not_text_says_the_bot_reads_text(
    kind: str, lang: str, bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await send(fake_telegram, USER_ID, kind, lang=lang)
        [reply] = await fake_telegram.wait_for_messages(USER_ID, count=1, timeout=10)
    text = reply["plain_text"]
    assert "/help" in text
    if lang == "ar":
        assert text.startswith("أقرأ الرسائل النصية") and _arabic_only(text, "/help")
    else:
        assert text.startswith("I only read text messages")


async def test_an_admin_sending_a_file_that_is_not_a_feed_list_is_told_so_too(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await send(fake_telegram, ADMIN_ID, "pdf")
        [reply] = await fake_telegram.wait_for_messages(ADMIN_ID, count=1, timeout=10)
    assert reply["plain_text"].startswith("أقرأ الرسائل النصية")


async def test_an_admins_opml_upload_is_still_imported_not_answered_with_the_hint(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await fake_telegram.document(ADMIN_ID, "feeds.opml", b"<html><body>hello</body></html>")
        [reply] = await fake_telegram.wait_for_messages(ADMIN_ID, count=1, timeout=10)
        after = await say(fake_telegram, "/help", chat_id=ADMIN_ID)
    assert "تعذّرت قراءة الملف" in reply["plain_text"]
    assert "/subscribe" in after
    assert len(fake_telegram.sent_messages(ADMIN_ID)) == 2  # the import's answer and /help's, no hint


async def test_a_non_admins_opml_upload_is_refused_as_an_admin_file(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await fake_telegram.document(USER_ID, "feeds.opml", b"<opml/>")
        [reply] = await fake_telegram.wait_for_messages(USER_ID, count=1, timeout=10)
    assert reply["plain_text"] == "عذرًا، استيراد ملفات المصادر للمشرفين فقط."


@pytest.mark.parametrize("kind", ["photo", "sticker"])
async def test_a_photo_in_a_group_is_left_alone(kind: str, bot: Any, fake_telegram: FakeTelegram) -> None:
    async with bot:
        await send(fake_telegram, GROUP, kind, chat_type="group")
        [reply] = await fake_telegram.converse(GROUP, "/help", timeout=10)
    assert "/subscribe" in reply["plain_text"]
    assert len(fake_telegram.sent_messages(GROUP)) == 1


# -- 3. admin times written as the story cards write them ---------------------------------------

AR_INDIC = re.compile(r"[٠-٩]")


def _field(reply: str, label: str, end: str = " ·") -> str:
    start = reply.index(label) + len(label)
    stop = reply.find(end, start)
    return reply[start : stop if stop != -1 else None].split("\n")[0].strip()


async def _set_feed_times(app: Any, **times: datetime) -> None:
    from sqlalchemy import update

    from bot.db.models import Feed
    from tests.test_subscriber_support import db_of, feed_id

    db = db_of(app)
    fid = await feed_id(db, "الجزيرة نت")
    async with db.write() as session:
        await session.execute(update(Feed).where(Feed.id == fid).values(**times))


# /feeds and /feed wrote "2026-11-26 15:00" in an Arabic reply whose story cards say "٢٦ نوفمبر ١٥:٠٠".
async def test_admin_feed_times_are_written_like_the_story_cards(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    from bot.delivery.format import local_time

    tz = "Asia/Riyadh"  # the config's default_timezone, which admin replies use
    checked = utcnow()
    success = checked - timedelta(days=3)
    if success.astimezone(ZoneInfo(tz)).year != checked.astimezone(ZoneInfo(tz)).year:
        success = checked  # early January: three days ago is last year, which is written differently
    async with bot as app:
        await _set_feed_times(
            app,
            last_success_at=success,
            last_checked_at=checked,
            last_error_at=datetime(2018, 7, 23, 16, 15, tzinfo=UTC),
            last_error="HTTP 500",
        )
        listing = await say(fake_telegram, "/feeds", chat_id=ADMIN_ID)
        detail = await say(fake_telegram, "/feed 1", chat_id=ADMIN_ID)
        listing_en = await say(fake_telegram, "/feeds", chat_id=ADMIN_ID, lang="en")
        detail_en = await say(fake_telegram, "/feed 1", chat_id=ADMIN_ID, lang="en")
    card_time = local_time(success, lang="ar", tz=tz)
    assert AR_INDIC.search(card_time) and not LATIN_DIGIT.search(card_time)
    assert _field(listing, "آخر نجاح: ") == card_time
    assert _field(detail, "آخر نجاح: ") == card_time
    assert _field(detail, "آخر فحص: ") == local_time(checked, lang="ar", tz=tz)
    # A time from another year says which: cards never need to, an admin's feed may.
    assert _field(detail, "آخر خطأ (", ")") == "٢٣ يوليو ٢٠١٨ ١٩:١٥"
    assert _field(listing_en, "last success: ") == local_time(success, lang="en", tz=tz)
    assert _field(detail_en, "Last error (", ")") == "23 Jul 2018 19:15"


async def test_the_admin_audit_log_writes_its_times_like_the_story_cards(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await say(fake_telegram, "/pausefeed 1", chat_id=ADMIN_ID)
        log = await say(fake_telegram, "/audit", chat_id=ADMIN_ID)
        log_en = await say(fake_telegram, "/audit", chat_id=ADMIN_ID, lang="en")
    entry = _field(log, "• ", " — ")
    assert re.fullmatch(r"[٠-٩]{2}:[٠-٩]{2}", entry), log  # today: the time alone, as on a card
    assert re.fullmatch(r"\d{2}:\d{2}", _field(log_en, "• ", " — ")), log_en


# -- an inline result posted in the bot's own chat -----------------------------------------------


# Picking one of the bot's inline results in its own chat posts the story card there "via" the bot;
# the question handler took that long text for a question ("السؤال طويل جدًا") or searched it.
async def test_a_story_card_posted_through_inline_mode_is_not_taken_for_a_question(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    from telegram import Update

    card = (
        "تعرف على سر التونسي الذي يصنع خبز الرئيس الفرنسي\n"
        + "الخباز التونسي الأصل يتحدث عن سر جودة صناعته. " * 8
    )
    async with bot as app:
        me = await app.bot.get_me()
        for text in (card, "سوريا"):
            update = Update.de_json(
                {
                    "update_id": next(_IDS),
                    "message": {
                        "message_id": next(_IDS),
                        "date": int(time.time()),
                        "chat": {"id": USER_ID, "type": "private", "first_name": "مستخدم"},
                        "from": {
                            "id": USER_ID,
                            "is_bot": False,
                            "first_name": "مستخدم",
                            "language_code": "ar",
                        },
                        "via_bot": {
                            "id": me.id,
                            "is_bot": True,
                            "first_name": me.first_name,
                            "username": me.username,
                        },
                        "text": text,
                    },
                },
                app.bot,
            )
            # Handled to the end here (not through getUpdates), so no answer means none was sent.
            await app.process_update(update)
        assert fake_telegram.sent_messages(USER_ID) == []
        # The same words typed by the user are a question, and get an answer.
        reply = await say(fake_telegram, "سوريا")
    assert "سوريا" in reply
