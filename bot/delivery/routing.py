"""Routing: which chats get which new story, written to the outbox in one transaction.

A chat gets a story when one of its subscriptions matches:
  * feed:    the story's feed (target = str(feed_id));
  * topic:   the feed is tagged with the topic, or the story's title/summary/text matches one of the
             topic's keywords (bot.search.analyzer: normalised, clitic-stripped terms);
  * keyword: the story's title/summary/text contains the followed keyword: every word of it, near
             one another (a phrase, bot.search.analyzer.matches).
Only stories fetched at or after the chat's `since` are routed (a new subscriber is not flooded).

A story carried by two feeds is stored twice with `duplicate_of` pointing at the first; both use
the dedup key "story:<canonical id>", and (chat_id, dedup_key) is unique in the outbox, so a chat
subscribed to both feeds gets it once — also across restarts or when routing runs twice.

Another outlet's story on an event a chat already has a card of becomes a link on that card
instead of a card of its own (grouping.py), unless the chat chose a card from each source.

Instant subscribers get a "story" row, rendered now in their language/time zone/sentence count,
due at once or at the end of their quiet hours. Digest subscribers get a "digest_item" row in
status "digest" that is never sent alone; the digest job gathers them (digest.py).

A story is a card only while it is news: one dated more than `delivery.max_story_age` before the
newest story its feed had listed by then (`_late`) is old news found late. That is the backlog of a
feed back after an outage or a pause, or an old item an outlet put back in its feed: pushed, it
would flood its readers with stale cards. It stays stored (search, /latest) and no card is sent,
nor a notice about it. A digest is one capped message, no flood: a late story still goes into a
digest reader's next digest when it is dated since their last digest, or when it was published
while its feed was not read (after the feed's poll before the one that found it: an outage, a
pause; no digest could list it) and since the chat came. One dated before that earlier poll, which
did not list it, is an old item put back: in no digest either (`_missed`, `_in_digest_period`).
Measured against the feed's own newest date, not our clock: a feed whose dates all run late (a date
without a time of day, a wrong time zone) loses nothing, and an undated item is dated when it was
fetched, so it is always news. A feed polled less often (its interval, or what its server asked
for: Cache-Control, Retry-After, <ttl>) gets two of those waits; an earlier poll's undated item is
not the feed's newest date, and a date with no time of day gets a day more.

A card waits in the outbox until the sender takes it (minutes, in a fan-out to thousands of chats;
hours, behind quiet hours): it follows the reader's subscriptions until then (`rematch_cards`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, update

from bot.clock import as_utc, utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed, Outbox, Story, Subscriber, Subscription, Topic
from bot.delivery import outbox
from bot.delivery.card import card_payload
from bot.delivery.grouping import apply_folded, fold_same_events
from bot.delivery.schedule import quiet_until

if TYPE_CHECKING:
    from bot.search.analyzer import Positions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Chat:
    chat_id: int
    language: str
    timezone: str
    mode: str
    sentences: int
    quiet_start: str | None
    quiet_end: str | None
    link_preview: bool
    since: datetime
    group_events: bool
    last_digest_at: datetime | None


def story_terms(story: Story) -> Positions:
    """The analysed terms of a story (title, summary, text) and where they stand, remembered for
    the stories in play: every digest reader's digest asks again about the same day's stories
    (still_wanted)."""
    from bot.search.analyzer import term_positions

    key = (story.id, story.title or "", len(story.text or ""))
    found = _terms.get(key)
    if found is None:
        if len(_terms) > 5_000:
            _terms.clear()
        found = _terms[key] = term_positions(
            "\n".join([story.title or "", *(story.summary or []), story.text or ""])
        )
    return found


_terms: dict[tuple[int, str, int], Positions] = {}


def _keyword_match(terms: Positions, keyword: str) -> bool:
    from bot.search.analyzer import matches

    return matches(terms, keyword)


async def route_new_stories(db: Database, config: Config, story_ids: Sequence[int]) -> int:
    """Queue every new story for every matching active subscriber; returns outbox rows created."""
    ids = sorted(set(story_ids))
    if not ids:
        return 0
    async with db.read() as session:
        stories = list((await session.scalars(select(Story).where(Story.id.in_(ids)))).all())
        feed_topics, topics = await _topics(session)
        subs = (
            await session.execute(
                select(Subscription.chat_id, Subscription.kind, Subscription.target)
                .join(Subscriber, Subscriber.chat_id == Subscription.chat_id)
                .where(Subscriber.active)
            )
        ).all()
        chat_rows = (
            await session.execute(
                select(
                    Subscriber.chat_id,
                    Subscriber.language,
                    Subscriber.timezone,
                    Subscriber.mode,
                    Subscriber.sentences,
                    Subscriber.quiet_start,
                    Subscriber.quiet_end,
                    Subscriber.link_preview,
                    Subscriber.since,
                    Subscriber.group_events,
                    Subscriber.last_digest_at,
                ).where(Subscriber.active, Subscriber.chat_id.in_(select(Subscription.chat_id).distinct()))
            )
        ).all()
        late = await _late(session, stories, timedelta(seconds=config.delivery.max_story_age))
    chats = {row.chat_id: _Chat(**row._mapping) for row in chat_rows}
    by_kind: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    followed: dict[int, set[tuple[str, str]]] = defaultdict(set)  # what each chat followed as read
    for chat_id, kind, target in subs:
        by_kind[kind][target].add(chat_id)
        followed[chat_id].add((kind, target))

    now = utcnow()
    rows: list[dict[str, Any]] = []
    renders: dict[tuple[int, str, str, int, bool, datetime], dict[str, Any]] = {}
    for story in stories:
        matched = _matching_chats(story, by_kind, feed_topics, topics)
        if not matched:
            continue
        canonical = story.duplicate_of or story.id
        fetched = as_utc(story.fetched_at or now)
        for chat_id in sorted(matched):
            chat = chats.get(chat_id)
            if chat is None or fetched < as_utc(chat.since):
                continue
            if story.id in late and not _in_digest_period(story, chat, missed=late[story.id]):
                continue
            row: dict[str, Any] = {
                "chat_id": chat_id,
                "story_id": story.id,
                "dedup_key": f"story:{canonical}",
            }
            if chat.mode == "digest":
                row.update(kind=outbox.DIGEST_ITEM, status=outbox.DIGEST_WAIT)
            else:
                tz = chat.timezone or config.delivery.default_timezone
                due = quiet_until(now, chat.quiet_start, chat.quiet_end, tz) or now
                key = (story.id, chat.language, tz, chat.sentences, chat.link_preview, due)
                if key not in renders:
                    # Rendered as of when it arrives: a story held overnight by quiet hours shows its
                    # date, not a bare "23:30" that reads as tonight.
                    renders[key] = card_payload(
                        story,
                        lang=chat.language,
                        tz=tz,
                        sentences=chat.sentences or config.summary.sentences,
                        link_preview=chat.link_preview,
                        now=due,
                        max_chars=config.summary.max_chars,
                    )
                row.update(kind=outbox.STORY, payload=renders[key], not_before=due)
            rows.append(row)
    if late:
        log.info(
            "%d of %d stories dated more than %s before their feed's newest: no cards (%d published "
            "while their feed was not read; digests of their period, or of that time, still list them)",
            len(late),
            len(stories),
            timedelta(seconds=config.delivery.max_story_age),
            sum(late.values()),
        )
    if not rows:
        return 0
    # Chats that chose a card from each source are left out of the folding.
    grouping = {chat_id: chat for chat_id, chat in chats.items() if chat.group_events}
    folded = await fold_same_events(db, config, rows, stories, grouping, now)
    async with db.write() as session:
        # The subscribers were read before the folding, which waits its turn for the database: a
        # chat that /forget-s or /stop-s meanwhile gets nothing (nor a row left behind).
        still = await outbox.active_chats(session, {row["chat_id"] for row in rows})
        await apply_folded(session, folded)
        kept = [row for row in rows if row["chat_id"] in still]
        created = await outbox.insert_rows(session, kept)
        edits = await outbox.insert_rows(session, [e for e in folded.edits if e["chat_id"] in still])
        # Nor does a chat that stopped following what matched (its rematch found no card yet): its
        # cards are matched again now, as the subscription change would have done. Digest items
        # need not be: the digest asks when it is built (still_wanted).
        carded = {row["chat_id"] for row in kept if row["kind"] == outbox.STORY}
        changed = await _changed_since(session, followed, carded)
        withdrawn = await rematch_cards(session, changed, utcnow()) if changed else 0
    log.info(
        "routed %d stories: %d outbox rows (%d already queued, %d for chats that left meanwhile, "
        "%d withdrawn for chats that unsubscribed meanwhile), %d cards edited to list another outlet",
        len(stories),
        created,
        len(kept) - created,
        len(rows) - len(kept),
        withdrawn,
        edits,
    )
    outbox.notify(db)
    return created


async def _late(session: Any, stories: Sequence[Story], window: timedelta) -> dict[int, bool]:
    """The ids of these stories that are old news, each with whether it was published while its
    feed was not read (`_missed`). Old news: dated more than `window` before the newest story
    their feed had listed by the poll that found them (that poll's own stories included, so a feed
    back after an outage is measured against the fresh items it lists now). One indexed read per
    feed and poll, and one more for a poll that found old news; nothing is late when `window` is
    zero (delivery.max_story_age = 0: off).

    A feed polled less often than `window` allows gets two of its waits between polls: what a poll
    every 12 hours finds is up to 12 hours old and still that feed's news, whether the 12 hours are
    its configured interval or what its server asked for (Cache-Control, Retry-After, <ttl>). An
    undated item (dated when it was fetched) is not a date to measure by, and a date with no time
    of day gets a day more: yesterday's last item, listed next to today's first, is news."""
    if window <= timedelta(0):
        return {}
    polls: dict[tuple[int, datetime], list[Story]] = defaultdict(list)
    for story in stories:
        if story.feed_id is not None and story.fetched_at is not None:
            polls[(story.feed_id, story.fetched_at)].append(story)
    waits = await _poll_waits(session, {f for f, _ in polls})
    late: dict[int, bool] = {}
    for (feed_id, fetched), found in polls.items():
        allowed = max(window, 2 * waits.get(feed_id, timedelta(0)))
        oldest = min(as_utc(s.published_at) for s in found)
        # Only a story dated after the oldest by more than the window can make any of them late:
        # the (feed, date) index reads those alone. A date equal to the fetch time is the poller's
        # stand-in for none (or for one in the future): an earlier poll's is no date of the feed's
        # (after it, a date-only item looks hours old); this poll's says the feed lists news now.
        newest = await session.scalar(
            select(func.max(Story.published_at)).where(
                Story.feed_id == feed_id,
                Story.published_at > oldest + allowed,
                Story.fetched_at <= fetched,
                or_(Story.published_at != Story.fetched_at, Story.fetched_at == fetched),
            )
        )
        if newest is None:
            continue
        newest = as_utc(newest)
        undated = newest == as_utc(fetched)
        # Each late story with the latest moment it may have been written (a date-only one: any
        # time that day).
        written: dict[int, datetime] = {}
        for s in found:
            at = as_utc(s.published_at) + _day_slack(s, newest, undated)
            if at + allowed < newest:
                written[s.id] = at
        if written:
            late |= await _missed(session, feed_id, fetched, written)
    return late


# The outlet's clock and ours differ, and a feed may be served from a cache for a few minutes: a
# story dated just before a poll may not have been listed by it yet.
_LISTING_SLACK = timedelta(minutes=5)


async def _missed(
    session: Any, feed_id: int, fetched: datetime, written: Mapping[int, datetime]
) -> dict[int, bool]:
    """For each of these late stories of one poll (`fetched`), whether it was published while its
    feed was not read: after the feed's last poll before this one, which would have listed it had
    it been in the feed then (an outage, a pause: no digest has listed it). One published before
    that poll is an old item the outlet put back.

    That earlier poll is the last one that stored a story of the feed, the one trace of a poll
    routing can read: by the time it runs, the feed's last_success_at is this poll's or a later
    one's, and a poll that stored nothing (a 304, nothing new) leaves none. So the gap counted may
    be wider than the outage, never narrower: of a feed that stored nothing for a while, what is
    dated within that while goes to the digest too, and nothing is lost."""
    earliest = min(written.values()) + _LISTING_SLACK
    # Bounded by the earliest moment that could make a story not missed, so the fetched_at index
    # reads a range, not the feed's whole history.
    previous = await session.scalar(
        select(func.max(Story.fetched_at)).where(
            Story.feed_id == feed_id, Story.fetched_at < fetched, Story.fetched_at >= earliest
        )
    )
    if previous is None:
        return dict.fromkeys(written, True)
    seen_until = as_utc(previous) - _LISTING_SLACK
    return {story_id: at > seen_until for story_id, at in written.items()}


async def _poll_waits(session: Any, feed_ids: set[int]) -> dict[int, timedelta]:
    """How long the bot waits between successful polls of each feed: its configured interval, or
    the longer wait its last successful poll set (next_check_at, from health.success_delay). After
    a failure next_check_at is a backoff, not a poll's reach: the interval alone counts then."""
    rows = await session.execute(
        select(
            Feed.id, Feed.interval, Feed.next_check_at, Feed.last_success_at, Feed.consecutive_errors
        ).where(Feed.id.in_(feed_ids))
    )
    waits: dict[int, timedelta] = {}
    for feed_id, interval, next_at, success_at, errors in rows.all():
        wait = timedelta(seconds=float(interval or 0))
        if next_at is not None and success_at is not None and not errors:
            wait = max(wait, as_utc(next_at) - as_utc(success_at))
        waits[feed_id] = wait
    return waits


