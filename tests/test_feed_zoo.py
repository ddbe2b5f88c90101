"""Feed oddities found by serving a zoo of real-world documents from loopback servers (QA,
2026-12-07): broken documents, legacy encodings, odd dates and items, per-fetch links.

Each test drives the real Fetcher, poll_feed or add_feed against the audit's RawServer, which
answers exactly the bytes and headers a misbehaving outlet sends, and checks what an admin or a
subscriber would notice.
"""

from __future__ import annotations

import asyncio
import html
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from bot.admin.feeds import AddFeedResult
from bot.admin.feeds import add_feed as admin_add_feed
from bot.cli import main
from bot.clock import utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed
from bot.feeds.fetcher import Fetcher
from bot.feeds.identity import entry_key
from bot.feeds.parser import parse_feed
from bot.feeds.poller import poll_feed
from bot.services import Services
from handlers.admin import _render_add
from summarizer import clean_text
from tests.fakes.feed_server import Story as AntStory
from tests.test_audit_feeds import RawServer, add_feed, item, poll, raw_server, rss
from tests.test_feed_poller import config, feed_row, fetcher, queued
from tests.test_feed_poller import stories as stored

__all__ = ["config", "fetcher", "raw_server"]  # fixtures, used by name

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def dated(story: AntStory, when: datetime | None, **fields: str) -> dict[str, str]:
    return item(story, **({"pubDate": format_datetime(when)} if when else {}), **fields)


# -- 1. a broken document with no items ---------------------------------------------------------

BROKEN = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Error</title>'
    b"<description>Database connection failed"
)


async def test_a_broken_document_with_no_items_is_a_failure_that_pauses_the_feed(
    db: Database,
    config_factory: Any,
    fetcher: Fetcher,
    raw_server: RawServer,
    ant_stories: list[AntStory],
) -> None:
    # A CMS's error page in an <rss> shell, cut short: the outage must show in /feed and pause
    # the feed like any other, not pass for a quiet feed.
    config = config_factory(fetch={"pause_after_failures": 2})
    url = raw_server.set("/cms", rss([item(ant_stories[0])]).encode(), RSS)
    feed_id = await add_feed(db, url)
    await poll(db, config, fetcher, feed_id)
    raw_server.set("/cms", BROKEN, RSS)
    for _ in range(2):
        result = await poll_feed(db, config, fetcher, feed_id)
        assert result.error is not None and "ill-formed" in result.error
    feed = await feed_row(db, feed_id)
    assert feed.status == "failing" and feed.consecutive_errors == 2
    assert feed.last_error is not None and "ill-formed" in feed.last_error

    # /addfeed and `akhbar feeds add` refuse it with the reason.
    refused = await admin_add_feed(db, config, fetcher, raw_server.set("/other", BROKEN, RSS), origin="cli")
    assert refused.code == "not_feed" and "ill-formed" in refused.detail

    # A well-formed feed with nothing in it yet is still a successful poll.
    empty = await add_feed(db, raw_server.set("/empty", rss([]).encode(), RSS), "فارغ")
    await poll(db, config, fetcher, empty)
    assert (await feed_row(db, empty)).consecutive_errors == 0
    # So is a whole channel with no items whose title has a bare "&" (a breaking-news feed with
    # nothing on right now): not well-formed, but not an outage either.
    quiet = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>عاجل & مباشر</title>'
        "<link>https://news.example/</link><description>آخر الأخبار&nbsp;العاجلة</description></channel></rss>"
    )
    breaking = await add_feed(db, raw_server.set("/breaking", quiet.encode(), RSS), "عاجل")
    await poll(db, config, fetcher, breaking)
    assert (await feed_row(db, breaking)).consecutive_errors == 0
    added = await admin_add_feed(
        db, config, fetcher, raw_server.set("/breaking2", quiet.encode(), RSS), origin="cli"
    )
    assert added.ok and added.entries == 0


# -- 2. the first stories after polls that stored nothing ---------------------------------------


