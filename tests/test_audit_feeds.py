"""Feed ingestion as an admin adding real-world Arabic feeds meets it (audit, 2026-11-29).

Each test drives the real Fetcher and poll_feed against a tiny loopback server that answers with
exactly the bytes and headers a misbehaving outlet sends, and checks what a reader would notice:
readable Arabic, each story stored once, nothing lost.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
import types
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

import pytest

from bot.clock import as_utc, utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed, Story
from bot.feeds.fetcher import Fetcher
from bot.feeds.health import error_text_ar
from bot.feeds.poller import PollResult, poll_feed
from summarizer import clean_text
from tests import test_feed_poller as poller_tests
from tests.fakes.feed_server import Story as AntStory
from tests.test_feed_poller import config, fetcher
from tests.test_feed_poller import stories as stored

__all__ = ["config", "fetcher"]  # fixtures, used by name


@dataclass
class RawServer:
    """Answers, per path, exactly the status, headers and body a test sets (no header added:
    some servers send no Content-Type at all). Plain HTTP/1.1 over asyncio streams, loopback only."""

    base: str = ""
    answers: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)

    def set(self, path: str, body: bytes, headers: dict[str, str] | None = None, status: int = 200) -> str:
        self.answers[path] = (status, dict(headers or {}), body)
        return self.base + path

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode("latin-1").split("?", 1)[0]
            self.hits[path] = self.hits.get(path, 0) + 1
            status, headers, body = self.answers.get(path, (404, {}, b"not found"))
            etag = headers.get("ETag")
            if etag and f"\r\nif-none-match: {etag}\r\n".encode() in head.lower():
                status, body = 304, b""
            lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", f"Content-Length: {len(body)}"]
            lines += [f"{k}: {v}" for k, v in headers.items()]
            lines.append("Connection: close")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def raw_server() -> AsyncIterator[RawServer]:
    server = RawServer()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    server.base = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        listener.close()
        await listener.wait_closed()


async def add_feed(db: Database, url: str, name: str = "تغذية") -> int:
    return await poller_tests.add_feed(db, url, name, interval=60.0)


def rss(items: list[dict[str, str]], *, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    """An RSS 2.0 document; each item's keys are its child elements, values inserted as given."""
    parts = [
        declaration,
        '<rss version="2.0"><channel><title>أخبار</title><link>https://news.example/</link>',
    ]
    for item in items:
        parts.append("<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in item.items()) + "</item>")
    parts.append("</channel></rss>")
    return "".join(parts)


def item(story: AntStory, **fields: str) -> dict[str, str]:
    out = {
        "title": html.escape(story.title),
        "link": f"https://news.example/ar/{story.id}",
        "guid": f"https://news.example/ar/{story.id}",
        "description": html.escape(story.abstract),
    }
    out.update(fields)
    return {k: v for k, v in out.items() if v != ""}


async def poll(db: Database, config: Config, fetcher: Fetcher, feed_id: int) -> PollResult:
    result = await poll_feed(db, config, fetcher, feed_id)
    assert result.error is None, result.error
    return result


# -- encodings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "content_type", "declaration", "encode"),
    [
        # The header lies: a UTF-8 feed served as windows-1256 (old IIS/Apache defaults on Arabic sites).
        ("header says 1256, body is utf-8", "application/rss+xml; charset=windows-1256", "utf-8", "utf-8"),
        ("text/xml says 1256, body is utf-8", "text/xml; charset=windows-1256", "", "utf-8"),
        # A UTF-8 BOM is authoritative; an editor saved the template's 1256 declaration as UTF-8.
        ("bom utf-8, prolog says 1256", "application/rss+xml", "windows-1256", "utf-8-sig"),
        # Honest legacy feeds still decode.
        ("1256 in the prolog only", "text/xml", "windows-1256", "cp1256"),
        ("1256 in the header only", "application/rss+xml; charset=windows-1256", "", "cp1256"),
        ("1256 declared nowhere", "application/rss+xml", "", "cp1256"),
        ("iso-8859-6 in the prolog", "application/xml", "ISO-8859-6", "iso8859_6"),
        ("iso-8859-6 in the header", "text/xml; charset=iso-8859-6", "", "iso8859_6"),
        # No Content-Type at all, and no encoding in the prolog: UTF-8 by XML's own default.
        ("no content-type, no declaration", "", "", "utf-8"),
    ],
)
async def test_arabic_is_readable_whatever_the_encoding_claims(
    db: Database,
    config: Config,
    fetcher: Fetcher,
    raw_server: RawServer,
    ant_stories: list[AntStory],
    case: str,
    content_type: str,
    declaration: str,
    encode: str,
) -> None:
    stories = ant_stories[:3]
    prolog = f'<?xml version="1.0" encoding="{declaration}"?>' if declaration else '<?xml version="1.0"?>'
    # A numeric character reference beside raw Arabic (WordPress writes “ ” as &#8220; &#8221;).
    items = [item(s, title=html.escape(s.title) + " &#8211; &#1593;&#1575;&#1580;&#1604;") for s in stories]
    body = rss(items, declaration=prolog).encode(encode, errors="xmlcharrefreplace")
    headers = {"Content-Type": content_type} if content_type else {}
    feed_id = await add_feed(db, raw_server.set("/feed", body, headers))
    await poll(db, config, fetcher, feed_id)
    titles = sorted(s.title for s in await stored(db, feed_id))
    assert titles == sorted(f"{s.title} – عاجل" for s in stories), case
    for story in await stored(db, feed_id):
        assert any(clean_text(s.abstract)[:30] in story.text for s in stories), case


