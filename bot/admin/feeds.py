"""Feed management for admins (chat, CLI, OPML): add after checking, remove, pause, resume.

A feed is only added after it was fetched and parsed, so a typo or a dead link is refused with a
reason at once instead of failing silently on every poll. Each action writes its audit entry in the
same transaction. The callers (handler, CLI) reschedule the poller and render the result.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import string
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote_plus, urlsplit, urlunsplit

import httpx
import idna
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin import audit
from bot.admin.opml import OpmlFeed
from bot.clock import as_utc, utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed, Story, Subscription
from bot.feeds.health import fetch_error_code
from bot.feeds.identity import is_tracking_param
from bot.feeds.models import FeedAlias
from bot.subscribers import notices
from bot.subscribers import service as subscriber_service
from summarizer.normalize import normalize

if TYPE_CHECKING:
    from bot.feeds.fetcher import Fetcher

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 600.0
MAX_NAME = 200
# A home page may list several alternates (comments feed, other languages): try a few, in order.
MAX_DISCOVERED = 3


@dataclass(frozen=True)
class AddFeedResult:
    """`code`: added | invalid_url | private | http_status | timeout | too_large | redirects |
    dns | unreachable | not_feed | duplicate_url | duplicate_name, or discovered_not_feed |
    discovered_http_status | discovered_unreachable when the page's own feed link fails (`detail`
    then starts with that link). `detail` is English, for the CLI and logs."""

    code: str
    detail: str = ""
    feed_id: int | None = None
    name: str | None = None
    url: str | None = None
    interval: float | None = None
    interval_floored: bool = False
    discovered_from: str | None = None
    entries: int = 0
    existing: str | None = None  # the feed already there, for duplicates
    existing_paused: bool = False  # … and it is paused (by an admin, or after failing)
    http_status: int | None = None
    reason: str = ""  # the discovered link's failure alone (English), for the chat to render
    # Added, but its document is not well-formed XML (why, in English): its `entries` were read
    # by a lenient parser, and some may be missing.
    malformed: str | None = None

    @property
    def ok(self) -> bool:
        return self.code == "added"


@dataclass(frozen=True)
class FeedActionResult:
    """`code`: removed | paused | resumed | not_found | already_paused | already_active."""

    code: str
    feed_id: int | None = None
    name: str | None = None
    origin: str | None = None
    subscriptions_removed: int = 0
    # remove_feed: (chat id, language) of the active chats that followed it, to be told.
    followers: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.code in ("removed", "paused", "resumed")


# An import entry left unchecked: "skipped_" + in_file (the same feed as an earlier entry, in this
# or another spelling) | not_web (ftp:, javascript:…) | relative | invalid | no_address | link.
SKIPPED = "skipped_"


@dataclass
class ImportReport:
    """One result per entry of the file, in the file's order: each is added, a duplicate of a
    feed already there, failed (checked and refused) or skipped (not checked; `existing` names the
    earlier entry an in_file one repeats)."""

    results: list[AddFeedResult] = field(default_factory=list)

    @property
    def added(self) -> list[AddFeedResult]:
        return [r for r in self.results if r.ok]

    @property
    def duplicates(self) -> list[AddFeedResult]:
        return [r for r in self.results if r.code in ("duplicate_url", "duplicate_name")]

    @property
    def skipped(self) -> list[AddFeedResult]:
        return [r for r in self.results if _skipped(r)]

    @property
    def failed(self) -> list[AddFeedResult]:
        return [r for r in self.results if _failed(r)]


def _failed(result: AddFeedResult) -> bool:
    return not result.ok and result.code not in ("duplicate_url", "duplicate_name") and not _skipped(result)


def _skipped(result: AddFeedResult) -> bool:
    return result.code.startswith(SKIPPED)


def normalize_url(url: str) -> str:
    """The identity of a feed URL for duplicate checks: case, default port, trailing slash and
    fragment do not make a different feed, nor does http versus https.

    Nor does how the address is spelt: an Arabic domain and its punycode (xn--) form are one host,
    and an Arabic path typed as it reads is the same path as its %-escaped UTF-8 form. Both sides of
    a comparison go through here, so feeds stored in either form before still match.

    Nor do tracking parameters (utm_*, fbclid…, the list story links use): a feed shared as
    "…/rss?utm_source=x" serves the same items, and feeds stored with them before still match.
    """
    parts = urlsplit(url.strip())
    host = _ascii_host(parts.hostname or "")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a malformed port ("/feed find http://x:abc"): compared as written
        netloc = parts.netloc.lower()
    else:
        netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = _canonical_escapes(parts.path).rstrip("/") or "/"
    return urlunsplit(("", netloc, path, _canonical_escapes(_without_tracking(parts.query)), ""))


def _without_tracking(query: str) -> str:
    """The query with its tracking parameters left out, the others exactly as written: their
    order and spelling may matter to the server, unlike story links, which are re-encoded."""
    if not query:
        return query
    kept = [part for part in query.split("&") if not is_tracking_param(unquote_plus(part.partition("=")[0]))]
    return "&".join(kept)


def strip_tracking(url: str) -> str:
    """The address to store and poll: what was typed, without its tracking parameters."""
    parts = urlsplit(url)
    query = _without_tracking(parts.query)
    return url if query == parts.query else urlunsplit(parts._replace(query=query))


def name_key(name: str) -> str:
    """A feed's name as admins' references are compared with it: spacing, case and the Arabic
    spelling variants (العربيه / العربية) folded the way the bot compares Arabic everywhere."""
    return normalize(" ".join(name.split())).casefold()


def _ascii_host(host: str) -> str:
    """The host as DNS (and httpx, which fetches it) sees it: lower case, punycode for IDN labels."""
    host = host.lower().rstrip(".")
    if host.isascii() and "xn--" not in host:
        return host
    try:
        # UTS 46 as browsers do it; httpx encodes with the same library, so this is the fetched host.
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        pass
    try:
        return host.encode("idna").decode("ascii")  # IDNA 2003, for labels IDNA 2008 refuses
    except UnicodeError:
        return host


# Unreserved characters (RFC 3986): an escape of one of these means the character itself.
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
# An escape, or any character a browser would escape before sending: non-ASCII (sent as UTF-8),
# spaces, controls and the few ASCII characters that are not allowed raw. A "%" that starts no
# escape is left as it is, as browsers do.
_ESCAPABLE = re.compile(r"%([0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]")


def _canonical_escapes(text: str) -> str:
    """Percent-encoding made canonical: escapes of unreserved characters decoded, other escapes in
    upper case, everything a browser escapes escaped as UTF-8 %XX."""

    def one(match: re.Match[str]) -> str:
        hexdigits = match.group(1)
        if hexdigits is not None:
            char = chr(int(hexdigits, 16))
            return char if char in _UNRESERVED else f"%{hexdigits.upper()}"
        return "".join(f"%{byte:02X}" for byte in match.group(0).encode("utf-8", "surrogatepass"))

    return _ESCAPABLE.sub(one, text)


def clean_url(raw: str) -> str | None:
    """The URL an admin typed, with https:// added if they left the scheme out; None if unusable."""
    url = raw.strip().strip("<>")
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in url:
        return None
    if not _plausible_host(parts.hostname):
        # A lone word ("/addfeed الجزيرة", a name where the URL goes) is a typo, not a host to try.
        return None
    return _fetchable(strip_tracking(url))


