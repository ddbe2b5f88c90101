"""HTTP for feeds and article pages: polite, bounded and safe.

One `Fetcher` (httpx's transport underneath, a connection pool per origin) is shared by every poll.
It sends a descriptive User-Agent, asks for gzip, makes conditional requests (a 304 comes back with
no body to parse), bounds every request by connect/read timeouts and an overall deadline, stops
reading at `max_body_bytes`, follows redirects itself so that every hop is counted and checked, and
limits how many requests run at once overall and per host (host:port).

The private-address guard: unless `allow_private_addresses` is set, a URL whose host resolves to a
loopback, private, link-local, multicast or reserved address is refused before any connection is
made, at every redirect hop. The check is made twice: up front for a clear error, and again where
the connection is opened (`_PinnedBackend`, under httpcore), which resolves the host once and
connects to the very address it checked. Without the second, a DNS answer that changes between
the check and the connection (DNS rebinding) could still reach an internal address.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import select
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from bot.clock import utcnow
from bot.config import FetchConfig

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
# What the request offers (Accept-Encoding: gzip, deflate) and httpx decodes.
_DECODED = frozenset({"", "identity", "gzip", "deflate"})
_ACCEPT = {
    "feed": "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.8, */*;q=0.5",
    "html": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
}


class FetchError(Exception):
    """A fetch that failed, with a short readable reason (stored on the feed as its last error)."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class FetchResult:
    status: int
    content: bytes
    headers: dict[str, str]  # lower-case names
    final_url: str
    etag: str | None
    last_modified: str | None
    not_modified: bool
    redirects: list[str] = field(default_factory=list)
    # Where the URL moved for good: the last URL reached by an unbroken chain of permanent (301,
    # 308) redirects from the start; None when the first hop was temporary or there was none.
    permanent_url: str | None = None

    @property
    def max_age(self) -> float | None:
        """Cache-Control max-age in seconds, if the server gave one."""
        return cache_max_age(self.headers.get("cache-control"))

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"))


def cache_max_age(value: str | None) -> float | None:
    if not value:
        return None
    for part in value.split(","):
        name, _, number = part.strip().partition("=")
        if name.strip().lower() == "max-age":
            try:
                return max(0.0, float(number.strip().strip('"')))
            except ValueError:
                return None
    return None


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - utcnow()).total_seconds())


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified


async def check_public_address(url: str) -> None:
    """Refuse a URL whose host is or resolves to a non-public address (raises FetchError)."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise FetchError("URL has no host")
    await public_addresses(host, parts.port or (443 if parts.scheme == "https" else 80))


async def public_addresses(host: str, port: int) -> list[str]:
    """The host's addresses in resolver order; FetchError if any of them is not public."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"could not resolve host {host}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise FetchError(f"could not resolve host {host}")
    for address in addresses:
        if _refused(address):
            raise FetchError(f"private address refused: {host} is {address}")
    return addresses


