"""One poll of one feed: fetch, parse, keep what is new, store it with its summary.

Exactly-once, step by step:
- An entry is new when its key (bot.feeds.identity) is not among the feed's FeedEntry rows; the
  story and its FeedEntry row are written in one transaction, so after a crash or a restart an
  entry is either fully stored or still new.
- An entry whose link this feed already stored under another key (a feed that changed its guids)
  gets a FeedEntry pointing at the old story and no new story. So does one the outlet relisted
  under a new key: at a new link with the same date and title and lead (`_relisted`), or with a
  later date and the same body, within RELIST_WINDOW of the story being first seen
  (`_republished`); a corrected headline there corrects the story, as below.
- A story that another feed stored (same link and similar title and lead, or, within 48 hours,
  near-identical title and lead) is stored with `duplicate_of`, so delivery sends it once to a
  subscriber of both feeds.
- The first successful poll of a feed stores its items (for /latest and search) but hands none to
  delivery: a new feed never floods its subscribers with its back catalogue. Nor does a feed whose
  first polls stored nothing (an empty channel, a 304): its first stories are delivered only when
  dated after the poll before. Later polls put their new stories in the routing queue
  (bot.feeds.models.RouteQueue) in the same transaction. Routing sends cards of those still news
  only: a story dated more than delivery.max_story_age before its feed's newest (the backlog of a
  feed back after an outage or a pause) is kept for search, /latest and its digest, not pushed.

Over time:
- An entry seen before whose title or text changed (its digest, EntryDigest) is a correction: its
  story is updated and re-indexed for search in the poll's transaction, and not delivered again.
- A permanent redirect followed on MOVE_AFTER successful polls in a row becomes the feed's URL
  (`_track_move`); the old URL stays as a FeedAlias, which config sync and /addfeed recognise.
- A config feed whose first poll repeats a feed config.toml just dropped takes over its
  subscribers (`_take_over_retired`): the same feed under a new URL and name.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Table, bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import as_utc, utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed, FeedEntry, Story, Subscription
from bot.feeds import batch, content, cpu, dedup, work
from bot.feeds.fetcher import Fetcher, FetchError, FetchResult
from bot.feeds.fulltext import fetch_article_text
from bot.feeds.health import alert_admins_moved, record_failure, success_delay
from bot.feeds.identity import reused_key, url_key
from bot.feeds.models import EntryDigest, FeedAlias, FeedPollState, RouteQueue
from bot.feeds.parser import FeedParseError, ParsedEntry, ParsedFeed, parse_feed_at

log = logging.getLogger(__name__)

_CHUNK = 400  # bound the size of IN (...) lists
_FUTURE_SLACK = timedelta(minutes=5)
# How much earlier than the last poll a first story may be dated and still be news (the outlet's
# clock, or ours, a little off).
_CLOCK_SLACK = timedelta(minutes=5)
# How long before the last successful poll a newly listed story may be dated and still be news (a
# story posted with the date it was written, a wrong time zone).
_STALE = timedelta(days=2)
_BACKFILL = 5
# Successful polls in a row through the same permanent redirect before the feed's URL follows it.
MOVE_AFTER = 3
# How long after a story was first seen its outlet may list it again, under a new key and a later
# date, and it is still that story (_republished). Relisting after an edit happens within hours;
# later, the same words are more likely the next day's story written to the same template.
RELIST_WINDOW = timedelta(hours=24)
# How far apart in date two word-for-word copies of an item, both listed, are one story posted
# twice (_reposted): a daily story written to a template is a day apart.
_REPOST_GAP = timedelta(hours=12)

try:
    # Keeps the search index in step: index_story is called in the session that stores the story.
    from bot.search import index as _search_index
except ImportError:  # search is optional for feed polling (and was built alongside it)
    _search_index = None  # type: ignore[assignment]


@dataclass
class PollResult:
    feed_id: int
    # Stories to hand to delivery (already queued in RouteQueue); empty on a feed's first poll.
    new_story_ids: list[int] = field(default_factory=list)
    error: str | None = None
    not_modified: bool = False
    # Every story this poll stored, first poll included (what `akhbar digest` prints).
    stored_story_ids: list[int] = field(default_factory=list)
    first_poll: bool = False
    paused: bool = False
    entries: int = 0  # entries in the document
    # Stories already stored that the outlet corrected (new title or text): updated, not re-sent.
    updated_story_ids: list[int] = field(default_factory=list)
    # Nothing about this poll could be stored (the database cannot be written): the feed's next
    # poll time did not move, so whoever polls again must wait on their own (the scheduler does).
    unrecorded: bool = False


@dataclass(frozen=True)
class _FeedRow:
    id: int
    url: str
    name: str
    etag: str | None
    last_modified: str | None
    interval: float
    full_text: bool
    ever_succeeded: bool
    ttl_seconds: float | None
    last_success_at: datetime | None = None
    moved_to: str | None = None
    moved_count: int = 0


@dataclass
class _NewStory:
    entry: ParsedEntry
    text: str
    prepared: content.Prepared | None = None
    # (title terms, body terms) for the search index, analysed in the worker with the summary.
    terms: tuple[str, str] | None = None


_NOT_FOUND = "feed not found"


class Outage:
    """Something every poll needs (the database) failing, logged once: a WARNING with the
    traceback when it starts, DEBUG lines while it lasts, an INFO when it ends. A traceback on
    every try (several a second, for every feed) would bury the rest of the log and fill its disk."""

    def __init__(self, logger: logging.Logger, started: str, ended: str) -> None:
        self.log, self.started, self.ended = logger, started, ended
        self.since: datetime | None = None
        self.failures = 0

    def failed(self, error: BaseException, detail: str) -> None:
        self.failures += 1
        if self.since is not None:
            self.log.debug("%s, still (%s): %r", self.started, detail, error)
            return
        self.since = utcnow()
        self.log.warning(
            "%s (%s; its end is logged, not each try): %s", self.started, detail, error, exc_info=error
        )

    def recovered(self) -> None:
        if self.since is None:
            return
        lasted = (utcnow() - self.since).total_seconds()
        self.log.info("%s (it lasted %.0f s, %d tries failed)", self.ended, lasted, self.failures)
        self.since, self.failures = None, 0


_write_outages: weakref.WeakKeyDictionary[Database, Outage] = weakref.WeakKeyDictionary()


def write_outage(db: Database) -> Outage:
    """This database's write outage: polls whose outcome could not be stored."""
    outage = _write_outages.get(db)
    if outage is None:
        outage = _write_outages[db] = Outage(
            log,
            "the database cannot be written: polls are not recorded, and each feed waits at least its"
            " interval between tries",
            "the database can be written again: polls are recorded",
        )
    return outage