def _day_slack(story: Story, newest: datetime, undated: bool) -> timedelta:
    """A day for a story dated with no time of day: on the hour to the second, at the newest
    story's time of day (midnight in the feed's zone, which need not be UTC), or at any hour when
    the newest is this poll's undated item (no feed date to compare). Its item may have been
    written at any time that day."""
    at = as_utc(story.published_at)
    if at.minute or at.second or at.microsecond or not (undated or at.time() == newest.time()):
        return timedelta(0)
    return timedelta(days=1)


def _in_digest_period(story: Story, chat: _Chat, *, missed: bool) -> bool:
    """Whether a late story still belongs in the chat's next digest: a digest reader, and the story
    dated within the period that digest covers (since the last one, or since the chat came), or
    published while its feed was not read (`missed`: the digests of that time could not list it)
    and since the chat came. An old item put back in its feed is in none; an instant reader gets
    no card of it: /latest and search have it."""
    if chat.mode != "digest":
        return False
    published = as_utc(story.published_at)
    if published >= as_utc(chat.last_digest_at or chat.since):
        return True
    return missed and published >= as_utc(chat.since)


async def _changed_since(
    session: Any, followed: dict[int, set[tuple[str, str]]], chat_ids: set[int]
) -> set[int]:
    """Of these chats, those whose subscriptions are no longer those `followed` says: one set-based
    read (500 chats a statement), however many chats a story reaches."""
    current: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for part in outbox.chunks(sorted(chat_ids)):
        result = await session.execute(
            select(Subscription.chat_id, Subscription.kind, Subscription.target).where(
                Subscription.chat_id.in_(part)
            )
        )
        for chat_id, kind, target in result.all():
            current[chat_id].add((kind, target))
    return {c for c in chat_ids if current.get(c, set()) != followed.get(c, set())}


