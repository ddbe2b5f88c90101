"""One event, one card: another outlet's story on an event a chat's card already tells (within
EVENT_WINDOW, bot.feeds.events) is added to that card as a link on its last line ("وأيضًا في: سكاي
نيوز عربية · فرانس 24"), not pushed as a card of its own. A reader of five outlets otherwise gets
the same news five times in an hour.

A reader may have deleted the sent card: Telegram then refuses the edit, and the stories that edit
would have added go out as cards of their own (card_gone), so a deleted card never swallows news.

The card is edited in place when it was sent (within Telegram's edit window; older, and the story
gets its own card), re-rendered when it still waits (quiet hours), or, when both stories arrive in
one routing run, rendered with the link from the start. The folded story's outbox row keeps its
dedup key with status "grouped", so it never reaches that chat later on its own (through a topic, a
restart, a second routing). A digest folds its own stories the same way (fold_digest): one item
for the event, the other outlets' stories as links on the line below it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, tuple_, update

from bot.clock import as_utc
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Outbox, Story
from bot.delivery import outbox
from bot.delivery.card import GONE, Also, Reader, also_of, card_payload, edit_of, editable, rerender
from bot.feeds.events import EVENT_WINDOW, LEAD_WORDS, Vector, event_vector, same_event, telling

# Enough of a story's text for its first LEAD_WORDS words, read without loading the whole text.
_LEAD_CHARS = 800
# A card lists at most this many other outlets; past that a story gets its own card.
MAX_ALSO = 6

_vectors: dict[tuple[int, str], Vector] = {}
_pairs: dict[tuple[int, str, int, str], bool] = {}
# In a grouped row's payload beside "into_story": the edit that adds it to a sent card, and its own
# card, sent instead if that edit finds the card deleted.
_BY_EDIT = "by_edit"
_OWN = "own"


@dataclass
class Folded:
    """What routing writes besides its rows (in the same transaction)."""

    # Cards still waiting: their new payload (written only while they still wait), and the rows
    # folded into them with their own card payload (sent after all if the card went out meanwhile).
    waiting: dict[int, tuple[dict[str, Any], list[tuple[dict[str, Any], dict[str, Any]]]]] = field(
        default_factory=dict
    )
    edits: list[dict[str, Any]] = field(default_factory=list)  # EDIT rows for sent cards
    shown: dict[int, dict[str, Any]] = field(default_factory=dict)  # sent cards' rows: what they show


async def fold_same_events(
    db: Database,
    config: Config,
    rows: list[dict[str, Any]],
    stories: Sequence[Story],
    chats: Mapping[int, Reader],
    now: datetime,
) -> Folded:
    """Mark the story rows (routing's, not yet inserted) that another card of their chat will carry
    as "grouped", and work out what that card becomes."""
    folded = Folded()
    cards = [r for r in rows if r.get("kind") == outbox.STORY]
    if not cards:
        return folded
    batch = {s.id: s for s in stories}
    related = await _related(db, batch, {r["chat_id"] for r in cards}, now)
    if not related:
        return folded
    pool = dict(batch)  # the stories whose cards may be re-rendered
    # Rows already in the outbox (this story was routed before) stay as they are, and are not cards
    # of this run: their written card, if any, is found below like any other.
    known = await _already_queued(db, cards)
    # Two feeds' copies of one story share a dedup key: only the first row of a key is written.
    firsts: dict[tuple[int, str], dict[str, Any]] = {}
    for row in cards:
        firsts.setdefault((row["chat_id"], row["dedup_key"]), row)
    # Earlier stories first: a story folds only into the card of an earlier one.
    cards = sorted((r for key, r in firsts.items() if key not in known), key=lambda r: int(r["story_id"]))
    existing = await _cards_of(db, related, {r["chat_id"] for r in cards if r["story_id"] in related})
    missing = {c.story_id for c in existing.values() if c.story_id not in pool}
    if missing:
        async with db.read() as session:
            pool.update(
                {s.id: s for s in (await session.scalars(select(Story).where(Story.id.in_(missing)))).all()}
            )

    live: dict[tuple[int, int], dict[str, Any] | Outbox] = {}  # (chat, story) -> the card telling it
    into_sent: dict[int, list[tuple[dict[str, Any], dict[str, Any]]]] = {}  # sent card -> (row, own card)
    payloads: dict[int, dict[str, Any]] = {}  # DB cards changed so far: their payload now
    renders: dict[tuple[Any, ...], dict[str, Any]] = {}  # re-rendered written cards (card.rerender)
    first_renders: dict[tuple[Any, ...], dict[str, Any]] = {}  # this run's own cards
    for row in cards:
        chat_id, story_id = row["chat_id"], row["story_id"]
        story, chat = batch[story_id], chats.get(chat_id)
        target = next(
            (
                card
                for t in related.get(story_id, [])
                if (card := live.get((chat_id, t)) or existing.get((chat_id, t))) is not None
                and _joinable(card, story, batch, pool, payloads, now)
            ),
            None,
        )
        if target is None or chat is None:
            live[(chat_id, story_id)] = row
            continue
        entry = (_source(story), story.url)
        if isinstance(target, dict):  # a card of this same run, not written yet
            also = _with(also_of(target["payload"]), entry)
            tz = chat.timezone or config.delivery.default_timezone
            sentences = chat.sentences or config.summary.sentences
            key = (
                target["story_id"],
                chat.language,
                tz,
                sentences,
                chat.link_preview,
                target["not_before"],
                *also,
            )
            if key not in first_renders:  # chats with the same settings share one rendering, as in routing
                first_renders[key] = card_payload(
                    batch[target["story_id"]],
                    lang=chat.language,
                    tz=tz,
                    sentences=sentences,
                    link_preview=chat.link_preview,
                    now=as_utc(target["not_before"]),
                    also=also,
                    max_chars=config.summary.max_chars,
                )
            target["payload"] = first_renders[key]
        else:
            also = _with(also_of(payloads.get(target.id, target.payload or {})), entry)
            fresh = rerender(target, pool[target.story_id or 0], chat, config, also=also, cache=renders)
            payloads[target.id] = fresh
            if target.status == outbox.PENDING:
                rows_in = folded.waiting.get(target.id, ({}, []))[1]
                folded.waiting[target.id] = (fresh, [*rows_in, (row, row["payload"])])
            else:
                into_sent.setdefault(target.id, []).append((row, row["payload"]))
        row.update(status=outbox.GROUPED, payload={"into_story": _story_of(target)})
        live[(chat_id, story_id)] = target
    # One edit per sent card, to what it shows after the whole run.
    for card in {c.id: c for c in existing.values()}.values():
        if card.id in payloads and card.status != outbox.PENDING:
            edit, holds = edit_of(card, payloads[card.id])
            folded.edits.append(edit)
            folded.shown[card.id] = holds
            # Should the edit find the card deleted, these rows go out with their own card.
            for row, own in into_sent.get(card.id, []):
                row["payload"] = {**row["payload"], _BY_EDIT: edit["dedup_key"], _OWN: own}
    return folded


async def card_gone(session: Any, chat_id: int, edit_key: str, message_id: int | None, now: datetime) -> int:
    """Telegram refused the edit `edit_key` because the message is gone (the reader deleted it):
    the stories that edit was to add as links are queued as cards of their own, and the message's
    row is marked so that nothing tries to edit it again. Returns how many stories were queued."""
    if message_id is not None:
        for gone in (
            await session.scalars(
                select(Outbox).where(
                    Outbox.chat_id == chat_id, Outbox.message_id == message_id, Outbox.status == outbox.SENT
                )
            )
        ).all():
            await outbox.set_payloads(session, [(gone.id, {**(gone.payload or {}), GONE: True})])
    grouped = (
        await session.scalars(
            select(Outbox).where(
                Outbox.chat_id == chat_id, Outbox.kind == outbox.STORY, Outbox.status == outbox.GROUPED
            )
        )
    ).all()
    revived = [row for row in grouped if (row.payload or {}).get(_BY_EDIT) == edit_key]
    for row in revived:
        await session.execute(
            update(Outbox)
            .where(Outbox.id == row.id, Outbox.status == outbox.GROUPED)
            .values(status=outbox.PENDING, payload=row.payload[_OWN], not_before=now, attempts=0)
        )
    return len(revived)


def _joinable(
    card: dict[str, Any] | Outbox,
    story: Story,
    batch: Mapping[int, Story],
    pool: Mapping[int, Story],
    payloads: Mapping[int, dict[str, Any]],
    now: datetime,
) -> bool:
    """Whether `story` may become a link on `card`: the card can still change, and neither its own
    story nor a link on it is from the story's outlet. An outlet's second story on the event is its
    follow-up, news to a reader of that outlet (and "وأيضًا في" naming the card's own outlet, or one
    outlet twice, reads as a mistake)."""
    if isinstance(card, dict):
        told, payload = batch.get(card["story_id"]), card["payload"]
    else:
        if not (card.status == outbox.PENDING or editable(card, now)):
            return False
        told, payload = pool.get(card.story_id or 0), payloads.get(card.id, card.payload or {})
    also = also_of(payload)
    source = _source(story)
    return (
        told is not None
        and len(also) < MAX_ALSO
        and told.feed_id != story.feed_id
        and _source(told) != source
        and all(listed != source for listed, _ in also)
    )


def _source(story: Story) -> str:
    return " ".join((story.source or "").split())


async def apply_folded(session: Any, folded: Folded) -> None:
    """In routing's write transaction, before its rows are inserted: a waiting card taken by the
    sender meanwhile went out without the links, so the stories folded into it go out as cards."""
    if folded.waiting:
        # Only while it still waits. A card the sender claimed before this statement is no longer
        # pending after it (one the sender claims later waits for this transaction, and takes the
        # new text).
        await outbox.set_payloads(
            session, [(card_id, fresh) for card_id, (fresh, _) in folded.waiting.items()], while_pending=True
        )
        taken: set[int] = set()
        for ids in outbox.chunks(sorted(folded.waiting)):
            taken.update(
                (
                    await session.scalars(
                        select(Outbox.id).where(Outbox.id.in_(ids), Outbox.status != outbox.PENDING)
                    )
                ).all()
            )
        for card_id in taken:
            for row, own in folded.waiting[card_id][1]:
                row.update(status=outbox.PENDING, payload=own)
    await outbox.set_payloads(session, folded.shown.items())


def fold_digest(stories: Sequence[Story]) -> tuple[list[Story], dict[int, Also]]:
    """A digest's stories with each event once: a story on an event an earlier story of another
    outlet in the same digest already tells is listed as a link under that story's item.

    Returns the stories that keep an item (in the order given) and, for those that list others,
    (source, url) of each."""
    kept: list[Story] = []
    also: dict[int, Also] = {}
    told = {story.id: _told_of(story) for story in stories}
    for story in sorted(stories, key=lambda s: s.id):
        mine = told[story.id]
        host = None
        if telling(mine.title) and _vector(mine):
            host = next(
                (
                    other
                    for other in reversed(kept)
                    if len(also.get(other.id, [])) < MAX_ALSO
                    and _source(other) != _source(story)
                    and all(listed != _source(story) for listed, _ in also.get(other.id, []))
                    and _one_event(told[other.id], mine)
                ),
                None,
            )
        if host is None:
            kept.append(story)
        else:
            also[host.id] = _with(also.get(host.id, []), (_source(story), story.url))
    order = {s.id: i for i, s in enumerate(stories)}
    return sorted(kept, key=lambda s: order[s.id]), also


def _told_of(story: Story, now: datetime | None = None) -> _Told:
    """What the comparison needs of a stored story; one not yet stamped counts as fetched `now`
    (else when it was published)."""
    fetched = as_utc(story.fetched_at or now or story.published_at or datetime.now(UTC))
    return _Told(
        story.id, story.feed_id, story.duplicate_of or story.id, fetched, story.title or "", _lead(story.text)
    )


def _one_event(earlier: _Told, later: _Told) -> bool:
    """Whether `later`, from another outlet, tells the event `earlier` tells (see bot.feeds.events)."""
    if not (
        earlier.feed_id != later.feed_id
        and earlier.canonical != later.canonical
        and abs(earlier.fetched_at - later.fetched_at) <= EVENT_WINDOW
    ):
        return False
    # Every digest reader of these outlets asks about the same pairs: decide each once.
    key = (earlier.id, earlier.title, later.id, later.title)
    found = _pairs.get(key)
    if found is None:
        if len(_pairs) > 200_000:
            _pairs.clear()
        found = _pairs[key] = telling(earlier.title) and same_event(_vector(later), _vector(earlier))
    return found


def _with(also: Also, entry: tuple[str, str | None]) -> Also:
    return also if entry in also else [*also, entry]


def _story_of(card: dict[str, Any] | Outbox) -> int | None:
    return card["story_id"] if isinstance(card, dict) else card.story_id


@dataclass(frozen=True)
class _Told:
    """What the comparison needs of a story (not its whole text)."""

    id: int
    feed_id: int | None
    canonical: int
    fetched_at: datetime
    title: str
    lead: str


def _vector(story: _Told) -> Vector:
    key = (story.id, story.title)
    found = _vectors.get(key)
    if found is None:
        if len(_vectors) > 20_000:
            _vectors.clear()
        found = _vectors[key] = event_vector(story.title, story.lead)
    return found


async def _related(
    db: Database, batch: dict[int, Story], chat_ids: set[int], now: datetime
) -> dict[int, list[int]]:
    """For each batch story, the earlier stories from another feed on the same event (nearest
    first) among those that can have a card here: the batch's own, and the stories these chats got
    a card of (or had folded into one) in the last EVENT_WINDOW. Comparing with every story of the
    window instead would read thousands of rows per routing on a large instance."""
    told = {s.id: _told_of(s, now) for s in batch.values()}
    since = min(t.fetched_at for t in told.values()) - EVENT_WINDOW
    async with db.read() as session:
        carded: set[int] = set()
        for chats in outbox.chunks(sorted(chat_ids)):
            carded.update(
                story_id
                for story_id in (
                    await session.scalars(
                        select(Outbox.story_id)
                        .where(
                            Outbox.chat_id.in_(chats),
                            Outbox.kind == outbox.STORY,
                            Outbox.created_at >= since,
                            Outbox.story_id.is_not(None),
                        )
                        .distinct()
                    )
                ).all()
                if story_id is not None
            )
        for ids in outbox.chunks(sorted(carded - set(batch))):
            for row in await session.execute(
                select(
                    Story.id,
                    Story.feed_id,
                    Story.duplicate_of,
                    Story.fetched_at,
                    Story.title,
                    func.substr(Story.text, 1, _LEAD_CHARS),
                ).where(Story.id.in_(ids))
            ):
                told[row[0]] = _Told(
                    row[0], row[1], row[2] or row[0], as_utc(row[3] or now), row[4] or "", _lead(row[5])
                )
    related: dict[int, list[int]] = {}
    for story in sorted(batch):
        mine = told[story]
        vector = _vector(mine)
        if not vector or not telling(mine.title):
            continue
        scored = [other.id for other in told.values() if other.id < story and _one_event(other, mine)]
        if scored:
            related[story] = sorted(scored, reverse=True)
    return related


def _lead(text: str | None) -> str:
    return " ".join((text or "")[:_LEAD_CHARS].split()[:LEAD_WORDS])


async def _already_queued(db: Database, rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
    """(chat, dedup key) of these rows already in the outbox: routing ran for them before."""
    keys = sorted({(r["chat_id"], r["dedup_key"]) for r in rows})
    found: set[tuple[int, str]] = set()
    async with db.read() as session:
        for part in outbox.chunks(keys):
            result = await session.execute(
                select(Outbox.chat_id, Outbox.dedup_key).where(
                    tuple_(Outbox.chat_id, Outbox.dedup_key).in_(part)
                )
            )
            found.update((c, k) for c, k in result.all())
    return found


async def _cards_of(
    db: Database, related: dict[int, list[int]], chat_ids: set[int]
) -> dict[tuple[int, int], Outbox]:
    """(chat, story) -> the card that tells that story in that chat: its own, or, for a chat with
    no card of these stories, the card one of them was folded into."""
    stories = {t for ts in related.values() for t in ts}
    cards: dict[tuple[int, int], Outbox] = {}
    async with db.read() as session:
        for chats in outbox.chunks(sorted(chat_ids)):
            for card in await _story_rows(session, stories, chats):
                if card.story_id is not None:
                    cards[(card.chat_id, card.story_id)] = card
            carded = {chat for chat, _ in cards}
            uncovered = [chat for chat in chats if chat not in carded]
            if not uncovered:
                continue
            grouped = await _story_rows(session, stories, uncovered, statuses=(outbox.GROUPED,))
            into = {
                row.id: int(row.payload["into_story"])
                for row in grouped
                if (row.payload or {}).get("into_story")
            }
            hosts = {
                (card.chat_id, card.story_id or 0): card
                for card in (await _story_rows(session, set(into.values()), uncovered) if into else [])
            }
            for row in grouped:
                host = hosts.get((row.chat_id, into.get(row.id, 0)))
                if host is not None and row.story_id is not None:
                    cards[(row.chat_id, row.story_id)] = host
    return cards


async def _story_rows(
    session: Any,
    stories: set[int],
    chats: Sequence[int],
    *,
    statuses: tuple[str, ...] = (outbox.PENDING, outbox.SENDING, outbox.SENT),
) -> Sequence[Outbox]:
    return (
        await session.scalars(
            select(Outbox).where(
                Outbox.kind == outbox.STORY,
                Outbox.story_id.in_(stories),
                Outbox.chat_id.in_(chats),
                Outbox.status.in_(statuses),
            )
        )
    ).all()