async def poll_feed(db: Database, config: Config, fetcher: Fetcher, feed_id: int) -> PollResult:
    """Poll a feed once, whatever its status or schedule (the scheduler decides when)."""
    try:
        try:
            result = await _poll(db, config, fetcher, feed_id)
        except IntegrityError:
            # Another process (say `akhbar digest` next to the bot) stored the same entries first;
            # nothing of this poll was stored, and polled again it finds them there.
            log.info("feed %s: entries stored concurrently by another poller; polling again", feed_id)
            result = await _poll(db, config, fetcher, feed_id)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        # A constraint that fails twice in a row is no race (a bug, or id sequences left behind the
        # rows a hand copy brought in): the feed's failure like any other, so it shows in /feed and
        # the feed list, the feed backs off, and the admins are told if it pauses.
        return await record_crash(db, config, feed_id, exc)
    if result.error != _NOT_FOUND:
        write_outage(db).recovered()  # the poll's outcome was written
    return result


async def record_crash(db: Database, config: Config, feed_id: int, exc: Exception) -> PollResult:
    """An unexpected error in a poll counts as the feed's failure, so the feed backs off as after
    any failure. When even that cannot be written, the database itself is failing (a full disk,
    PostgreSQL down, a lock held for long): the result is `unrecorded`, and the outage is logged
    once (`write_outage`), not on every try."""
    reason = f"internal error: {type(exc).__name__}: {exc}"[:500]
    try:
        failure = await record_failure(db, config, feed_id, reason)
    except Exception as error:  # raised while handling exc: its traceback shows both
        write_outage(db).failed(error, f"feed {feed_id}")
        return PollResult(feed_id, error=reason, unrecorded=True)
    write_outage(db).recovered()
    log.error("feed %s: unexpected error while polling", feed_id, exc_info=exc)
    return PollResult(feed_id, error=reason, paused=failure.paused)


async def _load_feed(db: Database, feed_id: int) -> _FeedRow | None:
    loader = batch.coalescer(db, "feed-rows", lambda: batch.Coalescer(lambda ids: _load_feeds(db, ids)))
    row: _FeedRow | None = await loader.submit(feed_id)
    return row


async def _load_feeds(db: Database, feed_ids: list[int]) -> list[_FeedRow | None]:
    def load(session: Session) -> list[_FeedRow | None]:
        found: dict[int, _FeedRow] = {}
        for start in range(0, len(feed_ids), _CHUNK):
            rows = session.execute(
                select(
                    Feed.id,
                    Feed.url,
                    Feed.name,
                    Feed.etag,
                    Feed.last_modified,
                    Feed.interval,
                    Feed.full_text,
                    Feed.last_success_at,
                    FeedPollState.ttl_seconds,
                    FeedPollState.moved_to,
                    FeedPollState.moved_count,
                )
                .outerjoin(FeedPollState, FeedPollState.feed_id == Feed.id)
                .where(Feed.id.in_(feed_ids[start : start + _CHUNK]))
            )
            for row in rows.all():
                found[row[0]] = _FeedRow(
                    id=row[0],
                    url=row[1],
                    name=row[2],
                    etag=row[3],
                    last_modified=row[4],
                    interval=row[5],
                    full_text=bool(row[6]),
                    ever_succeeded=row[7] is not None,
                    ttl_seconds=row[8],
                    last_success_at=as_utc(row[7]) if row[7] is not None else None,
                    moved_to=row[9],
                    moved_count=row[10] or 0,
                )
        return [found.get(feed_id) for feed_id in feed_ids]

    return await db.read_sync(load)


async def _poll(db: Database, config: Config, fetcher: Fetcher, feed_id: int) -> PollResult:
    feed = await _load_feed(db, feed_id)
    if feed is None:
        return PollResult(feed_id, error=_NOT_FOUND)
    try:
        result = await fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
    except FetchError as exc:
        failure = await record_failure(
            db, config, feed_id, exc.reason, retry_after=exc.retry_after, gone=exc.status == 410
        )
        return PollResult(feed_id, error=exc.reason, paused=failure.paused)
    if result.not_modified:
        await _record_not_modified(db, config, feed, result)
        await _track_move(db, config, feed, result)
        return PollResult(feed_id, not_modified=True)
    ready: dict[str, work.Prepared] | None = None
    try:
        if feed.ever_succeeded or feed.full_text:
            parsed = await cpu.run(
                config.fetch.parse_processes, parse_feed_at, result.content, result.final_url, result.headers
            )
        else:
            # Most likely a first poll, where every entry is new: parse and prepare in one go.
            parsed, ready = await cpu.run(
                config.fetch.parse_processes,
                work.parse_and_prepare,
                result.content,
                result.final_url,
                result.headers,
                config.summary.sentences,
                config.summary.max_chars,
            )
    except FeedParseError as exc:
        failure = await record_failure(db, config, feed_id, exc.reason)
        return PollResult(feed_id, error=exc.reason, paused=failure.paused)
    stored = await _store(db, config, fetcher, feed, result, parsed, ready)
    if stored.error is None:
        await _track_move(db, config, feed, result)
    return stored


async def _track_move(db: Database, config: Config, feed: _FeedRow, result: FetchResult) -> None:
    """Count a successful poll that reached the feed through permanent redirects only; after
    MOVE_AFTER such polls in a row to the same place, the feed's URL becomes that place (its id,
    subscriptions and stories stay) and the old URL is kept as an alias. Temporary redirects never
    count, and a poll without a permanent redirect starts the count again: a CDN or a misconfigured
    server that answers 301 for an hour does not rewrite the feed. Nothing is read or written on
    the usual poll (no redirect, no count)."""
    target = result.permanent_url if result.permanent_url != feed.url else None
    if target is None and not feed.moved_count:
        return
    count = (feed.moved_count + 1 if target == feed.moved_to else 1) if target else 0
    moved = await db.write_sync(lambda session: _move_state(session, feed, target, count))
    if moved and target is not None:
        log.warning("feed %r moved permanently: %s -> %s (URL updated)", feed.name, feed.url, target)
        await alert_admins_moved(db, config, feed.id, feed.name, feed.url, target)