class _Backend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with two changes.

    Guarded (the private-address guard on): it connects only to addresses that passed the guard:
    the host is resolved once, checked, and the connection made to that address (TLS still
    verifies the certificate against the host name, which httpcore passes to start_tls separately).

    Always: its streams answer httpcore's "is the idle connection readable?" cheaply (`_Stream`)."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, *, guarded: bool) -> None:
        self._inner = inner
        self._guarded = guarded

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        # Unguarded, the host goes to the backend as it is (resolved there, as httpcore does).
        addresses = await public_addresses(host, port) if self._guarded else [host]
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return _Stream(stream)
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise FetchError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _Stream(httpcore.AsyncNetworkStream):
    """A connection as httpcore's backend made it, but for "is_readable": httpcore asks it of
    every idle connection of a pool each time a request is queued or a response closed, and
    anyio answers by building all the socket's attributes (a getpeername system call among them)
    to pick one. The socket does not change while the stream lives: it is looked up once."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: Any = None

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info != "is_readable":
            return self._inner.get_extra_info(info)
        if self._socket is None:
            self._socket = self._inner.get_extra_info("socket")
            if self._socket is None:  # not a socket stream: ask the backend each time
                return self._inner.get_extra_info(info)
        return _readable(self._socket)


def _readable(sock: Any) -> bool:
    """httpcore's test (httpcore._utils.is_socket_readable): data or EOF waiting on the socket.
    A closed socket counts as readable: its next read would return the end."""
    fd = sock.fileno()
    if fd < 0:
        return True
    if not hasattr(select, "poll"):  # Windows
        return bool(select.select([fd], [], [], 0)[0])
    poll = select.poll()
    poll.register(fd, select.POLLIN)
    return bool(poll.poll(0))


def _wrap_backend(transport: httpx.AsyncHTTPTransport, *, guarded: bool) -> httpx.AsyncHTTPTransport:
    """The transport, on `_Backend` (connections pinned to checked addresses when guarded)."""
    # httpx has no public hook for httpcore's network backend; the pool's attribute is it.
    pool = transport._pool
    if not isinstance(pool, httpcore.AsyncConnectionPool) or not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpcore changed: cannot pin connections to checked addresses")
    pool._network_backend = _Backend(pool._network_backend, guarded=guarded)
    return transport


class _PoolPerOrigin(httpx.AsyncBaseTransport):
    """A small connection pool for each origin (scheme, host, port) instead of one shared pool.

    httpcore's pool scans every connection it holds, several times, on each request it queues and
    each connection it releases (encode/httpcore#1035, unmerged in 1.0.9): with 50 keep-alive
    connections to 50 feed hosts, that bookkeeping was most of an unchanged feed's CPU (a 304 poll).
    Feeds are spread over many origins and at most `per_host_concurrency` requests go to one at a
    time, so per-origin pools stay a few connections long; the global limit is the Fetcher's
    semaphore, as before."""

    def __init__(self, limits: httpx.Limits, *, guarded: bool) -> None:
        self._limits = limits
        self._guarded = guarded
        self._pools: dict[tuple[bytes, bytes, int | None], _Origin] = {}
        # Loading the CA bundle takes tens of milliseconds: one context serves every origin.
        self._ssl_context: ssl.SSLContext | None = None
        self._swept = time.monotonic()

    def _origin(self, url: httpx.URL) -> _Origin:
        key = (url.raw_scheme, url.raw_host, url.port)
        origin = self._pools.get(key)
        if origin is None:
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context(trust_env=False)
            transport = httpx.AsyncHTTPTransport(
                limits=self._limits, verify=self._ssl_context, trust_env=False
            )
            origin = self._pools[key] = _Origin(_wrap_backend(transport, guarded=self._guarded))
        return origin

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._sweep()
        origin = self._origin(request.url)
        origin.waiting += 1
        try:
            return await origin.transport.handle_async_request(request)
        finally:
            origin.waiting -= 1
            origin.used = time.monotonic()

    async def _sweep(self) -> None:
        """Close the pools of origins not used for a keep-alive period. httpcore expires an idle
        connection only when its own pool is next used, and a feed's origin may be used once in
        ten minutes: without this, every origin ever fetched would keep a socket (and a pool)
        open, a file descriptor each, until the server's close left it half-open."""
        now = time.monotonic()
        if now - self._swept < _KEEPALIVE:
            return
        self._swept = now
        for key, origin in list(self._pools.items()):
            if now - origin.used > _KEEPALIVE and origin.idle():
                del self._pools[key]
                await origin.transport.aclose()

    async def aclose(self) -> None:
        origins, self._pools = list(self._pools.values()), {}
        for origin in origins:
            await origin.transport.aclose()


# httpx's default keep-alive expiry: a connection idle this long is not reused anyway.
_KEEPALIVE = 5.0


@dataclass
class _Origin:
    transport: httpx.AsyncHTTPTransport
    waiting: int = 0  # requests inside handle_async_request (queued for, or opening, a connection)
    used: float = field(default_factory=time.monotonic)

    def idle(self) -> bool:
        """No request waiting and every connection idle or closed: a response still being read
        keeps its connection active, so closing the pool now cuts nothing short."""
        if self.waiting:
            return False
        pool = self.transport._pool
        return all(c.is_idle() or c.is_closed() for c in pool.connections)


class Fetcher:
    """`async with Fetcher(config.fetch) as fetcher: result = await fetcher.fetch(url, etag=...)`."""

    def __init__(self, config: FetchConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        if transport is None:
            # One origin's requests are capped by its semaphore, so its pool needs that many
            # connections (and one spare for a connection being closed as the next opens).
            transport = _PoolPerOrigin(
                httpx.Limits(
                    max_connections=config.per_host_concurrency + 1,
                    max_keepalive_connections=config.per_host_concurrency,
                ),
                guarded=not config.allow_private_addresses,
            )
        # Requests go to the transport itself, not through an httpx.AsyncClient: the client's
        # per-request work (merging its settings into each request, a cookie jar consulted on every
        # response) was a fifth of a 304 poll's CPU. What it did is done here, only when needed:
        # the same headers, timeouts and cookies (`_send`).
        self._transport = transport
        self._timeout = httpx.Timeout(
            connect=config.connect_timeout,
            read=config.read_timeout,
            write=config.read_timeout,
            pool=config.connect_timeout + config.read_timeout,
        ).as_dict()
        # What httpx.AsyncClient sent: its defaults, ours over them (moved to the end, as its
        # Headers.update does), then each request's own (`_send`).
        self._headers = httpx.Headers(
            {
                "Accept": "*/*",
                "Connection": "keep-alive",
                "User-Agent": config.user_agent,
                "Accept-Encoding": "gzip, deflate",
            }
        )
        # Cookies a server sets are kept for the Fetcher's life and sent back where they apply.
        self._cookies = httpx.Cookies()
        self._closed = False
        self._global = asyncio.Semaphore(config.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        # A drip-fed body never trips the read timeout; the deadline bounds the whole exchange.
        self.deadline = config.connect_timeout + 2 * config.read_timeout

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._transport.aclose()

    def _host_limit(self, url: str) -> asyncio.Semaphore:
        key = urlsplit(url).netloc.lower()
        semaphore = self._hosts.get(key)
        if semaphore is None:
            semaphore = self._hosts[key] = asyncio.Semaphore(self.config.per_host_concurrency)
        return semaphore

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: Literal["feed", "html"] = "feed",
    ) -> FetchResult:
        try:
            return await self._fetch(url, etag=etag, last_modified=last_modified, accept=accept)
        except FetchError:
            raise
        except TimeoutError:
            raise FetchError(f"timed out after {self.deadline:g} s") from None
        except httpx.ConnectTimeout:
            raise FetchError("timed out connecting") from None
        except httpx.TimeoutException:
            raise FetchError("timed out waiting for the server") from None
        except httpx.ConnectError as exc:
            raise FetchError(f"could not connect: {exc or type(exc).__name__}") from None
        except httpx.RemoteProtocolError as exc:
            if "peer closed" in str(exc) or "incomplete" in str(exc).lower():
                raise FetchError("connection closed before the body was complete") from None
            raise FetchError(f"HTTP protocol error: {exc}") from None
        except httpx.DecodingError:
            raise FetchError("could not decompress the body") from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL: {exc}") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"network error: {exc or type(exc).__name__}") from None

    async def _fetch(
        self, url: str, *, etag: str | None, last_modified: str | None, accept: str
    ) -> FetchResult:
        headers: dict[str, str | bytes] = {"Accept": _ACCEPT[accept]}  # over the defaults in self._headers
        for name, value in (("If-None-Match", etag), ("If-Modified-Since", last_modified)):
            sent = _validator_out(value)
            if sent:
                headers[name] = sent
        seen = [url]
        current = url
        permanent: str | None = None
        unbroken = True  # every hop so far was permanent
        while True:
            if urlsplit(current).scheme not in ("http", "https"):
                raise FetchError(f"unsupported URL scheme in {current[:100]}")
            if not self.config.allow_private_addresses:
                async with asyncio.timeout(self.config.connect_timeout):
                    await check_public_address(current)
            # The deadline runs from when this request may go, not while it waits for a slot: a
            # host's drip-feeding feeds holding both of its slots must not time out its healthy ones.
            async with self._host_limit(current), self._global, asyncio.timeout(self.deadline):
                response = await self._send(current, headers)
                try:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        await _drain(response)
                        target = urljoin(current, location.strip())
                        if target in seen:
                            raise FetchError(f"redirect loop ({len(seen)} hops)", status=response.status_code)
                        if len(seen) > self.config.max_redirects:
                            raise FetchError(
                                f"too many redirects (more than {self.config.max_redirects})",
                                status=response.status_code,
                            )
                        seen.append(target)
                        current = target
                        unbroken = unbroken and response.status_code in _PERMANENT
                        if unbroken:
                            permanent = target
                        continue
                    result_headers = {k.lower(): v for k, v in response.headers.items()}
                    result_headers["content-location"] = current
                    new_etag = _validator_in(response, b"etag")
                    new_modified = _validator_in(response, b"last-modified")
                    if response.status_code == 304:
                        await _drain(response)
                        return FetchResult(
                            status=304,
                            content=b"",
                            headers=result_headers,
                            final_url=current,
                            etag=new_etag or etag,
                            last_modified=new_modified or last_modified,
                            not_modified=True,
                            redirects=seen[1:],
                            permanent_url=permanent,
                        )
                    if response.status_code >= 400 or response.status_code < 200:
                        raise FetchError(
                            _status_reason(response.status_code),
                            status=response.status_code,
                            retry_after=parse_retry_after(response.headers.get("retry-after")),
                        )
                    content = await self._read_body(response)
                    return FetchResult(
                        status=response.status_code,
                        content=content,
                        headers=result_headers,
                        final_url=current,
                        etag=new_etag,
                        last_modified=new_modified,
                        not_modified=False,
                        redirects=seen[1:],
                        permanent_url=permanent,
                    )
                finally:
                    await response.aclose()

    async def _send(self, url: str, headers: dict[str, str | bytes]) -> httpx.Response:
        """GET url, the response's body not read yet: what httpx.AsyncClient.send(stream=True)
        does for this Fetcher's settings."""
        if self._closed:
            raise RuntimeError("Cannot send a request, as the fetcher has been closed.")
        merged = self._headers.copy()
        # As bytes: a validator outside ASCII is the server's own bytes (`_validator_out`).
        merged.update({k.encode(): v if isinstance(v, bytes) else v.encode() for k, v in headers.items()})
        request = httpx.Request("GET", _url(url), headers=merged, extensions={"timeout": self._timeout})
        if self._cookies:
            self._cookies.set_cookie_header(request)
        response = await self._transport.handle_async_request(request)
        response.request = request
        # A cookie jar reads a response by copying all its headers: only when there is a cookie.
        if "set-cookie" in response.headers:
            self._cookies.extract_cookies(response)
        return response

    async def _read_body(self, response: httpx.Response) -> bytes:
        limit = self.config.max_body_bytes
        # httpx passes a body in an encoding it cannot decode through as it is; parsed, that
        # compressed body would read as a broken feed.
        encodings = {e.strip().lower() for e in response.headers.get("content-encoding", "").split(",")}
        unknown = sorted(encodings - _DECODED)
        if unknown:
            raise FetchError(f"could not decompress the body (content encoding {', '.join(unknown)})")
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FetchError(f"body larger than {_size(limit)}")
        chunks: list[bytes] = []
        total = 0
        # Counted after decompression, so a small gzip bomb is stopped too.
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > limit:
                raise FetchError(f"body larger than {_size(limit)}")
            chunks.append(chunk)
        return b"".join(chunks)


def _validator_in(response: httpx.Response, name: bytes) -> str | None:
    """An ETag or Last-Modified as the server sent its bytes, read one byte a letter (Latin-1), so
    that `_validator_out` gives the server back exactly what it sent. httpx's own reading guesses
    the encoding (UTF-8 first), and an ETag in Arabic or with a stray é then could not be sent
    back at all: every later poll failed."""
    for key, value in response.headers.raw:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _validator_out(value: str | None) -> str | bytes | None:
    """A stored validator as a request header: plain ASCII as it is, otherwise its bytes
    (`_validator_in`). One stored by an earlier release from httpx's UTF-8 reading (letters
    Latin-1 cannot hold) is not sent: the poll is then an unconditional GET, never a failure."""
    if not value or value.isascii():
        return value or None
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return None


@functools.lru_cache(maxsize=4096)
def _url(url: str) -> httpx.URL:
    """The URL parsed, once for the many polls of a feed (httpx.URL is immutable)."""
    return httpx.URL(url)


async def _drain(response: httpx.Response, limit: int = 64 * 1024) -> None:
    """Read a body that carries nothing (a 304's, a redirect's) to its end: httpcore closes a
    connection whose response was closed unread, so an unchanged feed would cost a new TCP
    connection (and TLS handshake) on every poll. A body over `limit` is left: closing is cheaper."""
    if response.is_stream_consumed:  # a body the transport had already read (httpx.MockTransport)
        return
    total = 0
    async for chunk in response.aiter_raw():
        total += len(chunk)
        if total > limit:
            return


def _status_reason(status: int) -> str:
    try:
        from http import HTTPStatus

        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"