def _fetchable(url: str) -> str | None:
    """The URL as typed if httpx can request it. An Arabic domain httpx's strict IDNA 2008 refuses
    but browsers read (letters in their presentation forms, as some PDFs and old sites give them)
    gets its punycode host instead; None if no encoding makes a host name of it (a right-to-left
    mark inside it)."""
    try:
        httpx.URL(url)
        return url
    except httpx.InvalidURL:
        pass
    parts = urlsplit(url)
    host = _ascii_host(parts.hostname or "")
    if not host.isascii():
        return None
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (f"{userinfo}@" if userinfo else "") + host + (f":{parts.port}" if parts.port else "")
    fixed = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    try:
        httpx.URL(fixed)
    except httpx.InvalidURL:
        return None
    return fixed


def _plausible_host(host: str) -> bool:
    """A domain name with a dot, an IP address or localhost (reachable in tests and on a LAN)."""
    if "." in host or host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def classify_fetch_error(reason: str) -> tuple[str, int | None]:
    """FetchError's English reason -> a code the handler can say in Arabic or English. The reasons
    are read in one place (bot.feeds.health), which also words them, so a code and its words agree."""
    return fetch_error_code(reason)


async def add_feed(
    db: Database,
    config: Config,
    fetcher: Fetcher,
    url: str,
    *,
    interval: float | None = None,
    name: str | None = None,
    origin: str,
    suggested_name: str | None = None,
    actor: int = audit.CLI_ACTOR,
    by: str = "",
    verify: bool = True,
    wait_turn: Callable[[], Awaitable[object]] | None = None,
) -> AddFeedResult:
    """Fetch, parse (or discover the feed behind a home page), refuse duplicates, store.

    `wait_turn`, when given, is awaited just before storing: an import checks feeds concurrently but
    stores them in the file's order.

    `name` is the admin's explicit choice (a clash is refused); otherwise `suggested_name` (OPML) or
    the feed's own title is used, made unique if another feed already has it.
    """
    from bot.feeds.fetcher import FetchError
    from bot.feeds.parser import FeedParseError, discover_feed_links, parse_feed

    cleaned = clean_url(url)
    if cleaned is None:
        return AddFeedResult("invalid_url", f"{url!r} is not an http(s) URL")
    if name is not None:
        name = " ".join(name.split())[:MAX_NAME] or None
    floor = config.fetch.min_interval
    wanted = DEFAULT_INTERVAL if interval is None else interval
    chosen_interval = max(wanted, floor)
    floored = interval is not None and interval < floor

    clash = await _duplicate(db, cleaned, name)
    if clash is not None:
        return clash

    feed_url = cleaned
    discovered_from: str | None = None
    title: str | None = None
    site_url: str | None = None
    entries = 0
    malformed: str | None = None
    if verify:
        try:
            result = await fetcher.fetch(cleaned, accept="feed")
            _raise_for_status(result, FetchError)
            if not result.content.strip():
                # Nothing to read as a feed or to look for a feed link in: say that, not "no feed".
                return AddFeedResult("empty", "the server answered with an empty page", url=cleaned)
            try:
                parsed = parse_feed(result.content, url=result.final_url or cleaned, headers=result.headers)
            except FeedParseError as parse_error:
                links = discover_feed_links(result.content, result.final_url or cleaned)
                if not links:
                    return AddFeedResult("not_feed", str(getattr(parse_error, "reason", parse_error)))
                parsed, feed_url = await _first_parsable(fetcher, links[:MAX_DISCOVERED])
                discovered_from = cleaned
        except FetchError as exc:
            reason = str(getattr(exc, "reason", exc))
            code, status = classify_fetch_error(reason)
            return AddFeedResult(code, reason, url=feed_url, http_status=status)
        except _DiscoveredFailed as exc:
            return exc.result
        title = (parsed.title or "").strip() or None
        site_url = parsed.link or None
        entries = len(parsed.entries)
        malformed = parsed.bozo_reason if parsed.ill_formed else None
        twin = await _twin_of(db, parsed.entries)
        if twin is not None:
            return _already(
                "duplicate_url",
                f"already there as #{twin.id} {twin.name}: it lists the same stories",
                twin,
                feed_url,
            )

    explicit = name is not None
    # A channel without a title is named after its site (the channel's link) before the feed's own
    # host, which is often a feed service's (feeds.feedburner.com) and no outlet's name.
    base_name = (
        name or (suggested_name or "").strip()[:MAX_NAME] or title or _site_host(site_url) or _host(feed_url)
    )
    base_name = " ".join(base_name.split())[:MAX_NAME]
    if wait_turn is not None:
        await wait_turn()
    async with db.write() as session:
        # Checked again under the write lock: an OPML import adds feeds concurrently.
        clash = await _duplicate_in(session, feed_url, base_name if explicit else None)
        if clash is not None:
            return clash
        final_name = base_name if explicit else await _unique_name(session, base_name, feed_url)
        feed = Feed(
            url=feed_url,
            name=final_name,
            site_url=site_url,
            interval=chosen_interval,
            topics=[],
            full_text=False,
            language="ar",
            status="active",
            origin=origin,
            consecutive_errors=0,
        )
        session.add(feed)
        await session.flush()
        audit.record(
            session,
            actor,
            "feed.add",
            feed_id=feed.id,
            name=final_name,
            url=feed_url,
            interval=chosen_interval,
            found_on=discovered_from,
            origin=origin,
            by=by,
        )
        feed_id = feed.id
    return AddFeedResult(
        "added",
        feed_id=feed_id,
        name=final_name,
        url=feed_url,
        interval=chosen_interval,
        interval_floored=floored,
        discovered_from=discovered_from,
        entries=entries,
        malformed=malformed,
    )


