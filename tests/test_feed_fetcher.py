"""The feed fetcher against the local feed server: politeness, limits, faults and the address guard."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from bot.config import Config
from bot.feeds.fetcher import Fetcher, FetchError, cache_max_age, check_public_address, parse_retry_after
from tests.fakes.feed_server import FeedServer


async def test_polite_request_and_conditional_get(
    feed_server: FeedServer, config_factory: Callable[..., Config]
) -> None:
    config = config_factory()
    url = feed_server.add_feed("news", feed_server.stories[:3])
    async with Fetcher(config.fetch) as fetcher:
        first = await fetcher.fetch(url)
        assert first.status == 200 and not first.not_modified
        assert b"<rss" in first.content  # decompressed
        assert first.etag and first.last_modified
        second = await fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.content == b""
    assert second.etag == first.etag
    requests = feed_server.requests("news")
    assert [r.status for r in requests] == [200, 304]
    assert requests[0].user_agent == config.fetch.user_agent
    assert "gzip" in (requests[0].accept_encoding or "")
    assert requests[1].if_none_match == first.etag


async def test_an_unchanged_feed_is_polled_again_over_the_same_connection(
    feed_server: FeedServer, config_factory: Callable[..., Config]
) -> None:
    """A 304 is read to its end, so the connection goes back to the pool: a feed server is not
    handed a new TCP connection (a new TLS handshake, on https) for every unchanged poll."""
    url = feed_server.add_feed("steady", feed_server.stories[:3])
    async with Fetcher(config_factory().fetch) as fetcher:
        first = await fetcher.fetch(url)
        for _ in range(3):
            again = await fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
            assert again.not_modified
    requests = feed_server.requests("steady")
    assert [r.status for r in requests] == [200, 304, 304, 304]
    assert len({r.peer for r in requests}) == 1 and requests[0].peer is not None


async def test_a_host_left_idle_gets_its_connection_closed(
    config_factory: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fetcher does not hold a socket open to every feed host it ever polled (a file
    descriptor each, on an instance with hundreds of hosts polled every few minutes): a host not
    used for a keep-alive period has its connection closed, and its next poll opens a new one.
    The period is made zero here so that no test waits for it."""
    from bot.feeds import fetcher as fetcher_module

    async with FeedServer(ports=2) as server:
        one = server.add_feed("one", server.stories[:2])
        two = server.add_feed("two", server.stories[2:4])
        assert urlsplit(one).port != urlsplit(two).port
        async with Fetcher(config_factory().fetch) as fetcher:
            await fetcher.fetch(one)
            await fetcher.fetch(one)  # within the period: the same connection
            monkeypatch.setattr(fetcher_module, "_KEEPALIVE", 0.0)
            await fetcher.fetch(two)  # host one idle since: its connection is closed
            await fetcher.fetch(one)
        peers = [r.peer for r in server.requests("one")]
    assert peers[0] is not None
    assert peers[0] == peers[1] and peers[2] != peers[1]


async def test_gzip_body_is_decompressed(config_factory: Callable[..., Config]) -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=gzip.compress(body), headers={"Content-Encoding": "gzip"})

    config = config_factory()
    async with Fetcher(config.fetch, transport=httpx.MockTransport(handler)) as fetcher:
        result = await fetcher.fetch("http://127.0.0.1/feed")
    assert result.content == body


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("500", "HTTP 500 Internal Server Error"),
        ("404", "HTTP 404 Not Found"),
        ("truncated", "connection closed before the body was complete"),
        ("huge", "body larger than 1 MB"),
        ("redirect_loop", "redirect loop"),
    ],
)
async def test_faults_become_readable_reasons(
    feed_server: FeedServer, config_factory: Callable[..., Config], fault: str, reason: str
) -> None:
    config = config_factory(fetch={"max_body_bytes": 1024 * 1024})
    url = feed_server.add_feed("news", feed_server.stories[:3])
    feed_server.set_fault("news", fault)
    async with Fetcher(config.fetch) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
    assert caught.value.reason.startswith(reason)


async def test_slow_server_times_out(feed_server: FeedServer, config_factory: Callable[..., Config]) -> None:
    config = config_factory(fetch={"read_timeout": 0.3, "connect_timeout": 0.3})
    url = feed_server.add_feed("news", feed_server.stories[:3])
    feed_server.set_fault("news", "slow")
    async with Fetcher(config.fetch) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
    assert "timed out" in caught.value.reason


