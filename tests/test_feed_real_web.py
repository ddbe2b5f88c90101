"""Feeds as the real Arabic web writes them (QA, 2026-12-07): numeric and Arabic dates, ISO-8859-6
served as windows-1256, Arabic saved as UTF-8 twice, a DOCTYPE on the XML declaration's line, a
feed linked only as rss.aspx.

Each test serves the outlet's exact bytes and headers from the audit's RawServer and goes through
the real parse path (poll_feed, add_feed, parse_feed), checking what a subscriber or an admin sees:
the stored title, text and date, the news pushed, the feed found.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest

from bot.admin.feeds import add_feed as admin_add_feed
from bot.clock import as_utc, utcnow
from bot.config import Config
from bot.db.database import Database
from bot.feeds.fetcher import Fetcher
from bot.feeds.parser import discover_feed_links, parse_feed
from bot.search.service import search
from summarizer import clean_text
from tests.fakes.feed_server import Story as AntStory
from tests.test_audit_feeds import RawServer, add_feed, item, poll, raw_server, rss
from tests.test_feed_poller import config, fetcher
from tests.test_feed_poller import stories as stored

__all__ = ["config", "fetcher", "raw_server"]  # fixtures, used by name

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- 1. dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        # Numeric, day first as the Arab world writes it: feedparser read 20 Dec 2007, 20 Nov 2025,
        # 20 Jul 2012 and 1 Dec 2026.
        ("07-12-2026 10:30:00", utc(2026, 12, 7, 10, 30)),
        ("25-11-2026 09:15 +0300", utc(2026, 11, 25, 6, 15)),
        ("12-07-2026", utc(2026, 7, 12)),
        ("2026/12/07 10:30", utc(2026, 12, 7, 10, 30)),
        ("07/12/2026 10:30", utc(2026, 12, 7, 10, 30)),
        ("07.12.2026 - 10:30", utc(2026, 12, 7, 10, 30)),
        ("٠٧-١٢-٢٠٢٦ ١٠:٣٠", utc(2026, 12, 7, 10, 30)),
        ("2026-12-07 10:30:00 +03:00", utc(2026, 12, 7, 7, 30)),
        ("07/25/2026 10:30", utc(2026, 7, 25, 10, 30)),  # only month first is a date
        # «-», «|», «،» and «الساعة» before the time; ص and م, صباحًا and مساءً.
        ("الإثنين ٧ ديسمبر ٢٠٢٦ - ١٠:٣٠ ص", utc(2026, 12, 7, 10, 30)),
        ("٧ ديسمبر ٢٠٢٦ | 10:30 م", utc(2026, 12, 7, 22, 30)),
        ("الأحد 06 ديسمبر 2026 الساعة 14:45", utc(2026, 12, 6, 14, 45)),
        ("الأحد، ٦ ديسمبر ٢٠٢٦، الساعة ٠٢:٤٥ مساءً", utc(2026, 12, 6, 14, 45)),
        ("06 ديسمبر 2026 02:45 صباحًا", utc(2026, 12, 6, 2, 45)),
        ("ديسمبر 7, 2026 10:30 ص", utc(2026, 12, 7, 10, 30)),
        ("٧ ديسمبر ٢٠٢٦ م", utc(2026, 12, 7)),  # the Gregorian era, not the afternoon
        # Zones of Africa, Iran and Pakistan, and IANA names written in place of an offset.
        ("Mon, 07 Dec 2026 10:30:00 CAT", utc(2026, 12, 7, 8, 30)),
        ("Mon, 07 Dec 2026 10:30:00 EAT", utc(2026, 12, 7, 7, 30)),
        ("Mon, 07 Dec 2026 10:30:00 WAT", utc(2026, 12, 7, 9, 30)),
        ("Mon, 07 Dec 2026 10:30:00 SAST", utc(2026, 12, 7, 8, 30)),
        ("Mon, 07 Dec 2026 10:30:00 IRST", utc(2026, 12, 7, 7)),
        ("Mon, 07 Dec 2026 10:30:00 PKT", utc(2026, 12, 7, 5, 30)),
        ("Mon, 07 Dec 2026 10:30:00 Asia/Riyadh", utc(2026, 12, 7, 7, 30)),
        ("Mon, 07 Dec 2026 10:30:00 Africa/Cairo", utc(2026, 12, 7, 8, 30)),
        ("Wed, 01 Jul 2026 10:30:00 Europe/Paris", utc(2026, 7, 1, 8, 30)),  # summer time
        # A date neither we nor feedparser can read is undated (the time it was fetched), not the
        # 20 Dec 2007 feedparser made of it.
        ("07-12-2026 10:30:00 IST", None),
    ],
)
def test_dates_as_the_arab_web_writes_them(
    ant_stories: list[AntStory], written: str, meant: datetime | None
) -> None:
    fields = {"link": "", "guid": "", "pubDate": written}
    (entry,) = parse_feed(rss([item(ant_stories[0], **fields)]).encode(), url="https://n.example/rss").entries
    assert entry.published == meant


async def test_fresh_stories_dated_day_month_year_are_delivered(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # Read as 2007, six fresh stories looked like an archive dump: stored, never pushed.
    now = utcnow().replace(microsecond=0)

    def written(when: datetime) -> str:
        return when.strftime("%d-%m-%Y %H:%M:%S")

    old = [item(s, pubDate=written(now - timedelta(hours=5 + i))) for i, s in enumerate(ant_stories[10:13])]
    feed_id = await add_feed(db, raw_server.set("/dmy", rss(old).encode(), RSS))
    await poll(db, config, fetcher, feed_id)
    fresh = [item(s, pubDate=written(now - timedelta(minutes=i))) for i, s in enumerate(ant_stories[:6])]
    raw_server.set("/dmy", rss(fresh + old).encode(), RSS)
    result = await poll(db, config, fetcher, feed_id)
    assert len(result.new_story_ids) == 6
    dates = {s.title: as_utc(s.published_at) for s in await stored(db, feed_id)}
    assert dates[ant_stories[0].title] == now and dates[ant_stories[5].title] == now - timedelta(minutes=5)
    assert dates[ant_stories[10].title] == now - timedelta(hours=5)


# -- 2. ISO-8859-6 under another label ----------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "declaration"),
    [
        ("text/xml; charset=windows-1256", "ISO-8859-6"),
        ("text/xml; charset=windows-1256", ""),
        ("text/xml; charset=ISO-8859-1", ""),
    ],
)
async def test_iso_8859_6_labelled_windows_1256_or_western_is_readable(
    db: Database,
    config: Config,
    fetcher: Fetcher,
    raw_server: RawServer,
    ant_stories: list[AntStory],
    content_type: str,
    declaration: str,
) -> None:
    # Read as windows-1256, ISO-8859-6 came out as «èزارة انصحة»: و ي ى as è ê é, ال as ان.
    prolog = f'<?xml version="1.0" encoding="{declaration}"?>' if declaration else '<?xml version="1.0"?>'
    body = rss([item(s) for s in ant_stories[:3]], declaration=prolog).encode("iso8859_6", errors="ignore")
    feed_id = await add_feed(db, raw_server.set("/iso", body, {"Content-Type": content_type}))
    await poll(db, config, fetcher, feed_id)
    got = {s.title: s.text for s in await stored(db, feed_id)}
    for story in ant_stories[:3]:
        title, abstract = (
            x.encode("iso8859_6", errors="ignore").decode("iso8859_6") for x in (story.title, story.abstract)
        )
        assert got[title].startswith(clean_text(abstract)[:60])


@pytest.mark.parametrize(
    ("content_type", "declaration"),
    [("text/xml; charset=ISO-8859-6", ""), ("text/xml; charset=windows-1256", "ISO-8859-6")],
)
async def test_windows_1256_labelled_iso_8859_6_stays_readable(
    db: Database,
    config: Config,
    fetcher: Fetcher,
    raw_server: RawServer,
    ant_stories: list[AntStory],
    content_type: str,
    declaration: str,
) -> None:
    # The other way round: whichever label is wrong, the bytes that read as Arabic win.
    prolog = f'<?xml version="1.0" encoding="{declaration}"?>' if declaration else '<?xml version="1.0"?>'
    body = rss([item(s) for s in ant_stories[:3]], declaration=prolog).encode("cp1256", errors="ignore")
    feed_id = await add_feed(db, raw_server.set("/cp", body, {"Content-Type": content_type}))
    await poll(db, config, fetcher, feed_id)
    titles = sorted(s.title for s in await stored(db, feed_id))
    assert titles == sorted(
        s.title.encode("cp1256", errors="ignore").decode("cp1256") for s in ant_stories[:3]
    )


# -- 3. Arabic saved as UTF-8 twice -------------------------------------------------------------


def twice_encoded(text: str) -> str:
    """UTF-8 read as windows-1252 (its five undefined bytes kept as themselves), as CMSs do."""
    return "".join(
        chr(byte) if byte in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([byte]).decode("cp1252")
        for byte in text.encode("utf-8")
    )


async def test_an_item_saved_as_utf8_twice_is_arabic_and_found(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # «Ø§Ù„…» was shown as is, its text dropped as not Arabic, and search could not find it.
    story, others = ant_stories[0], ant_stories[1:3]
    title = f"“عاجل” {story.title}"  # curly quotes: repaired, not straightened
    broken = item(
        story, title=html.escape(twice_encoded(title)), description=html.escape(twice_encoded(story.abstract))
    )
    feed_id = await add_feed(
        db, raw_server.set("/moj", rss([broken, *(item(s) for s in others)]).encode(), RSS)
    )
    await poll(db, config, fetcher, feed_id)
    got = {s.title: s for s in await stored(db, feed_id)}
    assert sorted(got) == sorted([title, *(s.title for s in others)])
    assert got[title].text.startswith(clean_text(story.abstract)[:60]) and got[title].summary
    page = await search(db, story.title.split()[1], limit=50, fts=False)
    assert got[title].id in {hit.story_id for hit in page.hits}


async def test_an_item_saved_as_utf8_read_as_windows_1256_is_arabic_and_found(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # The other common form: «ط§ظ„ط¹ط±ط¨ظٹط©» for «العربية», Arabic letters that ftfy does not read.
    story, others = ant_stories[0], ant_stories[1:3]

    def as_1256(text: str) -> str:
        return text.encode("utf-8").decode("cp1256")

    broken = item(
        story, title=html.escape(as_1256(story.title)), description=html.escape(as_1256(story.abstract))
    )
    feed_id = await add_feed(
        db, raw_server.set("/moj1256", rss([broken, *(item(s) for s in others)]).encode(), RSS)
    )
    await poll(db, config, fetcher, feed_id)
    got = {s.title: s for s in await stored(db, feed_id)}
    assert sorted(got) == sorted([story.title, *(s.title for s in others)])
    assert got[story.title].text.startswith(clean_text(story.abstract)[:60])
    page = await search(db, story.title.split()[1], limit=50, fts=False)
    assert got[story.title].id in {hit.story_id for hit in page.hits}
    # Real Arabic with ط and ظ in it is left as it is.
    for real in ("ضابط ظهر في الطريق إلى المطار ظهرا", "طالب يحفظ الخطوط"):
        assert parse_feed(rss([item(story, title=real)]).encode(), url="http://x/").entries[0].title == real


async def test_a_feed_saved_as_utf8_twice_is_arabic_throughout(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    # The whole document: the feed's name the admin is shown, its categories, its stories.
    listed = [item(s, category="منوعات") for s in ant_stories[:3]]
    body = twice_encoded(rss(listed)).encode("utf-8")
    added = await admin_add_feed(db, config, fetcher, raw_server.set("/all", body, RSS), origin="cli")
    assert added.ok and added.name == "أخبار" and added.malformed is None
    assert added.feed_id is not None
    await poll(db, config, fetcher, added.feed_id)
    saved = await stored(db, added.feed_id)
    assert sorted(s.title for s in saved) == sorted(s.title for s in ant_stories[:3])
    assert all(s.categories == ["منوعات"] and s.text for s in saved)


# -- 4. a DOCTYPE on the XML declaration's line -------------------------------------------------

NETSCAPE = (
    '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
    '"http://my.netscape.com/publish/formats/rss-0.91.dtd">'
)


@pytest.mark.parametrize(
    "doctype",
    [
        NETSCAPE,  # on the declaration's line: expat dropped &nbsp; and glued the words
        "\n" + NETSCAPE + "\n",  # on its own line: read, but reported as a malformed feed
        '<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]>',
    ],
)
async def test_html_entities_after_a_doctype_keep_their_spaces_and_marks(
    db: Database,
    config: Config,
    fetcher: Fetcher,
    raw_server: RawServer,
    ant_stories: list[AntStory],
    doctype: str,
) -> None:
    story = ant_stories[0]
    listed = [
        item(story, title="عاجل&nbsp;:&nbsp;الوزير يصل&nbsp;إلى بيروت"),
        item(
            ant_stories[1],
            description="وصل الوزير&nbsp;إلى بيروت في زيارة &laquo;رسمية&raquo; تستمر يومين&hellip;",
        ),
    ]
    body = rss(listed, declaration='<?xml version="1.0" encoding="utf-8"?>' + doctype).encode()
    added = await admin_add_feed(db, config, fetcher, raw_server.set("/dt", body, RSS), origin="cli")
    assert added.ok and added.malformed is None and added.feed_id is not None
    await poll(db, config, fetcher, added.feed_id)
    got = {s.title: s.text for s in await stored(db, added.feed_id)}
    assert sorted(got) == sorted(["عاجل : الوزير يصل إلى بيروت", ant_stories[1].title])
    assert got[ant_stories[1].title] == "وصل الوزير إلى بيروت في زيارة «رسمية» تستمر يومين…"


# -- 5. a feed linked as rss.aspx ---------------------------------------------------------------


async def test_a_home_page_linking_its_feed_as_rss_aspx_is_added(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, ant_stories: list[AntStory]
) -> None:
    page = (
        '<html><head><title>الموقع</title></head><body><a href="/feedback.php">راسلنا</a>'
        '<a href="/services/rss.aspx?cat=1">خدمة RSS</a></body></html>'
    ).encode()
    home = raw_server.set("/", page, {"Content-Type": "text/html; charset=utf-8"})
    raw_server.set("/services/rss.aspx", rss([item(s) for s in ant_stories[:2]]).encode(), RSS)
    added = await admin_add_feed(db, config, fetcher, home, origin="cli")
    assert added.ok, added.detail
    assert added.url == raw_server.base + "/services/rss.aspx?cat=1" and added.entries == 2


def test_feed_links_named_anywhere_in_the_last_segment_come_after_the_surer_ones() -> None:
    page = (
        b'<a href="/rss.php">1</a><a href="/feedback.php">x</a><a href="/anatomy.html">x</a>'
        b'<a href="/news/feed.php?c=2">2</a><a href="/ar/rss?cat=1">3</a><a href="/ar/getrss.asp">4</a>'
        b'<a href="/rss.xml">0</a>'
    )
    assert discover_feed_links(page, "https://site.example/") == [
        "https://site.example/ar/rss?cat=1",
        "https://site.example/rss.xml",
        "https://site.example/rss.php",
        "https://site.example/news/feed.php?c=2",
        "https://site.example/ar/getrss.asp",
    ]