# Why a card was withdrawn when its reader stopped following what brought it, now and as rows
# withdrawn before cards in the queue were matched again (held ones only) say it.
UNWANTED = "unsubscribed before it was sent"
_UNWANTED_REASONS = (UNWANTED, "unsubscribed while held")
# A card withdrawn so comes back when the reader follows it again before it would have gone out:
# while quiet hours still hold it, or soon after it was due (a tap on the wrong /subscribe button
# undone; a fan-out to thousands of chats sends its last cards minutes after its first). Later, it
# is old news the reader chose not to get.
RESTORE_WITHIN = timedelta(minutes=15)


async def rematch_cards(session: Any, chat_ids: Iterable[int], now: datetime) -> int:
    """Cards still waiting for these chats (due now, held by quiet hours, or waiting out a retry,
    but not taken by the sender yet) follow their subscriptions: one whose story its chat no longer
    follows is withdrawn, and one withdrawn so comes back if the chat follows it again in time
    (RESTORE_WITHIN). A card that also lists another story folded into it (grouping.py) stays while
    either is wanted, since that story has no card of its own. Returns how many were withdrawn.

    Called in the same transaction as the subscription change (and by routing, for the chats whose
    subscriptions changed while it worked): writers are serialised, so no card can be written
    between the change and this. Set-based, a few statements for any number of chats (a removed
    feed rematches all its readers)."""
    chats = sorted(set(chat_ids))
    cards: list[Any] = []
    for part in outbox.chunks(chats):
        cards += (
            await session.execute(
                select(Outbox.id, Outbox.chat_id, Outbox.story_id, Outbox.status, Outbox.created_at)
                .join(Subscriber, Subscriber.chat_id == Outbox.chat_id)
                .where(
                    Outbox.chat_id.in_(part),
                    Outbox.kind == outbox.STORY,
                    Outbox.story_id.is_not(None),
                    or_(
                        Outbox.status == outbox.PENDING,
                        (Outbox.status == outbox.WITHDRAWN)
                        & Outbox.last_error.in_(_UNWANTED_REASONS)
                        & (Outbox.not_before > now - RESTORE_WITHIN)
                        # A chat that left (/stop) and came back starts afresh: what it left
                        # behind stays behind.
                        & (Outbox.created_at >= Subscriber.since),
                    ),
                )
            )
        ).all()
    if not cards:
        return 0
    carried = await _folded_into(
        session, {c.chat_id for c in cards}, min(as_utc(c.created_at) for c in cards)
    )
    ids = {c.story_id for c in cards} | {s for folded in carried.values() for s in folded}
    stories: dict[int, Story] = {}
    for part in outbox.chunks(sorted(ids)):
        stories.update(
            {s.id: s for s in (await session.scalars(select(Story).where(Story.id.in_(part)))).all()}
        )
    asked: dict[int, list[Story]] = defaultdict(list)
    for chat_id, story_id in {(c.chat_id, c.story_id) for c in cards} | {
        (chat_id, s) for (chat_id, _), folded in carried.items() for s in folded
    }:
        if story_id in stories:
            asked[chat_id].append(stories[story_id])
    wanted = await wanted_by(session, asked)
    drop, restore = [], []
    for row_id, chat_id, story_id, status, _ in cards:
        mine = wanted.get(chat_id, set())
        keep = story_id in mine or bool(carried.get((chat_id, story_id), set()) & mine)
        if status == outbox.PENDING and not keep:
            drop.append(row_id)
        elif status == outbox.WITHDRAWN and keep:
            restore.append(row_id)
    withdrawn = 0
    for part in outbox.chunks(drop):
        # Only while the sender has not taken it: a card already on its way goes.
        result = await session.execute(
            update(Outbox)
            .where(Outbox.id.in_(part), Outbox.status == outbox.PENDING)
            .values(status=outbox.WITHDRAWN, last_error=UNWANTED)
        )
        withdrawn += int(getattr(result, "rowcount", 0) or 0)
    for part in outbox.chunks(restore):
        await session.execute(
            update(Outbox)
            .where(Outbox.id.in_(part), Outbox.status == outbox.WITHDRAWN)
            .values(status=outbox.PENDING, last_error=None)
        )
    return withdrawn


