"""Polling an unchanged feed (the 304 cycle): cheap, and still everything it did.

The fetcher sends its requests to the transport itself, not through an httpx.AsyncClient, and
answers httpcore's "is this idle connection readable?" itself: what a feed server sees (headers,
cookies, connections) and what the poll records stay as they were.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest

from bot.clock import as_utc, utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed
from bot.feeds.fetcher import Fetcher
from bot.feeds.poller import poll_feed
from tests.fakes.feed_server import FeedServer


async def _add_feed(db: Database, url: str, interval: float) -> int:
    async with db.write() as session:
        feed = Feed(url=url, name="الأخبار", interval=interval, origin="cli")
        session.add(feed)
        await session.flush()
        return feed.id


async def _feed(db: Database, feed_id: int) -> Feed:
    async with db.read() as session:
        feed = await session.get(Feed, feed_id)
        assert feed is not None
        return feed


async def test_an_unchanged_poll_records_its_check_and_schedules_the_next(
    db: Database, config_factory: Callable[..., Config], feed_server: FeedServer
) -> None:
    """A 304 is a success: the check is recorded (the admin's /feed shows it), a failure streak
    ends, the validators are kept for the next conditional GET, and the next poll is an interval on."""
    config = config_factory()
    feed_id = await _add_feed(db, feed_server.add_feed("news", feed_server.stories[:3]), interval=900)
    async with Fetcher(config.fetch) as fetcher:
        first = await poll_feed(db, config, fetcher, feed_id)
        assert len(first.stored_story_ids) == 3
        stored = await _feed(db, feed_id)
        async with db.write() as session:  # a failure streak, as after an outage
            row = await session.get(Feed, feed_id)
            assert row is not None
            row.consecutive_errors = 2
        before = utcnow()
        again = await poll_feed(db, config, fetcher, feed_id)
    assert again.not_modified and again.error is None and again.stored_story_ids == []
    feed = await _feed(db, feed_id)
    assert feed.consecutive_errors == 0
    assert feed.etag == stored.etag and feed.last_modified == stored.last_modified
    assert feed.last_checked_at is not None and as_utc(feed.last_checked_at) >= before
    assert feed.last_success_at == feed.last_checked_at
    assert feed.next_check_at is not None
    assert as_utc(feed.next_check_at) - as_utc(feed.last_checked_at) == timedelta(seconds=900)
    requests = feed_server.requests("news")
    assert [r.status for r in requests] == [200, 304]
    assert requests[1].if_none_match == stored.etag


async def test_requests_carry_the_same_headers_as_before(config_factory: Callable[..., Config]) -> None:
    """What httpx.AsyncClient sent for the fetcher, header for header and in order."""
    config = config_factory()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(304)

    async with Fetcher(config.fetch, transport=httpx.MockTransport(handler)) as fetcher:
        await fetcher.fetch(
            "http://feeds.example/rss?a=1", etag='"v1"', last_modified="Mon, 07 Dec 2026 10:00:00 GMT"
        )
        await fetcher.fetch("http://feeds.example/page", accept="html")
    conditional, page = seen
    assert conditional.headers.multi_items() == [
        ("host", "feeds.example"),
        ("connection", "keep-alive"),
        ("user-agent", config.fetch.user_agent),
        ("accept-encoding", "gzip, deflate"),
        ("accept", conditional.headers["accept"]),
        ("if-none-match", '"v1"'),
        ("if-modified-since", "Mon, 07 Dec 2026 10:00:00 GMT"),
    ]
    assert conditional.headers["accept"].startswith("application/rss+xml")
    assert str(conditional.url) == "http://feeds.example/rss?a=1"
    assert page.headers["accept"].startswith("text/html")
    assert "if-none-match" not in page.headers and "cookie" not in page.headers
    assert conditional.extensions["timeout"] == {"connect": 2.0, "read": 5.0, "write": 5.0, "pool": 7.0}


async def test_a_cookie_a_feed_sets_is_sent_back_to_it_only(config_factory: Callable[..., Config]) -> None:
    """A feed behind a cookie check (set on the first answer, required after) keeps working;
    another host never gets that cookie."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "guarded.example" and "cookie" not in request.headers:
            return httpx.Response(200, content=b"<rss/>", headers={"set-cookie": "pass=ok; Path=/"})
        return httpx.Response(304)

    async with Fetcher(config_factory().fetch, transport=httpx.MockTransport(handler)) as fetcher:
        await fetcher.fetch("http://guarded.example/rss")
        assert (await fetcher.fetch("http://guarded.example/rss", etag='"x"')).not_modified
        await fetcher.fetch("http://other.example/rss")
    assert [r.headers.get("cookie") for r in seen] == [None, "pass=ok", None]


@pytest.fixture
async def closing_server() -> AsyncIterator[tuple[str, list[int], asyncio.Event]]:
    """An HTTP server that answers each connection's first request with a 304 and then closes
    that connection without saying so (no Connection: close), as a server whose keep-alive
    timeout ran out does. Yields (url, peer ports seen, set once the first connection is closed)."""
    peers: list[int] = []
    closed = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer.get_extra_info("peername")[1])
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 0\r\n\r\n')
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        closed.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/rss", peers, closed
    finally:
        server.close()
        await server.wait_closed()


async def test_a_connection_the_server_closed_while_idle_is_not_reused(
    config_factory: Callable[..., Config], closing_server: tuple[str, list[int], asyncio.Event]
) -> None:
    """A pooled connection the server has closed is seen as such before the next request and
    replaced: the next poll succeeds instead of failing with "server disconnected"."""
    url, peers, closed = closing_server
    async with Fetcher(config_factory().fetch) as fetcher:
        assert (await fetcher.fetch(url, etag='"v1"')).not_modified
        await closed.wait()
        again = await fetcher.fetch(url, etag='"v1"')
    assert again.not_modified
    assert len(peers) == 2 and peers[0] != peers[1]  # a new connection for the second poll


async def test_an_etag_outside_ascii_is_sent_back_as_the_server_sent_it(
    config_factory: Callable[..., Config],
) -> None:
    """A server whose ETag has a byte outside ASCII (a stray «é», Arabic in UTF-8): the second
    poll failed with an encoding error, and so did every poll after it."""
    sent = ['"r\xe9v-1"'.encode("latin-1"), '"نسخة-2"'.encode()]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "if-none-match" in request.headers:
            return httpx.Response(304)
        etag = sent[0] if request.url.path == "/latin" else sent[1]
        return httpx.Response(200, content=b"<rss/>", headers=[(b"ETag", etag)])

    async with Fetcher(config_factory().fetch, transport=httpx.MockTransport(handler)) as fetcher:
        for path in ("/latin", "/arabic"):
            first = await fetcher.fetch(f"http://feeds.example{path}")
            again = await fetcher.fetch(f"http://feeds.example{path}", etag=first.etag)
            assert again.not_modified
        # A validator an earlier release stored from httpx's UTF-8 reading: a plain GET, no error.
        plain = await fetcher.fetch("http://feeds.example/arabic", etag='"نسخة-2"')
        assert plain.status == 200
    conditional = [r.headers.raw for r in seen if "if-none-match" in r.headers]
    assert [{k.lower(): v for k, v in raw}[b"if-none-match"] for raw in conditional] == sent