def _move_state(session: Session, feed: _FeedRow, target: str | None, count: int) -> bool:
    state = session.get(FeedPollState, feed.id)
    if state is None:
        if session.get(Feed, feed.id) is None:
            return False
        state = FeedPollState(feed_id=feed.id, ttl_seconds=feed.ttl_seconds)
        session.add(state)
    state.moved_to, state.moved_count = target, count
    if target is None or count < MOVE_AFTER:
        return False
    current = session.get(Feed, feed.id)
    if current is None or current.url != feed.url:
        return False  # removed, or its URL edited meanwhile: that edit wins
    clash = session.scalar(select(Feed.id).where(Feed.url == target, Feed.id != feed.id))
    if clash is not None:
        # Another feed already has that URL (an admin added the new address): both would poll one
        # feed. Keep counting and leave it to the admin, who sees the move in /feed.
        log.warning(
            "feed %r redirects permanently to %s, which feed %s already has", feed.name, target, clash
        )
        return False
    current.url = target[:2048]
    state.moved_to, state.moved_count = None, 0
    alias = session.get(FeedAlias, feed.url)
    if alias is None:
        session.add(FeedAlias(url=feed.url, feed_id=feed.id, moved_at=utcnow()))
    else:
        alias.feed_id, alias.moved_at = feed.id, utcnow()
    returned = session.get(FeedAlias, target)
    if returned is not None:
        session.delete(returned)  # moved back to an address it had before
    return True


async def _record_not_modified(db: Database, config: Config, feed: _FeedRow, result: FetchResult) -> None:
    now = utcnow()
    delay = success_delay(
        feed.interval, config, max_age=result.max_age, retry_after=result.retry_after, ttl=feed.ttl_seconds
    )
    writer = batch.coalescer(db, "feed-state", lambda: batch.Coalescer(lambda rows: _write_states(db, rows)))
    await writer.submit(
        {
            "id": feed.id,
            "etag": _clip(result.etag, 512),
            "last_modified": _clip(result.last_modified, 128),
            "last_checked_at": now,
            "last_success_at": now,
            "consecutive_errors": 0,
            "next_check_at": now + timedelta(seconds=delay),
        }
    )


_STATE_COLUMNS = (
    "etag",
    "last_modified",
    "last_checked_at",
    "last_success_at",
    "consecutive_errors",
    "next_check_at",
)


async def _write_states(db: Database, rows: list[dict[str, Any]]) -> list[None]:
    """One executemany UPDATE for many feeds' 304 bookkeeping. Core, not the ORM's bulk update by
    primary key: a feed removed meanwhile must simply match no row, not fail the whole batch."""
    table = cast(Table, Feed.__table__)
    statement = (
        update(table)
        .where(table.c.id == bindparam("feed_id"))
        .values({name: bindparam(f"new_{name}") for name in _STATE_COLUMNS})
    )
    params = [{"feed_id": row["id"], **{f"new_{n}": row[n] for n in _STATE_COLUMNS}} for row in rows]
    await db.write_sync(lambda session: session.execute(statement, params))
    return [None] * len(rows)


def _clip(value: str | None, limit: int) -> str | None:
    return value if value is None or len(value) <= limit else None


def _keys_seen(session: Session, feed_id: int, keys: Sequence[str]) -> set[str]:
    seen: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        chunk = list(keys[start : start + _CHUNK])
        seen.update(
            session.scalars(
                select(FeedEntry.entry_key).where(
                    FeedEntry.feed_id == feed_id, FeedEntry.entry_key.in_(chunk)
                )
            ).all()
        )
    return seen


def _seen_digests(session: Session, feed_id: int, keys: Sequence[str]) -> dict[str, str | None]:
    """The keys this feed has shown before -> the digest last recorded for each (None: stored
    before digests were kept)."""
    seen: dict[str, str | None] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = list(keys[start : start + _CHUNK])
        rows = session.execute(
            select(FeedEntry.entry_key, EntryDigest.digest)
            .outerjoin(
                EntryDigest,
                (EntryDigest.feed_id == FeedEntry.feed_id) & (EntryDigest.entry_key == FeedEntry.entry_key),
            )
            .where(FeedEntry.feed_id == feed_id, FeedEntry.entry_key.in_(chunk))
        )
        seen.update((key, digest) for key, digest in rows.all())
    return seen


def _stories_by_url(
    session: Session, feed_id: int, urls: Sequence[str]
) -> dict[str, list[tuple[int, str, str]]]:
    """This feed's stories with these links: url -> (id, title, text), first stored first."""
    found: dict[str, list[tuple[int, str, str]]] = {}
    for start in range(0, len(urls), _CHUNK):
        chunk = list(urls[start : start + _CHUNK])
        rows = session.execute(
            select(Story.url, Story.id, Story.title, Story.text)
            .where(Story.feed_id == feed_id, Story.url.in_(chunk))
            .order_by(Story.id)
        )
        for url, story_id, title, text in rows.all():
            if url is not None:
                found.setdefault(url, []).append((story_id, title, text or ""))
    return found


async def _store(
    db: Database,
    config: Config,
    fetcher: Fetcher,
    feed: _FeedRow,
    result: FetchResult,
    parsed: ParsedFeed,
    ready: dict[str, work.Prepared] | None = None,
) -> PollResult:
    entries = work.unique(parsed.entries)

    renamed: dict[str, str] = {}  # reused guid's new key -> the entry's own key
    # Seen entries whose digest changed (the outlet corrected them), and seen entries with no
    # digest yet (stored before digests were kept: recorded now, nothing to compare with).
    changed: list[ParsedEntry] = []
    undigested: list[ParsedEntry] = []

    def which_are_new(session: Session) -> tuple[bool, bool, list[ParsedEntry]]:
        first = not feed.ever_succeeded and not session.scalar(
            select(exists().where(FeedEntry.feed_id == feed.id))
        )
        # A feed with no entry rows at all has seen none of these keys: skip that query.
        seen = {} if first else _seen_digests(session, feed.id, [e.key for e in entries])
        # Its earlier polls stored nothing (an empty channel, a 304): what it lists now is its
        # back catalogue, as on a first poll. Asked only when none of the keys was seen.
        catalogue = not first and not seen and not _has_entries(session, feed.id)
        fresh = [e for e in entries if e.key not in seen]
        reused = _reused_guids(session, feed.id, [e for e in entries if e.key in seen]) if seen else {}
        for entry in entries:
            if entry.key not in seen or entry.key in reused:
                continue
            digest = seen[entry.key]
            if digest is None:
                undigested.append(entry)
            elif digest != entry.digest:
                changed.append(entry)
        if reused:
            known = _keys_seen(session, feed.id, list(reused.values()))
            for entry in entries:
                key = reused.get(entry.key)
                if key is not None and key not in known:
                    renamed[key] = entry.key
                    fresh.append(replace(entry, key=key))
        return first, catalogue, fresh

    first_poll, catalogue, new = await db.read_sync(which_are_new)
    # Feeds list newest first; store oldest first so story ids follow publication order.
    new.reverse()
    started = utcnow()
    new.sort(key=lambda e: (e.published is None, e.published or started))

    if ready is not None:
        stories = [_NewStory(e, *ready[renamed.get(e.key, e.key)]) for e in new + changed]
    else:
        stories = await _prepare(db, config, fetcher, feed, new + changed)
    stories, corrected = stories[: len(new)], stories[len(new) :]
    now = utcnow()
    delay = success_delay(
        feed.interval, config, max_age=result.max_age, retry_after=result.retry_after, ttl=parsed.ttl_seconds
    )
    recent = _recent.get(db)
    if recent is None:
        recent = _recent[db] = dedup.RecentPrints()
    write = _Write(
        feed, result, parsed, stories, now, delay, first_poll, recent, corrected, undigested, catalogue
    )
    ids = await db.write_sync(write.run)
    if ids is None:
        return PollResult(feed.id, error="feed was removed while it was being polled")
    if write.paused:
        log.info("feed %r: paused while it was being polled; nothing stored", feed.name)
        return PollResult(feed.id)
    if ids:
        log.info("feed %r: %d new stories%s", feed.name, len(ids), " (first poll)" if first_poll else "")
    if write.updated:
        log.info("feed %r: %d stories corrected by the outlet, updated", feed.name, len(write.updated))
    if len(write.routed) < len(ids) and not first_poll:
        log.info(
            "feed %r: %d old stories stored, not delivered%s",
            feed.name,
            len(ids) - len(write.routed),
            " (its first stories: only those dated after the last poll are news)" if catalogue else "",
        )
    return PollResult(
        feed.id,
        new_story_ids=write.routed,
        stored_story_ids=ids,
        first_poll=first_poll,
        entries=len(parsed.entries),
        updated_story_ids=write.updated,
    )