async def _folded_into(session: Any, chat_ids: set[int], since: datetime) -> dict[tuple[int, int], set[int]]:
    """The stories folded into these chats' cards as links (grouped rows written since `since`, no
    earlier than the cards they are folded into), by (chat, story of the card that lists them)."""
    carried: dict[tuple[int, int], set[int]] = defaultdict(set)
    for part in outbox.chunks(sorted(chat_ids)):
        grouped = await session.execute(
            select(Outbox.chat_id, Outbox.story_id, Outbox.payload).where(
                Outbox.chat_id.in_(part),
                Outbox.kind == outbox.STORY,
                Outbox.status == outbox.GROUPED,
                Outbox.created_at >= since,
                Outbox.story_id.is_not(None),
            )
        )
        for chat_id, story_id, payload in grouped.all():
            into = (payload or {}).get("into_story")
            if into:
                carried[(chat_id, int(into))].add(story_id)
    return carried


async def still_wanted(session: Any, chat_id: int, stories: Sequence[Story]) -> set[int]:
    """Of these stories waiting for the chat's digest, the ids its subscriptions still want: a
    reader who stopped following a word does not get the story that word brought in the next
    digest. Asked when the digest is built, not when the subscription ends, so switching a source
    off and on again before then loses nothing."""
    return (await wanted_by(session, {chat_id: stories})).get(chat_id, set())


