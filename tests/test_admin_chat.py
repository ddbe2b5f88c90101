"""Admin commands end to end: the real Application against the fake Bot API and the local feed server."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.admin.models import Broadcast
from bot.admin.opml import parse_opml
from bot.db.database import Database
from bot.db.models import AuditLog, Feed, Outbox, Subscriber
from bot.services import services
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID, USER_ID, remove_feed_confirmed
from tests.test_subscriber_support import no_background_jobs

REFUSAL_AR = "عذرًا، هذا الأمر للمشرفين فقط."
REFUSAL_EN = "Sorry, this command is for admins only."

ADMIN_COMMANDS = [
    "/addfeed http://127.0.0.1:9/feed.xml",
    "/removefeed 1",
    "/pausefeed 1",
    "/resumefeed 1",
    "/feeds",
    "/feed 1",
    "/stats",
    "/broadcast مرحبًا بالجميع",
    "/export",
    "/audit",
]


async def ask(fake: FakeTelegram, text: str, *, chat_id: int = ADMIN_ID, lang: str = "ar") -> dict[str, Any]:
    [reply] = await fake.converse(chat_id, text, language_code=lang, timeout=10)
    return reply


def _db(app: Any) -> Database:
    return services(app).db


async def _count(db: Database, model: Any) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _snapshot(db: Database) -> tuple[int, ...]:
    return tuple([await _count(db, m) for m in (Feed, AuditLog, Broadcast, Outbox)])


async def _feed_rows(db: Database) -> list[Feed]:
    async with db.read() as session:
        return list((await session.scalars(select(Feed).order_by(Feed.id))).all())


# -- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ADMIN_COMMANDS, ids=lambda c: c.split()[0])
async def test_a_non_admin_is_refused_every_admin_command_and_nothing_changes(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, command: str
) -> None:
    async with bot_factory(
        feeds=[{"url": "http://127.0.0.1:9/a.xml", "name": "مصدر", "interval": 60}]
    ) as app:
        db = _db(app)
        async with db.write() as session:
            session.add(Subscriber(chat_id=USER_ID))
        before = await _snapshot(db)
        status_before = [f.status for f in await _feed_rows(db)]
        reply = await ask(fake_telegram, command, chat_id=USER_ID)
        assert reply["plain_text"] == REFUSAL_AR
        assert reply["kind"] == "text" and reply["reply_markup"] is None
        assert await _snapshot(db) == before
        assert [f.status for f in await _feed_rows(db)] == status_before
        assert fake_telegram.photos_sent == [] and fake_telegram.documents_sent == []


async def test_a_non_admin_is_refused_in_english_too_and_cannot_press_admin_buttons_or_import(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    async with bot_factory() as app:
        db = _db(app)
        async with db.write() as session:
            session.add(Subscriber(chat_id=USER_ID))
        reply = await ask(fake_telegram, "/stats", chat_id=USER_ID, lang="en")
        assert reply["plain_text"] == REFUSAL_EN

        # An admin drafts a broadcast; a non-admin presses its confirm button (e.g. in a group).
        preview = await ask(fake_telegram, "/broadcast خبر مهم")
        data = preview["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        update = await fake_telegram.callback_query(ADMIN_ID, preview["message_id"], data, user_id=USER_ID)
        answer = await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        assert answer["text"] == REFUSAL_AR and answer["show_alert"]
        async with db.read() as session:
            assert (await session.scalar(select(Broadcast.status))) == "draft"
        assert await _count(db, Outbox) == 0

        opml = b'<opml version="2.0"><body><outline xmlUrl="http://127.0.0.1:9/x.rss"/></body></opml>'
        await fake_telegram.document(USER_ID, "feeds.opml", opml)
        [refusal] = await fake_telegram.wait_for_messages(USER_ID, count=1, since=1)  # after /stats's
        assert refusal["plain_text"] == "عذرًا، استيراد ملفات المصادر للمشرفين فقط."  # a file, no command
        assert await _count(db, Feed) == 0


async def test_admins_get_the_admin_commands_in_their_menu(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    async with bot_factory():
        scoped = {c["command"] for c in fake_telegram.commands_for("", scope=f"chat:{ADMIN_ID}")}
        english = {c["command"] for c in fake_telegram.commands_for("en", scope=f"chat:{ADMIN_ID}")}
        default = {c["command"] for c in fake_telegram.commands_for("")}
    admin = {"addfeed", "removefeed", "pausefeed", "resumefeed", "feeds", "feed", "stats", "broadcast"}
    assert admin <= scoped and admin <= english
    assert default <= scoped  # the subscriber commands stay in an admin's menu
    assert not admin & default


# -- /addfeed -----------------------------------------------------------------------------------


async def test_admin_adds_a_feed_from_its_url_with_interval_and_name(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    url = feed_server.add_feed("arabiya", feed_server.stories[:5], title="العربية")
    async with bot_factory() as app:
        reply = await ask(fake_telegram, f"/addfeed {url} 5m أخبار العربية")
        assert "أُضيف المصدر" in reply["plain_text"] and "أخبار العربية" in reply["plain_text"]
        assert "كل ٥ دقائق" in reply["plain_text"]
        [feed] = await _feed_rows(_db(app))
        assert (feed.url, feed.name, feed.interval, feed.origin) == (url, "أخبار العربية", 300.0, "chat")


async def test_admin_adds_a_site_home_page_and_the_feed_is_discovered(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    url = feed_server.add_feed("site", feed_server.stories[:3], title="موقع")
    async with bot_factory() as app:
        reply = await ask(fake_telegram, f"/addfeed {feed_server.site_url('site')}", lang="en")
        assert "Added" in reply["plain_text"] and "Found the feed on the site's page" in reply["plain_text"]
        assert [f.url for f in await _feed_rows(_db(app))] == [url]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("404", "ردّ الخادم برمز الخطأ 404"),
        ("article", "يعيد صفحة ويب لا خلاصة أخبار، ولا تشير الصفحة إلى أي خلاصة"),
        ("garbage", "ليس رابطًا صالحًا"),
        ("closed port", "تعذّر الاتصال بالخادم"),
        ("empty", "بصفحة فارغة"),
    ],
)
async def test_addfeed_refusals_say_why_and_add_nothing(
    bot_factory: Callable[..., Any],
    fake_telegram: FakeTelegram,
    feed_server: FeedServer,
    target: str,
    expected: str,
) -> None:
    feed_server.add_feed("x", feed_server.stories[:2])
    url = {
        "404": f"{feed_server.base_url}/feeds/nothing-here.rss",
        "article": feed_server.article_url(feed_server.stories[0].id),
        "garbage": "ftp://",
        "closed port": "http://127.0.0.1:9/feed.xml",
        "empty": feed_server.url_for("x"),
    }[target]
    if target == "empty":
        feed_server.set_fault("x", "empty")
    async with bot_factory() as app:
        reply = await ask(fake_telegram, f"/addfeed {url}")
        assert expected in reply["plain_text"]
        # The reason is in Arabic words: no English beyond the link the admin typed.
        if target != "garbage":  # that reply shows an example link
            assert not re.search("[A-Za-z]", reply["plain_text"].replace(url, ""))
        assert await _feed_rows(_db(app)) == []


async def test_addfeed_refuses_a_private_address_when_the_settings_forbid_it(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    url = feed_server.add_feed("local", feed_server.stories[:2])
    async with bot_factory(fetch={"allow_private_addresses": False}) as app:
        reply = await ask(fake_telegram, f"/addfeed {url}")
        assert "عنوان داخلي أو خاص" in reply["plain_text"]
        assert await _feed_rows(_db(app)) == []
    assert feed_server.requests("local") == []


async def test_addfeed_refuses_a_feed_that_is_already_there(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    url = feed_server.add_feed("dup", feed_server.stories[:2])
    async with bot_factory(feeds=[{"url": url, "name": "مكرر", "interval": 60}]) as app:
        reply = await ask(fake_telegram, f"/addfeed {url}/")
        assert "موجود من قبل" in reply["plain_text"] and "مكرر" in reply["plain_text"]
        assert "/resumefeed" not in reply["plain_text"]
        assert len(await _feed_rows(_db(app))) == 1
        # Paused (it failed for days, say): the admin adding it again learns how to bring it back.
        await ask(fake_telegram, "/pausefeed مكرر")
        reply = await ask(fake_telegram, f"/addfeed {url}")
        assert "موقوف الآن" in reply["plain_text"] and "/resumefeed 1" in reply["plain_text"]


async def test_addfeed_without_a_url_explains_how(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    async with bot_factory():
        reply = await ask(fake_telegram, "/addfeed")
        assert "/addfeed https://example.com/rss" in reply["plain_text"]


# -- pause, resume, remove ----------------------------------------------------------------------


async def test_pause_resume_and_remove_a_config_feed_from_the_chat(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    feeds = [{"url": "http://127.0.0.1:9/a.xml", "name": "مصدر الإعدادات", "interval": 60}]
    async with bot_factory(feeds=feeds) as app:
        db = _db(app)
        reply = await ask(fake_telegram, "/pausefeed مصدر الإعدادات")
        assert "أُوقف المصدر" in reply["plain_text"]
        assert [f.status for f in await _feed_rows(db)] == ["paused"]
        reply = await ask(fake_telegram, "/pausefeed 1")
        assert "موقوف من قبل" in reply["plain_text"]
        reply = await ask(fake_telegram, "/resumefeed 1")
        assert "استُؤنف" in reply["plain_text"]
        assert [f.status for f in await _feed_rows(db)] == ["active"]
        # Asked first; a config feed is offered a pause instead, since it would come back bare.
        question, kept = await remove_feed_confirmed(fake_telegram, "1", choice="no")
        assert question.startswith("هل تحذف المصدر مصدر الإعدادات (رقم 1)؟")
        assert "عاد عند إعادة تشغيل البوت، بلا قرّاء" in question
        assert kept == "لم يُحذف شيء." and [f.status for f in await _feed_rows(db)] == ["active"]
        _, paused = await remove_feed_confirmed(fake_telegram, "1", choice="pause")
        assert "أُوقف المصدر" in paused and [f.status for f in await _feed_rows(db)] == ["paused"]
        _, removed = await remove_feed_confirmed(fake_telegram, "1")
        assert "حُذف المصدر" in removed and "يعود عند إعادة تشغيل البوت" in removed
        assert await _feed_rows(db) == []
        reply = await ask(fake_telegram, "/removefeed 1")
        assert "لا يوجد مصدر" in reply["plain_text"]
        reply = await ask(fake_telegram, "/pausefeed")
        assert "/pausefeed 3" in reply["plain_text"]


async def test_a_paused_config_feed_stays_paused_after_a_restart(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    feeds = [{"url": "http://127.0.0.1:9/a.xml", "name": "مصدر", "interval": 60}]
    async with bot_factory(feeds=feeds):
        await ask(fake_telegram, "/pausefeed 1")
    async with bot_factory(feeds=feeds) as app:
        assert [f.status for f in await _feed_rows(_db(app))] == ["paused"]


# -- /feeds and /feed ---------------------------------------------------------------------------


async def test_feeds_is_paginated_with_buttons(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    async with bot_factory() as app:
        async with _db(app).write() as session:
            for i in range(1, 13):
                session.add(Feed(url=f"http://example.org/{i}.rss", name=f"مصدر رقم {i}", origin="chat"))
        reply = await ask(fake_telegram, "/feeds")
        assert "الصفحة ١ من ٢" in reply["plain_text"]
        assert "مصدر رقم 1 " in reply["plain_text"] and "مصدر رقم 9 " not in reply["plain_text"]
        assert "مشتركون: ٠" in reply["plain_text"] and "لم ينجح بعد" in reply["plain_text"]
        [[button]] = reply["reply_markup"]["inline_keyboard"]
        update = await fake_telegram.callback_query(ADMIN_ID, reply["message_id"], button["callback_data"])
        await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        edited = fake_telegram.message(ADMIN_ID, reply["message_id"])
        assert edited is not None and "الصفحة ٢ من ٢" in edited["plain_text"]
        assert "مصدر رقم 12" in edited["plain_text"]
        [[back]] = edited["reply_markup"]["inline_keyboard"]
        assert back["callback_data"] == "adm:feeds:0"
        reply = await ask(fake_telegram, "/feeds 2", lang="en")
        assert (
            "Feeds: 12 (page 2 of 2)" in reply["plain_text"]
            and "Details: /feed <number>" in reply["plain_text"]
        )


async def test_feed_shows_details_and_the_last_error(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    from bot.clock import utcnow

    async with bot_factory() as app:
        async with _db(app).write() as session:
            session.add(
                Feed(
                    url="http://example.org/broken.rss",
                    name="مصدر معطل",
                    origin="cli",
                    status="failing",
                    consecutive_errors=10,
                    last_error="HTTP 503 Service Unavailable",
                    last_error_at=utcnow(),
                )
            )
        reply = await ask(fake_telegram, "/feed مصدر معطل")
        text = reply["plain_text"]
        assert "متوقف بسبب الأخطاء" in text and "أخطاء متتالية: ١٠" in text
        assert "ردّ الخادم برمز الخطأ 503" in text and "HTTP 503 Service Unavailable" in text
        assert "سطر الأوامر" in text
        reply = await ask(fake_telegram, "/feed 1", lang="en")
        assert "Last error" in reply["plain_text"] and "the server answered 503" in reply["plain_text"]


async def test_a_feed_whose_last_polls_failed_is_not_shown_as_working(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from bot.clock import utcnow

    # No polling: the failing feed's next failed poll would pause it, and the admins' alert could
    # arrive before /feed's answer.
    no_background_jobs(monkeypatch)
    async with bot_factory() as app:
        async with _db(app).write() as session:
            session.add(
                Feed(
                    url="http://example.org/html.rss",
                    name="صفحة لا خلاصة",
                    origin="chat",
                    consecutive_errors=8,
                )
            )
            session.add(Feed(url="http://example.org/ok.rss", name="مصدر سليم", origin="chat"))
            # One failed poll is usually a passing timeout: not yet a feed in trouble…
            session.add(
                Feed(
                    url="http://example.org/slow.rss",
                    name="مصدر بطيء",
                    origin="chat",
                    consecutive_errors=1,
                    last_success_at=utcnow() - timedelta(minutes=20),
                )
            )
            # … unless the feed has never worked (a new one whose first poll failed).
            session.add(
                Feed(url="http://example.org/new.rss", name="مصدر جديد", origin="chat", consecutive_errors=1)
            )
        rows = (await ask(fake_telegram, "/feeds"))["plain_text"].split("\n\n")
        assert any("صفحة لا خلاصة" in r and "⚠️ يتعثر" in r and "✅" not in r for r in rows)
        assert any("مصدر سليم" in r and "✅ يعمل" in r for r in rows)
        assert any("مصدر بطيء" in r and "✅ يعمل" in r for r in rows)
        assert any("مصدر جديد" in r and "⚠️ يتعثر" in r for r in rows)
        assert "⚠️ يتعثر" in (await ask(fake_telegram, "/feed صفحة لا خلاصة"))["plain_text"]
        assert "⚠️ failing" in (await ask(fake_telegram, "/feed 1", lang="en"))["plain_text"]


# -- /stats -------------------------------------------------------------------------------------


async def test_stats_sends_a_png_chart_with_the_figures(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:

    async with bot_factory() as app:
        async with _db(app).write() as session:
            session.add_all(
                [Subscriber(chat_id=1), Subscriber(chat_id=2, active=False, inactive_reason="blocked")]
            )
        await fake_telegram.user_message(ADMIN_ID, "/stats")
        [photo] = await fake_telegram.wait_for_messages(ADMIN_ID, count=1, timeout=20)
        assert photo["kind"] == "photo"
        assert "المشتركون النشطون: ١ · حظروا البوت أو غادروا: ١" in photo["plain_text"]
        [sent] = fake_telegram.photos_sent
        assert sent["content"].startswith(b"\x89PNG")


# -- /broadcast ---------------------------------------------------------------------------------


async def test_broadcast_asks_for_confirmation_then_queues_one_message_per_active_subscriber(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:

    async with bot_factory() as app:
        db = _db(app)
        async with db.write() as session:
            session.add_all([Subscriber(chat_id=c) for c in (11, 12, 13)])
            session.add(Subscriber(chat_id=14, active=False, inactive_reason="blocked"))
        preview = await ask(fake_telegram, "/broadcast <b>تنبيه</b>: صيانة الليلة")
        assert "عددهم: ٣" in preview["plain_text"]
        buttons = preview["reply_markup"]["inline_keyboard"][0]
        assert [b["text"] for b in buttons] == ["تأكيد الإرسال", "إلغاء"]
        assert await _count(db, Outbox) == 0  # nothing goes out before the confirmation

        update = await fake_telegram.callback_query(
            ADMIN_ID, preview["message_id"], buttons[0]["callback_data"]
        )
        await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        edited = fake_telegram.message(ADMIN_ID, preview["message_id"])
        assert (
            edited is not None
            and "عدد المستلمين: ٣" in edited["plain_text"]
            and edited["reply_markup"] is None
        )
        async with db.read() as session:
            chats = set(
                (await session.scalars(select(Outbox.chat_id).where(Outbox.kind == "broadcast"))).all()
            )
        assert chats == {11, 12, 13}

        # A second tap (e.g. a stale copy of the message) sends nothing more.
        update = await fake_telegram.callback_query(
            ADMIN_ID, preview["message_id"], buttons[0]["callback_data"]
        )
        answer = await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        assert "من قبل" in answer["text"]
        assert await _count(db, Outbox) == 3

        # The sender delivers it to every active subscriber.
        for chat in (11, 12, 13):
            [message] = await fake_telegram.wait_for_messages(chat, count=1, timeout=15)
            assert "صيانة الليلة" in message["plain_text"]
        assert fake_telegram.sent_messages(14) == []


async def test_the_admin_hears_how_a_broadcast_went_once_it_is_done(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    from bot.admin.broadcast import report_finished
    from tests.test_delivery_sender import until

    async with bot_factory() as app:
        db, config = _db(app), services(app).config
        async with db.write() as session:
            session.add_all([Subscriber(chat_id=c) for c in (11, 12, 13)])
        fake_telegram.block_chat(12)  # blocked the bot since subscribing
        preview = await ask(fake_telegram, "/broadcast صيانة الليلة")
        confirm = preview["reply_markup"]["inline_keyboard"][0][0]
        assert await report_finished(db, config) == 0  # a draft: nothing to report
        update = await fake_telegram.callback_query(ADMIN_ID, preview["message_id"], confirm["callback_data"])
        await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        since = len(fake_telegram.sent_messages(ADMIN_ID, include_deleted=True))

        async def done() -> bool:
            async with db.read() as session:
                waiting = await session.scalar(
                    select(func.count()).select_from(Outbox).where(Outbox.status.in_(("pending", "sending")))
                )
            return waiting == 0

        await until(done, timeout=15)
        assert await report_finished(db, config) == 1
        [report] = await fake_telegram.wait_for_messages(ADMIN_ID, count=1, since=since, timeout=10)
        assert await report_finished(db, config) == 0  # told once
    assert report["plain_text"].startswith("📣 للمشرفين")  # news, not a warning
    assert "وصلت إلى ٢ من ٣" in report["plain_text"]
    assert "لم تصل إلى ١. ومن هذه محادثات حظرت البوت أو غادرته (عددها: ١)" in report["plain_text"]


async def test_a_broadcast_reaches_a_reader_in_quiet_hours_without_ringing(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    async with bot_factory() as app:
        async with _db(app).write() as session:
            session.add(Subscriber(chat_id=11, quiet_start="00:00", quiet_end="23:59", timezone="UTC"))
            session.add(Subscriber(chat_id=12))
        preview = await ask(fake_telegram, "/broadcast صيانة الليلة")
        confirm = preview["reply_markup"]["inline_keyboard"][0][0]
        update = await fake_telegram.callback_query(ADMIN_ID, preview["message_id"], confirm["callback_data"])
        await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        [quiet] = await fake_telegram.wait_for_messages(11, count=1, timeout=15)
        [awake] = await fake_telegram.wait_for_messages(12, count=1, timeout=15)
    assert quiet["disable_notification"] is True and awake["disable_notification"] is False


async def test_a_cancelled_broadcast_sends_nothing(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    async with bot_factory() as app:
        db = _db(app)
        async with db.write() as session:
            session.add(Subscriber(chat_id=11))
        preview = await ask(fake_telegram, "/broadcast رسالة", lang="en")
        cancel = preview["reply_markup"]["inline_keyboard"][0][1]
        assert cancel["text"] == "Cancel"
        update = await fake_telegram.callback_query(
            ADMIN_ID, preview["message_id"], cancel["callback_data"], language_code="en"
        )
        await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        edited = fake_telegram.message(ADMIN_ID, preview["message_id"])
        assert edited is not None and "nothing was sent" in edited["plain_text"]
        assert await _count(db, Outbox) == 0
        async with db.read() as session:
            assert (await session.scalar(select(Broadcast.status))) == "cancelled"


# -- OPML and /audit ----------------------------------------------------------------------------


async def test_opml_import_from_a_document_and_export_round_trip(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    good = feed_server.add_feed("good", feed_server.stories[:3], title="جيد")
    other = feed_server.add_feed("other", feed_server.stories[3:5], title="آخر")
    missing = f"{feed_server.base_url}/feeds/missing.rss"
    opml = f"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>قائمتي</title></head><body>
  <outline text="أخبار">
    <outline type="rss" text="جيد" xmlUrl="{good}"/>
    <outline type="rss" text="مصدر آخر" xmlUrl="{other}" interval="1200"/>
  </outline>
  <outline type="rss" text="مفقود" xmlUrl="{missing}"/>
</body></opml>""".encode()
    async with bot_factory() as app:
        await fake_telegram.document(ADMIN_ID, "feeds.opml", opml)
        messages = await fake_telegram.wait_for_messages(ADMIN_ID, count=2, timeout=15)
        assert "عددها: ٣" in messages[0]["plain_text"]
        report = messages[1]["plain_text"]
        assert "أُضيف ٢، وموجود من قبل ٠، ورُفض ١" in report
        assert "missing.rss" in report and "404" in report
        rows = await _feed_rows(_db(app))
        assert [(f.name, f.origin, f.interval) for f in rows] == [
            ("جيد", "opml", 600.0),
            ("مصدر آخر", "opml", 1200.0),
        ]

        await fake_telegram.user_message(ADMIN_ID, "/export")
        [document] = await fake_telegram.wait_for_messages(ADMIN_ID, count=1, since=2, timeout=10)
        assert document["kind"] == "document"
        [sent] = fake_telegram.documents_sent
        assert sent["file_name"].endswith(".opml")
        exported = parse_opml(sent["content"])
        assert [(f.url, f.title) for f in exported] == [(good, "جيد"), (other, "مصدر آخر")]

        # Sending the export back adds nothing: both are already there.
        await fake_telegram.document(ADMIN_ID, "akhbar.opml", sent["content"])
        messages = await fake_telegram.wait_for_messages(ADMIN_ID, count=2, since=3, timeout=15)
        assert "أُضيف ٠، وموجود من قبل ٢، ورُفض ٠" in messages[-1]["plain_text"]