@dataclass
class _Write:
    """One poll's write transaction, as a plain function over a sync Session (Database.write_sync):
    on SQLite all its statements run in one worker thread instead of a thread hop each."""

    feed: _FeedRow
    result: FetchResult
    parsed: ParsedFeed
    stories: list[_NewStory]
    now: datetime
    delay: float
    first_poll: bool
    recent: dedup.RecentPrints
    corrected: list[_NewStory] = field(default_factory=list)  # seen entries whose digest changed
    undigested: list[ParsedEntry] = field(default_factory=list)  # seen entries with no digest yet
    catalogue: bool = False  # the feed's first stories, after polls that stored none
    routed: list[int] = field(default_factory=list)  # the ids queued for delivery
    updated: list[int] = field(default_factory=list)  # stored stories updated with a correction
    paused: bool = False  # the feed was paused while being polled: nothing written

    def run(self, session: Session) -> list[int] | None:
        """The new stories' ids in publication order; None when the feed is gone."""
        feed, result, parsed, now = self.feed, self.result, self.parsed, self.now
        etag, modified = (result.etag, result.last_modified) if parsed.complete else (None, None)
        # The feed row's update doubles as "is it still there, and still active?" (removed or
        # paused while being polled).
        updated = session.execute(
            update(Feed)
            .where(Feed.id == feed.id, Feed.status != "paused")
            .values(
                etag=_clip(etag, 512),
                last_modified=_clip(modified, 128),
                last_checked_at=now,
                last_success_at=now,
                consecutive_errors=0,
                next_check_at=now + timedelta(seconds=self.delay),
                site_url=func.coalesce(Feed.site_url, (parsed.link or None) and parsed.link[:2048]),
            )
        )
        if not getattr(updated, "rowcount", 1):
            if session.scalar(select(Feed.status).where(Feed.id == feed.id)) != "paused":
                return None
            # Paused by an admin while this poll was in flight: the admin was told «أُوقف المصدر»,
            # so nothing it fetched is stored or sent. Its validators are not kept either: resumed,
            # the feed is read whole again and what was new now is new then.
            self.paused = True
            return []
        if parsed.ttl_seconds != feed.ttl_seconds:
            session.merge(FeedPollState(feed_id=feed.id, ttl_seconds=parsed.ttl_seconds, updated_at=now))
        stories = self.stories
        # Re-check under the write lock: another task may have stored some of these meanwhile.
        now_seen = _keys_seen(session, feed.id, [s.entry.key for s in stories]) if stories else set()
        # An entry under a new key whose link this feed already stored (the feed changed its guids)
        # is the old story: it gets a FeedEntry pointing there, no new story. The same link alone
        # is not enough: some feeds give every item one link (the channel, the home page).
        by_url = (
            {}
            if self.first_poll
            else _stories_by_url(session, feed.id, [i.entry.url for i in stories if i.entry.url])
        )
        stored: dict[str, int] = {}  # entry key -> the story this feed already stored for it
        for i in stories:
            story_id = _same_as(i, by_url.get(i.entry.url or "", []))
            if story_id is not None:
                stored[i.entry.key] = story_id
        # The same story listed again under a new link (and so a new key): an edited slug, a
        # trailing slash, the AMP page. Its date and its words are what stay; or, its date bumped
        # as well, its body.
        if not self.first_poll:
            unmatched = [i for i in stories if i.entry.key not in stored]
            stored.update(_relisted(session, feed.id, unmatched, now_seen))
            unmatched = [i for i in unmatched if i.entry.key not in stored]
            stored.update(_requeried(session, feed.id, unmatched, parsed.entries))
            unmatched = [i for i in unmatched if i.entry.key not in stored and i.entry.key not in now_seen]
            stored.update(_republished(session, feed.id, unmatched, parsed.entries, now))
        repeats = [
            (i.entry, stored[i.entry.key])
            for i in stories
            if i.entry.key in stored and i.entry.key not in now_seen
        ]
        stories = [i for i in stories if i.entry.key not in stored]
        # The same article listed twice in this one document (Sky News lists many under a short
        # link and again under a slug link, two guids): one story, both keys pointing at it.
        copies = _copies_in_document([i for i in stories if i.entry.key not in now_seen])
        stories = [i for i in stories if i.entry.key not in copies]
        by_link = _link_duplicates(session, feed.id, [i.entry for i in stories if i.entry.url])
        recent = _recent_prints(session, self.recent, now) if stories else None
        rows: list[dict[str, Any]] = []
        kept: list[_NewStory] = []
        for item in stories:
            if item.entry.key in now_seen:
                continue
            kept.append(item)
            assert item.prepared is not None
            entry = item.entry
            published = entry.published or now
            if published > now + _FUTURE_SLACK:
                published = now
            rows.append(
                {
                    "feed_id": feed.id,
                    "entry_key": entry.key,
                    "url": entry.url if entry.url and len(entry.url) <= 2048 else None,
                    "title": entry.title or work.untitled(item.text),
                    "source": feed.name,
                    "published_at": published,
                    "fetched_at": now,
                    "categories": list(entry.categories),
                    "text": item.text,
                    "summary": item.prepared.summary,
                    "fingerprint": item.prepared.fingerprint,
                    "duplicate_of": _duplicate_of(session, feed.id, item, by_link, recent),
                }
            )
        # One multi-row INSERT ... RETURNING (Core, not per-object ORM adds and a flush). The ids
        # are matched to rows by entry key, which is unique in this batch: asking SQLAlchemy to
        # return them in parameter order would make it insert one row per statement on SQLite.
        ids: list[int] = []
        if rows:
            table = cast(Table, Story.__table__)
            inserted = session.execute(insert(table).returning(table.c.id, table.c.entry_key), rows)
            id_of = {key: int(story_id) for story_id, key in inserted.all()}
            ids = [id_of[row["entry_key"]] for row in rows]
        entry_rows = [
            {"feed_id": feed.id, "entry_key": row["entry_key"], "story_id": sid}
            for row, sid in zip(rows, ids, strict=True)
        ]
        entry_rows += [{"feed_id": feed.id, "entry_key": e.key, "story_id": sid} for e, sid in repeats]
        id_of_key = {row["entry_key"]: sid for row, sid in zip(rows, ids, strict=True)}
        entry_rows += [
            {"feed_id": feed.id, "entry_key": copy.entry.key, "story_id": id_of_key[first]}
            for first, copy in copies.values()
            if first in id_of_key
        ]
        if entry_rows:
            session.execute(insert(cast(Table, FeedEntry.__table__)), entry_rows)
        digest_rows = [
            {"feed_id": feed.id, "entry_key": e.key, "digest": e.digest}
            for e in [
                *(i.entry for i in kept),
                *(e for e, _ in repeats),
                *(copy.entry for first, copy in copies.values() if first in id_of_key),
                *self.undigested,
            ]
        ]
        if digest_rows:
            session.execute(insert(cast(Table, EntryDigest.__table__)), digest_rows)
        if self.corrected:
            # Recorded whether or not the story changes (a description re-worded into the same
            # clean text): the next poll compares with this.
            digest_table = cast(Table, EntryDigest.__table__)
            session.execute(
                update(digest_table)
                .where(digest_table.c.feed_id == feed.id, digest_table.c.entry_key == bindparam("key"))
                .values(digest=bindparam("new_digest")),
                [{"key": i.entry.key, "new_digest": i.entry.digest} for i in self.corrected],
            )
            story_of = _story_ids(session, feed.id, [i.entry.key for i in self.corrected])
            corrected = [(i, story_of[i.entry.key]) for i in self.corrected if i.entry.key in story_of]
            self.updated = _apply_corrections(session, feed, corrected)
        # A story relisted under a new link (or under a new guid with its old link) with its
        # headline corrected, the editor having fixed the slug with it: the same story, corrected
        # like one under its own key.
        repeat_of = {e.key: sid for e, sid in repeats}
        relisted = [(i, repeat_of[i.entry.key]) for i in self.stories if i.entry.key in repeat_of]
        if relisted:
            fixed = _apply_corrections(session, feed, relisted, new_title_only=True)
            self.updated = sorted({*self.updated, *fixed})
        if ids and not self.first_poll:
            self.routed = (
                _dated_after_last_poll(feed, kept, ids) if self.catalogue else _news(feed, rows, ids)
            )
        if ids and (self.first_poll or self.catalogue):
            _take_over_retired(session, feed, rows)
        if self.routed:
            session.execute(
                insert(cast(Table, RouteQueue.__table__)),
                [{"story_id": i, "created_at": now} for i in self.routed],
            )
        if _search_index is not None:
            # Duplicates are not indexed: search lists the original once.
            _search_index.index_story_rows_sync(
                session,
                [
                    (
                        sid,
                        *(item.terms or _search_index.story_terms(row["title"], row["text"], row["summary"])),
                    )
                    for item, row, sid in zip(kept, rows, ids, strict=True)
                    if row["duplicate_of"] is None
                ],
            )
        return ids


