"""A local RSS 2.0 / Atom feed server built from real Arabic stories, for tests and benchmarks.

It binds 127.0.0.1 only. Feeds are built from ANT corpus stories (tests/fixtures/feeds/ant_sample.jsonl)
and honour ETag / Last-Modified (304), change while the server runs, and can be switched into fault
modes. Every request is logged per feed, so a test can assert what the client did (sent a conditional
GET, got a 304, was redirected...).

Use (inside a test, through the `feed_server` fixture of tests/fakes/feeds_plugin.py)::

    url = feed_server.add_feed("arabiya", feed_server.stories[:5])   # RSS 2.0 URL
    atom = feed_server.url_for("arabiya", fmt="atom")
    feed_server.add_item("arabiya", feed_server.stories[6])          # appears on the next request
    feed_server.set_fault("arabiya", "500")                          # or None to heal it
    await feed_server.wait_for_requests("arabiya", 2)
    assert feed_server.statuses("arabiya")[-1] == 304

Feed options (`add_feed(...)` keywords, changeable later with `configure(name, ...)`):
- `encoding`: "utf-8" (default) or e.g. "windows-1256" (XML declaration and Content-Type charset).
- `guid`: "id" (the story id, isPermaLink=false; default), "link" (the link as a permalink guid) or
  "none" (no guid / Atom id: the client must fall back to the link or a hash).
- `link`: "local" (an article page on this server with a per-feed `utm_source`, so two feeds carrying
  one story give links that differ only by tracking parameters; default), "original" (the outlet's
  URL, never fetched) or "none".
- `description`: "abstract" (the short lead as plain text; default), "html" (the lead wrapped in
  HTML with an image and a link) or "full" (the lead in <description> plus the full body as HTML in
  content:encoded / Atom content).
- `cache_max_age` (seconds, sent as Cache-Control max-age) and `ttl` (minutes, RSS <ttl>).
- `title`: the feed's title (default: the name).

Fault modes (`set_fault(name, mode)`): "500", "404", "503" (with Retry-After: `retry_after` seconds),
"slow" (waits `slow_seconds` before answering), "truncated" (announces the full Content-Length, sends
half and closes the connection), "html" (an HTML page instead of XML), "garbage" (text that is no
feed), "empty" (a 200 with an empty body), "huge" (a valid-looking feed streamed until `huge_bytes`), "redirect_loop" (302s that never
end) and None (healthy).

Other pages:
- `site_url(name)`: an HTML home page with <link rel="alternate"> to the feed's RSS and Atom URLs
  (feed discovery).
- `article_url(story_id)`: the story as an article page (navigation, the body in <article>, a footer),
  for full-text extraction; `set_article_fault(story_id, "404")` breaks one.

A server in another thread (sync code) or process (benchmarks): `handle = FeedServer.start_in_thread()`
returns a running server with `.server` and `.stop()`; for a process see bench/poll.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "feeds" / "ant_sample.jsonl"
FAULTS = ("500", "404", "503", "slow", "truncated", "html", "garbage", "empty", "huge", "redirect_loop")


@dataclass(frozen=True)
class Story:
    """One ANT story: what a feed item and an article page are built from."""

    id: str
    source: str
    category: str
    url: str
    title: str
    published: datetime
    abstract: str
    text: str

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Story:
        try:
            published = parsedate_to_datetime(record["time"]).astimezone(UTC)
        except (TypeError, ValueError, KeyError):
            published = datetime(2018, 1, 1, tzinfo=UTC)
        return cls(
            id=str(record["id"]),
            source=str(record.get("source", "")),
            category=str(record.get("category", "")),
            url=str(record.get("url", "")),
            title=str(record["title"]),
            published=published,
            abstract=str(record.get("abstract", "")),
            text=str(record.get("text", "")),
        )

    def variant(self, suffix: str, **changes: Any) -> Story:
        """A copy with a new id (and any other field changed): a fresh story for a test."""
        return replace(self, id=f"{self.id}-{suffix}", **changes)


def load_stories(path: str | Path = FIXTURE, *, limit: int | None = None) -> list[Story]:
    """Stories from a JSON-lines file (the fixture by default; an .xz ANT dump works too)."""
    path = Path(path)
    import lzma

    stories: list[Story] = []
    with (
        lzma.open(path, "rt", encoding="utf-8") if path.suffix == ".xz" else path.open(encoding="utf-8")
    ) as lines:
        for line in lines:
            if line.strip():
                record = json.loads(line)
                if record.get("title") and record.get("id"):
                    stories.append(Story.from_record(record))
                    if limit is not None and len(stories) >= limit:
                        break
    return stories


@dataclass(frozen=True)
class RequestRecord:
    path: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None
    user_agent: str | None
    accept_encoding: str | None
    at: float
    peer: tuple[str, int] | None = None  # the client's address and port: one per TCP connection


@dataclass
class _Feed:
    name: str
    items: list[Story]  # newest first, as feeds list them
    title: str
    encoding: str = "utf-8"
    guid: str = "id"
    link: str = "local"
    description: str = "abstract"
    cache_max_age: int | None = None
    ttl: int | None = None
    fault: str | None = None
    retry_after: int = 120
    version: int = 0
    last_modified: float = 0.0
    port_index: int = 0
    _cache: dict[str, bytes] = field(default_factory=dict)

    def touch(self) -> None:
        self.version += 1
        # Strictly increasing whole seconds, so If-Modified-Since never hides a change.
        self.last_modified = max(float(int(time.time())), self.last_modified + 1)
        self._cache.clear()

    @property
    def etag(self) -> str:
        digest = hashlib.sha1(f"{self.name}:{self.version}:{self.encoding}".encode()).hexdigest()
        return f'"{digest[:16]}"'


class FeedServer:
    def __init__(
        self,
        *,
        stories: Sequence[Story] | None = None,
        host: str = "127.0.0.1",
        ports: int = 1,
        latency: float = 0.0,
        slow_seconds: float = 30.0,
        huge_bytes: int = 12 * 1024 * 1024,
    ) -> None:
        self.stories: list[Story] = list(stories) if stories is not None else load_stories()
        self.host = host
        self.latency = latency
        self.slow_seconds = slow_seconds
        self.huge_bytes = huge_bytes
        self._n_ports = ports
        self._ports: list[int] = []
        self._feeds: dict[str, _Feed] = {}
        self._articles: dict[str, Story] = {s.id: s for s in self.stories}
        self._article_faults: dict[str, str] = {}
        self._log: dict[str, list[RequestRecord]] = defaultdict(list)
        self._changed: asyncio.Event | None = None
        self._stopping: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        # Feed requests being answered right now, and the most at any moment (concurrency checks).
        self.active = 0
        self.peak_active = 0

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> FeedServer:
        app = web.Application()
        app.router.add_get("/feeds/{name}.{fmt}", self._feed)
        app.router.add_get("/loop/{name}", self._loop)
        app.router.add_get("/site/{name}", self._site)
        app.router.add_get("/articles/{story_id}", self._article)
        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        for _ in range(self._n_ports):
            site = web.TCPSite(self._runner, self.host, 0)
            await site.start()
            server = site._server
            assert server is not None
            self._ports.append(server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FeedServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @classmethod
    def start_in_thread(cls, **kwargs: Any) -> _ThreadHandle:
        """A server running on its own event loop in a daemon thread (call `.stop()` when done)."""
        return _ThreadHandle(cls(**kwargs))

    # -- URLs ------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.base_urls[0]

    @property
    def base_urls(self) -> list[str]:
        if not self._ports:
            raise RuntimeError("the feed server is not started")
        return [f"http://{self.host}:{port}" for port in self._ports]

    def _base_for(self, name: str) -> str:
        feed = self._feeds.get(name)
        return self.base_urls[feed.port_index if feed else 0]

    def url_for(self, name: str, fmt: str = "rss") -> str:
        if fmt not in ("rss", "atom"):
            raise ValueError("fmt is 'rss' or 'atom'")
        return f"{self._base_for(name)}/feeds/{quote(name, safe='')}.{fmt}"

    def site_url(self, name: str) -> str:
        return f"{self._base_for(name)}/site/{quote(name, safe='')}"

    def article_url(self, story_id: str, *, tracking: str | None = None) -> str:
        url = f"{self.base_url}/articles/{quote(story_id, safe='')}"
        if tracking:
            url += f"?utm_source={quote(tracking, safe='')}&utm_medium=rss"
        return url

    # -- feeds and items -------------------------------------------------------------------------

    def add_feed(
        self,
        name: str,
        stories: Iterable[Story] = (),
        *,
        fmt: str = "rss",
        title: str | None = None,
        port_index: int | None = None,
        **options: Any,
    ) -> str:
        """Create (or replace) a feed with these stories, newest first; returns its URL in `fmt`."""
        items = sorted(stories, key=lambda s: s.published, reverse=True)
        index = port_index if port_index is not None else len(self._feeds) % max(1, self._n_ports)
        feed = _Feed(name=name, items=items, title=title or name, port_index=index)
        self._feeds[name] = feed
        for story in items:
            self._articles[story.id] = story
        self.configure(name, **options)
        return self.url_for(name, fmt)

    def configure(self, name: str, **options: Any) -> None:
        feed = self._feeds[name]
        for key, value in options.items():
            if key not in ("encoding", "guid", "link", "description", "cache_max_age", "ttl", "title"):
                raise TypeError(f"unknown feed option {key!r}")
            setattr(feed, key, value)
        feed.touch()

    def add_item(self, name: str, story: Story) -> None:
        """Publish a story at the top of the feed (served from the next request on)."""
        feed = self._feeds[name]
        feed.items.insert(0, story)
        self._articles[story.id] = story
        feed.touch()

    def remove_item(self, name: str, story_id: str) -> None:
        feed = self._feeds[name]
        feed.items = [s for s in feed.items if s.id != story_id]
        feed.touch()

    def set_items(self, name: str, stories: Iterable[Story]) -> None:
        """Replace the feed's items, in exactly this order (use it to reorder)."""
        feed = self._feeds[name]
        feed.items = list(stories)
        for story in feed.items:
            self._articles[story.id] = story
        feed.touch()

    def items(self, name: str) -> list[Story]:
        return list(self._feeds[name].items)

    def set_fault(self, name: str, fault: str | None, *, retry_after: int | None = None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        feed = self._feeds[name]
        feed.fault = fault
        if retry_after is not None:
            feed.retry_after = retry_after
        feed._cache.clear()

    def set_article_fault(self, story_id: str, fault: str | None) -> None:
        if fault is None:
            self._article_faults.pop(story_id, None)
        else:
            self._article_faults[story_id] = fault

    # -- the request log -------------------------------------------------------------------------

    def requests(self, name: str) -> list[RequestRecord]:
        """Requests for a feed's URLs (its site page and redirect hops included), oldest first."""
        return list(self._log[name])

    def statuses(self, name: str) -> list[int]:
        return [r.status for r in self._log[name]]

    def article_requests(self, story_id: str) -> list[RequestRecord]:
        return list(self._log[f"article:{story_id}"])

    async def wait_for_requests(self, name: str, count: int, timeout: float = 10.0) -> list[RequestRecord]:
        """Wait until the feed has been requested `count` times in all."""
        assert self._changed is not None
        async with asyncio.timeout(timeout):
            while len(self._log[name]) < count:
                self._changed.clear()
                if len(self._log[name]) >= count:
                    break
                await self._changed.wait()
        return self.requests(name)

    def _record(self, key: str, request: web.Request, status: int) -> None:
        self._log[key].append(
            RequestRecord(
                path=request.path_qs,
                status=status,
                if_none_match=request.headers.get("If-None-Match"),
                if_modified_since=request.headers.get("If-Modified-Since"),
                user_agent=request.headers.get("User-Agent"),
                accept_encoding=request.headers.get("Accept-Encoding"),
                at=time.monotonic(),
                peer=request.transport.get_extra_info("peername") if request.transport else None,
            )
        )
        if self._changed is not None:
            self._changed.set()

    # -- handlers --------------------------------------------------------------------------------

    async def _pause(self, seconds: float) -> None:
        assert self._stopping is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        self.active += 1
        self.peak_active = max(self.peak_active, self.active)
        try:
            return await self._feed_response(request)
        finally:
            self.active -= 1

    async def _feed_response(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        fmt = request.match_info["fmt"]
        feed = self._feeds.get(name)
        if self.latency:
            await asyncio.sleep(self.latency)
        if feed is None or fmt not in ("rss", "atom"):
            self._record(name, request, 404)
            return web.Response(status=404, text="no such feed")
        if feed.fault is not None:
            return await self._fault(feed, request, fmt)
        headers = {"ETag": feed.etag, "Last-Modified": _http_date(feed.last_modified)}
        if feed.cache_max_age is not None:
            headers["Cache-Control"] = f"max-age={feed.cache_max_age}"
        if _not_modified(feed, request):
            self._record(name, request, 304)
            return web.Response(status=304, headers=headers)
        body = feed._cache.get(fmt)
        if body is None:
            body = render_feed(feed, fmt, self._base_for(name), self.article_url)
            feed._cache[fmt] = body
        kind = "application/rss+xml" if fmt == "rss" else "application/atom+xml"
        headers["Content-Type"] = f"{kind}; charset={feed.encoding}"
        self._record(name, request, 200)
        response = web.Response(body=body, headers=headers)
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            response.enable_compression(web.ContentCoding.gzip)
        return response

    async def _fault(self, feed: _Feed, request: web.Request, fmt: str) -> web.StreamResponse:
        fault = feed.fault
        if fault in ("500", "404"):
            self._record(feed.name, request, int(fault))
            return web.Response(status=int(fault), text=f"error {fault}")
        if fault == "503":
            self._record(feed.name, request, 503)
            return web.Response(status=503, text="busy", headers={"Retry-After": str(feed.retry_after)})
        if fault == "slow":
            # Logged on arrival: a client that gives up first never sees the answer.
            self._record(feed.name, request, 200)
            await self._pause(self.slow_seconds)
            body = render_feed(feed, fmt, self._base_for(feed.name), self.article_url)
            return web.Response(body=body, content_type="application/rss+xml")
        if fault == "html":
            self._record(feed.name, request, 200)
            return web.Response(text=_site_page(self, feed), content_type="text/html")
        if fault == "garbage":
            self._record(feed.name, request, 200)
            return web.Response(text="<<<this is not a feed>>> {{}} ]]>", content_type="text/xml")
        if fault == "empty":
            self._record(feed.name, request, 200)
            return web.Response(body=b"", content_type="application/rss+xml")
        if fault == "redirect_loop":
            self._record(feed.name, request, 302)
            raise web.HTTPFound(f"/loop/{quote(feed.name, safe='')}")
        if fault == "truncated":
            body = render_feed(feed, fmt, self._base_for(feed.name), self.article_url)
            response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
            response.content_length = len(body)
            self._record(feed.name, request, 200)
            await response.prepare(request)
            await response.write(body[: len(body) // 2])
            # Drop the connection mid-body, as a crashed upstream or a cut link does.
            if request.transport is not None:
                request.transport.close()
            return response
        assert fault == "huge"
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml; charset=utf-8"})
        self._record(feed.name, request, 200)
        await response.prepare(request)
        head = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>huge</title>'
        chunk = b"<item><title>" + b"x" * 60_000 + b"</title></item>"
        await response.write(head)
        sent = len(head)
        try:
            while sent < self.huge_bytes:
                await response.write(chunk)
                sent += len(chunk)
            await response.write(b"</channel></rss>")
        except (ConnectionResetError, ConnectionError):
            pass
        return response

    async def _loop(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self._record(name, request, 302)
        raise web.HTTPFound(f"/feeds/{quote(name, safe='')}.rss")

    async def _site(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        feed = self._feeds.get(name)
        if feed is None:
            self._record(name, request, 404)
            return web.Response(status=404, text="no such site")
        self._record(name, request, 200)
        return web.Response(text=_site_page(self, feed), content_type="text/html")

    async def _article(self, request: web.Request) -> web.StreamResponse:
        story_id = request.match_info["story_id"]
        key = f"article:{story_id}"
        story = self._articles.get(story_id)
        if self.latency:
            await asyncio.sleep(self.latency)
        fault = self._article_faults.get(story_id)
        if story is None or fault == "404":
            self._record(key, request, 404)
            return web.Response(status=404, text="not found")
        if fault == "500":
            self._record(key, request, 500)
            return web.Response(status=500, text="error")
        self._record(key, request, 200)
        return web.Response(text=article_page(story), content_type="text/html")


def _not_modified(feed: _Feed, request: web.Request) -> bool:
    # RFC 9110: when If-None-Match is present, If-Modified-Since is ignored.
    tag = request.headers.get("If-None-Match")
    if tag is not None:
        return tag.strip() == feed.etag
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return parsedate_to_datetime(since).timestamp() >= int(feed.last_modified)
        except (TypeError, ValueError):
            return False
    return False


def _http_date(timestamp: float) -> str:
    return format_datetime(datetime.fromtimestamp(int(timestamp), UTC), usegmt=True)


def _x(text: str) -> str:
    return html.escape(text, quote=True)


def _paragraphs_html(text: str) -> str:
    return "".join(f"<p>{_x(p.strip())}</p>" for p in text.split("\n") if p.strip())


def _item_link(feed: _Feed, story: Story, article_url: Any) -> str | None:
    if feed.link == "none":
        return None
    if feed.link == "original":
        return story.url
    return str(article_url(story.id, tracking=feed.name))


def _description_html(feed: _Feed, story: Story) -> str:
    if feed.description == "html":
        return (
            f'<p><img src="/static/{_x(story.id)}.jpg" alt="" /> <strong>{_x(story.abstract)}</strong></p>'
            '<p><a href="https://twitter.com/share">شارك</a></p>'
        )
    return _x(story.abstract) if feed.description != "full" else f"<p>{_x(story.abstract)}</p>"


def render_feed(feed: _Feed, fmt: str, base_url: str, article_url: Any) -> bytes:
    """The feed document as bytes in the feed's encoding."""
    site = f"{base_url}/site/{quote(feed.name, safe='')}"
    parts: list[str] = [f'<?xml version="1.0" encoding="{feed.encoding}"?>']
    if fmt == "rss":
        parts.append(
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>{_x(feed.title)}</title><link>{_x(site)}</link>"
            f"<description>{_x(feed.title)}</description><language>ar</language>"
        )
        if feed.ttl is not None:
            parts.append(f"<ttl>{feed.ttl}</ttl>")
        for story in feed.items:
            link = _item_link(feed, story, article_url)
            parts.append(f"<item><title>{_x(story.title)}</title>")
            if link:
                parts.append(f"<link>{_x(link)}</link>")
            if feed.guid == "id":
                parts.append(f'<guid isPermaLink="false">{_x(story.id)}</guid>')
            elif feed.guid == "link" and link:
                parts.append(f'<guid isPermaLink="true">{_x(link)}</guid>')
            parts.append(f"<pubDate>{format_datetime(story.published, usegmt=True)}</pubDate>")
            if story.category:
                parts.append(f"<category>{_x(story.category)}</category>")
            parts.append(f"<description>{_x(_description_html(feed, story))}</description>")
            if feed.description == "full":
                body = _paragraphs_html(story.text).replace("]]>", "]]&gt;")
                parts.append(f"<content:encoded><![CDATA[{body}]]></content:encoded>")
            parts.append("</item>")
        parts.append("</channel></rss>")
    else:
        updated = max((s.published for s in feed.items), default=datetime(2018, 1, 1, tzinfo=UTC))
        parts.append(
            '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar">'
            f"<title>{_x(feed.title)}</title><id>{_x(site)}</id>"
            f'<link rel="alternate" href="{_x(site)}"/><updated>{updated.isoformat()}</updated>'
        )
        for story in feed.items:
            link = _item_link(feed, story, article_url)
            parts.append(f"<entry><title>{_x(story.title)}</title>")
            if link:
                parts.append(f'<link rel="alternate" href="{_x(link)}"/>')
            if feed.guid == "id":
                parts.append(f"<id>urn:ant:{_x(story.id)}</id>")
            elif feed.guid == "link" and link:
                parts.append(f"<id>{_x(link)}</id>")
            stamp = story.published.isoformat()
            parts.append(f"<published>{stamp}</published><updated>{stamp}</updated>")
            if story.category:
                parts.append(f'<category term="{_x(story.category)}"/>')
            parts.append(f'<summary type="html">{_x(_description_html(feed, story))}</summary>')
            if feed.description == "full":
                parts.append(f'<content type="html">{_x(_paragraphs_html(story.text))}</content>')
            parts.append("</entry>")
        parts.append("</feed>")
    return "".join(parts).encode(feed.encoding, errors="xmlcharrefreplace")


def _site_page(server: FeedServer, feed: _Feed) -> str:
    rss = server.url_for(feed.name, "rss")
    atom = server.url_for(feed.name, "atom")
    return (
        '<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
        f"<title>{_x(feed.title)}</title>"
        f'<link rel="alternate" type="application/rss+xml" title="RSS" href="{_x(rss)}">'
        f'<link rel="alternate" type="application/atom+xml" title="Atom" href="{_x(atom)}">'
        "</head><body><h1>"
        + _x(feed.title)
        + "</h1>"
        + "".join(f"<h2>{_x(s.title)}</h2>" for s in feed.items[:10])
        + "</body></html>"
    )


def article_page(story: Story) -> str:
    """A news article page with the furniture real pages have around the body."""
    return (
        '<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
        f"<title>{_x(story.title)}</title></head><body>"
        '<header><nav><a href="/">الرئيسية</a> | <a href="/world">العالم</a> | '
        '<a href="/economy">اقتصاد</a> | <a href="/sport">رياضة</a></nav></header>'
        f"<main><article><h1>{_x(story.title)}</h1>"
        f'<time datetime="{story.published.isoformat()}">{story.published:%Y-%m-%d}</time>'
        f"{_paragraphs_html(story.text)}</article>"
        '<aside><h3>اقرأ أيضا</h3><ul><li><a href="/a">خبر آخر</a></li><li><a href="/b">خبر ثالث</a></li>'
        "</ul></aside></main>"
        "<footer><p>جميع الحقوق محفوظة</p></footer></body></html>"
    )


class _ThreadHandle:
    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._error: BaseException | None = None

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(server.start())
            except BaseException as exc:
                self._error = exc
                ready.set()
                return
            ready.set()
            self.loop.run_forever()

        self._thread = threading.Thread(target=run, name="feed-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        if self._error is not None:
            raise self._error

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a server method on its loop's thread (add_item, set_fault...) and return its result."""

        async def call() -> Any:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