@pytest.mark.parametrize("first_answer", ["empty channel", "304"])
async def test_first_stories_after_an_empty_poll_are_not_pushed_as_news(
    db: Database,
    config: Config,
    fetcher: Fetcher,
    raw_server: RawServer,
    ant_stories: list[AntStory],
    first_answer: str,
) -> None:
    if first_answer == "304":
        url = raw_server.set("/f", b"", {**RSS, "ETag": '"v1"'})
        feed_id = await add_feed(db, url)
        async with db.write() as session:
            feed = await session.get(Feed, feed_id)
            assert feed is not None
            feed.etag = '"v1"'
        assert (await poll_feed(db, config, fetcher, feed_id)).not_modified
    else:
        feed_id = await add_feed(db, raw_server.set("/f", rss([]).encode(), RSS))
        await poll(db, config, fetcher, feed_id)
    now = utcnow()
    catalogue = [dated(s, now - timedelta(hours=3 + i)) for i, s in enumerate(ant_stories[:6])]
    undated = dated(ant_stories[6], None)
    fresh = dated(ant_stories[7], now + timedelta(seconds=1))
    raw_server.set("/f", rss([fresh, undated, *catalogue]).encode(), {**RSS, "ETag": '"v2"'})
    second = await poll(db, config, fetcher, feed_id)
    assert len(second.stored_story_ids) == 8  # all kept for search and /latest...
    routed = [s for s in await stored(db, feed_id) if s.id in await queued(db)]
    assert [s.title for s in routed] == [ant_stories[7].title]  # ...only the new one pushed


# -- 3, 4. encodings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "declaration", "encode"),
    [
        ("text/xml; charset=ISO-8859-1", "windows-1256", "cp1256"),
        ("application/rss+xml; charset=iso-8859-1", "ISO-8859-6", "iso8859_6"),
        ("text/xml; charset=windows-1252", "", "cp1256"),
        ("application/xml; charset=us-ascii", "", "cp1256"),
        ("text/xml; charset=latin-1", "iso-8859-1", "cp1256"),
    ],
)
async def test_arabic_served_with_a_western_server_default_charset_is_readable(
    db: Database,
    config: Config,
    fetcher: Fetcher,
    raw_server: RawServer,
    ant_stories: list[AntStory],
    content_type: str,
    declaration: str,
    encode: str,
) -> None:
    # Apache's old default charset on a legacy Arabic feed: the XML declaration (when it names
    # another encoding) or the bytes themselves say what it is.
    prolog = f'<?xml version="1.0" encoding="{declaration}"?>' if declaration else '<?xml version="1.0"?>'
    body = rss([item(s) for s in ant_stories[:3]], declaration=prolog).encode(encode, errors="ignore")
    url = raw_server.set(f"/legacy-{encode}-{len(content_type)}", body, {"Content-Type": content_type})
    added = await admin_add_feed(db, config, fetcher, url, origin="cli")
    assert added.ok and added.name == "أخبار"  # the /addfeed reply names the feed
    assert added.feed_id is not None
    await poll(db, config, fetcher, added.feed_id)
    titles = sorted(s.title for s in await stored(db, added.feed_id))
    expected = sorted(s.title.encode(encode, errors="ignore").decode(encode) for s in ant_stories[:3])
    assert titles == expected