def _take_over_retired(session: Session, feed: _FeedRow, rows: list[dict[str, Any]]) -> None:
    """A config feed's first poll that lists the stories of a feed config.toml just dropped is that
    feed under a new URL (and name): an admin who edits both in config.toml means the same feed,
    and its subscribers expect to go on receiving it. When most of this first poll's stories are
    duplicates of one retired config feed's stories, that feed's subscriptions move to this one.
    Nothing is delivered twice either way: a first poll never delivers, and later stories are
    this feed's own. Two feeds of one site that merely share a few stories are not merged: the
    new one must repeat at least half of what it lists, all from that one retired feed."""
    from bot.sync import RETIRED  # bot.sync imports the feed models, not the poller

    canonical = [int(row["duplicate_of"]) for row in rows if row["duplicate_of"] is not None]
    if not canonical or 2 * len(canonical) < len(rows):
        return
    owners = session.execute(
        select(Story.feed_id, func.count())
        .where(Story.id.in_(sorted(set(canonical))[:_CHUNK]))
        .group_by(Story.feed_id)
    ).all()
    likely = [owner for owner, n in owners if owner is not None and 2 * n >= len(rows)]
    if len(likely) != 1:
        return
    old, new = session.get(Feed, likely[0]), session.get(Feed, feed.id)
    if old is None or new is None or new.origin != "config" or old.origin != "config":
        return
    if old.status == "active" or old.last_error != RETIRED:
        return
    old_target, new_target = str(old.id), str(new.id)
    already = select(Subscription.chat_id).where(
        Subscription.kind == "feed", Subscription.target == new_target
    )
    moved = session.execute(
        update(Subscription)
        .where(
            Subscription.kind == "feed",
            Subscription.target == old_target,
            Subscription.chat_id.not_in(already),
        )
        .values(target=new_target)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Subscription).where(Subscription.kind == "feed", Subscription.target == old_target)
    )
    old.last_error = f"{RETIRED}; replaced by feed {new.id} ({new.url})"[:2000]
    log.warning(
        "config feed %r (%s) is feed %r (%s) at a new address: %d subscriptions moved to it",
        new.name,
        new.url,
        old.name,
        old.url,
        getattr(moved, "rowcount", 0) or 0,
    )