# -- markup in titles and descriptions -------------------------------------------------------------


async def test_titles_are_plain_text_whatever_markup_the_feed_uses(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    s = ant_stories[:5]
    items = [
        # CDATA with tags and an entity inside (WordPress themes, Joomla).
        item(s[0], title=f"<![CDATA[<b>{s[0].title}</b> &quot;عاجل&quot;]]>"),
        # Escaped twice: the feed escapes an already escaped title.
        item(s[1], title=f"{html.escape(s[1].title)} &amp;quot;عاجل&amp;quot; &amp;#8220;فيديو&amp;#8221;"),
        # Markup escaped once (RSS titles are often HTML).
        item(s[2], title=f"&lt;strong&gt;{html.escape(s[2].title)}&lt;/strong&gt;&amp;nbsp;"),
        # A description escaped twice.
        item(s[3], description=html.escape(f"<p>{html.escape(s[3].abstract)}&nbsp;&hellip;</p>")),
        # An honest title with an ampersand and a less-than sign stays as it is.
        item(s[4], title="أرباح &amp; خسائر: النمو &lt; 2% في الربع الأول"),
    ]
    feed_id = await add_feed(db, raw_server.set("/feed", rss(items).encode(), {"Content-Type": "text/xml"}))
    await poll(db, config, fetcher, feed_id)
    by_link = {story.url: story for story in await stored(db, feed_id)}

    def got(story: AntStory) -> Story:
        return by_link[f"https://news.example/ar/{story.id}"]

    assert got(s[0]).title == f'{s[0].title} "عاجل"'
    assert got(s[1]).title == f'{s[1].title} "عاجل" “فيديو”'
    assert got(s[2]).title == s[2].title
    assert got(s[3]).title == s[3].title
    assert "&nbsp;" not in got(s[3]).text and "&hellip;" not in got(s[3]).text and "<p>" not in got(s[3]).text
    assert clean_text(s[3].abstract)[:30] in got(s[3]).text
    assert got(s[4]).title == "أرباح & خسائر: النمو < 2% في الربع الأول"


async def test_atom_html_titles_are_plain_text(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    story = ant_stories[0]
    body = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>أخبار</title>'
        "<id>urn:news</id><updated>2018-03-01T10:00:00Z</updated><entry>"
        f'<title type="html">&lt;em&gt;{html.escape(story.title)}&lt;/em&gt; &amp;amp; المزيد</title>'
        '<id>urn:news:1</id><link href="https://news.example/1"/><updated>2018-03-01T10:00:00Z</updated>'
        f"<summary>{html.escape(story.abstract)}</summary></entry></feed>"
    ).encode()
    feed_id = await add_feed(db, raw_server.set("/atom", body, {"Content-Type": "application/atom+xml"}))
    await poll(db, config, fetcher, feed_id)
    [got] = await stored(db, feed_id)
    assert got.title == f"{story.title} & المزيد"


# -- identity --------------------------------------------------------------------------------------


async def test_items_with_only_a_description_are_each_their_own_story(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # No title, no link, no guid, no date: Telegram-channel and social bridges write feeds so.
    s = ant_stories[:4]
    bare = [{"description": html.escape(story.abstract)} for story in s]
    url = raw_server.set("/bare", rss(bare[1:3]).encode(), {"Content-Type": "application/rss+xml"})
    feed_id = await add_feed(db, url)
    first = await poll(db, config, fetcher, feed_id)
    assert len(first.stored_story_ids) == 2
    raw_server.set("/bare", rss([bare[0], *bare[1:3]]).encode(), {"Content-Type": "application/rss+xml"})
    second = await poll(db, config, fetcher, feed_id)
    assert len(second.new_story_ids) == 1  # the new one is delivered, the old two are not again
    texts = [story.text for story in await stored(db, feed_id)]
    assert [any(clean_text(x.abstract)[:30] in t for t in texts) for x in s[:3]] == [True, True, True]
    # And the same document again brings nothing new.
    third = await poll(db, config, fetcher, feed_id)
    assert third.new_story_ids == [] and third.error is None


# -- dates -----------------------------------------------------------------------------------------


async def test_placeholder_and_future_dates_become_the_time_it_was_fetched(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    s = ant_stories[:4]
    items = [
        item(s[0], pubDate="Thu, 01 Jan 1970 00:00:00 GMT"),  # a CMS's "no date" (UNIX time 0)
        item(s[1], pubDate="Fri, 01 Jan 2100 00:00:00 GMT"),
        item(s[2], pubDate="not a date"),
        item(s[3], pubDate="Thu, 01 Mar 2018 10:00:00 +0300"),  # a real date is kept
    ]
    before = utcnow()
    feed_id = await add_feed(db, raw_server.set("/dates", rss(items).encode(), {"Content-Type": "text/xml"}))
    await poll(db, config, fetcher, feed_id)
    after = utcnow()
    when = {story.url: as_utc(story.published_at) for story in await stored(db, feed_id)}
    for story in s[:3]:
        # Cards show this date, /latest sorts by it, search ranks recent stories first.
        assert before - timedelta(seconds=1) <= when[f"https://news.example/ar/{story.id}"] <= after, story.id
    assert when[f"https://news.example/ar/{s[3].id}"] == datetime(2018, 3, 1, 7, 0, tzinfo=UTC)


async def test_a_guid_shared_by_every_item_does_not_hide_them(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # Some CMSs write the site's address (or "0") as every item's guid.
    s = ant_stories[:4]
    items = [item(story, guid="https://news.example/") for story in s]
    headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
    feed_id = await add_feed(db, raw_server.set("/same-guid", rss(items[1:]).encode(), headers))
    first = await poll(db, config, fetcher, feed_id)
    assert len(first.stored_story_ids) == 3
    raw_server.set("/same-guid", rss(items).encode(), headers)
    second = await poll(db, config, fetcher, feed_id)
    assert len(second.new_story_ids) == 1
    assert sorted(x.title for x in await stored(db, feed_id)) == sorted(x.title for x in s)
    third = await poll(db, config, fetcher, feed_id)
    assert third.new_story_ids == []


async def test_a_story_relisted_under_a_new_link_is_not_sent_again(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # No stable guid: the link is the guid (isPermaLink), as many Arabic CMSs write it.
    a, b, c, d = ant_stories[:4]
    date = "Thu, 01 Mar 2018 10:00:00 +0300"
    headers = {"Content-Type": "application/rss+xml; charset=utf-8"}

    def listed(story: AntStory, link: str, **fields: str) -> dict[str, str]:
        return item(story, link=link, guid=link, pubDate=fields.pop("pubDate", date), **fields)

    home = f"https://news.example/ar/{a.id}"
    feed_id = await add_feed(db, raw_server.set("/relist", rss([listed(a, home)]).encode(), headers))
    await poll(db, config, fetcher, feed_id)
    variants = [
        f"{home}/",  # a trailing slash
        f"{home}/amp",  # the AMP page
        f"https://news.example/amp/ar/{a.id}",
        f"{home}?amp=1",
    ]
    news = [b, c, d]
    for link, new in zip(variants, news, strict=False):
        doc = rss(
            [
                listed(
                    new,
                    f"https://news.example/ar/{new.id}",
                    pubDate=new.published.strftime("%a, %d %b %Y %H:%M:%S +0000"),
                ),
                listed(a, link),
            ]
        )
        raw_server.set("/relist", doc.encode(), headers)
        result = await poll(db, config, fetcher, feed_id)
        assert len(result.new_story_ids) == 1, link  # the new story only, not the relisted one
    # An editor corrects the headline, and the slug with it; date and lead stay.
    fixed = listed(a, f"{home}-corrected", title=html.escape(a.title.replace(" ", "  ", 1) + " (محدث)"))
    raw_server.set("/relist", rss([fixed]).encode(), headers)
    result = await poll(db, config, fetcher, feed_id)
    assert result.new_story_ids == []
    # ... and the story, still one, now carries the corrected headline (cards already sent are
    # edited to it: bot.delivery.corrections).
    titles = [x.title for x in await stored(db, feed_id)]
    assert titles.count(a.title + " (محدث)") == 1 and a.title not in titles
    assert len(result.updated_story_ids) == 1


async def test_a_daily_story_with_the_same_words_is_still_delivered(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer
) -> None:
    headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
    lead = "سجلت أسعار الذهب اليوم في مصر {} في محلات الصاغة حيث بلغ سعر جرام الذهب عيار 21 نحو {} جنيها"

    def day(n: int, move: str, price: str) -> dict[str, str]:
        return {
            "title": "أسعار الذهب اليوم في مصر",
            "link": f"https://news.example/gold/{n}",
            "guid": f"https://news.example/gold/{n}",
            "pubDate": f"0{n} Mar 2018 09:00:00 +0200",
            "description": lead.format(move, price),
        }

    feed_id = await add_feed(db, raw_server.set("/gold", rss([day(1, "ارتفاعا", "640")]).encode(), headers))
    await poll(db, config, fetcher, feed_id)
    raw_server.set("/gold", rss([day(2, "انخفاضا", "632"), day(1, "ارتفاعا", "640")]).encode(), headers)
    assert len((await poll(db, config, fetcher, feed_id)).new_story_ids) == 1


async def test_a_guid_reused_for_a_new_story_does_not_hide_it(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # A site moves to a new CMS and its item numbers start again from 1.
    a, b = ant_stories[:2]
    headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
    old = item(a, guid="", pubDate="Thu, 01 Mar 2018 10:00:00 +0300")
    new = item(b, guid="", pubDate="Mon, 02 Apr 2018 10:00:00 +0300")

    def doc(*items: dict[str, str]) -> bytes:
        return rss(list(items)).replace("<item>", '<item><guid isPermaLink="false">1</guid>').encode()

    feed_id = await add_feed(db, raw_server.set("/reuse", doc(old), headers))
    await poll(db, config, fetcher, feed_id)
    raw_server.set("/reuse", doc(new), headers)
    second = await poll(db, config, fetcher, feed_id)
    assert len(second.new_story_ids) == 1
    assert sorted(x.title for x in await stored(db, feed_id)) == sorted([a.title, b.title])
    assert (await poll(db, config, fetcher, feed_id)).new_story_ids == []
    # The story under guid 1 corrected: new headline and slug, same date: nothing new.
    corrected = {
        **new,
        "title": html.escape(b.title) + " (محدث)",
        "link": f"https://news.example/ar/{b.id}-x",
    }
    raw_server.set("/reuse", doc(corrected), headers)
    assert (await poll(db, config, fetcher, feed_id)).new_story_ids == []


# -- broken documents ------------------------------------------------------------------------------


async def test_an_item_cut_off_by_a_truncated_body_waits_for_the_whole_document(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # A close-delimited or gzip body that stops early looks complete to HTTP; feedparser still
    # returns the last item, with its description cut mid-sentence.
    s = ant_stories[:4]
    headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
    feed_id = await add_feed(db, raw_server.set("/cut", rss([item(s[3])]).encode(), headers))
    await poll(db, config, fetcher, feed_id)
    whole = rss([item(x) for x in s[:3]] + [item(s[3])]).encode()
    last = whole.index(html.escape(s[2].abstract).encode())
    # Cut inside the third item's description.
    raw_server.set("/cut", whole[: last + 60], {**headers, "ETag": '"v2"'})
    first = await poll_feed(db, config, fetcher, feed_id)
    assert len(first.new_story_ids) == 2
    # The server's ETag named the whole document; the cut copy must not make the next poll a 304.
    raw_server.set("/cut", whole, {**headers, "ETag": '"v2"'})
    second = await poll(db, config, fetcher, feed_id)
    assert len(second.new_story_ids) == 1
    third = next(x for x in await stored(db, feed_id) if x.id == second.new_story_ids[0])
    assert third.title == s[2].title and clean_text(s[2].abstract)[-30:] in third.text


async def test_410_gone_pauses_the_feed_at_once_and_tells_the_admins(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    alerts: list[tuple[str, str]] = []

    async def enqueue_admin_alert(
        db: Any, config: Any, key: str, text_ar: str, text_en: str, **_: Any
    ) -> None:
        alerts.append((text_ar, text_en))

    monkeypatch.setitem(
        sys.modules, "bot.delivery.outbox", types.SimpleNamespace(enqueue_admin_alert=enqueue_admin_alert)
    )
    feed_id = await add_feed(db, raw_server.set("/old-feed", b"gone", status=410), "الجزيرة")
    result = await poll_feed(db, config, fetcher, feed_id)
    # The server says the feed is gone for good: polling it for days until ten failures pile up
    # only hides that from the admins.
    assert result.paused and result.error == "HTTP 410 Gone"
    async with db.read() as session:
        feed = await session.get(Feed, feed_id)
        assert feed is not None
        assert feed.status == "failing" and feed.next_check_at is None
    [(text_ar, text_en)] = alerts
    assert "«الجزيرة»" in text_ar and "410" in text_ar and "أُزيلت" in text_ar
    assert not re.search(r"[A-Za-z]", text_ar.replace("/resumefeed", ""))  # the command is the only Latin
    assert "HTTP 410 Gone" in text_en and "after 1 failures" not in text_en
    assert raw_server.hits["/old-feed"] == 1


async def test_one_broken_character_does_not_garble_the_whole_feed(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # A CMS cuts descriptions at a byte count and splits a two-byte Arabic letter: the document is
    # UTF-8 but for that one byte, and feedparser then read all of it as IBM855 (Cyrillic).
    s = ant_stories[:3]
    body = rss(
        [item(x, description="@@CUT@@" if i == 0 else html.escape(x.abstract)) for i, x in enumerate(s)]
    )
    lead = s[0].abstract.encode()
    cut = next(n for n in range(60, 120) if lead[n - 1] >= 0xC0)  # ends on a lead byte
    data = body.encode().replace(b"@@CUT@@", lead[:cut] + b"...")
    for content_type in ("application/rss+xml; charset=utf-8", "text/xml"):
        url = raw_server.set(f"/cut-{len(content_type)}", data, {"Content-Type": content_type})
        feed_id = await add_feed(db, url, content_type)
        await poll(db, config, fetcher, feed_id)
        got = {x.title: x.text for x in await stored(db, feed_id)}
        assert sorted(got) == sorted(x.title for x in s), content_type
        assert got[s[0].title].startswith(lead[: cut - 1].decode("utf-8", errors="ignore")[:40])
        assert "\ufffd" not in got[s[0].title]


@pytest.mark.parametrize(
    "page",
    [
        b'\xef\xbb\xbf<!DOCTYPE html><html lang="ar"><body>\xd8\xae\xd8\xb7\xd8\xa3</body></html>',
        b"\xef\xbb\xbf\r\n<html><head><title>503</title></head><body>Service Unavailable</body></html>",
        b"<head><title>Error</title></head><body><h1>Database error</h1></body>",
        b"<body><h1>\xd8\xa7\xd9\x84\xd8\xb5\xd9\x81\xd8\xad\xd8\xa9 \xd8\xba\xd9\x8a\xd8\xb1 \xd9\x85\xd9\x88\xd8\xac\xd9\x88\xd8\xaf\xd8\xa9</h1></body>",
    ],
)
async def test_an_html_page_with_status_200_is_reported_as_a_web_page(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, page: bytes
) -> None:
    # The error page a CMS or a proxy serves with 200 OK instead of the feed.
    feed_id = await add_feed(db, raw_server.set("/page", page, {"Content-Type": "text/html; charset=utf-8"}))
    result = await poll_feed(db, config, fetcher, feed_id)
    assert result.error == "not a feed: got an HTML page"
    async with db.read() as session:
        feed = await session.get(Feed, feed_id)
        assert feed is not None and feed.consecutive_errors == 1


async def test_a_link_written_without_its_scheme_points_at_its_own_site(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # "www.site/…" with no http:// is a relative path to a resolver; readers mean the site.
    story = ant_stories[0]
    doc = rss([item(story, link="www.news.example/ar/1", guid="")])
    feed_id = await add_feed(db, raw_server.set("/rss/ar.xml", doc.encode(), {"Content-Type": "text/xml"}))
    await poll(db, config, fetcher, feed_id)
    [got] = await stored(db, feed_id)
    assert got.url == "http://www.news.example/ar/1"


async def test_a_feed_that_suddenly_lists_its_archive_does_not_flood_subscribers(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # The outlet raises "items per feed" from 3 to 25: 20 stories from the past weeks appear at
    # once. They are stored (search, /latest) but are not news to push; today's story is.
    headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
    now = utcnow()

    def dated(story: AntStory, age: timedelta) -> dict[str, str]:
        return item(story, pubDate=(now - age).strftime("%a, %d %b %Y %H:%M:%S +0000"))

    archive = [dated(story, timedelta(days=3 + i)) for i, story in enumerate(ant_stories[5:25])]
    recent = [dated(story, timedelta(hours=i)) for i, story in enumerate(ant_stories[1:4])]
    feed_id = await add_feed(db, raw_server.set("/archive", rss(recent).encode(), headers))
    await poll(db, config, fetcher, feed_id)
    fresh = dated(ant_stories[0], timedelta(minutes=5))
    # Late by a day (a story posted with the date it was written) is still news.
    late = dated(ant_stories[4], timedelta(hours=26))
    # One story dated last week is news too: only a batch of them is an archive.
    raw_server.set("/archive", rss([dated(ant_stories[25], timedelta(days=7)), *recent]).encode(), headers)
    assert len((await poll(db, config, fetcher, feed_id)).new_story_ids) == 1
    raw_server.set("/archive", rss([fresh, *recent, late, *archive]).encode(), headers)
    result = await poll(db, config, fetcher, feed_id)
    assert len(result.stored_story_ids) == 22
    routed = {x.title for x in await stored(db, feed_id) if x.id in result.new_story_ids}
    assert routed == {ant_stories[0].title, ant_stories[4].title}


async def test_items_sharing_one_link_are_different_stories(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # Channel bridges and some sites give every item the same link (the channel, the home page).
    a, b, c = ant_stories[:3]
    headers = {"Content-Type": "application/rss+xml; charset=utf-8"}

    def shared(story: AntStory, guid: str) -> dict[str, str]:
        return item(story, link="https://news.example/", guid=f'<guid isPermaLink="false">{guid}</guid>')

    def doc(*items: dict[str, str]) -> bytes:
        # item() puts the guid value inside <guid>; these carry their own element.
        return rss(list(items)).replace("<guid><guid", "<guid").replace("</guid></guid>", "</guid>").encode()

    feed_id = await add_feed(db, raw_server.set("/shared", doc(shared(a, "1")), headers))
    await poll(db, config, fetcher, feed_id)
    raw_server.set("/shared", doc(shared(c, "3"), shared(b, "2"), shared(a, "1")), headers)
    second = await poll(db, config, fetcher, feed_id)
    assert len(second.new_story_ids) == 2
    assert sorted(x.title for x in await stored(db, feed_id)) == sorted(x.title for x in (a, b, c))
    # A feed that renumbers its guids still gets nothing new: same link, same story.
    raw_server.set("/shared", doc(shared(c, "x3"), shared(b, "x2"), shared(a, "x1")), headers)
    assert (await poll(db, config, fetcher, feed_id)).new_story_ids == []


async def test_items_sharing_one_link_and_no_guid_are_different_stories(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    a, b, c = ant_stories[:3]
    headers = {"Content-Type": "application/rss+xml; charset=utf-8"}

    def shared(story: AntStory) -> dict[str, str]:
        return item(story, link="https://t.me/s/news_channel", guid="")

    feed_id = await add_feed(db, raw_server.set("/bridge", rss([shared(b), shared(a)]).encode(), headers))
    assert len((await poll(db, config, fetcher, feed_id)).stored_story_ids) == 2
    raw_server.set("/bridge", rss([shared(c), shared(b), shared(a)]).encode(), headers)
    assert len((await poll(db, config, fetcher, feed_id)).new_story_ids) == 1
    assert (await poll(db, config, fetcher, feed_id)).new_story_ids == []
    assert sorted(x.title for x in await stored(db, feed_id)) == sorted(x.title for x in (a, b, c))


async def test_a_body_in_an_encoding_we_did_not_ask_for_is_a_clear_error(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer
) -> None:
    # A CDN answering in Brotli (or zstd) though the request offered only gzip and deflate.
    headers = {"Content-Type": "application/rss+xml", "Content-Encoding": "br"}
    feed_id = await add_feed(db, raw_server.set("/br", b"\x1b\x03\x00\xf8\xa5\x40\x80\x12", headers))
    result = await poll_feed(db, config, fetcher, feed_id)
    assert result.error == "could not decompress the body (content encoding br)"
    assert error_text_ar(result.error) == "تعذّر فك ضغط الرد: ترميز الضغط br غير مدعوم"