async def import_feeds(
    db: Database,
    config: Config,
    fetcher: Fetcher,
    feeds: list[OpmlFeed],
    *,
    origin: str = "opml",
    actor: int = audit.CLI_ACTOR,
    by: str = "",
    verify: bool = True,
    progress: Callable[[int, int], Awaitable[None]] | None = None,
) -> ImportReport:
    """Each entry of the file through `add_feed`, a few at a time; one feed's failure never stops
    the rest. Entries that are no web address, or the same feed as an earlier entry in another
    spelling, are skipped before any check, each with its reason: the report accounts for every
    entry. `progress(done, total)` is awaited after each entry (a slow one never fails the import)."""
    entries = _sort_entries(feeds)
    twins = _TwinsInFile(entries)
    gate = asyncio.Semaphore(max(1, min(config.fetch.concurrency, 8)))
    done = 0
    # Feeds are checked a few at a time but stored in the file's order, so ids (and /feeds) follow it.
    stored = [asyncio.Event() for _ in entries]

    async def previous_stored(index: int) -> None:
        if index:
            await stored[index - 1].wait()

    async def one(index: int, entry: _Entry) -> AddFeedResult:
        nonlocal done
        try:
            return await checked(index, entry)
        finally:
            await previous_stored(index)
            stored[index].set()
            done += 1
            if progress is not None:
                try:
                    await progress(done, len(entries))
                except Exception:
                    log.exception("import progress report failed")

    async def checked(index: int, entry: _Entry) -> AddFeedResult:
        if entry.skipped is not None:
            return entry.skipped

        def add(url: str) -> Awaitable[AddFeedResult]:
            recorder = _Recorder(fetcher)

            async def turn() -> None:
                await previous_stored(index)
                twins.check(index, url, recorder.last)  # raises _TwinInFile: not stored

            return add_feed(
                db,
                config,
                cast("Fetcher", recorder),
                url,
                interval=entry.item.interval,
                suggested_name=entry.item.title,
                origin=origin,
                actor=actor,
                by=by,
                verify=verify,
                wait_turn=turn,
            )

        async with gate:
            result = await _first_spelling_added(add, entry.spellings)
        if result.ok and result.feed_id is not None:
            twins.stored(index, result)
            await _restore_state(db, result.feed_id, entry.item, actor=actor, by=by)
        return result

    results = await asyncio.gather(*(one(i, entry) for i, entry in enumerate(entries)))
    report = ImportReport(results=list(results))
    await audit.record_now(
        db,
        actor,
        "feeds.import",
        in_file=len(feeds),
        added=len(report.added),
        duplicates=len(report.duplicates),
        refused=len(report.failed),
        skipped=len(report.skipped),
        by=by,
    )
    return report