def _story_ids(session: Session, feed_id: int, keys: Sequence[str]) -> dict[str, int]:
    """entry key -> the story this feed stored for it."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), _CHUNK):
        rows = session.execute(
            select(FeedEntry.entry_key, FeedEntry.story_id).where(
                FeedEntry.feed_id == feed_id, FeedEntry.entry_key.in_(keys[start : start + _CHUNK])
            )
        )
        found.update((key, sid) for key, sid in rows.all() if sid is not None)
    return found


def _apply_corrections(
    session: Session, feed: _FeedRow, items: list[tuple[_NewStory, int]], *, new_title_only: bool = False
) -> list[int]:
    """Update the stories (item, its story id) the outlet corrected (a new headline, a fixed body):
    their title, text, summary and fingerprint, and their search index row, so search finds the
    new wording and not the old. Nothing is delivered again. Returns the ids updated.
    `new_title_only`: only a changed headline counts (a relisted story: its other copy's text may
    differ in small ways, an AMP page's for one, without anything being corrected)."""
    current: dict[int, tuple[str, str, int | None]] = {}
    ids = sorted({sid for _, sid in items})
    for start in range(0, len(ids), _CHUNK):
        found = session.execute(
            select(Story.id, Story.title, Story.text, Story.duplicate_of).where(
                Story.id.in_(ids[start : start + _CHUNK]), Story.feed_id == feed.id
            )
        )
        current.update((sid, (title, text or "", dup)) for sid, title, text, dup in found.all())
    updates: dict[int, dict[str, Any]] = {}
    terms: dict[int, tuple[str, str]] = {}
    for item, sid in items:
        if sid not in current or sid in updates:
            continue
        assert item.prepared is not None
        title = item.entry.title or work.untitled(item.text)
        old_title, old_text, duplicate_of = current[sid]
        if (title, item.text) == (old_title, old_text) or not (title.strip() and item.text.strip()):
            continue  # unchanged once cleaned, or emptied by a broken fetch: keep what we have
        if new_title_only and title == old_title:
            continue
        updates[sid] = {
            "story_id": sid,
            "new_title": title,
            "new_text": item.text,
            "new_summary": item.prepared.summary,
            "new_fingerprint": item.prepared.fingerprint,
        }
        if duplicate_of is None:
            terms[sid] = item.terms or _terms(title, item.text, item.prepared.summary)
    if not updates:
        return []
    table = cast(Table, Story.__table__)
    session.execute(
        update(table)
        .where(table.c.id == bindparam("story_id"))
        .values(
            title=bindparam("new_title"),
            text=bindparam("new_text"),
            summary=bindparam("new_summary", type_=table.c.summary.type),
            fingerprint=bindparam("new_fingerprint"),
        ),
        list(updates.values()),
    )
    if _search_index is not None and terms:
        _search_index.replace_story_rows_sync(session, [(sid, *t) for sid, t in terms.items()])
    return sorted(updates)


def _terms(title: str, text: str, summary: list[str]) -> tuple[str, str]:
    assert _search_index is not None
    return _search_index.story_terms(title, text, summary)


async def _prepare(
    db: Database, config: Config, fetcher: Fetcher, feed: _FeedRow, entries: list[ParsedEntry]
) -> list[_NewStory]:
    if not entries:
        return []
    processes = config.fetch.parse_processes
    texts: list[str] | None = None
    pages: list[str | None] = []
    if feed.full_text:
        texts = await cpu.run(processes, content.entry_texts, entries)
        pages = [None] * len(entries)
        short = [
            i
            for i, entry in enumerate(entries)
            if entry.url and content.word_count(texts[i]) < config.fetch.full_text_min_words
        ]
        fetched = await asyncio.gather(
            *(fetch_article_text(db, fetcher, entries[i].url or "") for i in short), return_exceptions=True
        )
        for i, page in zip(short, fetched, strict=True):
            if isinstance(page, BaseException):
                log.warning("full text for %s failed: %s", entries[i].url, page)
            else:
                pages[i] = page
    prepared = await cpu.run(
        processes,
        work.prepare_entries,
        entries,
        texts,
        pages,
        config.summary.sentences,
        config.summary.max_chars,
    )
    return [
        _NewStory(entry=entry, text=text, prepared=prep, terms=terms)
        for entry, (text, prep, terms) in zip(entries, prepared, strict=True)
    ]


def _reused_guids(session: Session, feed_id: int, entries: list[ParsedEntry]) -> dict[str, str]:
    """entry key -> a key of its own, for entries whose guid this feed once gave another story: a
    CMS that numbers its items afresh after a migration, or reuses a slot. Another story is one
    with another link, another publication date and another title; a story corrected under its
    guid keeps its date. Undated entries cannot be told apart and stay what their guid says."""
    # Only opaque guids: a key made from a link names that link, so it cannot be another story's.
    dated = {
        e.key: e for e in entries if e.key.startswith("guid:") and e.link_key and e.published is not None
    }
    found: dict[str, str] = {}
    keys = sorted(dated)
    for start in range(0, len(keys), _CHUNK):
        rows = session.execute(
            select(FeedEntry.entry_key, Story.url, Story.title, Story.published_at)
            .join(Story, Story.id == FeedEntry.story_id)
            .where(FeedEntry.feed_id == feed_id, FeedEntry.entry_key.in_(keys[start : start + _CHUNK]))
        )
        for key, url, title, published in rows.all():
            entry = dated[key]
            if (
                url
                and url_key(url) != entry.link_key
                and as_utc(published) != entry.published
                and not dedup.same_story(entry.title, "", title, "")
            ):
                found[key] = reused_key(key, entry.link_key or "")
    return found


def _copies_in_document(items: list[_NewStory]) -> dict[str, tuple[str, _NewStory]]:
    """entry key -> (the entry key of the earlier item it repeats, itself), for new items of one
    document that are another new item word for word, with the same date: the same title and the
    same cleaned text (spacing aside). Nothing looser: an outlet that lists two items at once means
    two (a daily notice whose words did not change is listed beside yesterday's, a day apart). The
    strings are compared as they are, not tokenised: this runs on every new story of a poll."""
    first_with: dict[tuple[Any, ...], str] = {}
    copies: dict[str, tuple[str, _NewStory]] = {}
    for item in items:
        title, body = " ".join((item.entry.title or "").split()), " ".join(item.text.split())
        if not title and not body:
            continue
        signature = (title, body, item.entry.published)
        first = first_with.setdefault(signature, item.entry.key)
        if first != item.entry.key:
            copies[item.entry.key] = (first, item)
    return copies


def _relisted(session: Session, feed_id: int, items: list[_NewStory], seen: set[str]) -> dict[str, int]:
    """entry key -> this feed's stored story with the same publication date and the same title and
    lead (dedup.same_story). The date is what tells a relisted story from a daily one written to a
    template ("أسعار الذهب اليوم"), which has the same words on another day. A relisted story with
    a later date is _republished's, which asks its whole body instead."""
    dated = [i for i in items if i.entry.published is not None and i.entry.key not in seen]
    dates = sorted({i.entry.published for i in dated if i.entry.published is not None})
    if not dates:
        return {}
    stored: dict[datetime, list[tuple[int, str, str]]] = {}
    for start in range(0, len(dates), _CHUNK):
        rows = session.execute(
            select(Story.id, Story.published_at, Story.title, Story.text).where(
                Story.feed_id == feed_id, Story.published_at.in_(dates[start : start + _CHUNK])
            )
        )
        for story_id, published, title, text in rows.all():
            stored.setdefault(as_utc(published), []).append((story_id, title, text or ""))
    found: dict[str, int] = {}
    for item in dated:
        assert item.entry.published is not None
        same = _same_as(item, stored.get(item.entry.published, []))
        if same is not None:
            found[item.entry.key] = same
    return found


def _republished(
    session: Session, feed_id: int, items: list[_NewStory], document: list[ParsedEntry], now: datetime
) -> dict[str, int]:
    """entry key -> this feed's story, first seen within RELIST_WINDOW, that a new item is: the
    outlet listed it again under a new guid and link and a later date (a CMS that changes the slug
    and bumps the date when an editor corrects the headline), or with neither guid nor link and a
    new date, so that nothing of its key stays. Its body stays: near-identical (dedup.same_text),
    and the item's own, not a blurb the feed puts under every item (it would then match several
    stories). The earlier story must have left the document: an outlet that keeps both listed
    publishes two items (a daily story written to a template keeps yesterday's listed, and their
    figures differ a little), unless the new one is the first posted again (_reposted). A
    title-only item cannot be matched: with its title changed nothing is left to tell a corrected
    story from a new one, so it stays a new story."""
    bodies = [i for i in items if i.prepared is not None and dedup.has_text(i.text)]
    if not bodies:
        return {}
    recent = _RecentBodies(session, _window_prints(session, feed_id, now - RELIST_WINDOW))
    per_fetch = _per_fetch_params(document)
    found: dict[str, int] = {}
    for item in bodies:
        same = recent.same_text(item)
        if len(same) != 1:
            continue  # none, or the feed's blurb under several stories: not this story's body
        earlier = recent.stored[same[0]]
        others = [e for e in document if e.key != item.entry.key]
        if _reposted(item, earlier) or not _listed(session, feed_id, same[0], earlier.url, others, per_fetch):
            found[item.entry.key] = same[0]
    return found


class _Earlier(NamedTuple):
    title: str
    text: str
    url: str | None
    published: datetime


def _reposted(item: _NewStory, earlier: _Earlier) -> bool:
    """The same item posted again while the first is still listed: word for word, title and body,
    and dated within _REPOST_GAP of it (a double post, a CMS's "bump to the top"). The reader would
    get the very same card twice. A story written to a daily template is a day apart, and one
    without a date cannot be told from it: those stay news."""
    published = item.entry.published
    return (
        published is not None
        and abs(published - as_utc(earlier.published)) <= _REPOST_GAP
        and dedup.same_words(item.entry.title, item.text, earlier.title, earlier.text)
    )


@dataclass
class _RecentBodies:
    """A feed's recent stories (id -> fingerprint), compared with new items by their bodies; each
    story is read, and its lead tokenised, once in a poll however many items come near it."""

    session: Session
    window: dict[int, int]
    stored: dict[int, _Earlier] = field(default_factory=dict)
    leads: dict[int, frozenset[str]] = field(default_factory=dict)

    def same_text(self, item: _NewStory) -> list[int]:
        """The stories whose body is the item's (dedup.same_text)."""
        assert item.prepared is not None
        near = _near(item.prepared.fingerprint, self.window)
        self._read([sid for sid in near if sid not in self.stored])
        lead = dedup.lead_set(item.text)
        return [
            sid
            for sid in near
            if sid in self.leads
            and dedup.leads_agree(lead, self.leads[sid])
            and dedup.same_text(item.text, self.stored[sid].text)
        ]

    def _read(self, ids: list[int]) -> None:
        found = _stored_stories(self.session, ids)
        self.stored.update(found)
        self.leads.update((sid, dedup.lead_set(earlier.text)) for sid, earlier in found.items())


def _window_prints(session: Session, feed_id: int, since: datetime) -> dict[int, int]:
    """This feed's stories first seen since `since` -> their fingerprints. Only those dated at
    most _STALE before it: stories are kept for good, and the (feed, date) index then bounds what
    is read; a story first seen that much after its date was old news already."""
    rows = session.execute(
        select(Story.id, Story.fingerprint).where(
            Story.feed_id == feed_id,
            Story.published_at >= since - _STALE,
            Story.fetched_at >= since,
            Story.fingerprint.is_not(None),
        )
    )
    return {story_id: print_ for story_id, print_ in rows.all() if print_ is not None}


def _near(print_: int | None, window: dict[int, int]) -> list[int]:
    if print_ is None:
        return []
    return [sid for sid, other in window.items() if dedup.distance(print_, other) <= dedup.RELIST_DISTANCE]


def _stored_stories(session: Session, ids: Sequence[int]) -> dict[int, _Earlier]:
    found: dict[int, _Earlier] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(Story.id, Story.title, Story.text, Story.url, Story.published_at).where(
                Story.id.in_(ids[start : start + _CHUNK])
            )
        )
        found.update(
            (sid, _Earlier(title, text or "", url, as_utc(at))) for sid, title, text, url, at in rows.all()
        )
    return found


