"""Parsing feeds (RSS 0.9x/1.0/2.0, Atom, windows-1256, broken ones) and entry identity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.config import Config
from bot.feeds.dedup import fingerprint, same_story
from bot.feeds.fetcher import Fetcher
from bot.feeds.identity import entry_key, normalize_url, url_key
from bot.feeds.parser import FeedParseError, discover_feed_links, parse_feed
from tests.fakes.feed_server import FeedServer, Story, _Feed, render_feed

BASE = "http://127.0.0.1:1"


def _article_url(story_id: str, tracking: str | None = None) -> str:
    return f"{BASE}/articles/{story_id}" + (f"?utm_source={tracking}" if tracking else "")


def _render(stories: list[Story], fmt: str = "rss", **options: object) -> bytes:
    feed = _Feed(name="news", items=list(stories), title="أخبار")
    for key, value in options.items():
        setattr(feed, key, value)
    return render_feed(feed, fmt, BASE, _article_url)


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_rss_and_atom_give_the_same_entries(ant_stories: list[Story], fmt: str) -> None:
    stories = ant_stories[:4]
    parsed = parse_feed(_render(stories, fmt, description="full"), url=f"{BASE}/feed")
    assert [e.title for e in parsed.entries] == [s.title for s in stories]
    entry = parsed.entries[0]
    assert entry.url == f"{BASE}/articles/{stories[0].id}"  # tracking parameter stripped
    assert entry.published == stories[0].published
    assert entry.categories == [stories[0].category]
    assert stories[0].text.split("\n")[0][:40] in entry.content_html
    assert parsed.title == "أخبار"


def test_windows_1256_feed_comes_out_as_arabic(ant_stories: list[Story]) -> None:
    stories = ant_stories[:3]
    body = _render(stories, encoding="windows-1256")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    parsed = parse_feed(body, url=f"{BASE}/feed", headers={"content-type": "application/rss+xml"})
    assert [e.title for e in parsed.entries] == [s.title for s in stories]
    assert stories[0].abstract[:30] in parsed.entries[0].summary_html


def test_rss_091_and_rdf() -> None:
    rss091 = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="0.91"><channel><title>t</title>'
        b"<item><title>\xd8\xae\xd8\xa8\xd8\xb1</title><link>http://example.com/a</link>"
        b"<description>d</description></item></channel></rss>"
    )
    rdf = (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="http://example.com/"><title>t</title>'
        b'<link>http://example.com/</link></channel><item rdf:about="http://example.com/b">'
        b"<title>b</title><link>http://example.com/b</link></item></rdf:RDF>"
    )
    assert parse_feed(rss091, url="http://example.com/f").entries[0].title == "خبر"
    parsed = parse_feed(rdf, url="http://example.com/f")
    assert parsed.version == "rss10" and parsed.entries[0].url == "http://example.com/b"


def test_html_page_is_not_a_feed() -> None:
    page = b"<!DOCTYPE html><html><head><title>x</title></head><body><p>hello</p></body></html>"
    with pytest.raises(FeedParseError, match="not a feed: got an HTML page"):
        parse_feed(page, url="http://example.com/")


def test_garbage_is_not_a_feed() -> None:
    with pytest.raises(FeedParseError, match=r"^not a feed"):
        parse_feed(b"<<<this is not a feed>>> {{}}", url="http://example.com/")
    with pytest.raises(FeedParseError, match="empty body"):
        parse_feed(b"  ", url="http://example.com/")


def test_bozo_feed_with_entries_is_accepted(ant_stories: list[Story]) -> None:
    body = _render(ant_stories[:3])
    broken = body.replace(b"</channel></rss>", b"<item><title>broken &nbsp; </title>")
    parsed = parse_feed(broken, url=f"{BASE}/feed")
    assert parsed.bozo_reason is not None
    assert [e.title for e in parsed.entries][:3] == [s.title for s in ant_stories[:3]]


def test_rss_ttl_is_read(ant_stories: list[Story]) -> None:
    assert parse_feed(_render(ant_stories[:1], ttl=30), url=BASE).ttl_seconds == 1800


def test_entry_keys_guid_then_link_then_hash(ant_stories: list[Story]) -> None:
    story = ant_stories[0]
    by_guid = parse_feed(_render([story], guid="id"), url=BASE).entries[0]
    by_link = parse_feed(_render([story], guid="none"), url=BASE).entries[0]
    by_hash = parse_feed(_render([story], guid="none", link="none"), url=BASE).entries[0]
    assert by_guid.key == f"guid:{story.id}"
    assert by_link.key == f"url:127.0.0.1:1/articles/{story.id}"  # without utm_source
    assert by_hash.key.startswith("hash:")
    assert by_hash.key == parse_feed(_render([story], guid="none", link="none"), url=BASE).entries[0].key
    other_date = story.variant("x", published=datetime(2019, 1, 1, tzinfo=UTC))
    other = parse_feed(_render([other_date], guid="none", link="none"), url=BASE).entries[0]
    assert other.key != by_hash.key


def test_url_normalisation() -> None:
    url = "HTTPS://www.Example.com:443/news/%D8%AE%D8%A8%D8%B1?utm_source=tw&id=7&fbclid=x&gclid=y#top"
    assert normalize_url(url) == "https://www.example.com/news/%D8%AE%D8%A8%D8%B1?id=7"
    assert (
        normalize_url("https://example.com/news/خبر?id=7")
        == "https://example.com/news/%D8%AE%D8%A8%D8%B1?id=7"
    )
    assert url_key("http://example.com/a?b=2&a=1") == url_key(
        "https://www.example.com/a?a=1&b=2&utm_medium=rss"
    )
    assert entry_key("https://example.com/a?utm_source=x", None, None, None) == entry_key(
        None, "http://www.example.com/a", None, None
    )


async def test_discover_feed_links_on_the_servers_home_page(
    feed_server: FeedServer, config_factory: Callable[..., Config]
) -> None:
    url = feed_server.add_feed("news", feed_server.stories[:2])
    async with Fetcher(config_factory().fetch) as fetcher:
        page = await fetcher.fetch(feed_server.site_url("news"), accept="html")
    assert discover_feed_links(page.content, page.final_url) == [url, feed_server.url_for("news", "atom")]


def test_discover_feed_links() -> None:
    page = (
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        b'<link rel="alternate" type="application/atom+xml" href="https://example.com/atom">'
        b'<link rel="stylesheet" href="/s.css"></head><body><a href="/feed/">feed</a>'
        b'<a href="/about">about</a></body></html>'
    )
    assert discover_feed_links(page, "https://example.com/news/") == [
        "https://example.com/rss.xml",
        "https://example.com/atom",
        "https://example.com/feed/",
    ]


def test_near_duplicate_detection(ant_stories: list[Story]) -> None:
    story = ant_stories[0]
    words = story.title.split()
    words[1] = "تحالفتا"
    edited = " ".join(words)
    assert same_story(story.title, story.abstract, edited, story.text)  # lead vs full body
    assert not same_story(story.title, story.abstract, ant_stories[1].title, ant_stories[1].abstract)
    assert fingerprint("قصير", "جدا") is None


def _atom_with_base(base: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{base}">
<title>أخبار</title>
<entry xml:base="section/"><title>خبر أول</title><id>tag:a,1</id>
<link href="story-1.html"/><updated>2018-03-01T10:00:00Z</updated>
<summary>أعلنت الحكومة اليوم خطة جديدة.</summary></entry>
<entry><title>خبر ثان</title><id>tag:a,2</id>
<link href="/top/story-2.html"/><updated>2018-03-01T09:00:00Z</updated>
<summary>وصل الوفد إلى العاصمة صباح اليوم.</summary></entry>
</feed>""".encode()