@dataclass(frozen=True)
class _Entry:
    """An entry of the file to import: the addresses to try (its own, cleaned, then the file's
    other spellings of the same feed), or the result saying why it is skipped unchecked."""

    item: OpmlFeed
    spellings: tuple[str, ...] = ()
    skipped: AddFeedResult | None = None


def _sort_entries(feeds: list[OpmlFeed]) -> list[_Entry]:
    """The file's entries, skipped ones decided before any is checked: entries are checked
    concurrently, so a second spelling of one feed (a trailing slash, http for https, a tracking
    parameter) would otherwise be fetched before the first was stored, and refused for the wrong
    reason (a 404 on "feed.rss/") instead of being the same feed."""
    entries: list[_Entry] = []
    first_of: dict[str, int] = {}
    for item in feeds:
        url, why = _web_address(item)
        if url is None:
            skipped = AddFeedResult(SKIPPED + why, _SKIP_REASONS[why], url=item.url)
            entries.append(_Entry(item, skipped=skipped))
            continue
        key = normalize_url(url)
        if key not in first_of:
            first_of[key] = len(entries)
            entries.append(_Entry(item, spellings=(url,)))
            continue
        earlier = entries[first_of[key]]
        if url not in earlier.spellings:  # tried if the earlier spelling fails
            entries[first_of[key]] = _Entry(earlier.item, spellings=(*earlier.spellings, url))
        entries.append(_Entry(item, skipped=_in_file(item, earlier.item)))
    return entries