async def wanted_by(session: Any, asked: Mapping[int, Sequence[Story]]) -> dict[int, set[int]]:
    """For each chat, the ids of its stories (`asked`) that its subscriptions still want. A story
    counts as wanted through any feed that carried it (its duplicates' feeds too). One read of the
    subscriptions and of the stories' copies for all the chats."""
    stories = {s.id: s for chat_stories in asked.values() for s in chat_stories}
    if not stories:
        return {}
    feed_topics, topics = await _topics(session)
    by_kind: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for part in outbox.chunks(sorted(asked)):
        subs = await session.execute(
            select(Subscription.chat_id, Subscription.kind, Subscription.target).where(
                Subscription.chat_id.in_(part)
            )
        )
        for chat_id, kind, target in subs.all():
            by_kind[kind][target].add(chat_id)
    # Other copies of each story: the original it duplicates, and the copies that duplicate it.
    originals = {s.duplicate_of for s in stories.values() if s.duplicate_of is not None}
    copies: list[Any] = []
    for part in outbox.chunks(sorted(set(stories) | originals)):
        copies += (
            await session.execute(
                select(Story.id, Story.feed_id, Story.duplicate_of).where(
                    or_(Story.duplicate_of.in_(part), Story.id.in_([i for i in part if i in originals]))
                )
            )
        ).all()
    matched: dict[int, set[int]] = {}
    for story in stories.values():
        feeds = {story.feed_id} if story.feed_id is not None else set()
        group = {story.id, story.duplicate_of}
        for copy_id, feed_id, duplicate_of in copies:
            if feed_id is not None and (copy_id in group or duplicate_of in group):
                feeds.add(feed_id)
        matched[story.id] = _matching_chats(story, by_kind, feed_topics, topics, feeds=feeds)
    return {
        chat_id: {s.id for s in chat_stories if chat_id in matched[s.id]}
        for chat_id, chat_stories in asked.items()
    }


