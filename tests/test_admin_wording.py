"""What the admin reads, through the real Application and the fake Bot API: a feed that cannot be
added is worded as the import report words it, the parser's own English is set apart from the
Arabic, a new feed's items per day are not understated, and the small texts around feeds and
OPML files say what happened (the feed's number, every count, a file rather than a command)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.admin import queries
from bot.db.models import Feed, Story
from bot.services import services
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID, USER_ID

RLM = "\u200f"
LATIN = re.compile(r"[A-Za-z]")

# Cut off inside its only item: no item can be read, so it is a broken feed, not a feed.
BROKEN_RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x <b>open</title></item'
)
# Well-formed up to its last item, cut off after: two items read, the third lost.
MALFORMED_RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>a</title><link>http://e.org/1</link><guid>1</guid></item>"
    b"<item><title>b</title><link>http://e.org/2</link><guid>2</guid></item><item><title>c"
)
# A web page that names no feed (no <link rel="alternate">).
PAGE = b"<html><head><title>x</title></head><body><p>no feed here</p></body></html>"


@pytest.fixture
async def pages() -> AsyncIterator[str]:
    """A loopback server with a broken feed, a malformed one and a page without a feed link."""
    bodies = {
        "/broken.xml": (BROKEN_RSS, "application/rss+xml"),
        "/malformed.xml": (MALFORMED_RSS, "application/rss+xml"),
        "/page": (PAGE, "text/html"),
    }

    async def serve(request: web.Request) -> web.Response:
        body, kind = bodies[request.path]
        return web.Response(body=body, content_type=kind)

    app = web.Application()
    for path in bodies:
        app.router.add_get(path, serve)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


async def ask(fake: FakeTelegram, text: str, lang: str = "ar", chat_id: int = ADMIN_ID) -> dict[str, Any]:
    [reply] = await fake.converse(chat_id, text, language_code=lang, timeout=20)
    return reply


async def import_file(fake: FakeTelegram, opml: bytes, lang: str = "ar") -> str:
    """The report of an OPML import sent as a document (after its "checking…" message)."""
    since = len(fake.sent_messages(ADMIN_ID, include_deleted=True))
    await fake.document(ADMIN_ID, "feeds.opml", opml, language_code=lang)
    messages = await fake.wait_for_messages(ADMIN_ID, count=2, since=since, timeout=30)
    return str(messages[-1]["plain_text"])


def opml_of(*urls: str) -> bytes:
    outlines = "".join(f'<outline type="rss" text="مصدر {i}" xmlUrl="{u}"/>' for i, u in enumerate(urls))
    return f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'.encode()


# -- 1. a feed that cannot be added ---------------------------------------------------------------

WORDS = {
    "ar": {
        "broken": "الرد ليس خلاصة أخبار صالحة",
        "page": "الرابط يعيد صفحة ويب لا خلاصة أخبار، ولا تشير الصفحة إلى أي خلاصة",
        "added": "⚠️ لم يُضف المصدر: {}.",
        "technical": "التفاصيل التقنية:",
    },
    "en": {
        "broken": "the response is not a valid news feed",
        "page": "the link gives a web page, not a news feed, and the page does not point to one",
        "added": "⚠️ Not added: {}.",
        "technical": "Technical detail:",
    },
}


@pytest.mark.parametrize("lang", ["ar", "en"])
async def test_a_broken_feed_and_a_page_read_the_same_in_addfeed_and_an_import(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, pages: str, lang: str
) -> None:
    words = WORDS[lang]
    async with bot_factory():
        broken = await ask(fake_telegram, f"/addfeed {pages}/broken.xml", lang)
        page = await ask(fake_telegram, f"/addfeed {pages}/page", lang)
        report = await import_file(fake_telegram, opml_of(f"{pages}/broken.xml", f"{pages}/page"), lang)

    # A feed whose XML is cut off is a broken feed, not "a page that names no feed".
    lines = broken["plain_text"].split("\n")
    assert lines[0] == words["added"].format(words["broken"])
    assert "does not point" not in broken["plain_text"] and "لا تشير الصفحة" not in broken["plain_text"]
    # Where the parser stopped, set apart after a label: a block of its own, laid out as written.
    assert len(lines) == 3 and lines[1] == words["technical"]
    raw = lines[2]
    assert raw.startswith("not a feed: ill-formed document") and not raw.startswith(RLM)
    assert f"<pre><code>{_escaped(raw)}</code></pre>" in broken["text"]

    # A page with no feed link: the words say it all.
    assert page["plain_text"] == words["added"].format(words["page"])

    # The import report gives each the same words.
    assert f"— {words['broken']}" in report
    assert f"— {words['page']}" in report


async def test_feed_sets_the_parser_and_server_detail_apart_from_the_arabic(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    raw = {
        "مكسور": "not a feed: ill-formed document with no readable items "
        "(SAXParseException: <unknown>:1:120: not well-formed (invalid token))",
        "مفقود": "HTTP 404 Not Found",
    }
    words = {"مكسور": "الرد ليس خلاصة أخبار صالحة", "مفقود": "ردّ الخادم برمز الخطأ 404"}
    async with bot_factory() as app:
        async with services(app).db.write() as session:
            for name, error in raw.items():  # paused after failing: never polled during the test
                session.add(
                    Feed(
                        url=f"http://127.0.0.1:9/{len(error)}.xml",
                        name=name,
                        origin="chat",
                        status="failing",
                        consecutive_errors=10,
                        last_error=error,
                        last_error_at=datetime.now(UTC),
                    )
                )
        shown = {name: await ask(fake_telegram, f"/feed {name}") for name in raw}
        english = await ask(fake_telegram, "/feed مفقود", "en")
    for name, reply in shown.items():
        lines = reply["plain_text"].split("\n")
        at = next(i for i, line in enumerate(lines) if line.lstrip(RLM).startswith("آخر خطأ ("))
        # The Arabic line has the words and no English; the raw error follows its own label.
        assert lines[at].endswith(f"): {words[name]}") and not LATIN.search(lines[at].replace("404", ""))
        assert lines[at + 1] == "التفاصيل التقنية:"
        assert lines[at + 2] == raw[name]  # no right-to-left mark forcing English into Arabic order
        assert f"<pre><code>{_escaped(raw[name])}</code></pre>" in reply["text"]
    assert "the server answered 404 Not Found\nTechnical detail:\nHTTP 404 Not Found" in english["plain_text"]


async def test_a_feed_read_despite_a_fault_shows_the_fault_as_technical_detail(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, pages: str
) -> None:
    async with bot_factory():
        reply = await ask(fake_telegram, f"/addfeed {pages}/malformed.xml")
    lines = reply["plain_text"].split("\n")
    assert any("مستند الخلاصة غير سليم البنية" in line for line in lines)
    at = lines.index("التفاصيل التقنية:")
    assert lines[at + 1].startswith("SAXParseException") and "<pre><code>SAXParseException" in reply["text"]


def _escaped(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- 2. items per day of a new feed ---------------------------------------------------------------

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


async def _feed_with_stories(app: Any, name: str, created: datetime, published: list[datetime]) -> None:
    async with services(app).db.write() as session:
        # Paused by an admin: its numbers come from the rows below, never from a poll.
        feed = Feed(url=f"http://127.0.0.1:9/{name}.xml", name=name, origin="chat", status="paused")
        feed.created_at = created
        session.add(feed)
        await session.flush()
        for i, when in enumerate(published):
            session.add(
                Story(
                    feed_id=feed.id, entry_key=f"{name}-{i}", title=f"خبر {i}", source=name, published_at=when
                )
            )


def _per_day(listing: str, name: str) -> str:
    row = listing.split(f"{name} (")[1]
    return row.split("عناصر يوميًا: " if "عناصر" in listing else "items/day: ")[1].split(" ·")[0]


async def test_items_per_day_count_the_days_a_feed_has_been_seen(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "utcnow", lambda: NOW)
    hours = [NOW - timedelta(hours=h) for h in range(1, 200)]
    async with bot_factory() as app:
        # Added three hours ago, five items since: too early for a rate (it was "0.7").
        await _feed_with_stories(app, "جديد", NOW - timedelta(hours=3), hours[:5])
        # Added an hour ago with a backlog of six days, two items a day (it was "1.7").
        await _feed_with_stories(app, "أرشيف", NOW - timedelta(hours=1), hours[11:144:12])
        # Added a day and a half ago, six items since: four a day (it was "0.9").
        await _feed_with_stories(app, "يوم ونصف", NOW - timedelta(hours=36), hours[:36:6])
        # Weeks old, seven items in the last week: one a day, as before.
        await _feed_with_stories(app, "قديم", NOW - timedelta(days=40), hours[:168:24])
        listing = (await ask(fake_telegram, "/feeds"))["plain_text"]
        detail = (await ask(fake_telegram, "/feed جديد"))["plain_text"]
        listing_en = (await ask(fake_telegram, "/feeds", "en"))["plain_text"]
    assert [_per_day(listing, n) for n in ("جديد", "أرشيف", "يوم ونصف", "قديم")] == ["جديد", "٢", "٤", "١"]
    assert "عناصر يوميًا: جديد · " in detail
    assert [_per_day(listing_en, n) for n in ("جديد", "أرشيف", "يوم ونصف", "قديم")] == ["new", "2", "4", "1"]


# -- 3. small texts -------------------------------------------------------------------------------


async def test_pausefeed_gives_the_command_that_resumes_that_feed(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    async with bot_factory() as app:
        async with services(app).db.write() as session:
            for i in range(5):  # the feed paused is number 5: a bare /resumefeed would not do
                session.add(Feed(url=f"http://127.0.0.1:9/{i}.xml", name=f"مصدر {i}", origin="chat"))
        paused = (await ask(fake_telegram, "/pausefeed 5"))["plain_text"]
        await ask(fake_telegram, "/resumefeed 5")
        paused_en = (await ask(fake_telegram, "/pausefeed 5", "en"))["plain_text"]
    assert paused.endswith("إلى أن تستأنفه بالأمر: /resumefeed 5")
    assert paused_en.endswith("until you resume it: /resumefeed 5")


async def test_the_audit_log_counts_every_entry_of_an_import(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    good = [feed_server.add_feed(f"g{i}", feed_server.stories[i : i + 1]) for i in range(2)]
    there = feed_server.add_feed("there", feed_server.stories[3:4])
    missing = f"{feed_server.base_url}/feeds/missing.rss"
    async with bot_factory() as app:
        async with services(app).db.write() as session:
            session.add(Feed(url=there, name="موجود", origin="chat", status="paused"))
        report = await import_file(fake_telegram, opml_of(*good, there, missing, "ftp://example.org/x.rss"))
        assert "أُضيف ٢، وموجود من قبل ١، ورُفض ١، وتُرك دون فحص ١" in report
        audit = (await ask(fake_telegram, "/audit"))["plain_text"]
        audit_en = (await ask(fake_telegram, "/audit", "en"))["plain_text"]
    assert "أُضيف ٢، ومكرر ١، ورُفض ١، وتُرك دون فحص ١" in audit
    assert "2 added, 1 duplicate, 1 refused, 1 skipped unchecked" in audit_en


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("ar", "عذرًا، استيراد ملفات المصادر للمشرفين فقط."),
        ("en", "Sorry, only admins can import feed lists."),
    ],
)
async def test_a_non_admin_sending_a_feed_list_is_told_the_file_is_for_admins(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, lang: str, said: str
) -> None:
    async with bot_factory() as app:
        await fake_telegram.document(
            USER_ID, "feeds.opml", opml_of("http://127.0.0.1:9/x.rss"), language_code=lang
        )
        [reply] = await fake_telegram.wait_for_messages(USER_ID, count=1, timeout=10)
        async with services(app).db.read() as session:
            feeds = await session.scalar(select(func.count()).select_from(Feed))
    assert reply["plain_text"] == said  # not "this command": it was a file
    assert feeds == 0


async def test_a_feed_file_sent_instead_of_a_list_points_to_addfeed(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    with_link = (
        b'<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        b'<title>t</title><atom:link rel="self" href="https://example.org/feed.xml"/></channel></rss>'
    )
    atom = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>'
    async with bot_factory():
        replies = []
        for i, body in enumerate((with_link, atom)):
            since = len(fake_telegram.sent_messages(ADMIN_ID, include_deleted=True))
            await fake_telegram.document(ADMIN_ID, f"feed{i}.xml", body)
            [reply] = await fake_telegram.wait_for_messages(ADMIN_ID, count=1, since=since, timeout=10)
            replies.append(reply["plain_text"])
        since = len(fake_telegram.sent_messages(ADMIN_ID, include_deleted=True))
        await fake_telegram.document(ADMIN_ID, "feed.xml", with_link, language_code="en")
        [english] = await fake_telegram.wait_for_messages(ADMIN_ID, count=1, since=since, timeout=10)
    assert replies[0].startswith("⚠️ تعذّرت قراءة الملف: ليس ملف قائمة مصادر، بل يبدو خلاصة أخبار.")
    assert replies[0].split("\n")[-1].lstrip(RLM) == "/addfeed https://example.org/feed.xml"
    assert replies[1].endswith("لإضافة خلاصة أرسل رابطها مع الأمر /addfeed.")
    assert "looks like a news feed" in english["plain_text"]
    assert english["plain_text"].endswith("/addfeed https://example.org/feed.xml")


async def test_an_export_writes_only_web_addresses_as_a_feeds_site(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    async with bot_factory() as app:
        async with services(app).db.write() as session:
            # An Atom feed without a <link>: its id was taken for its site.
            session.add(Feed(url="http://127.0.0.1:9/a.xml", name="أ", origin="chat", site_url="urn:f24"))
            session.add(
                Feed(
                    url="http://127.0.0.1:9/b.xml", name="ب", origin="chat", site_url="https://b.example.org/"
                )
            )
        await fake_telegram.converse(ADMIN_ID, "/export", timeout=10)
    [sent] = fake_telegram.documents_sent
    outlines = {o.get("text"): o for o in ET.fromstring(sent["content"]).iter("outline")}
    assert "htmlUrl" not in outlines["أ"].attrib
    assert outlines["ب"].get("htmlUrl") == "https://b.example.org/"
