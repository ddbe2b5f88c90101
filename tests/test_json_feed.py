"""JSON Feed (jsonfeed.org 1 and 1.1), which feedparser does not read: parsed into the same entries
as RSS and Atom, and polled, stored, summarised and searchable like them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config import Config
from bot.db.database import Database
from bot.feeds.fetcher import Fetcher
from bot.feeds.parser import FeedParseError, parse_feed
from bot.search.service import search
from tests.test_audit_feeds import RawServer, add_feed, poll, raw_server
from tests.test_feed_poller import config, fetcher
from tests.test_feed_poller import stories as stored

__all__ = ["config", "fetcher", "raw_server"]  # fixtures, used by name

LEAD = "أعلنت وزارة الصحة اليوم افتتاح مستشفى جديد في العاصمة يضم ثلاثمئة سرير."
MORE = "وقال الوزير إن المشروع تأخر عامين بسبب نقص التمويل، وإن مستشفيين آخرين سيفتتحان قبل نهاية العام."


def json_feed(items: list[dict[str, Any]], version: str = "1.1") -> bytes:
    document = {
        "version": f"https://jsonfeed.org/version/{version}",
        "title": "أخبار الصحة",
        "home_page_url": "https://news.example/",
        "items": items,
    }
    return json.dumps(document, ensure_ascii=False).encode()


ITEMS: list[dict[str, Any]] = [
    {
        "id": "https://news.example/2018/hospital",
        "url": "https://news.example/2018/hospital?utm_source=feed",
        "title": "افتتاح مستشفى جديد &amp; كبير",
        "content_html": f"<p>{LEAD}</p><p>{MORE}</p>",
        "date_published": "2018-05-01T09:30:00+03:00",
        "tags": ["صحة", "العاصمة"],
    },
    {
        "id": "2",
        "url": "https://news.example/2018/schools",
        "title": "المدارس تستأنف الدراسة",
        "content_text": "استأنفت المدارس الدراسة صباح اليوم بعد عطلة استمرت أسبوعين.\n\nوقالت الوزارة إن <الحضور> كان كاملا.",
        "date_published": "2018-05-02T07:00:00Z",
    },
]


@pytest.mark.parametrize("version", ["1", "1.1"])
def test_a_json_feed_gives_entries_like_rss(version: str) -> None:
    parsed = parse_feed(json_feed(ITEMS, version), url="https://news.example/feed.json")
    assert parsed.title == "أخبار الصحة" and parsed.link == "https://news.example/"
    first, second = parsed.entries
    assert first.title == "افتتاح مستشفى جديد & كبير"
    assert first.url == "https://news.example/2018/hospital"  # tracking parameter stripped, as for RSS
    assert first.published == datetime(2018, 5, 1, 6, 30, tzinfo=UTC)
    assert first.categories == ["صحة", "العاصمة"]
    assert LEAD in first.content_html
    # content_text is text: "<الحضور>" stays words, not a tag.
    assert "&lt;الحضور&gt;" in second.content_html
    assert first.key != second.key


@pytest.mark.parametrize(
    "body",
    [
        b'{"version": "1.0", "items": []}',
        b'{"items": [',
        b"{}",
        b'{"version": "https://jsonfeed.org/version/1", "items": 3}',
    ],
)
def test_other_json_is_refused_or_empty_not_an_error(body: bytes) -> None:
    try:
        parsed = parse_feed(body, url="https://news.example/feed.json")
    except FeedParseError as exc:
        assert str(exc).startswith("not a feed")
    else:
        assert parsed.entries == []


async def test_a_json_feed_is_polled_stored_summarised_and_found(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer
) -> None:
    url = raw_server.set("/feed.json", json_feed(ITEMS), {"Content-Type": "application/feed+json"})
    feed_id = await add_feed(db, url)
    await poll(db, config, fetcher, feed_id)
    stories = {s.title: s for s in await stored(db, feed_id)}
    assert set(stories) == {"افتتاح مستشفى جديد & كبير", "المدارس تستأنف الدراسة"}
    assert stories["افتتاح مستشفى جديد & كبير"].summary[0] == LEAD
    assert stories["المدارس تستأنف الدراسة"].text.startswith("استأنفت المدارس")
    found = await search(db, "المستشفى")
    assert [hit.title for hit in found.hits] == ["افتتاح مستشفى جديد & كبير"]