_SKIP_REASONS = {
    "link": "a link to a page, not a feed address (xmlUrl)",
    "no_address": "no feed address (xmlUrl)",
    "not_web": "not a web address (http or https)",
    "relative": "a relative address, with no site in it",
    "invalid": "not a valid address",
}


def _in_file(item: OpmlFeed, earlier: OpmlFeed) -> AddFeedResult:
    return AddFeedResult(
        SKIPPED + "in_file",
        f"the same feed as {earlier.url}, earlier in the file",
        url=item.url,
        existing=earlier.title or earlier.url,
    )


# A scheme other than a port: "javascript:", "ftp:", "mailto:", but not "example.com:8080/rss".
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(?![0-9])")


def _web_address(item: OpmlFeed) -> tuple[str | None, str]:
    """The entry's address as /addfeed reads it (https:// added when the scheme is left out), or
    None and why it is none."""
    if item.kind == "link":
        return None, "link"
    raw = item.url.strip()
    if not raw:
        return None, "no_address"
    # feed: is the pseudo-scheme browsers once handed to feed readers; feed://host/… meant http.
    if raw[:5].lower() == "feed:":
        raw = "http:" + raw[5:] if raw[5:7] == "//" else raw[5:]
    if raw.startswith("//"):
        raw = "https:" + raw
    scheme = _SCHEME.match(raw)
    if scheme is not None and scheme.group(1).lower() not in ("http", "https"):
        return None, "not_web"
    if raw.startswith(("/", ".", "?", "#")):
        return None, "relative"
    url = clean_url(raw)
    return (url, "") if url is not None else (None, "invalid")


# Failures another spelling of the same address may not have (a path with or without its slash, http
# for https): the file's other spellings are tried. Not a timeout: it would only wait as long again.
_RETRIED = frozenset({"http_status", "not_feed", "empty", "unreachable", "redirects"})


async def _first_spelling_added(
    add: Callable[[str], Awaitable[AddFeedResult]], spellings: tuple[str, ...]
) -> AddFeedResult:
    result = AddFeedResult("invalid_url")
    for url in spellings:
        try:
            result = await add(url)
        except _TwinInFile as twin:
            return twin.result
        except Exception as exc:  # a parser bug on one odd feed must not lose the whole import
            log.exception("import of %s failed", url)
            result = AddFeedResult("unreachable", f"{type(exc).__name__}: {exc}", url=url)
        if result.code not in _RETRIED and not result.code.startswith("discovered_"):
            break
    return result


class _Recorder:
    """The import's fetcher, keeping the last document fetched: the one add_feed parsed as the feed
    (a home page's discovered feed included), for the twin check before it is stored."""

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher
        self.last: Any = None

    async def fetch(self, url: str, **options: Any) -> Any:
        self.last = await self._fetcher.fetch(url, **options)
        return self.last

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fetcher, name)


class _TwinInFile(Exception):
    """Raised from add_feed's wait_turn, before it stores: this feed is a twin of one the import added."""

    def __init__(self, result: AddFeedResult) -> None:
        super().__init__(result.detail)
        self.result = result


class _TwinsInFile:
    """A site's RSS and its Atom (or another address of one feed) in one file are both new: the
    stored-stories check (_twin_of) sees neither, as neither was polled yet. Their items show it:
    of feeds of one site that this import adds, one listing the same stories as an earlier one is
    that feed again. Only feeds whose site has several entries in the file are parsed again."""

    def __init__(self, entries: list[_Entry]) -> None:
        self._sites: dict[str, int] = {}
        for entry in entries:
            if entry.spellings:
                site = _site(entry.spellings[0])
                self._sites[site] = self._sites.get(site, 0) + 1
        self._checked: dict[int, tuple[str, frozenset[str]]] = {}
        self._added: list[tuple[AddFeedResult, str, frozenset[str]]] = []

    def check(self, index: int, url: str, fetched: Any) -> None:
        site = _site(url)
        if fetched is None or self._sites.get(site, 0) < 2:
            return
        links = _item_links(fetched, url)
        self._checked[index] = (site, links)
        for earlier, earlier_site, earlier_links in self._added:
            if earlier_site == site and _same_items(links, earlier_links):
                raise _TwinInFile(
                    AddFeedResult(
                        "duplicate_url",
                        f"the same stories as #{earlier.feed_id} {earlier.name}, added from this file",
                        feed_id=earlier.feed_id,
                        url=url,
                        existing=earlier.name,
                    )
                )

    def stored(self, index: int, result: AddFeedResult) -> None:
        if index in self._checked:
            site, links = self._checked[index]
            self._added.append((result, site, links))