def _listed(
    session: Session,
    feed_id: int,
    story_id: int,
    url: str | None,
    others: list[ParsedEntry],
    per_fetch: frozenset[str],
) -> bool:
    """Whether the document's other entries still list this story of the feed: under one of its
    keys, or at its link, per-fetch parameters aside (see _requeried). A feed whose items all
    share one link lists them all: the safe side."""
    if url and url_key(url) in {e.link_key for e in others if e.link_key}:
        return True
    if url and per_fetch:
        bare = _without_params(url, per_fetch)
        if any(e.url and _without_params(e.url, per_fetch) == bare for e in others):
            return True
    keys = sorted({e.key for e in others})
    return any(
        session.scalar(
            select(
                exists().where(
                    FeedEntry.feed_id == feed_id,
                    FeedEntry.story_id == story_id,
                    FeedEntry.entry_key.in_(keys[start : start + _CHUNK]),
                )
            )
        )
        for start in range(0, len(keys), _CHUNK)
    )


def _requeried(
    session: Session, feed_id: int, items: list[_NewStory], document: list[ParsedEntry]
) -> dict[str, int]:
    """entry key -> this feed's stored story that an undated item is, listed under its link with
    another per-fetch parameter (a session id: one value on every item of the document, a new
    one on every fetch). Such a feed with no guids gives every item a new key on every poll, and
    an undated item has no date for _relisted to go by. The same link but for those parameters,
    the same title and lead, and the stored link no longer listed: a news.php?id=… story with
    the same title (a daily story written to a template) has another id."""
    per_fetch = _per_fetch_params(document)
    undated = [i for i in items if i.entry.published is None and i.entry.title and i.entry.url]
    if not per_fetch or not undated:
        return {}
    listed = {e.url for e in document if e.url}
    titles = sorted({i.entry.title for i in undated})
    stored: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
    for start in range(0, len(titles), _CHUNK):
        rows = session.execute(
            select(Story.id, Story.url, Story.title, Story.text)
            .where(Story.feed_id == feed_id, Story.title.in_(titles[start : start + _CHUNK]))
            .order_by(Story.id)
        )
        for story_id, url, title, text in rows.all():
            if url and url not in listed:
                key = (_without_params(url, per_fetch), title)
                stored.setdefault(key, []).append((story_id, title, text or ""))
    found: dict[str, int] = {}
    for item in undated:
        key = (_without_params(item.entry.url or "", per_fetch), item.entry.title)
        same = _same_as(item, stored.get(key, []))
        if same is not None:
            found[item.entry.key] = same
    return found