async def test_a_drip_fed_feed_does_not_time_out_a_healthy_one_waiting_for_the_same_host(
    config_factory: Callable[..., Config],
) -> None:
    """One slot per host; a feed that drips a byte every 0.1 s (never tripping the read timeout)
    holds it until its deadline. The healthy feed of the same host waits for the slot, then has
    its own full deadline: it is fetched, not blamed for the other's slowness."""
    from aiohttp import web

    arrived = asyncio.Event()

    async def drip(request: web.Request) -> web.StreamResponse:
        arrived.set()
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            while True:
                await response.write(b" ")
                await asyncio.sleep(0.1)
        return response

    async def healthy(request: web.Request) -> web.Response:
        return web.Response(body=b'<rss version="2.0"><channel><title>t</title></channel></rss>')

    app = web.Application()
    app.router.add_get("/drip", drip)
    app.router.add_get("/ok", healthy)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    config = config_factory(fetch={"read_timeout": 0.3, "connect_timeout": 0.3, "per_host_concurrency": 1})
    try:
        async with Fetcher(config.fetch) as fetcher:
            dripping = asyncio.create_task(fetcher.fetch(f"{base}/drip"))
            await arrived.wait()  # it holds the host's one slot now
            result = await fetcher.fetch(f"{base}/ok")
            with pytest.raises(FetchError, match="timed out"):
                await dripping
    finally:
        await runner.cleanup()
    assert result.status == 200 and b"<rss" in result.content


async def test_retry_after_is_reported(
    feed_server: FeedServer, config_factory: Callable[..., Config]
) -> None:
    url = feed_server.add_feed("news", feed_server.stories[:3])
    feed_server.set_fault("news", "503", retry_after=900)
    async with Fetcher(config_factory().fetch) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
    assert caught.value.status == 503 and caught.value.retry_after == 900


async def test_redirect_limit(config_factory: Callable[..., Config]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        n = int(request.url.path.strip("/") or 0)
        return httpx.Response(302, headers={"Location": f"/{n + 1}"})

    config = config_factory(fetch={"max_redirects": 3})
    async with Fetcher(config.fetch, transport=httpx.MockTransport(handler)) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch("http://127.0.0.1/0")
    assert caught.value.reason == "too many redirects (more than 3)"


async def test_redirects_are_followed_and_reported(config_factory: Callable[..., Config]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "/new"})
        return httpx.Response(200, content=b"<rss/>")

    async with Fetcher(config_factory().fetch, transport=httpx.MockTransport(handler)) as fetcher:
        result = await fetcher.fetch("http://127.0.0.1/old")
    assert result.final_url == "http://127.0.0.1/new" and result.redirects == ["http://127.0.0.1/new"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/feed",
        "http://localhost/feed",
        "http://10.1.2.3/feed",
        "http://192.168.0.1/feed",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/feed",
        "http://[::ffff:127.0.0.1]/feed",
        "http://0.0.0.0/feed",
    ],
)
async def test_private_addresses_are_refused(config_factory: Callable[..., Config], url: str) -> None:
    config = config_factory(fetch={"allow_private_addresses": False})
    async with Fetcher(config.fetch) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
    assert caught.value.reason.startswith("private address refused")


async def test_private_redirect_hop_is_refused(config_factory: Callable[..., Config]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://127.0.0.1/admin"})

    config = config_factory(fetch={"allow_private_addresses": False})
    async with Fetcher(config.fetch, transport=httpx.MockTransport(handler)) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch("http://93.184.216.34/feed")
    assert caught.value.reason.startswith("private address refused")


async def test_dns_rebinding_after_the_check_is_refused_at_connect(
    feed_server: FeedServer, config_factory: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A hostile name server answers the guard's lookup with a public address and every later
    # lookup with the loopback address the (local) feed server listens on.
    url = feed_server.add_feed("news", feed_server.stories[:2])
    port = urlsplit(url).port
    assert port is not None
    loop = asyncio.get_running_loop()
    answers: list[str] = []

    async def rebinding(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        address = "93.184.216.34" if not answers else "127.0.0.1"
        answers.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(loop, "getaddrinfo", rebinding)
    config = config_factory(fetch={"allow_private_addresses": False})
    async with Fetcher(config.fetch) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(f"http://rebind.example:{port}{urlsplit(url).path}")
    assert caught.value.reason == "private address refused: rebind.example is 127.0.0.1"
    assert feed_server.requests("news") == []


async def test_public_literal_address_passes_the_guard() -> None:
    await check_public_address("http://93.184.216.34/feed")


async def test_unsupported_scheme(config_factory: Callable[..., Config]) -> None:
    async with Fetcher(config_factory().fetch) as fetcher:
        with pytest.raises(FetchError, match="unsupported URL scheme"):
            await fetcher.fetch("file:///etc/passwd")


async def test_per_host_concurrency_is_limited(
    feed_server: FeedServer, config_factory: Callable[..., Config]
) -> None:
    config = config_factory(fetch={"per_host_concurrency": 2, "concurrency": 10})
    feed_server.latency = 0.1
    urls = [feed_server.add_feed(f"f{i}", feed_server.stories[i : i + 2]) for i in range(6)]
    async with Fetcher(config.fetch) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(u) for u in urls))
    assert all(r.status == 200 for r in results)
    assert feed_server.peak_active == 2


def test_header_parsing() -> None:
    assert cache_max_age("public, max-age=300") == 300
    assert cache_max_age("no-cache") is None
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert parse_retry_after("soon") is None