async def _topics(session: Any) -> tuple[dict[int, list[str]], dict[str, list[str]]]:
    """(each feed's topic tags, each topic's keywords): what matching a story to a topic reads."""
    feed_topics = {fid: list(t or []) for fid, t in (await session.execute(select(Feed.id, Feed.topics)))}
    topics = {t.name: list(t.keywords or []) for t in (await session.scalars(select(Topic))).all()}
    return feed_topics, topics


def _matching_chats(
    story: Story,
    by_kind: dict[str, dict[str, set[int]]],
    feed_topics: dict[int, list[str]],
    topics: dict[str, list[str]],
    feeds: set[int] | None = None,
) -> set[int]:
    """The chats whose subscriptions want the story: through a feed that carried it (`feeds`,
    by default the story's own), a topic those feeds are tagged with or whose keywords it has, or
    a followed word."""
    if feeds is None:
        feeds = {story.feed_id} if story.feed_id is not None else set()
    matched: set[int] = set()
    for feed_id in feeds:
        matched |= by_kind["feed"].get(str(feed_id), set())
    terms: Positions | None = None
    tagged = {name for feed_id in feeds for name in feed_topics.get(feed_id, [])}
    for name, chat_ids in by_kind["topic"].items():
        if chat_ids <= matched:
            continue
        if name in tagged:
            matched |= chat_ids
            continue
        keywords = topics.get(name, [])
        if not keywords:
            continue
        if terms is None:
            terms = story_terms(story)
        if any(_keyword_match(terms, k) for k in keywords):
            matched |= chat_ids
    for keyword, chat_ids in by_kind["keyword"].items():
        if chat_ids <= matched:
            continue
        if terms is None:
            terms = story_terms(story)
        if _keyword_match(terms, keyword):
            matched |= chat_ids
    return matched
