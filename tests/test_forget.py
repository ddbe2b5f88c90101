"""/forget: a user asks the bot to delete what it keeps about them (the real Application against the
fake Bot API, through test_audit_user_flows' `bot` and `say` fixtures)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.clock import utcnow
from bot.db.database import Database
from bot.db.models import AdminLanguage, Outbox, Subscriber, Subscription
from bot.delivery.outbox import enqueue_text
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID, USER_ID
from tests.test_audit_user_flows import bot, say
from tests.test_subscriber_support import db_of

__all__ = ["bot"]  # a fixture, used by name

GROUP = -1001777
MEMBER = USER_ID + 5


async def _rows(db: Database, chat_id: int) -> tuple[int, int, int]:
    async with db.read() as session:
        counts = []
        for model in (Subscriber, Subscription, Outbox):
            query = select(func.count()).select_from(model).where(model.chat_id == chat_id)
            counts.append(int(await session.scalar(query) or 0))
    return counts[0], counts[1], counts[2]


async def _press(
    fake: FakeTelegram, chat_id: int, message: dict[str, Any], data: str, **kw: Any
) -> dict[str, Any]:
    update = await fake.callback_query(chat_id, message["message_id"], data, **kw)
    return await fake.wait_for_callback_answer(update["callback_query"]["id"])


async def test_forget_asks_first_then_deletes_everything_about_the_chat(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        db = db_of(app)
        await say(fake_telegram, "/start")
        await say(fake_telegram, "/follow النفط")
        await say(fake_telegram, "/settings الجمل 2")
        # A message waiting for the chat (a story held by quiet hours, say).
        await enqueue_text(db, USER_ID, "خبر", dedup_key="held", not_before=utcnow() + timedelta(hours=8))
        [ask] = await fake_telegram.converse(USER_ID, "/forget", timeout=10)
        question = ask["plain_text"]  # the record is edited in place below
        labels = [b["text"] for row in ask["reply_markup"]["inline_keyboard"] for b in row]
        before = await _rows(db, USER_ID)
        await _press(fake_telegram, USER_ID, ask, "fgt:yes")
        after = await _rows(db, USER_ID)
        done = fake_telegram.message(USER_ID, ask["message_id"])
        mysubs = await say(fake_telegram, "/mysubs")
    assert "لا يمكن التراجع" in question
    assert labels == ["احذف كل شيء", "تراجع"]
    assert before[0] == 1 and before[1] >= 1 and before[2] >= 1  # nothing goes before the answer
    assert after == (0, 0, 0)
    assert done is not None and done["plain_text"].startswith("حُذف كل ما كنت أحفظه")
    assert not done.get("reply_markup")  # no second press
    assert "النفط" not in mysubs


async def test_a_double_tap_on_delete_is_answered_quietly(bot: Any, fake_telegram: FakeTelegram) -> None:
    """Two taps land before the question is replaced (a phone does that): the second finds the
    data gone and the message already saying so; it must not report an error after the deletion."""
    async with bot as app:
        await say(fake_telegram, "/start")
        await say(fake_telegram, "/follow النفط")
        [ask] = await fake_telegram.converse(USER_ID, "/forget", timeout=10)
        sent_before = len(fake_telegram.sent_messages(USER_ID))
        taps = [await fake_telegram.callback_query(USER_ID, ask["message_id"], "fgt:yes") for _ in range(2)]
        for tap in taps:
            await fake_telegram.wait_for_callback_answer(tap["callback_query"]["id"])
        rows = await _rows(db_of(app), USER_ID)
        done = fake_telegram.message(USER_ID, ask["message_id"])
    assert rows == (0, 0, 0)
    assert done is not None and done["plain_text"].startswith("حُذف كل ما كنت أحفظه")
    assert len(fake_telegram.sent_messages(USER_ID)) == sent_before  # no «حدث خطأ» after it


async def test_keeping_the_data_deletes_nothing_and_english_users_are_asked_in_english(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        await say(fake_telegram, "/start", lang="en")
        await say(fake_telegram, "/follow oil", lang="en")
        [ask] = await fake_telegram.converse(USER_ID, "/forget", language_code="en", timeout=10)
        question = ask["plain_text"]
        await _press(fake_telegram, USER_ID, ask, "fgt:no", language_code="en")
        rows = await _rows(db_of(app), USER_ID)
        kept = fake_telegram.message(USER_ID, ask["message_id"])
    assert question.startswith("I will delete everything")
    assert rows[:2] == (1, 1)
    assert kept is not None and kept["plain_text"] == "Nothing was deleted."


async def test_in_a_group_only_its_administrators_may_forget_it(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.add_chat(GROUP, "supergroup", title="أخبار العائلة")
    fake_telegram.set_chat_admins(GROUP, [USER_ID])
    async with bot as app:
        await fake_telegram.converse(GROUP, "/start", user_id=USER_ID, timeout=10)
        [refused] = await fake_telegram.converse(GROUP, "/forget", user_id=MEMBER, timeout=10)
        [ask] = await fake_telegram.converse(GROUP, "/forget", user_id=USER_ID, timeout=10)
        answer = await _press(fake_telegram, GROUP, ask, "fgt:yes", user_id=MEMBER)
        rows = await _rows(db_of(app), GROUP)
    assert refused["plain_text"].startswith("عذرًا، مشرفو هذه المحادثة")
    assert answer["text"].startswith("عذرًا، مشرفو هذه المحادثة")
    assert rows[0] == 1


async def test_an_admin_who_forgets_leaves_no_language_behind(bot: Any, fake_telegram: FakeTelegram) -> None:
    """/forget deletes what is kept about the chat, the app language an admin's alerts follow too."""
    async with bot as app:
        db = db_of(app)
        await say(fake_telegram, "/feeds", chat_id=ADMIN_ID, lang="en")
        async with db.read() as session:
            assert (await session.get(AdminLanguage, ADMIN_ID)) is not None
        [ask] = await fake_telegram.converse(ADMIN_ID, "/forget", language_code="en", timeout=10)
        await _press(fake_telegram, ADMIN_ID, ask, "fgt:yes", language_code="en")
        async with db.read() as session:
            assert (await session.get(AdminLanguage, ADMIN_ID)) is None