def _site(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def _item_links(fetched: Any, url: str) -> frozenset[str]:
    from bot.feeds.identity import url_key
    from bot.feeds.parser import parse_feed

    try:
        parsed = parse_feed(fetched.content, url=fetched.final_url or url, headers=fetched.headers)
    except Exception:  # add_feed parsed it already; the twin check is a nicety, never a refusal
        log.exception("re-reading %s for the import's twin check failed", url)
        return frozenset()
    return frozenset(url_key(e.url) for e in parsed.entries if e.url)


def _same_items(these: frozenset[str], those: frozenset[str]) -> bool:
    """Most of each one's items are the other's: a section's feed (a part of the main one, which
    has many more) is not the main feed's twin."""
    shared = len(these & those)
    return min(len(these), len(those)) >= _TWIN_MIN_ITEMS and shared >= _TWIN_SHARE * max(
        len(these), len(those)
    )


async def _restore_state(db: Database, feed_id: int, item: OpmlFeed, *, actor: int, by: str) -> None:
    """What the file says of the feed beyond what add_feed takes (our namespace's attributes in an
    export): a paused feed imported stays paused, its topics and full-text setting come back."""
    if not (item.paused or item.topics or item.full_text):
        return
    async with db.write() as session:
        feed = await session.get(Feed, feed_id)
        if feed is None:
            return
        feed.topics = list(item.topics)
        feed.full_text = item.full_text
        if item.paused:
            feed.status = "paused"
            audit.record(session, actor, "feed.pause", feed_id=feed.id, name=feed.name, by=by, from_file=True)


async def remove_feed(
    db: Database, ref: str, *, actor: int = audit.CLI_ACTOR, by: str = ""
) -> FeedActionResult:
    """Delete the feed and its subscriptions; its stories stay (searchable, without a feed)."""
    async with db.write() as session:
        feed = await find_feed(session, ref)
        if feed is None:
            return FeedActionResult("not_found")
        followers = await notices.feed_subscribers(session, feed.id)
        following = (
            await session.scalars(
                select(Subscription.chat_id).where(
                    Subscription.kind == "feed", Subscription.target == str(feed.id)
                )
            )
        ).all()
        result = await session.execute(
            delete(Subscription).where(Subscription.kind == "feed", Subscription.target == str(feed.id))
        )
        removed = int(getattr(result, "rowcount", 0) or 0)
        now = utcnow()
        # Cards of the feed still waiting for its readers (a fan-out under way, quiet hours) go with
        # the subscription, as on /unsubscribe: the readers are told the source is gone. One
        # set-based pass: a feed with 5,000 readers held the writer for over a minute chat by chat.
        await subscriber_service.rematch_chats(session, following, now)
        info = FeedActionResult(
            "removed", feed.id, feed.name, feed.origin, subscriptions_removed=removed, followers=followers
        )
        audit.record(
            session,
            actor,
            "feed.remove",
            feed_id=feed.id,
            name=feed.name,
            url=feed.url,
            origin=feed.origin,
            subscriptions=removed,
            by=by,
        )
        await session.delete(feed)
    return info


async def removal_preview(db: Database, ref: str) -> FeedActionResult:
    """What /removefeed would remove, before the admin confirms: the feed and the active chats
    that would lose their subscription to it (code "confirm"), or "not_found". Nothing changes."""
    async with db.read() as session:
        feed = await find_feed(session, ref)
        if feed is None:
            return FeedActionResult("not_found")
        followers = await notices.feed_subscribers(session, feed.id)
        return FeedActionResult("confirm", feed.id, feed.name, feed.origin, followers=followers)


async def pause_feed(
    db: Database, ref: str, *, actor: int = audit.CLI_ACTOR, by: str = ""
) -> FeedActionResult:
    async with db.write() as session:
        feed = await find_feed(session, ref)
        if feed is None:
            return FeedActionResult("not_found")
        if feed.status == "paused":
            return FeedActionResult("already_paused", feed.id, feed.name, feed.origin)
        feed.status = "paused"
        audit.record(session, actor, "feed.pause", feed_id=feed.id, name=feed.name, by=by)
        return FeedActionResult("paused", feed.id, feed.name, feed.origin)


async def resume_feed(
    db: Database, ref: str, *, actor: int = audit.CLI_ACTOR, by: str = ""
) -> FeedActionResult:
    """Back to active, errors forgiven, polled at once (a feed that paused itself included)."""
    async with db.write() as session:
        feed = await find_feed(session, ref)
        if feed is None:
            return FeedActionResult("not_found")
        if feed.status == "active":
            return FeedActionResult("already_active", feed.id, feed.name, feed.origin)
        previous = feed.status
        feed.status = "active"
        feed.consecutive_errors = 0
        feed.next_check_at = utcnow()
        audit.record(session, actor, "feed.resume", feed_id=feed.id, name=feed.name, previous=previous, by=by)
        return FeedActionResult("resumed", feed.id, feed.name, feed.origin)


async def find_feed(session: AsyncSession, ref: str) -> Feed | None:
    """By id ("7" or "#7"), exact name, URL, or name ignoring case and spacing, then ignoring
    Arabic spelling variants too (`name_key`). Of several feeds that match alike, the first wins."""
    ref = " ".join(ref.split())
    if not ref:
        return None
    digits = ref.removeprefix("#")
    # isdecimal, not isdigit: int() takes Arabic-Indic digits but not superscripts. A number
    # past the id column's range is no feed's id, and the query would fail on it.
    if digits.isdecimal() and int(digits) <= _max_id(session):
        feed = await session.get(Feed, int(digits))
        if feed is not None:
            return feed
    feed = await session.scalar(select(Feed).where(Feed.name == ref))
    if feed is not None:
        return feed
    feeds = (await session.scalars(select(Feed).order_by(Feed.id))).all()
    key = normalize_url(ref) if "://" in ref else None
    wanted = name_key(ref)
    # Only when nothing matches more closely, so a name that matched before still finds its feed.
    folded: Feed | None = None
    for candidate in feeds:
        if key is not None and normalize_url(candidate.url) == key:
            return candidate
        if candidate.name.casefold() == ref.casefold():
            return candidate
        if folded is None and name_key(candidate.name) == wanted:
            folded = candidate
    return folded


def _max_id(session: AsyncSession) -> int:
    """feeds.id is an INTEGER: 64-bit in SQLite, 32-bit in PostgreSQL (asyncpg refuses more)."""
    return 2**63 - 1 if session.get_bind().dialect.name == "sqlite" else 2**31 - 1


# A feed whose items are mostly stories another feed already brought, and that brings most of
# what that feed brought in the same days, is that feed in another format or at another address (a
# site's RSS and its Atom, a FeedBurner copy): a second feed would only poll the same stories twice,
# and the admin would have two names for one source. A section's feed (a subset of the main one,
# which has many more stories in those days) is a feed of its own.
_TWIN_MIN_ITEMS = 3
_TWIN_SHARE = 0.8


async def _twin_of(db: Database, entries: Sequence[Any]) -> Feed | None:
    """The stored feed these entries (parser.ParsedEntry) duplicate, if any."""
    from bot.feeds.dedup import key_variants
    from bot.feeds.identity import url_key

    links = list(dict.fromkeys(e.url for e in entries if e.url))
    if len(links) < _TWIN_MIN_ITEMS:
        return None
    # A twin may link the same stories as http or https, with or without "www." (as the poller's
    # own duplicate check allows): each item counts once, whichever form the other feed stored.
    item_of = {form: link for link in links for form in key_variants(link, url_key(link))}
    async with db.read() as session:
        found = (
            await session.execute(
                select(Story.feed_id, Story.url).where(
                    Story.url.in_(list(item_of)), Story.feed_id.is_not(None)
                )
            )
        ).all()
        items_by_feed: dict[int, set[str]] = {}
        for feed_id, url in found:
            if feed_id is not None and url is not None:
                items_by_feed.setdefault(feed_id, set()).add(item_of[url])
        best = max(
            ((f, len(items)) for f, items in items_by_feed.items()), key=lambda row: row[1], default=None
        )
        if best is None or best[1] < _TWIN_SHARE * len(links):
            return None
        feed_id, shared = best
        dates = [as_utc(e.published) for e in entries if e.url and e.published is not None]
        if dates:
            theirs = await session.scalar(
                select(func.count())
                .select_from(Story)
                .where(
                    Story.feed_id == feed_id,
                    Story.published_at >= min(dates),
                    Story.published_at <= max(dates),
                )
            )
            if shared < _TWIN_SHARE * int(theirs or 0):
                return None  # it brought many more in those days: this is a part of it
        return await session.get(Feed, feed_id)


async def _duplicate(db: Database, url: str, name: str | None) -> AddFeedResult | None:
    async with db.read() as session:
        return await _duplicate_in(session, url, name)


async def _duplicate_in(session: AsyncSession, url: str, name: str | None) -> AddFeedResult | None:
    key = normalize_url(url)
    wanted = name_key(name) if name is not None else None
    for feed in (await session.scalars(select(Feed))).all():
        if normalize_url(feed.url) == key:
            return _already("duplicate_url", f"already there as #{feed.id} {feed.name}", feed, url)
        # Names that differ only by an Arabic spelling variant would be one name to /pausefeed.
        if wanted is not None and name_key(feed.name) == wanted:
            return _already("duplicate_name", f"the name {name!r} is taken by #{feed.id}", feed, url)
    # The address a feed had before it moved for good (bot.feeds.poller._track_move): adding it
    # again would make a second feed that follows the same redirect to the same stories.
    for alias, feed in (
        await session.execute(select(FeedAlias.url, Feed).join(Feed, Feed.id == FeedAlias.feed_id))
    ).all():
        if normalize_url(alias) == key:
            return _already(
                "duplicate_url",
                f"already there as #{feed.id} {feed.name}, which moved from this address to {feed.url}",
                feed,
                url,
            )
    return None


def _already(code: str, detail: str, feed: Feed, url: str) -> AddFeedResult:
    """A refusal naming the feed already there (and whether it is paused, so the admin can resume it)."""
    return AddFeedResult(
        code, detail, feed_id=feed.id, url=url, existing=feed.name, existing_paused=feed.status != "active"
    )


async def _unique_name(session: AsyncSession, base: str, url: str) -> str:
    taken = {name_key(n) for n in (await session.scalars(select(Feed.name))).all()}
    if name_key(base) not in taken:
        return base
    # The feed's host tells two feeds of one name apart, unless the name is that host already.
    by_host = [f"{base} ({_host(url)})"] if name_key(_host(url)) != name_key(base) else []
    for candidate in (*by_host, *(f"{base} ({i})" for i in range(2, 1000))):
        candidate = candidate[:MAX_NAME]
        if name_key(candidate) not in taken:
            return candidate
    return f"{base[: MAX_NAME - 20]} {utcnow().timestamp():.0f}"


class _DiscoveredFailed(Exception):
    """No feed link the page advertises works; `result` says why the last one failed."""

    def __init__(self, result: AddFeedResult) -> None:
        super().__init__(result.detail)
        self.result = result


async def _first_parsable(fetcher: Fetcher, links: list[str]) -> tuple[Any, str]:
    """The first discovered link that fetches and parses, and that link without its tracking
    parameters (a page advertises its feed as "/feed?utm_source=site", as it shares links);
    _DiscoveredFailed if none does."""
    from bot.feeds.fetcher import FetchError
    from bot.feeds.parser import FeedParseError, parse_feed

    refusal = AddFeedResult("discovered_not_feed")
    for link in (strip_tracking(link) for link in links):
        try:
            result = await fetcher.fetch(link, accept="feed")
            _raise_for_status(result, FetchError)
            return parse_feed(result.content, url=result.final_url or link, headers=result.headers), link
        except FetchError as exc:
            reason = str(getattr(exc, "reason", exc))
            code, status = classify_fetch_error(reason)
            code = "discovered_http_status" if code == "http_status" else "discovered_unreachable"
            refusal = AddFeedResult(code, f"{link} ({reason})", url=link, http_status=status, reason=reason)
        except FeedParseError as exc:
            refusal = AddFeedResult(
                "discovered_not_feed", f"{link} ({exc.reason})", url=link, reason=exc.reason
            )
    raise _DiscoveredFailed(refusal)


def _raise_for_status(result: Any, error_type: type[Exception]) -> None:
    status = getattr(result, "status", 200)
    if status and status >= 400:
        raise error_type(f"HTTP {status}")


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _site_host(url: str | None) -> str | None:
    """The host of a channel's web address (None when it is not one)."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return None
    return parts.hostname if parts.scheme.lower() in ("http", "https") else None
