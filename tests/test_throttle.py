"""Flood control: one user sending faster than a person can is slowed down, and told so, while
everyone else is answered as usual (handlers/throttle.py, bot/subscribers/throttle.py)."""

from __future__ import annotations

from typing import Any

from bot.subscribers.throttle import BURST, Throttle
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID, USER_ID, as_anonymous_admin
from tests.test_audit_user_flows import bot, say

__all__ = ["bot"]  # a fixture, used by name

OTHER = USER_ID + 7


def test_a_burst_then_about_one_a_second() -> None:
    now = [0.0]
    throttle = Throttle(clock=lambda: now[0])
    assert all(throttle.allow(1) for _ in range(BURST))
    assert not throttle.allow(1)
    assert throttle.allow(2)  # others have their own allowance
    now[0] += 1.0
    assert throttle.allow(1) and not throttle.allow(1)
    assert throttle.should_notice(1) and not throttle.should_notice(1)  # told once a minute
    now[0] += 61.0
    assert throttle.should_notice(1)


async def test_a_flooding_user_is_slowed_and_told_while_others_are_answered(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        app.bot_data["throttle"] = Throttle(clock=lambda: 0.0)  # no refill while the test runs
        for _ in range(BURST + 5):
            await fake_telegram.user_message(USER_ID, "/help")
        answered = await fake_telegram.wait_for_messages(USER_ID, count=BURST + 1, timeout=20)
        other = await say(fake_telegram, "/help", chat_id=OTHER)
        for _ in range(BURST + 5):  # admins are never slowed
            await fake_telegram.user_message(ADMIN_ID, "/help")
        admin = await fake_telegram.wait_for_messages(ADMIN_ID, count=BURST + 5, timeout=20)
    texts = [m["plain_text"] for m in fake_telegram.sent_messages(USER_ID)]
    assert len(answered) == BURST + 1 and len(texts) == BURST + 1
    assert sum(t.startswith("⏳ رسائلك كثيرة ومتتابعة") for t in texts) == 1
    assert other.startswith("أوامر أخبار")
    assert len(admin) == BURST + 5


async def test_a_groups_own_conversation_does_not_count_and_brings_no_notice(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    group = -1001999
    fake_telegram.add_chat(group, "supergroup", title="العائلة")
    async with bot as app:
        app.bot_data["throttle"] = Throttle(clock=lambda: 0.0)
        for i in range(BURST + 10):  # a lively conversation the bot is not part of
            await fake_telegram.user_message(group, f"رسالة رقم {i}", user_id=OTHER)
        [reply] = await fake_telegram.converse(group, "/help", user_id=OTHER, timeout=10)
        for _ in range(BURST + 5):  # commands do count; over the limit they are dropped silently
            await fake_telegram.user_message(group, "/help", user_id=OTHER)
        await fake_telegram.wait_for_messages(group, count=BURST, timeout=20)
        [private] = await fake_telegram.converse(OTHER, "/help", user_id=OTHER, timeout=10)
    assert reply["plain_text"].startswith("أوامر أخبار")
    texts = [m["plain_text"] for m in fake_telegram.sent_messages(group)]
    assert not any(t.startswith("⏳") for t in texts)
    assert private["plain_text"].startswith("⏳")  # still over the limit, told where it is private


async def test_one_groups_anonymous_admin_does_not_use_up_another_groups(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    busy, quiet = -1001777, -1001888
    busy_chat = fake_telegram.add_chat(busy, "supergroup", title="أ")
    quiet_chat = fake_telegram.add_chat(quiet, "supergroup", title="ب")
    async with bot as app:
        app.bot_data["throttle"] = Throttle(clock=lambda: 0.0)
        for _ in range(BURST + 5):
            await fake_telegram.inject_update(as_anonymous_admin(dict(busy_chat), "/help"))
        await fake_telegram.wait_for_messages(busy, count=BURST, timeout=20)
        await fake_telegram.inject_update(as_anonymous_admin(dict(quiet_chat), "/help"))
        [reply] = await fake_telegram.wait_for_messages(quiet, timeout=10)
    assert reply["plain_text"].startswith("أوامر أخبار")
    assert len(fake_telegram.sent_messages(busy)) == BURST  # the busy group itself is still slowed
