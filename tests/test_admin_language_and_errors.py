"""Admins' alerts in their own language, and one wording of a fetch error everywhere.

An admin who only ever runs admin commands (never /start) has no Subscriber row; the alerts the bot
sends them unasked (a feed that paused itself) follow the language of the app they use those
commands from, without making them a subscriber. And a feed that fails says why in the same words
in /addfeed's answer, in /feed and in the admins' alert.

The real Application against the fake Bot API and the local feed server.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.db.models import Subscriber
from bot.services import services
from tests import postgres
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID, make_config

pg_url = postgres.pg_url

ARABIC = re.compile(r"[\u0600-\u06ff]")
# Two failures in a row pause a feed, retried within two seconds: the alert comes in a few seconds.
QUICK_PAUSE = {"pause_after_failures": 2, "max_backoff": 2}


async def ask(fake: FakeTelegram, text: str, lang: str) -> str:
    [reply] = await fake.converse(ADMIN_ID, text, language_code=lang, timeout=20)
    return str(reply["plain_text"])


async def paused_alert(fake: FakeTelegram, since: int) -> str:
    """The next message to the admin after `since` of them: the alert that a feed paused itself."""
    [alert] = await fake.wait_for_messages(ADMIN_ID, count=1, since=since, timeout=30)
    return str(alert["plain_text"])


async def feed_pauses_after_admin_used_commands(
    start: Callable[..., Any], fake: FakeTelegram, feed_server: FeedServer, lang: str
) -> tuple[str, str, Any]:
    """An admin with no Subscriber row runs /feeds and /addfeed from an app in `lang`; the feed
    added (checked every second) then fails until it pauses itself. Returns (the /stats caption, the alert, the app)."""
    url = feed_server.add_feed("sky", feed_server.stories[:2], title="Sky News")
    async with start(fetch=QUICK_PAUSE) as app:
        await ask(fake, "/feeds", lang)
        assert "Sky News" in await ask(fake, f"/addfeed {url} 1 Sky News", lang)
        stats = await ask(fake, "/stats", lang)
        since = len(fake.sent_messages(ADMIN_ID, include_deleted=True))
        feed_server.set_fault("sky", "404")
        alert = await paused_alert(fake, since)
        async with services(app).db.read() as session:
            rows = (await session.scalars(select(Subscriber.chat_id))).all()
    return stats, alert, rows


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_an_admin_who_never_sent_start_gets_alerts_in_the_language_of_their_app(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer, lang: str
) -> None:
    stats, alert, subscribers = await feed_pauses_after_admin_used_commands(
        bot_factory, fake_telegram, feed_server, lang
    )
    if lang == "en":
        assert alert.startswith("⚠️ Admin alert\nFeed “Sky News” (#1) was paused after 2 failures")
        assert "Last error: HTTP 404 Not Found" in alert and "/resumefeed 1" in alert
        assert not ARABIC.search(alert), alert
        assert "Subscribers: 0 active" in stats
    else:
        assert alert.startswith("⚠️ تنبيه للمشرفين\nأُوقف المصدر «Sky News» (رقم 1)")
        assert "آخر خطأ: ردّ الخادم برمز الخطأ 404" in alert
        assert "المشتركون النشطون: ٠" in stats
    # Remembering the admin's language made them no reader: no row, so no stories and no count.
    assert subscribers == []


async def test_the_admins_language_follows_their_app_when_it_changes(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    url = feed_server.add_feed("sky", feed_server.stories[:2], title="Sky News")
    async with bot_factory(fetch=QUICK_PAUSE):
        await ask(fake_telegram, f"/addfeed {url} 1", "en")
        await ask(fake_telegram, "/feeds", "ar")  # the admin switched their Telegram to Arabic
        since = len(fake_telegram.sent_messages(ADMIN_ID, include_deleted=True))
        feed_server.set_fault("sky", "404")
        assert "أُوقف المصدر" in await paused_alert(fake_telegram, since)


async def test_an_admins_own_language_choice_wins_over_their_app(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    url = feed_server.add_feed("sky", feed_server.stories[:2], title="Sky News")
    async with bot_factory(fetch=QUICK_PAUSE):
        await ask(fake_telegram, "/language العربية", "en")
        await ask(fake_telegram, f"/addfeed {url} 1", "en")
        since = len(fake_telegram.sent_messages(ADMIN_ID, include_deleted=True))
        feed_server.set_fault("sky", "404")
        assert "أُوقف المصدر" in await paused_alert(fake_telegram, since)


@postgres.requires_postgres
async def test_an_english_admin_gets_english_alerts_on_postgres(
    pg_url: str, tmp_path: Path, fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    from bot.app import build_application, running

    def start(**sections: Any) -> Any:
        telegram = {
            "api_base_url": fake_telegram.base_url,
            "api_base_file_url": fake_telegram.base_file_url,
            "admins": [ADMIN_ID],
        }
        config = make_config(tmp_path, telegram=telegram, database={"url": pg_url}, **sections)
        return running(build_application(config, fake_telegram.token))

    stats, alert, subscribers = await feed_pauses_after_admin_used_commands(
        start, fake_telegram, feed_server, "en"
    )
    assert "was paused" in alert and not ARABIC.search(alert), alert
    assert "Subscribers: 0 active" in stats and subscribers == []


# -- one wording of a fetch error ----------------------------------------------------------------


def _after(text: str, label: str) -> str:
    """The rest of the line that starts with `label` (the label itself may end in "(when)")."""
    for line in text.split("\n"):
        line = line.lstrip("\u200f")
        if line.startswith(label):
            return line.split(": ", 1)[1]
    raise AssertionError(f"no line starting {label!r} in {text!r}")


@contextlib.asynccontextmanager
async def failing_config_feed(
    bot_factory: Callable[..., Any], fake: FakeTelegram, url: str
) -> AsyncIterator[str]:
    """The bot with one config feed at `url`, which fails until it pauses itself: yields the
    alert the admins get about it."""
    async with bot_factory(feeds=[{"url": url, "name": "العربية", "interval": 1}], fetch=QUICK_PAUSE):
        yield await paused_alert(fake, 0)


@pytest.mark.parametrize("failure", ["404", "connection refused"])
async def test_a_fetch_error_reads_the_same_in_addfeed_feed_and_the_alert(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer, failure: str
) -> None:
    if failure == "404":
        feed_server.add_feed("broken", feed_server.stories[:2])
        feed_server.set_fault("broken", "404")
        failing, other = feed_server.url_for("broken"), f"{feed_server.base_url}/feeds/nothing-here.rss"
        words = "ردّ الخادم برمز الخطأ 404"
    else:
        # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
        failing, other = "http://127.0.0.1:9/feed.xml", "http://127.0.0.1:9/other.xml"
        words = "تعذّر الاتصال بالخادم"
    async with failing_config_feed(bot_factory, fake_telegram, failing) as alert:
        added = await ask(fake_telegram, f"/addfeed {other}", "ar")
        detail = await ask(fake_telegram, "/feed 1", "ar")
        added_en = await ask(fake_telegram, f"/addfeed {other}", "en")
        detail_en = await ask(fake_telegram, "/feed 1", "en")
    assert _after(alert, "آخر خطأ") == words
    assert _after(detail, "آخر خطأ (") == words
    assert added == f"⚠️ تعذّر جلب الرابط: {words}."
    # In English too, /addfeed and /feed say it alike (the alert gives the error as it is).
    said_en = _after(detail_en, "Last error (")
    assert added_en == f"⚠️ Could not fetch the link: {said_en}."
    assert said_en.startswith("the server answered 404" if failure == "404" else "could not connect")


async def test_a_size_limit_is_kept_in_the_words(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    feed_server.add_feed("huge", feed_server.stories[:1])
    feed_server.set_fault("huge", "huge")
    async with bot_factory(fetch={"max_body_bytes": 512 * 1024}):
        added = await ask(fake_telegram, f"/addfeed {feed_server.url_for('huge')}", "ar")
        added_en = await ask(fake_telegram, f"/addfeed {feed_server.url_for('huge')}", "en")
    assert added == "⚠️ تعذّر جلب الرابط: حجم الرد أكبر من الحد المسموح (٥١٢ كيلوبايت)."
    assert added_en == "⚠️ Could not fetch the link: the response is larger than the 512 KB allowed."


# The reasons bot.feeds.fetcher and bot.feeds.parser give, each with words of its own in Arabic:
# none falls through to "unexpected error", and no English is left in them (the encoding's name
# and the status code aside: they are what the admin looks up).
@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("HTTP 404 Not Found", "ردّ الخادم برمز الخطأ 404"),
        ("HTTP 410 Gone", "أعلن الخادم أن الخلاصة أُزيلت نهائيًا (الرمز 410)"),
        ("timed out after 30 s", "انتهت مهلة الانتظار (٣٠ ثانية) ولم يُجب الخادم"),
        ("timed out connecting", "انتهت مهلة الانتظار ولم يُجب الخادم"),
        ("could not connect: [Errno 111] Connection refused", "تعذّر الاتصال بالخادم (رفض الخادم الاتصال)"),
        (
            "could not connect: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:1006)",
            "تعذّر الاتصال الآمن بالخادم (شهادته غير صالحة أو تشفيره غير مدعوم)",
        ),
        ("could not connect: [Errno -2] Name or service not known", "اسم النطاق غير موجود"),
        ("could not resolve host feeds.example.com", "اسم النطاق غير موجود"),
        ("private address refused: x.example is 10.0.0.1", "يشير الرابط إلى عنوان داخلي أو خاص"),
        ("body larger than 1.5 MB", "حجم الرد أكبر من الحد المسموح (١٫٥ ميغابايت)"),
        ("redirect loop (3 hops)", "إعادات توجيه تدور في حلقة لا تنتهي"),
        ("too many redirects (more than 5)", "إعادات توجيه كثيرة جدًا (أكثر من ٥)"),
        ("connection closed before the body was complete", "انقطع الاتصال قبل اكتمال الرد"),
        ("could not decompress the body (content encoding br)", "ترميز الضغط br غير مدعوم"),
        ("HTTP protocol error: illegal header", "ردّ الخادم ردًّا غير سليم"),
        ("network error: ReadError", "خطأ في الشبكة"),
        ("not a feed: got an HTML page", "الرابط يعيد صفحة ويب لا خلاصة أخبار"),
        ("not a feed: no RSS or Atom content", "الرد ليس خلاصة أخبار صالحة"),
        ("removed from config.toml", "حُذف من ملف الإعدادات"),
    ],
)
def test_every_fetch_error_has_arabic_words(reason: str, words: str) -> None:
    from bot.feeds.health import fetch_error_text

    said = fetch_error_text(reason, "ar")
    assert said is not None and words in said
    assert not re.search(r"[A-Za-z]", said.replace("br", "")), said