async def test_a_long_opml_import_shows_how_far_it_is(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    urls = [
        feed_server.add_feed(f"f{i}", feed_server.stories[i : i + 1], title=f"مصدر {i}") for i in range(30)
    ]
    outlines = "".join(f'<outline type="rss" text="مصدر {i}" xmlUrl="{url}"/>' for i, url in enumerate(urls))
    opml = f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'.encode()
    async with bot_factory():
        await fake_telegram.document(ADMIN_ID, "feeds.opml", opml)
        started, report = await fake_telegram.wait_for_messages(ADMIN_ID, count=2, timeout=30)
    progress = [edit["plain_text"] for edit in started["edits"]]
    # The "checking…" message counted up as feeds were checked, a tenth at a time, in Arabic digits.
    assert progress and len(progress) <= 10
    assert progress[0].startswith("📥 جارٍ فحص مصادر الملف: ٣ من ٣٠")
    assert "أُضيف ٣٠" in report["plain_text"]


async def test_a_file_that_is_not_opml_is_refused_with_a_reason(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    async with bot_factory() as app:
        await fake_telegram.document(ADMIN_ID, "feeds.opml", b"<html><body>hello</body></html>")
        [reply] = await fake_telegram.wait_for_messages(ADMIN_ID, count=1)
        assert "تعذّرت قراءة الملف" in reply["plain_text"] and "ليس ملف قائمة مصادر" in reply["plain_text"]
        assert await _feed_rows(_db(app)) == []


async def test_audit_lists_who_did_what_and_when(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    feeds = [{"url": "http://127.0.0.1:9/a.xml", "name": "مصدر", "interval": 60}]
    async with bot_factory(feeds=feeds):
        await ask(fake_telegram, "/pausefeed 1")
        await ask(fake_telegram, "/resumefeed 1")
        reply = await ask(fake_telegram, "/audit")
        text = reply["plain_text"]
        assert "سجل إجراءات المشرفين" in text
        assert text.index("استأنف مصدرًا") < text.index("أوقف مصدرًا")  # newest first
        assert f"({ADMIN_ID})" in text and "مصدر (1)" in text
        reply = await ask(fake_telegram, "/audit", lang="en")
        assert "resumed a feed" in reply["plain_text"] and "paused a feed" in reply["plain_text"]


@pytest.mark.parametrize(
    ("seconds", "arabic", "english"),
    [
        (1, "ثانية واحدة", "1 s"),
        (30, "٣٠ ثانية", "30 s"),
        (60, "دقيقة واحدة", "1 min"),
        (120, "دقيقتين", "2 min"),
        (600, "١٠ دقائق", "10 min"),
        (900, "١٥ دقيقة", "15 min"),
        (3600, "ساعة واحدة", "1 h"),
        (7200, "ساعتين", "2 h"),
        (5400, "٩٠ دقيقة", "90 min"),
        (150, "٢٫٥ دقيقة", "2.5 min"),
    ],
)
def test_intervals_read_naturally(seconds: float, arabic: str, english: str) -> None:
    from handlers.admin import _duration

    assert (_duration(seconds, "ar"), _duration(seconds, "en")) == (arabic, english)


async def test_only_an_admin_can_press_the_removal_confirmation(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    """The question may sit in a group the admin shares: a member's press removes nothing."""
    feeds = [{"url": "http://127.0.0.1:9/a.xml", "name": "مصدر", "interval": 60}]
    async with bot_factory(feeds=feeds) as app:
        question = await ask(fake_telegram, "/removefeed 1")
        data = next(
            b["callback_data"]
            for row in question["reply_markup"]["inline_keyboard"]
            for b in row
            if b["callback_data"].startswith("adm:rm:yes:")
        )
        press = await fake_telegram.callback_query(ADMIN_ID, question["message_id"], data, user_id=USER_ID)
        answer = await fake_telegram.wait_for_callback_answer(press["callback_query"]["id"])
        assert answer["show_alert"] and "للمشرفين" in answer["text"]
        assert len(await _feed_rows(_db(app))) == 1