def test_relative_links_resolve_against_each_documents_xml_base() -> None:
    # feedparser's base resolution is memoised (parser.py): two feeds with their own bases, parsed
    # one after the other, must each keep theirs.
    first = parse_feed(_atom_with_base("https://one.example/news/"), url="https://feeds.example/a.xml")
    assert [e.url for e in first.entries] == [
        "https://one.example/news/section/story-1.html",
        "https://one.example/top/story-2.html",
    ]
    second = parse_feed(_atom_with_base("https://two.example/ar/"), url="https://feeds.example/b.xml")
    assert [e.url for e in second.entries] == [
        "https://two.example/ar/section/story-1.html",
        "https://two.example/top/story-2.html",
    ]
    # A base that is no web address (javascript:) is ignored: links resolve against the feed's URL.
    unsafe = parse_feed(_atom_with_base("javascript:alert(1)//"), url="https://feeds.example/c/feed.xml")
    assert [e.url for e in unsafe.entries] == [
        "https://feeds.example/c/section/story-1.html",
        "https://feeds.example/top/story-2.html",
    ]


def test_a_feedburner_item_links_to_the_article_behind_the_redirect() -> None:
    document = """<?xml version="1.0"?>
<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><title>t</title>
<item><title>خبر</title><link>http://feedproxy.google.com/~r/site/~3/abc/</link>
<feedburner:origLink>https://www.site.example/news/1?utm_source=feedburner</feedburner:origLink>
<description>أعلنت الحكومة اليوم خطة جديدة.</description></item>
<item><title>خبر آخر</title><link>http://feedproxy.google.com/~r/site/~3/def/</link>
<feedburner:origLink>javascript:alert(1)</feedburner:origLink>
<description>وصل الوفد إلى العاصمة.</description></item>
</channel></rss>""".encode()
    first, second = parse_feed(document, url="https://feeds.feedburner.com/site").entries
    assert first.url == "https://www.site.example/news/1"  # the card's link, tracking stripped
    # The key stays the feed's own link: items stored before keep their identity (nothing resent).
    assert first.key == entry_key(None, "http://feedproxy.google.com/~r/site/~3/abc/", "خبر", None)
    assert second.url == "http://feedproxy.google.com/~r/site/~3/def/"  # no web address: the link