def _per_fetch_params(document: list[ParsedEntry]) -> frozenset[str]:
    """Query parameters that every linked item of the document has, with one value: they do not
    tell its stories apart (a session id, a section). None from fewer than two items."""
    queries = [parse_qsl(urlsplit(e.url).query, keep_blank_values=True) for e in document if e.url]
    if len(queries) < 2:
        return frozenset()
    values: dict[str, set[str]] = {}
    carried: Counter[str] = Counter()
    for pairs in queries:
        carried.update({name for name, _ in pairs})
        for name, value in pairs:
            values.setdefault(name, set()).add(value)
    return frozenset(n for n, seen in values.items() if len(seen) == 1 and carried[n] == len(queries))


def _without_params(url: str, names: frozenset[str]) -> str:
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names]
    return urlunsplit(parts._replace(query=urlencode(sorted(kept))))


def _same_as(item: _NewStory, candidates: list[tuple[int, str, str]]) -> int | None:
    """The first of these stored stories (id, title, text) with the item's title and lead."""
    for story_id, title, text in candidates:
        if dedup.same_story(item.entry.title, item.text, title, text):
            return story_id
    return None


def _has_entries(session: Session, feed_id: int) -> bool:
    return bool(session.scalar(select(exists().where(FeedEntry.feed_id == feed_id))))


def _dated_after_last_poll(feed: _FeedRow, items: list[_NewStory], ids: list[int]) -> list[int]:
    """The first stories of a feed whose earlier successful polls stored none (an empty channel,
    a 304, an error page that parsed): only those dated after the last of those polls are news.
    The rest, undated ones included, are its back catalogue, stored for search and /latest as a
    first poll's are; pushing them would flood every subscriber with it."""
    if feed.last_success_at is None:
        return ids
    since = feed.last_success_at - _CLOCK_SLACK
    return [
        sid
        for item, sid in zip(items, ids, strict=True)
        if item.entry.published is not None and item.entry.published > since
    ]


def _news(feed: _FeedRow, rows: list[dict[str, Any]], ids: list[int]) -> list[int]:
    """The new stories to hand to delivery. Not a backfill: when a poll brings _BACKFILL or more
    stories dated well before the feed's last successful poll (which did not list them), the
    outlet has put its archive in the feed (a longer window, a new CMS): pushing them would flood
    every subscriber with old news, so they are stored for search and /latest only, as a first
    poll's are. One or two late stories are routed (posted with the date they were written):
    routing sends them as cards if dated within delivery.max_story_age of the feed's newest story,
    and lists them in a digest of their period either way (bot.delivery.routing._late)."""
    if feed.last_success_at is None:
        return ids
    since = feed.last_success_at - _STALE
    old = {sid for row, sid in zip(rows, ids, strict=True) if row["published_at"] < since}
    return [sid for sid in ids if sid not in old] if len(old) >= _BACKFILL else ids


_recent: weakref.WeakKeyDictionary[Database, dedup.RecentPrints] = weakref.WeakKeyDictionary()


def _recent_prints(session: Session, recent: dedup.RecentPrints, now: datetime) -> dedup.RecentPrints:
    """This database's recent fingerprints, brought up to date with the stories stored since."""
    oldest = now - dedup.DUPLICATE_WINDOW
    query = select(Story.id, Story.feed_id, Story.fingerprint, Story.fetched_at)
    if recent.max_id:
        query = query.where(Story.id > recent.max_id)
    else:
        query = query.where(Story.fetched_at >= oldest)
    rows = session.execute(query.order_by(Story.id)).all()
    recent.add([(i, f, p, as_utc(t).timestamp()) for i, f, p, t in rows])
    recent.prune(oldest.timestamp())
    return recent


_LINK_CANDIDATES = 20  # stories per shared link compared by their words (a home page has many)
_LEAD_CHARS = dedup.LEAD_WORDS * 24  # what dedup reads of a text (see dedup._lead)


def _link_duplicates(
    session: Session, feed_id: int, entries: list[ParsedEntry]
) -> dict[str, list[tuple[int, str, str]]]:
    """url_key -> (canonical story id, title, lead) of the stories another feed stored (at any time)
    with that link, most recent first: the same link and similar words make a duplicate."""
    variants = sorted(
        {v for e in entries if e.url and e.link_key for v in dedup.key_variants(e.url, e.link_key)}
    )
    found: dict[str, list[tuple[int, str, str]]] = {}
    for start in range(0, len(variants), _CHUNK):
        rows = session.execute(
            select(
                Story.id, Story.duplicate_of, Story.url, Story.title, func.substr(Story.text, 1, _LEAD_CHARS)
            )
            .where(
                Story.url.in_(variants[start : start + _CHUNK]),
                or_(Story.feed_id != feed_id, Story.feed_id.is_(None)),
            )
            .order_by(Story.id.desc())
        )
        for story_id, duplicate_of, url, title, lead in rows.all():
            if url:
                same = found.setdefault(url_key(url), [])
                if len(same) < _LINK_CANDIDATES:
                    same.append((int(duplicate_of or story_id), title, lead or ""))
    return found


def _duplicate_of(
    session: Session,
    feed_id: int,
    item: _NewStory,
    by_link: dict[str, list[tuple[int, str, str]]],
    recent: dedup.RecentPrints | None,
) -> int | None:
    entry = item.entry
    if entry.link_key:
        # Oldest first among the most recent: the canonical story is the first one stored.
        for canonical, title, lead in reversed(by_link.get(entry.link_key, [])):
            if dedup.same_linked_story(entry.title, item.text, title, lead):
                return canonical
    assert item.prepared is not None
    if recent is None:
        return None
    for story_id in recent.near(item.prepared.fingerprint, feed_id):
        row: Any = session.execute(
            select(Story.title, Story.text, Story.duplicate_of).where(Story.id == story_id)
        ).first()
        if row is not None and dedup.same_story(entry.title, item.text, row[0], row[1] or ""):
            return int(row[2] or story_id)
    return None
