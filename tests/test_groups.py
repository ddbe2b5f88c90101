"""Groups and channels: only a chat's administrators change its subscriptions; joining and leaving."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot.subscribers import service
from tests.helpers import USER_ID, as_anonymous_admin
from tests.test_routing import add_story
from tests.test_subscriber_support import SECTIONS, db_of, feed_id, no_background_jobs

GROUP = -1001234567890
CHANNEL = -1009876543210
GROUP_ADMIN = 3000


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS)


async def test_group_member_is_refused_and_admin_succeeds(bot: Any, fake_telegram: Any) -> None:
    fake_telegram.add_chat(GROUP, "supergroup", title="أخبار العائلة")
    fake_telegram.set_chat_admins(GROUP, [GROUP_ADMIN])
    async with bot as app:
        db = db_of(app)
        [refused] = await fake_telegram.converse(GROUP, "/subscribe all", user_id=USER_ID)
        assert refused["plain_text"] == "عذرًا، مشرفو هذه المحادثة وحدهم يستطيعون تغيير اشتراكاتها وإعداداتها."
        assert await service.list_subscriptions(db, GROUP) == []
        [refused] = await fake_telegram.converse(GROUP, "/follow النفط", user_id=USER_ID)
        assert "مشرفو هذه المحادثة وحدهم" in refused["plain_text"]
        assert await service.list_subscriptions(db, GROUP) == []

        [menu] = await fake_telegram.converse(GROUP, "/subscribe@akhbar_test_bot", user_id=GROUP_ADMIN)
        assert "اختر المصادر والمواضيع" in menu["plain_text"]
        sub = await service.get_subscriber(db, GROUP)
        assert sub is not None and sub.chat_type == "supergroup" and sub.title == "أخبار العائلة"

        # A member pressing the admin's keyboard is refused with an alert; nothing changes.
        jazeera = await feed_id(db, "الجزيرة نت")
        update = await fake_telegram.callback_query(
            GROUP, menu["message_id"], f"sub:f:{jazeera}:0", user_id=USER_ID
        )
        answer = await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        assert answer["show_alert"] is True and "مشرفو هذه المحادثة وحدهم" in answer["text"]
        assert await service.list_subscriptions(db, GROUP) == []

        update = await fake_telegram.callback_query(
            GROUP, menu["message_id"], f"sub:f:{jazeera}:0", user_id=GROUP_ADMIN
        )
        answer = await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        assert answer["text"] == "✓ اشتركت في «الجزيرة نت»"
        [row] = await service.list_subscriptions(db, GROUP)
        assert (row.chat_id, row.kind, row.target) == (GROUP, "feed", str(jazeera))

        # Reading is open to everyone in the group.
        [listing] = await fake_telegram.converse(GROUP, "/mysubs", user_id=USER_ID)
        assert "الجزيرة نت" in listing["plain_text"]
        # /stop too is for administrators only.
        [refused] = await fake_telegram.converse(GROUP, "/stop", user_id=USER_ID)
        assert "مشرفو هذه المحادثة وحدهم" in refused["plain_text"]
        assert len(await service.list_subscriptions(db, GROUP)) == 1


async def test_the_group_creator_counts_as_admin(bot: Any, fake_telegram: Any) -> None:
    fake_telegram.add_chat(GROUP, "group", title="مجموعة")
    fake_telegram.set_chat_admins(GROUP, [], creator=GROUP_ADMIN)
    async with bot as app:
        [reply] = await fake_telegram.converse(GROUP, "/settings quiet 23:00-07:00", user_id=GROUP_ADMIN)
        assert "ساعات الهدوء: من ٢٣:٠٠ إلى ٠٧:٠٠" in reply["plain_text"]
        sub = await service.get_subscriber(db_of(app), GROUP)
        assert sub is not None and sub.quiet_start == "23:00"


async def test_a_command_posted_in_a_channel_is_obeyed(bot: Any, fake_telegram: Any) -> None:
    fake_telegram.add_chat(CHANNEL, "channel", title="قناة الأخبار")
    async with bot as app:
        db = db_of(app)
        [reply] = await fake_telegram.converse(CHANNEL, "/subscribe BBC عربي", language_code=None)
        assert reply["plain_text"] == "اشتركت هذه المحادثة في «BBC عربي». جديده يصل إليها من الآن."
        sub = await service.get_subscriber(db, CHANNEL)
        assert sub is not None and sub.chat_type == "channel" and sub.title == "قناة الأخبار"
        [row] = await service.list_subscriptions(db, CHANNEL)
        assert row.target == str(await feed_id(db, "BBC عربي"))


async def test_bot_added_to_a_group_registers_it_and_removal_deactivates(
    bot: Any, fake_telegram: Any
) -> None:
    async with bot as app:
        db = db_of(app)
        await fake_telegram.bot_added_to_group(GROUP, title="نادي القراءة", chat_type="supergroup")
        [welcome] = await fake_telegram.wait_for_messages(GROUP)
        assert "يستطيع مشرفو هذه المحادثة اختيار المصادر" in welcome["plain_text"]
        sub = await service.get_subscriber(db, GROUP)
        assert sub is not None and sub.active and sub.title == "نادي القراءة"

        await fake_telegram.chat_member_update(GROUP, old_status="member", new_status="left")
        await _wait_inactive(db, GROUP)
        sub = await service.get_subscriber(db, GROUP)
        assert sub is not None and sub.inactive_reason == "removed"


async def test_user_blocking_the_bot_deactivates_the_chat(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        db = db_of(app)
        await fake_telegram.converse(USER_ID, "/start")
        await fake_telegram.user_blocked_bot(USER_ID)
        await _wait_inactive(db, USER_ID)
        sub = await service.get_subscriber(db, USER_ID)
        assert sub is not None and sub.inactive_reason == "blocked"


async def _wait_inactive(db: Any, chat_id: int, timeout: float = 5.0) -> None:
    """Wait (bounded) until the bot has handled the membership update and marked the chat."""

    async def poll() -> None:
        while True:
            sub = await service.get_subscriber(db, chat_id)
            if sub is not None and not sub.active:
                return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


async def test_bot_made_admin_of_a_channel_registers_it_silently(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        await fake_telegram.chat_member_update(
            CHANNEL, old_status="left", new_status="administrator", chat_type="channel", title="قناة"
        )
        db = db_of(app)

        async def registered() -> None:
            while await service.get_subscriber(db, CHANNEL) is None:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(registered(), 5)
        sub = await service.get_subscriber(db, CHANNEL)
        assert sub is not None and sub.chat_type == "channel" and sub.active
        # No greeting is posted to the channel's readers; a command still gets its answer.
        [reply] = await fake_telegram.converse(CHANNEL, "/mysubs", language_code=None)
        assert "ليست لهذه المحادثة اشتراكات بعد" in reply["plain_text"]
        assert len(fake_telegram.sent_messages(CHANNEL)) == 1


async def test_group_upgraded_to_supergroup_keeps_its_subscriptions(bot: Any, fake_telegram: Any) -> None:
    old, new = -5005, -1005005
    fake_telegram.add_chat(old, "group", title="مجموعة")
    fake_telegram.set_chat_admins(old, [GROUP_ADMIN])
    async with bot as app:
        db = db_of(app)
        await fake_telegram.converse(old, "/follow النفط", user_id=GROUP_ADMIN)
        await fake_telegram.inject_update(
            {
                "message": {
                    "message_id": 99,
                    "date": 0,
                    "chat": {"id": old, "type": "group", "title": "مجموعة"},
                    "from": {"id": GROUP_ADMIN, "is_bot": False, "first_name": "مشرف"},
                    "migrate_to_chat_id": new,
                }
            }
        )

        async def moved() -> None:
            while await service.get_subscriber(db, new) is None:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(moved(), 5)
        assert await service.get_subscriber(db, old) is None
        [row] = await service.list_subscriptions(db, new)
        assert (row.kind, row.display) == ("keyword", "النفط")


async def test_an_anonymous_group_admin_may_change_subscriptions(bot: Any, fake_telegram: Any) -> None:
    chat = {"id": GROUP, "type": "supergroup", "title": "مجموعة"}
    fake_telegram.add_chat(GROUP, "supergroup", title="مجموعة")
    async with bot as app:
        await fake_telegram.inject_update(as_anonymous_admin(chat, "/follow الانتخابات"))
        [reply] = await fake_telegram.wait_for_messages(GROUP)
        assert reply["plain_text"] == "ستصل إلى هذه المحادثة الأخبار التي تذكر «الانتخابات» من كل المصادر."
        [row] = await service.list_subscriptions(db_of(app), GROUP)
        assert (row.kind, row.target) == ("keyword", "الانتخابات")


async def test_group_replies_speak_to_the_group_and_a_member_cannot_undo_a_stop(
    bot: Any, fake_telegram: Any
) -> None:
    fake_telegram.add_chat(GROUP, "supergroup", title="أخبار العائلة")
    fake_telegram.set_chat_admins(GROUP, [GROUP_ADMIN])
    async with bot as app:
        db = db_of(app)
        [followed] = await fake_telegram.converse(GROUP, "/follow النفط", user_id=GROUP_ADMIN)
        [stopped] = await fake_telegram.converse(GROUP, "/stop", user_id=GROUP_ADMIN)
        [refused] = await fake_telegram.converse(GROUP, "/start", user_id=USER_ID)
        sub = await service.get_subscriber(db, GROUP)
        assert sub is not None and not sub.active  # still stopped
        [welcome] = await fake_telegram.converse(GROUP, "/start", user_id=GROUP_ADMIN)
        sub = await service.get_subscriber(db, GROUP)
    assert followed["plain_text"] == "ستصل إلى هذه المحادثة الأخبار التي تذكر «النفط» من كل المصادر."
    assert stopped["plain_text"].startswith("أوقفت كل اشتراكات هذه المحادثة")
    assert "/start" in refused["plain_text"] and "مشرفو هذه المحادثة" in refused["plain_text"]
    assert "يستطيع مشرفو هذه المحادثة اختيار المصادر" in welcome["plain_text"]
    assert sub is not None and sub.active


async def test_a_group_that_adds_the_bot_back_is_told_its_subscriptions_are_still_there(
    bot: Any, fake_telegram: Any
) -> None:
    async with bot as app:
        db = db_of(app)
        await fake_telegram.bot_added_to_group(GROUP, title="نادي القراءة", chat_type="supergroup")
        await fake_telegram.wait_for_messages(GROUP)
        await service.follow(db, GROUP, "النفط")
        await fake_telegram.chat_member_update(GROUP, old_status="member", new_status="left")
        await _wait_inactive(db, GROUP)
        await fake_telegram.bot_added_to_group(GROUP, title="نادي القراءة", chat_type="supergroup")
        [_, again] = await fake_telegram.wait_for_messages(GROUP, count=2)
    assert "اشتراكات هذه المحادثة كما هي (عددها: ١)" in again["plain_text"]


async def test_latest_in_a_group_is_one_list_not_a_card_per_story(bot: Any, fake_telegram: Any) -> None:
    fake_telegram.add_chat(GROUP, "supergroup", title="أخبار العائلة")
    fake_telegram.set_chat_admins(GROUP, [GROUP_ADMIN])
    async with bot as app:
        db = db_of(app)
        await fake_telegram.converse(GROUP, "/subscribe الجزيرة نت", user_id=GROUP_ADMIN)
        feed = await feed_id(db, "الجزيرة نت")
        titles = [f"خبر رقم {n} عن الاقتصاد" for n in range(1, 6)]
        for title in titles:
            await add_story(db, feed, title, url=f"https://news.example/{titles.index(title)}")
        [listing] = await fake_telegram.converse(GROUP, "/latest 5", user_id=USER_ID)
        await fake_telegram.converse(GROUP, "/help", user_id=USER_ID)  # nothing else came before it
    assert all(title in listing["plain_text"] for title in titles)
    assert len(fake_telegram.sent_messages(GROUP)) == 3  # subscribe's reply, the list, /help's reply
    # Each story says where and when it is from: a week-old story must not read as today's.
    lines = [line.strip("\u200f") for line in listing["plain_text"].split("\n")]
    for title in titles:
        under = lines[lines.index(next(line for line in lines if title in line)) + 1]
        assert under.startswith("الجزيرة نت · ") and re.search("[٠-٩]{2}:[٠-٩]{2}", under)
