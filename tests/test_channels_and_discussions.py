"""Channels, their discussion groups, and groups: what the bot says there and what it leaves alone.

Telegram copies every post of a channel into the channel's linked discussion group (an automatic
forward from the channel): the admins' commands and the bot's own answers. Those copies are not
said in the group, so they are neither commands, nor questions, nor counted as anyone's messages.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.subscribers import service
from bot.subscribers.throttle import BURST, Throttle
from handlers import throttle
from tests.test_forum_topics import ADMIN as FORUM_ADMIN
from tests.test_forum_topics import CHAT_TOPIC, FORUM, NEWS_TOPIC, _forum, _in_topic
from tests.test_subscriber_support import SECTIONS, add_story, db_of, no_background_jobs

CHANNEL = -1009876543210
DISCUSSION = -1005550001  # the channel's linked discussion group
GROUP = -1001234567890
CHANNEL_ADMIN, GROUP_ADMIN, MEMBER = 3000, 3001, 2000
TELEGRAM = 777000  # the account automatic forwards come "from"
CHANNEL_BOT = 136817688  # the account a user posting as a channel comes "from"
MENTION = "@akhbar_test_bot"


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS)


class Handled:
    """Which updates the bot has finished with: a handler after every other one (group 99) notes
    each update's id, so a test can wait for an update the bot answers with silence."""

    def __init__(self, app: Any) -> None:
        self.ids: set[int] = set()
        self._changed = asyncio.Event()
        app.add_handler(TypeHandler(Update, self._note), group=99)

    async def _note(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        self.ids.add(update.update_id)
        self._changed.set()

    async def wait(self, update: dict[str, Any], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while update["update_id"] not in self.ids:
                self._changed.clear()
                await self._changed.wait()


def _chats(fake_telegram: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    channel = fake_telegram.add_chat(CHANNEL, "channel", title="قناة الأخبار")
    group = fake_telegram.add_chat(DISCUSSION, "supergroup", title="نقاش قناة الأخبار")
    fake_telegram.set_chat_admins(CHANNEL, [CHANNEL_ADMIN])
    fake_telegram.set_chat_admins(DISCUSSION, [CHANNEL_ADMIN])
    return dict(channel), dict(group)


def _copy(fake_telegram: Any, post: dict[str, Any]) -> dict[str, Any]:
    """Telegram's copy in the discussion group of the channel post `post`."""
    channel, group = _chats(fake_telegram)
    message: dict[str, Any] = {
        "message_id": fake_telegram._new_message_id(DISCUSSION),
        "date": int(time.time()),
        "chat": group,
        "from": {"id": TELEGRAM, "is_bot": False, "first_name": "Telegram"},
        "sender_chat": channel,
        "is_automatic_forward": True,
        "forward_origin": {
            "type": "channel",
            "chat": channel,
            "message_id": post["message_id"],
            "date": post["date"],
        },
        "text": post["text"],
    }
    if post.get("entities"):
        message["entities"] = post["entities"]
    return message


async def _copied(fake_telegram: Any, handled: Handled, post: dict[str, Any]) -> dict[str, Any]:
    """Copy `post` into the discussion group and wait until the bot has dealt with the copy."""
    message = _copy(fake_telegram, post)
    await handled.wait(await fake_telegram.inject_update({"message": message}))
    return message


def _sent_post(record: dict[str, Any]) -> dict[str, Any]:
    """A message the bot posted in the channel, as Telegram would copy it."""
    return {
        "message_id": record["message_id"],
        "date": record["date"],
        "text": record["plain_text"],
        "entities": record["entities"],
    }


# ---------------------------------------------------------------- automatic forwards


async def test_the_channels_posts_copied_into_its_discussion_group_are_not_answered_again(
    bot: Any, fake_telegram: Any
) -> None:
    _chats(fake_telegram)
    async with bot as app:
        db = db_of(app)
        handled = Handled(app)
        await fake_telegram.chat_member_update(
            CHANNEL, old_status="left", new_status="administrator", chat_type="channel", user_id=CHANNEL_ADMIN
        )
        await fake_telegram.bot_added_to_group(
            DISCUSSION, title="نقاش قناة الأخبار", chat_type="supergroup", user_id=CHANNEL_ADMIN
        )
        [welcome] = await fake_telegram.wait_for_messages(DISCUSSION)
        for command in (
            "/help",
            "/subscribe الجزيرة نت",
            "/latest",
            "/settings الهدوء 23:00-07:00",
            "/search سوريا",
        ):
            since = len(fake_telegram.sent_messages(CHANNEL, include_deleted=True))
            update = await fake_telegram.user_message(CHANNEL, command, language_code=None)
            await fake_telegram.wait_for_messages(CHANNEL, since=since)
            post = update["channel_post"]
            await _copied(fake_telegram, handled, {**post, "text": command})
        # The bot's own answers in the channel are copied too; its /help names the bot.
        answers = fake_telegram.sent_messages(CHANNEL)
        assert any(MENTION in a["plain_text"] for a in answers)
        for answer in answers:
            await _copied(fake_telegram, handled, _sent_post(answer))
        discussion = fake_telegram.sent_messages(DISCUSSION, include_deleted=True)
        subscriptions = await service.list_subscriptions(db, DISCUSSION)
        group = await service.get_subscriber(db, DISCUSSION)
    assert discussion == [welcome]
    assert subscriptions == []
    assert group is not None and group.quiet_start is None
    # The channel itself got its answers, once each.
    assert len(answers) == 5


async def test_a_comment_under_a_channel_post_is_not_a_question_to_the_bot(
    bot: Any, fake_telegram: Any
) -> None:
    """A comment under a channel post replies to Telegram's copy of it, whose author is the channel,
    even when the bot wrote the post: the members discuss the news there (every comment would be a
    question otherwise). Mentioning the bot still asks it."""
    _chats(fake_telegram)
    async with bot as app:
        handled = Handled(app)
        await fake_telegram.chat_member_update(
            CHANNEL, old_status="left", new_status="administrator", chat_type="channel", user_id=CHANNEL_ADMIN
        )
        await fake_telegram.bot_added_to_group(
            DISCUSSION, title="نقاش قناة الأخبار", chat_type="supergroup", user_id=CHANNEL_ADMIN
        )
        await fake_telegram.wait_for_messages(DISCUSSION)
        [answer] = await fake_telegram.converse(CHANNEL, "/latest", language_code=None)
        copy = await _copied(fake_telegram, handled, _sent_post(answer))
        comment = {
            "message_id": fake_telegram._new_message_id(DISCUSSION),
            "date": int(time.time()),
            "chat": copy["chat"],
            "from": {"id": MEMBER, "is_bot": False, "first_name": "قارئ", "language_code": "ar"},
            "reply_to_message": copy,
            "text": "وماذا عن سوريا؟",
        }
        await handled.wait(await fake_telegram.inject_update({"message": comment}))
        silent = fake_telegram.sent_messages(DISCUSSION, include_deleted=True)
        asked = await fake_telegram.converse(DISCUSSION, f"{MENTION} سوريا", user_id=MEMBER)
    assert len(silent) == 1  # the welcome
    assert asked


async def test_copies_of_a_busy_channel_do_not_use_up_what_its_admins_may_send(
    bot: Any, fake_telegram: Any
) -> None:
    """Copies are keyed by the channel, as an admin posting as the channel in its group is: counted,
    a busy channel would leave its admins' own messages dropped."""
    channel, group = _chats(fake_telegram)
    async with bot as app:
        handled = Handled(app)
        app.bot_data[throttle.KEY] = Throttle(clock=lambda: 0.0)  # no refill while the test runs
        for number in range(1, BURST + 1):
            command = {"type": "bot_command", "offset": 0, "length": len("/latest")}
            post = {"message_id": number, "date": 0, "text": f"/latest {number}", "entities": [command]}
            await _copied(fake_telegram, handled, post)
        as_channel = {
            "message_id": fake_telegram._new_message_id(DISCUSSION),
            "date": int(time.time()),
            "chat": group,
            "from": {"id": CHANNEL_BOT, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"},
            "sender_chat": channel,
            "text": f"{MENTION} سوريا",
        }
        await fake_telegram.inject_update({"message": as_channel})
        [answer] = await fake_telegram.wait_for_messages(DISCUSSION)
    assert answer["plain_text"]


# ---------------------------------------------------------------- words for groups and channels


async def test_help_in_a_group_says_how_to_ask_there(bot: Any, fake_telegram: Any) -> None:
    fake_telegram.add_chat(GROUP, "supergroup", title="العائلة")
    async with bot as app:
        assert app
        [arabic] = await fake_telegram.converse(GROUP, "/help", user_id=MEMBER)
        [english] = await fake_telegram.converse(GROUP + 1, "/help", user_id=MEMBER, language_code="en")
    text = arabic["plain_text"]
    assert "اذكرني في رسالتك، مثل «\u200e@akhbar_test_bot\u200e سوريا»، أو ردّ على إحدى إجاباتي" in text
    assert "مشرفو المحادثة وحدهم يغيّرون ما تتابعه" in text
    assert "«سوريا» فقط" not in text  # a plain «سوريا» gets nothing in a group
    assert "أحفظه عنك" not in text and "/mysubs — اشتراكاتي" not in text
    assert "حذف كل ما أحفظه عن هذه المحادثة" in text
    assert "mention me, e.g. «@akhbar_test_bot Syria», or reply to one of my answers" in english["plain_text"]
    assert "just «Syria»" not in english["plain_text"]
    assert "Only this chat's admins change" in english["plain_text"]


async def test_help_in_a_channel_has_no_question_line(bot: Any, fake_telegram: Any) -> None:
    fake_telegram.add_chat(CHANNEL, "channel", title="قناة الأخبار")
    async with bot as app:
        assert app
        [helped] = await fake_telegram.converse(CHANNEL, "/help", language_code=None)
    text = helped["plain_text"]
    assert text.startswith("أوامر أخبار في هذه القناة")
    assert "حذف كل ما أحفظه عن هذه القناة" in text
    assert "«سوريا» فقط" not in text and "اذكرني" not in text
    assert "لا يستطيع قرّاء القناة سؤالي فيها" in text


async def test_private_help_says_how_to_get_news_in_a_group_or_channel(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        assert app
        [arabic] = await fake_telegram.converse(MEMBER, "/help")
        [english] = await fake_telegram.converse(MEMBER + 1, "/help", language_code="en")
    assert "أضفني إلى المجموعة، أو مشرفًا في القناة، ثم أرسل فيها /subscribe" in arabic["plain_text"]
    assert "as an admin of the channel, then send /subscribe there" in english["plain_text"]


async def test_latest_with_nothing_in_a_group_or_channel_speaks_to_the_chat(
    bot: Any, fake_telegram: Any
) -> None:
    fake_telegram.add_chat(GROUP, "supergroup", title="العائلة")
    fake_telegram.add_chat(CHANNEL, "channel", title="قناة الأخبار")
    async with bot as app:
        assert app
        [unsubscribed] = await fake_telegram.converse(GROUP, "/latest", user_id=MEMBER)
        [asked] = await fake_telegram.converse(GROUP, f"{MENTION} ما الجديد؟", user_id=MEMBER)
        [channel_unsubscribed] = await fake_telegram.converse(CHANNEL, "/latest", language_code=None)
        await fake_telegram.converse(CHANNEL, "/subscribe الجزيرة نت", language_code=None)
        [subscribed] = await fake_telegram.converse(CHANNEL, "/latest", language_code=None)
    # Members cannot choose the sources: they hear that the admins can.
    for said in (unsubscribed, asked):
        assert "يستطيع مشرفو هذه المحادثة اختيار مصادرها بالأمر /subscribe" in said["plain_text"]
        assert "اختر مصادرك" not in said["plain_text"]
    # In a channel the one asking is an admin.
    assert channel_unsubscribed["plain_text"].startswith("لا توجد أخبار بعد. اختر مصادر هذه القناة بالأمر")
    assert subscribed["plain_text"].startswith("لا أخبار من اشتراكات هذه المحادثة بعد. ستُنشر الجديدة هنا")
    assert "ستصلك" not in subscribed["plain_text"]


async def test_digest_times_typed_in_a_group_say_the_groups_news_moves_to_digests(
    bot: Any, fake_telegram: Any
) -> None:
    fake_telegram.add_chat(GROUP, "supergroup", title="العائلة")
    fake_telegram.set_chat_admins(GROUP, [GROUP_ADMIN])
    async with bot as app:
        assert app
        [saved] = await fake_telegram.converse(GROUP, "/settings الأوقات 07:00 19:00", user_id=GROUP_ADMIN)
    assert saved["plain_text"].startswith("حُفظ ✓ ستُنشر أخبار هذه المحادثة من الآن في ملخص")


@pytest.mark.parametrize("language", ["ar", "en"])
async def test_the_group_welcome_says_how_to_change_its_language(
    bot: Any, fake_telegram: Any, language: str
) -> None:
    """The adder's app language decides the group's: the welcome says how to change it."""
    fake_telegram.set_chat_admins(GROUP, [GROUP_ADMIN])
    async with bot as app:
        await fake_telegram.chat_member_update(
            GROUP,
            old_status="left",
            new_status="member",
            chat_type="supergroup",
            title="عائلة أبو أحمد",
            user_id=GROUP_ADMIN,
            language_code=language,
        )
        [welcome] = await fake_telegram.wait_for_messages(GROUP)
        sub = await service.get_subscriber(db_of(app), GROUP)
    assert sub is not None and sub.language == language
    expected = (
        "\u200f/language لتغيير لغة الرسائل." if language == "ar" else "/language changes the language."
    )
    assert welcome["plain_text"].splitlines()[-1] == expected


# ---------------------------------------------------------------- channel set-up is silent


async def test_replies_to_commands_in_a_channel_do_not_notify_its_readers(
    bot: Any, fake_telegram: Any
) -> None:
    fake_telegram.add_chat(CHANNEL, "channel", title="قناة الأخبار")
    fake_telegram.add_chat(GROUP, "supergroup", title="العائلة")
    fake_telegram.set_chat_admins(GROUP, [GROUP_ADMIN])
    async with bot as app:
        assert app
        replies = [
            (await fake_telegram.converse(CHANNEL, command, language_code=None))[0]
            for command in ("/subscribe", "/settings", "/language", "/help", "/search سوريا")
        ]
        [in_group] = await fake_telegram.converse(GROUP, "/subscribe", user_id=GROUP_ADMIN)
    assert all(r["disable_notification"] for r in replies), [r["plain_text"][:40] for r in replies]
    assert not in_group["disable_notification"]  # a group's members asked; they see it as usual


# ---------------------------------------------------------------- forum topics


async def _forum_set_up(fake_telegram: Any, chat: dict[str, Any]) -> None:
    """The admins subscribe and follow a word from the news topic."""
    await fake_telegram.inject_update(
        _in_topic(chat, "/subscribe الجزيرة نت", 500, topic=NEWS_TOPIC, user=FORUM_ADMIN)
    )
    await fake_telegram.wait_for_messages(FORUM)
    await fake_telegram.inject_update(
        _in_topic(chat, "/follow النفط", 501, topic=NEWS_TOPIC, user=FORUM_ADMIN)
    )
    await fake_telegram.wait_for_messages(FORUM, since=1)


@pytest.mark.parametrize(
    "command", ["/unsubscribe", "/unfollow", "/unsubscribe الجزيرة نت", "/unfollow النفط"]
)
async def test_removing_from_another_topic_leaves_the_news_where_it_is(
    bot: Any, fake_telegram: Any, command: str
) -> None:
    chat = _forum(fake_telegram)
    async with bot as app:
        await _forum_set_up(fake_telegram, chat)
        await fake_telegram.inject_update(_in_topic(chat, command, 502, topic=CHAT_TOPIC, user=FORUM_ADMIN))
        [answer] = await fake_telegram.wait_for_messages(FORUM, since=2)
        sub = await service.get_subscriber(db_of(app), FORUM)
    assert answer["params"].get("message_thread_id") == CHAT_TOPIC  # answered where asked
    assert sub is not None and sub.thread_id == NEWS_TOPIC


async def _press_in_topic(fake_telegram: Any, menu: dict[str, Any], data: str, topic: int) -> dict[str, Any]:
    """An admin presses a button under `menu`, a message in the forum topic `topic`."""
    update = await fake_telegram.callback_query(FORUM, menu["message_id"], data, user_id=FORUM_ADMIN)
    # Nothing has yielded to the bot since the update was queued: it still reads it as we set it.
    update["callback_query"]["message"].update(message_thread_id=topic, is_topic_message=True)
    return dict(await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"]))


def _buttons(menu: dict[str, Any]) -> list[str]:
    return [b["callback_data"] for row in menu["params"]["reply_markup"]["inline_keyboard"] for b in row]


async def test_buttons_move_the_news_only_when_they_turn_something_on(bot: Any, fake_telegram: Any) -> None:
    chat = _forum(fake_telegram)
    async with bot as app:
        db = db_of(app)
        await _forum_set_up(fake_telegram, chat)
        await fake_telegram.inject_update(
            _in_topic(chat, "/unsubscribe", 502, topic=CHAT_TOPIC, user=FORUM_ADMIN)
        )
        [removal] = await fake_telegram.wait_for_messages(FORUM, since=2)
        await _press_in_topic(fake_telegram, removal, _buttons(removal)[0], CHAT_TOPIC)
        after_removing = (await service.get_subscriber(db, FORUM)).thread_id  # type: ignore[union-attr]
        await fake_telegram.inject_update(_in_topic(chat, "/topics", 503, topic=CHAT_TOPIC, user=FORUM_ADMIN))
        [topics] = await fake_telegram.wait_for_messages(FORUM, since=3)
        first_topic = _buttons(topics)[0]
        await _press_in_topic(fake_telegram, topics, first_topic, CHAT_TOPIC)  # on
        after_turning_on = (await service.get_subscriber(db, FORUM)).thread_id  # type: ignore[union-attr]
    assert after_removing == NEWS_TOPIC
    assert after_turning_on == CHAT_TOPIC


async def test_a_story_answer_in_a_group_still_works(bot: Any, fake_telegram: Any) -> None:
    """Guard: a member mentioning the bot in a group is still answered (not an automatic forward)."""
    fake_telegram.add_chat(GROUP, "supergroup", title="العائلة")
    async with bot as app:
        await add_story(db_of(app), "ارتفاع أسعار النفط في سوريا", ["جملة أولى عن سوريا.", "جملة ثانية."])
        [header, *_] = await fake_telegram.converse(GROUP, f"{MENTION} سوريا", user_id=MEMBER, count=2)
    assert header["plain_text"] == "أحدث ما وجدته عن «سوريا»:"