async def test_one_windows_1256_item_in_a_utf8_feed_keeps_its_text(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # A description pasted from a windows-1256 page into a small UTF-8 feed: its text was dropped
    # (or, the feed being small, the whole feed read as windows-1256).
    s = ant_stories[:2]
    body = rss([item(s[0], description="@@PASTED@@"), item(s[1])]).encode()
    body = body.replace(b"@@PASTED@@", html.escape(s[0].abstract).encode("cp1256", errors="ignore"))
    feed_id = await add_feed(db, raw_server.set("/mixed", body, RSS))
    await poll(db, config, fetcher, feed_id)
    got = {x.title: x.text for x in await stored(db, feed_id)}
    assert sorted(got) == sorted(x.title for x in s)
    pasted = s[0].abstract.encode("cp1256", errors="ignore").decode("cp1256")
    assert got[s[0].title].startswith(clean_text(pasted)[:60])


# -- 5, 9. item text ----------------------------------------------------------------------------


async def poll_items(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, items: Any, path: str = "/odd"
) -> dict[str, Any]:
    """The stories a feed's first poll of these items stores, by title."""
    # rss() writes each key as an element around its value: "enclosure_" is unwrapped here.
    body = rss(items).encode().replace(b"<enclosure_>", b"").replace(b"</enclosure_>", b"")
    feed_id = await add_feed(db, raw_server.set(path, body, RSS), path)
    await poll(db, config, fetcher, feed_id)
    return {x.title: x for x in await stored(db, feed_id)}


async def test_a_description_escaped_twice_reaches_readers_as_text(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # WordPress plugins escape descriptions twice: cards and digests showed a literal <p>.
    story = ant_stories[0]
    escaped_twice = html.escape(html.escape(f"<p>{story.abstract}</p>"))
    got = await poll_items(db, config, fetcher, raw_server, [item(story, description=escaped_twice)])
    saved = got[story.title]
    assert "<p>" not in saved.text and not any("<" in sentence for sentence in saved.summary)
    assert saved.text.startswith(clean_text(story.abstract)[:40])


async def test_a_description_that_repeats_the_title_is_no_text(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # The card showed the title, then the title again as the story's summary.
    story = ant_stories[1]
    for n, description in enumerate((story.title, f'<a href="https://x.example/">{story.title}</a>')):
        listed = [item(story, description=html.escape(description))]
        got = await poll_items(db, config, fetcher, raw_server, listed, path=f"/title-{n}")
        assert got[story.title].text == "" and got[story.title].summary == []


async def test_an_enclosure_is_the_link_of_an_item_without_one_and_alone_is_no_story(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    enclosure = '<enclosure url="https://news.example/audio/{}.mp3" length="1" type="audio/mpeg"/>'
    items = [
        # A podcast episode with a title and its audio but no link: the audio is its link.
        {"title": html.escape(ant_stories[2].title), "enclosure_": enclosure.format(2)},
        # Nothing a reader could see: no story at all (it was an empty card).
        {"enclosure_": enclosure.format(3)},
    ]
    got = await poll_items(db, config, fetcher, raw_server, items)
    assert list(got) == [ant_stories[2].title]
    assert got[ant_stories[2].title].url == "https://news.example/audio/2.mp3"


# -- 6. dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("Wed, 01 May 2024 10:00:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("Wed, 01 May 2024 10:00:00 GMT+3", datetime(2024, 5, 1, 7, tzinfo=UTC)),
        ("Wed, 01 May 2024 10:00:00 GMT-03:30", datetime(2024, 5, 1, 13, 30, tzinfo=UTC)),
        ("Wed, 01 May 2024 10:00:00 AST", datetime(2024, 5, 1, 7, tzinfo=UTC)),
        ("Wed, 01 May 2024 10:00:00 EEST", datetime(2024, 5, 1, 7, tzinfo=UTC)),
        ("Wed, 01 May 2024 10:00:00 EET", datetime(2024, 5, 1, 8, tzinfo=UTC)),
        ("Wed, 01 May 2024 10:00:00 GST", datetime(2024, 5, 1, 6, tzinfo=UTC)),
        ("01 أيار 2024 10:00:00 +0300", datetime(2024, 5, 1, 7, tzinfo=UTC)),
        ("الأربعاء، 01 مايو 2024 10:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("الخميس، ١٢ كانون الثاني ٢٠٢٣ ٠٩:٣٠ م", datetime(2023, 1, 12, 21, 30, tzinfo=UTC)),
        ("3 إبريل 2024", datetime(2024, 4, 3, tzinfo=UTC)),
        ("الخميس 03 شتنبر 2024 14:30 +0100", datetime(2024, 9, 3, 13, 30, tzinfo=UTC)),  # Moroccan
        ("12 غشت 2024", datetime(2024, 8, 12, tzinfo=UTC)),
        # What feedparser already read stays as it was.
        ("Wed, 01 May 2024 10:00:00 EST", datetime(2024, 5, 1, 15, tzinfo=UTC)),
        ("2024-05-01T10:00:00+03:00", datetime(2024, 5, 1, 7, tzinfo=UTC)),
        ("yesterday afternoon", None),
    ],
)
def test_dates_as_arabic_outlets_write_them(
    ant_stories: list[AntStory], written: str, meant: datetime | None
) -> None:
    story = ant_stories[0]
    fields = {"link": "", "guid": "", "pubDate": written}
    parsed = parse_feed(rss([item(story, **fields)]).encode(), url="https://news.example/rss")
    (entry,) = parsed.entries
    assert entry.published == meant


def test_an_item_keyed_by_its_date_keeps_its_key(ant_stories: list[AntStory]) -> None:
    # An item with no guid and no link is keyed by its title and date, as feedparser read the
    # date: read anew, its key would change and the item come back as a new story.
    story = ant_stories[0]
    for written, keyed in (
        ("01 أيار 2024 10:00:00 +0300", "01 أيار 2024 10:00:00 +0300"),  # feedparser could not read it
        ("Wed, 01 May 2024 10:00:00 AST", datetime(2024, 5, 1, 14, tzinfo=UTC)),  # read as Atlantic
    ):
        fields = {"link": "", "guid": "", "pubDate": written}
        (entry,) = parse_feed(rss([item(story, **fields)]).encode(), url="https://news.example/rss").entries
        assert entry.key == entry_key(None, None, story.title, keyed, html.escape(story.abstract))


# -- 7, 8. what the admin is told ---------------------------------------------------------------


def _reply(result: AddFeedResult, lang: str, config: Config, db: Database, typed: str) -> str:
    return _render_add(result, lang, Services(config=config, db=db), typed=typed)


async def test_the_admin_is_told_what_failed_and_where(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    def page(href: str) -> bytes:
        link = f'<link rel="alternate" type="application/rss+xml" href="{href}">'
        return f"<!doctype html><html><head>{link}</head><body>x</body></html>".encode()

    html_headers = {"Content-Type": "text/html"}
    # The page's feed link answers with a web page: the page does point to a feed.
    raw_server.set("/moved.xml", b"<!doctype html><html><body>not found</body></html>", html_headers)
    typed = raw_server.set("/site-a/", page("/moved.xml"), html_headers)
    result = await admin_add_feed(db, config, fetcher, typed, origin="chat")
    assert result.code == "discovered_not_feed" and "/moved.xml" in result.detail
    for lang in ("ar", "en"):
        told = _reply(result, lang, config, db, typed)
        assert "/moved.xml" in told and "لا تشير الصفحة" not in told and "does not point" not in told
    told = _reply(result, "ar", config, db, typed)
    assert "صفحة ويب" in told and not re.search("[A-Za-z]", told.replace(result.url or "", ""))

    # The page's feed link is a 404: the message says it was the feed, not the page typed.
    typed = raw_server.set("/site-b/", page("/missing.xml"), html_headers)
    result = await admin_add_feed(db, config, fetcher, typed, origin="chat")
    assert result.code == "discovered_http_status" and result.http_status == 404
    told = _reply(result, "ar", config, db, typed)
    assert "/missing.xml" in told and "404" in told
    assert not re.search("[A-Za-z]", told.replace(result.url or "", ""))  # not "HTTP 404 Not Found"

    # A feed found through the page is stored without the page's tracking parameters.
    raw_server.set("/feed.xml", rss([item(s) for s in ant_stories[:2]]).encode(), RSS)
    typed = raw_server.set("/site-c/", page("/feed.xml?utm_source=site&utm_medium=head"), html_headers)
    result = await admin_add_feed(db, config, fetcher, typed, origin="chat")
    assert result.ok and result.url == raw_server.base + "/feed.xml"

    # A server that answered in a way the bot cannot read: the Arabic reply gives the reason
    # too, and does not say the bot could not connect.
    unreadable = AddFeedResult("unreachable", "could not decompress the body (content encoding br)")
    told = _reply(unreadable, "ar", config, db, typed)
    assert "ترميز الضغط br غير مدعوم" in told and "لم يتمكن البوت من الاتصال" not in told


async def test_adding_a_malformed_feed_from_the_shell_says_so_and_counts_its_items(
    tmp_path: Path,
    db: Database,
    config: Config,
    fetcher: Fetcher,
    raw_server: RawServer,
    ant_stories: list[AntStory],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A bare "&" in a title: the lenient parser still reads every item.
    items = [item(s) for s in ant_stories[:3]]
    items[0]["title"] = items[0]["title"] + " & عاجل"
    url = raw_server.set("/amp", rss(items).encode(), RSS)
    result = await admin_add_feed(db, config, fetcher, url, origin="cli")
    assert result.ok and result.entries == 3 and result.malformed is not None

    cfg = tmp_path / "cli.toml"
    cfg.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "cli.sqlite3"}"\n'
        "[fetch]\nmin_interval = 1\nallow_private_addresses = true\n",
        encoding="utf-8",
    )
    well_formed = raw_server.set("/good", rss([item(s) for s in ant_stories[3:5]]).encode(), RSS)
    # The CLI runs its own event loop: in a thread, while this one serves the feeds.
    assert await asyncio.to_thread(main, ["--config", str(cfg), "feeds", "add", well_formed]) == 0
    out = capsys.readouterr().out
    assert "2 items in the feed now" in out and "malformed" not in out
    assert await asyncio.to_thread(main, ["--config", str(cfg), "feeds", "add", url]) == 0
    out = capsys.readouterr().out
    assert "3 items in the feed now" in out and "malformed" in out
    # And in the chat, in the admin's language.
    told = _reply(result, "ar", config, db, url)
    assert "مستند الخلاصة غير سليم البنية" in told and "٣" in told
    assert "the feed's document is malformed; 3 items were read" in _reply(result, "en", config, db, url)


# -- 10, 11. links ------------------------------------------------------------------------------


async def test_a_long_link_made_long_by_tracking_parameters_keeps_its_link(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    story = ant_stories[0]
    link = f"https://news.example/ar/{story.id}?id=7&utm_source=" + "x" * 2100
    feed_id = await add_feed(
        db, raw_server.set("/long", rss([item(story, link=html.escape(link))]).encode(), RSS)
    )
    await poll(db, config, fetcher, feed_id)
    (saved,) = await stored(db, feed_id)
    assert saved.url == f"https://news.example/ar/{story.id}?id=7"


async def test_undated_items_whose_links_change_on_every_fetch_are_not_sent_again(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    s = ant_stories

    def listing(fetch: int, *stories: AntStory) -> bytes:
        # No guid, no date, and a session id in every link that changes with each fetch.
        return rss(
            [
                item(x, guid="", link=f"https://news.example/news.php?id={x.id}&amp;sid={fetch}")
                for x in stories
            ]
        ).encode()

    feed_id = await add_feed(db, raw_server.set("/sid", listing(1, s[0], s[1]), RSS))
    await poll(db, config, fetcher, feed_id)
    for fetch in (2, 3):
        raw_server.set("/sid", listing(fetch, s[0], s[1]), RSS)
        again = await poll(db, config, fetcher, feed_id)
        assert again.stored_story_ids == [] and again.new_story_ids == []
    # A story with a new id is news, even with another's title and words (a daily story written
    # to a template), as long as the other is still listed under its own link.
    template = s[0].variant("next-day")
    raw_server.set("/sid", listing(4, s[0], s[1], template), RSS)
    latest = await poll(db, config, fetcher, feed_id)
    assert len(latest.new_story_ids) == 1


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_feed_is_read_whatever_charset_the_server_claims(encoding: str) -> None:
    document = (
        '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>قناة</title>'
        "<item><title>وزارة الصحة تفتتح مستشفى جديدا</title><link>https://news.example/1</link>"
        "<description>افتتحت وزارة الصحة اليوم مستشفى جديدا في العاصمة.</description></item>"
        "</channel></rss>"
    )
    bom = b"\xff\xfe" if encoding == "utf-16-le" else b"\xfe\xff"
    parsed = parse_feed(
        bom + document.encode(encoding),
        url="https://news.example/feed",
        headers={"Content-Type": "application/rss+xml; charset=utf-8"},  # a blanket server default
    )
    assert [e.title for e in parsed.entries] == ["وزارة الصحة تفتتح مستشفى جديدا"]
