"""The fake Telegram Bot API behaves like Telegram for the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fakes.telegram_api import (
    FakeTelegram,
    FakeTelegramThread,
    Limit,
    RateLimits,
    parse_html,
    utf16_len,
)
from tests.fakes.telegram_plugin import FakeTelegramFactory, polling

CHAT = 4242


def make_app(fake: FakeTelegram) -> Application:  # type: ignore[type-arg]
    return fake.configure(ApplicationBuilder()).build()


@pytest_asyncio.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(
        fake_telegram.token, base_url=fake_telegram.base_url, base_file_url=fake_telegram.base_file_url
    ) as b:
        yield b


async def test_real_application_long_polls_and_replies(fake_telegram: FakeTelegram) -> None:
    app = make_app(fake_telegram)
    seen_language: list[str | None] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_user is not None and update.effective_message is not None
        seen_language.append(update.effective_user.language_code)
        await update.effective_message.reply_text("<b>أهلاً</b> بك", parse_mode=ParseMode.HTML)

    app.add_handler(CommandHandler("start", start))

    async with polling(app, fake_telegram):
        # The poller is parked in a long getUpdates; the update must be delivered at once.
        [reply] = await fake_telegram.converse(CHAT, "/start", timeout=5)
        assert reply["plain_text"] == "أهلاً بك"
        assert reply["text"] == "<b>أهلاً</b> بك"
        assert reply["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
        # "/start@bot" in a group addresses our bot too.
        [group_reply] = await fake_telegram.converse(-100777, f"/start@{fake_telegram.bot_user['username']}")
        assert group_reply["chat_id"] == -100777
    assert seen_language == ["ar", "ar"]
    # Confirmed updates are not delivered again.
    assert fake_telegram.pending_updates() == []


async def test_get_updates_waits_then_returns_empty_and_honours_offset(
    bot: Bot, fake_telegram: FakeTelegram
) -> None:
    assert await bot.get_updates(timeout=0) == ()
    update = await fake_telegram.user_message(CHAT, "مرحبا")
    [got] = await bot.get_updates(timeout=1)
    assert got.update_id == update["update_id"]
    assert got.message is not None and got.message.text == "مرحبا"
    # Not confirmed yet: delivered again; confirmed with offset: gone.
    assert len(await bot.get_updates(timeout=0)) == 1
    assert await bot.get_updates(offset=got.update_id + 1, timeout=0) == ()

    waiter = asyncio.create_task(bot.get_updates(offset=got.update_id + 1, timeout=5))
    await fake_telegram.wait_for_poller()
    await fake_telegram.user_message(CHAT, "ثانية")
    [second] = await asyncio.wait_for(waiter, 2)
    assert second.message is not None and second.message.text == "ثانية"


async def test_allowed_updates_filters(bot: Bot, fake_telegram: FakeTelegram) -> None:
    await fake_telegram.user_message(CHAT, "نص")
    await fake_telegram.inline_query("اقتصاد")
    updates = await bot.get_updates(timeout=0, allowed_updates=["inline_query"])
    assert [u.inline_query is not None for u in updates] == [True]


async def test_long_text_and_bad_html_are_rejected(bot: Bot, fake_telegram: FakeTelegram) -> None:
    await bot.send_message(CHAT, "ب" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "ب" * 4097)
    # Tags do not count, escaped entities count as one character.
    await bot.send_message(CHAT, "<b>" + "&amp;" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "😀" * 2049)  # UTF-16: 4098 units
    for broken in ("<b>غير مغلق", "<b>x</i>", "<div>x</div>", "a < b", "AT&T", "<span>x</span>"):
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(CHAT, broken, parse_mode=ParseMode.HTML)
    # Without parse_mode, markup characters are plain text.
    await bot.send_message(CHAT, "a < b & c")
    assert [m["plain_text"][:5] for m in fake_telegram.sent_messages(CHAT)] == ["ببببب", "&&&&&", "a < b"]
    assert fake_telegram.stats["bad_request"] == 8


def test_parse_html_entities() -> None:
    plain, entities = parse_html(
        '<a href="https://x.org/?a=1&amp;b=2">رابط</a> <pre><code class="language-python">x</code></pre>'
        "<tg-spoiler>s</tg-spoiler>&#1605;&lt;"
    )
    assert plain == "رابط xsم<"
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 4, "url": "https://x.org/?a=1&b=2"},
        {"type": "pre", "offset": 5, "length": 1, "language": "python"},
        {"type": "spoiler", "offset": 6, "length": 1},
    ]
    assert utf16_len("😀a") == 3


async def test_edits_and_not_modified(bot: Bot, fake_telegram: FakeTelegram) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("التالي", callback_data="page:2")]])
    sent = await bot.send_message(CHAT, "الصفحة ١", reply_markup=keyboard)
    await bot.edit_message_text("الصفحة ٢", chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "الصفحة ٢", chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard
        )
    await bot.edit_message_reply_markup(chat_id=CHAT, message_id=sent.message_id, reply_markup=None)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=999)
    record = fake_telegram.message(CHAT, sent.message_id)
    assert record is not None
    assert record["text"] == "الصفحة ٢" and record["reply_markup"] is None
    assert [e["text"] for e in record["edits"]] == ["الصفحة ٢", "الصفحة ٢"]
    assert record["edits"][0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "page:2"
    await bot.delete_message(CHAT, sent.message_id)
    assert fake_telegram.sent_messages(CHAT) == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(CHAT, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="ع" * 33)]])
        await bot.send_message(CHAT, "x", reply_markup=too_long)


async def test_per_chat_rate_limit_gives_retry_after(fake_telegram_factory: FakeTelegramFactory) -> None:
    fake = await fake_telegram_factory(rate_limits=RateLimits(per_chat=Limit(1, 60.0)))
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        await bot.send_message(1, "أ")
        await bot.send_message(2, "ب")  # another chat is not limited
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(1, "ج")
    assert "retry in" in str(info.value).lower()
    limited = fake.calls("sendMessage")[-1]
    assert limited["status"] == 429 and 1 <= limited["parameters"]["retry_after"] <= 60
    assert fake.stats["rate_limited"] == 1
    assert fake.stats["messages_sent"] == 2
    assert len(fake.sent_messages(1)) == 1


async def test_group_and_global_limits(fake_telegram_factory: FakeTelegramFactory) -> None:
    now = [0.0]
    fake = await fake_telegram_factory(
        rate_limits=RateLimits(global_limit=Limit(3, 1.0), per_chat=None, per_group=Limit(2, 60.0)),
        clock=lambda: now[0],
    )
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        await bot.send_message(-5, "1")
        await bot.send_message(-5, "2")
        with pytest.raises(RetryAfter):
            await bot.send_message(-5, "3")
        await bot.send_message(7, "3")
        with pytest.raises(RetryAfter):
            await bot.send_message(8, "4")  # global: 3 per second
        now[0] = 1.5
        await bot.send_message(8, "4")
        with pytest.raises(RetryAfter):
            await bot.send_message(-5, "5")  # the group window is a minute long
    assert fake.calls("sendMessage")[-1]["parameters"] == {"retry_after": 29}
    assert fake.stats["rate_limited"] == 3


async def test_blocked_kicked_and_migrated_chats(bot: Bot, fake_telegram: FakeTelegram) -> None:
    fake_telegram.block_chat(CHAT)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(CHAT, "x")
    fake_telegram.block_chat(CHAT, "deactivated")
    with pytest.raises(Forbidden, match=r"(?i)user is deactivated"):
        await bot.send_message(CHAT, "x")
    fake_telegram.unblock_chat(CHAT)
    await bot.send_message(CHAT, "x")
    fake_telegram.add_chat(-100123, "supergroup")
    fake_telegram.block_chat(-100123, "kicked")
    with pytest.raises(Forbidden, match=r"(?i)kicked from the supergroup chat"):
        await bot.send_message(-100123, "x")
    fake_telegram.migrate_chat(-55, -1005555)
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(-55, "x")
    assert info.value.new_chat_id == -1005555
    assert fake_telegram.stats["forbidden"] == 3


async def test_strict_chats(fake_telegram_factory: FakeTelegramFactory) -> None:
    fake = await fake_telegram_factory(rate_limits=RateLimits.disabled(), strict_chats=True)
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(99, "x")
        await fake.user_message(99, "hi")
        await bot.send_message(99, "x")


async def test_fault_injection(bot: Bot, fake_telegram: FakeTelegram) -> None:
    fake_telegram.fail_next("sendMessage", error_code=502, description="Bad Gateway")
    with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
        await bot.send_message(CHAT, "x")
    fake_telegram.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT, "ok")
    assert [c["status"] for c in fake_telegram.calls("sendMessage")] == [502, 0, 200]
    assert fake_telegram.stats["dropped"] == 1


async def test_unknown_method_and_bad_token(bot: Bot, fake_telegram: FakeTelegram) -> None:
    with pytest.raises(Exception, match=r"(?i)not found"):
        await bot.do_api_request("noSuchMethod")
    with pytest.raises(InvalidToken):
        await Bot("1:wrong", base_url=fake_telegram.base_url).initialize()


async def test_callback_and_inline_round_trips(fake_telegram: FakeTelegram) -> None:
    app = make_app(fake_telegram)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("تم")
        await query.edit_message_text(f"اخترت {query.data}")

    async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.inline_query is not None
        await update.inline_query.answer(
            [
                InlineQueryResultArticle(
                    "r1", "عنوان", InputTextMessageContent("<b>خبر</b>", parse_mode=ParseMode.HTML)
                )
            ],
            cache_time=0,
        )

    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(InlineQueryHandler(on_inline))

    async with polling(app, fake_telegram):
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("اقتصاد", callback_data="topic:eco")]])
        sent = await app.bot.send_message(CHAT, "اختر", reply_markup=keyboard)
        update = await fake_telegram.callback_query(CHAT, sent.message_id, "topic:eco")
        answer = await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        assert answer["text"] == "تم"
        await fake_telegram.wait_for("editMessageText")
        assert fake_telegram.last_message(CHAT)["text"] == "اخترت topic:eco"

        update = await fake_telegram.inline_query("اقتصاد", user_id=5)
        inline = await fake_telegram.wait_for_inline_answer(update["inline_query"]["id"])
        assert [r["id"] for r in inline["results"]] == ["r1"]
        assert inline["results"][0]["input_message_content"]["message_text"] == "<b>خبر</b>"
    assert len(fake_telegram.answered_callback_queries) == 1


async def test_document_upload_and_download(fake_telegram: FakeTelegram) -> None:
    app = make_app(fake_telegram)
    opml = b'<?xml version="1.0"?><opml><body><outline xmlUrl="https://a.example/rss"/></body></opml>'

    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        file = await message.document.get_file()
        buffer = io.BytesIO()
        await file.download_to_memory(buffer)
        data = buffer.getvalue()
        await message.reply_document(data, filename="back.opml", caption=f"{len(data)}")

    app.add_handler(MessageHandler(filters.Document.ALL, on_document))

    async with polling(app, fake_telegram):
        await fake_telegram.document(CHAT, "feeds.opml", opml, mime_type="text/x-opml")
        [reply] = await fake_telegram.wait_for_messages(CHAT)
        assert reply["kind"] == "document" and reply["text"] == str(len(opml))
    [sent] = fake_telegram.documents_sent
    assert sent["content"] == opml and sent["file_name"] == "back.opml"
    assert fake_telegram.stats["files_downloaded"] == 1


async def test_commands_chat_members_and_webhook(bot: Bot, fake_telegram: FakeTelegram) -> None:
    await bot.set_my_commands([("start", "ابدأ")], language_code="ar")
    await bot.set_my_commands([("start", "Start")])
    assert fake_telegram.commands_for("ar") == [{"command": "start", "description": "ابدأ"}]
    assert [c.description for c in await bot.get_my_commands()] == ["Start"]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Bad-Command", "x")])

    fake_telegram.add_chat(-10042, "supergroup", title="نقاش")
    fake_telegram.set_chat_admins(-10042, [7, 8], creator=7)
    assert (await bot.get_chat_member(-10042, 8)).status == "administrator"
    assert (await bot.get_chat_member(-10042, 9)).status == "member"
    assert [m.status for m in await bot.get_chat_administrators(-10042)] == ["creator", "administrator"]
    assert (await bot.get_chat(-10042)).title == "نقاش"

    await bot.set_webhook("https://example.org/hook")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Exception, match=r"(?i)webhook is active"):
        await bot.get_updates(timeout=0)
    await bot.delete_webhook()
    await bot.send_chat_action(CHAT, "typing")
    assert fake_telegram.chat_actions[0]["action"] == "typing"
    assert await bot.close() is True


async def test_my_chat_member_and_channel_post(bot: Bot, fake_telegram: FakeTelegram) -> None:
    await fake_telegram.bot_added_to_group(-300, title="أصدقاء")
    await fake_telegram.user_message(-100900, "منشور", chat_type="channel")
    blocked = await fake_telegram.user_blocked_bot(CHAT)
    updates = await bot.get_updates(timeout=0)
    assert updates[0].my_chat_member is not None
    assert updates[0].my_chat_member.new_chat_member.status == "member"
    assert updates[1].channel_post is not None and updates[1].channel_post.text == "منشور"
    assert updates[2].update_id == blocked["update_id"]
    with pytest.raises(Forbidden):
        await bot.send_message(CHAT, "x")


async def test_shutdown_releases_long_poll(fake_telegram_factory: FakeTelegramFactory) -> None:
    fake = await fake_telegram_factory(rate_limits=RateLimits.disabled())
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await fake.wait_for_poller()
        await fake.stop()
        assert await asyncio.wait_for(poll, 3) == ()


def test_thread_runner_serves_plain_http_clients() -> None:
    # Benchmarks run the fake in a background thread and talk to it from another event loop.
    with FakeTelegramThread(rate_limits=RateLimits.disabled()) as runner:
        fake = runner.fake
        api = f"{fake.base_url}{fake.token}"
        sent = httpx.post(f"{api}/sendMessage", data={"chat_id": "5", "text": "مرحبا"}).json()
        assert sent["ok"] and sent["result"]["text"] == "مرحبا"
        runner.run(fake.user_message(5, "/help"))
        updates = httpx.post(f"{api}/getUpdates", json={"timeout": 0}).json()["result"]
        assert updates[0]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 5}]
        assert httpx.post(f"{api}/noSuchMethod").status_code == 404
        assert fake.stats["messages_sent"] == 1


async def test_wait_timeout_explains_what_was_sent(fake_telegram: FakeTelegram) -> None:
    with pytest.raises(TimeoutError, match="recent errors"):
        await fake_telegram.wait_for_messages(CHAT, count=1, timeout=0.05)


async def test_second_get_updates_terminates_the_first(bot: Bot, fake_telegram: FakeTelegram) -> None:
    # Two bot instances polling at once is a deployment bug Telegram reports with 409 Conflict.
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await fake_telegram.wait_for_poller()
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as second:
        assert await second.get_updates(timeout=0) == ()
    with pytest.raises(Conflict):
        await asyncio.wait_for(first, 3)


async def test_paced_client_is_never_refused_but_a_flood_is(
    fake_telegram_factory: FakeTelegramFactory,
) -> None:
    # The limits are buckets like PTB's AIORateLimiter: a bot pacing itself at the documented rate
    # must see no 429 (else fan-out benchmarks would measure the fake, not the bot).
    limits = RateLimits(global_limit=Limit(200, 1.0), per_chat=None, per_group=None)
    fake = await fake_telegram_factory(rate_limits=limits)
    limiter = AIORateLimiter(overall_max_rate=200, overall_time_period=1, max_retries=0)
    app = fake.configure(ApplicationBuilder()).rate_limiter(limiter).build()
    async with app:
        await asyncio.gather(*(app.bot.send_message(chat, "خبر") for chat in range(1, 251)))
    assert fake.stats["rate_limited"] == 0 and fake.stats["messages_sent"] == 250

    # A flood: with the clock frozen the bucket never drains, so exactly the burst (plus the
    # 50 ms jitter slack, 10 calls at 200/s) gets through.
    flooded = await fake_telegram_factory(rate_limits=limits, clock=lambda: 0.0)
    request = HTTPXRequest(connection_pool_size=20)
    async with Bot(flooded.token, base_url=flooded.base_url, request=request) as bot:
        results = await asyncio.gather(
            *(bot.send_message(chat, "خبر") for chat in range(1, 251)), return_exceptions=True
        )
    refused = [r for r in results if isinstance(r, RetryAfter)]
    assert len(refused) == flooded.stats["rate_limited"] == 40
    assert flooded.stats["messages_sent"] == 210
