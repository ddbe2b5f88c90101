"""Routing: which chats get which new story, written to the outbox in one transaction.

A chat gets a story when one of its subscriptions matches:
  * feed:    the story's feed (target = str(feed_id));
  * topic:   the feed is tagged with the topic, or the story's title/summary/text matches one of the
             topic's keywords (bot.search.analyzer: normalised, clitic-stripped terms);
  * keyword: the story's title/summary/text contains every word of the followed keyword.
Only stories fetched at or after the chat's `since` are routed (a new subscriber is not flooded).

A story carried by two feeds is stored twice with `duplicate_of` pointing at the first; both use
the dedup key "story:<canonical id>", and (chat_id, dedup_key) is unique in the outbox, so a chat
subscribed to both feeds gets it once — also across restarts or when routing runs twice.

Another outlet's story on an event a chat already has a card of becomes a link on that card
instead of a card of its own (grouping.py), unless the chat chose a card from each source.

Instant subscribers get a "story" row, rendered now in their language/time zone/sentence count,
due at once or at the end of their quiet hours. Digest subscribers get a "digest_item" row in
status "digest" that is never sent alone; the digest job gathers them (digest.py).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update

from bot.clock import as_utc, utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed, Outbox, Story, Subscriber, Subscription, Topic
from bot.delivery import outbox
from bot.delivery.card import card_payload
from bot.delivery.grouping import apply_folded, fold_same_events
from bot.delivery.schedule import quiet_until

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


def story_terms(story: Story) -> set[str]:
    from bot.search.analyzer import index_terms

    return set(index_terms("\n".join([story.title or "", *(story.summary or []), story.text or ""])))


def _keyword_match(terms: set[str], keyword: str) -> bool:
    from bot.search.analyzer import matches

    return matches(terms, keyword)


async def route_new_stories(db: Database, config: Config, story_ids: Sequence[int]) -> int:
    """Queue every new story for every matching active subscriber; returns outbox rows created."""
    ids = sorted(set(story_ids))
    if not ids:
        return 0
    async with db.read() as session:
        stories = list((await session.scalars(select(Story).where(Story.id.in_(ids)))).all())
        feed_topics = {fid: list(t or []) for fid, t in (await session.execute(select(Feed.id, Feed.topics)))}
        topics = {t.name: list(t.keywords or []) for t in (await session.scalars(select(Topic))).all()}
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
                ).where(Subscriber.active, Subscriber.chat_id.in_(select(Subscription.chat_id).distinct()))
            )
        ).all()
    chats = {row.chat_id: _Chat(**row._mapping) for row in chat_rows}
    by_kind: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for chat_id, kind, target in subs:
        by_kind[kind][target].add(chat_id)

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
                    )
                row.update(kind=outbox.STORY, payload=renders[key], not_before=due)
            rows.append(row)
    if not rows:
        return 0
    # Chats that chose a card from each source are left out of the folding.
    grouping = {chat_id: chat for chat_id, chat in chats.items() if chat.group_events}
    folded = await fold_same_events(db, config, rows, stories, grouping, now)
    async with db.write() as session:
        await apply_folded(session, folded)
        created = await outbox.insert_rows(session, rows)
        edits = await outbox.insert_rows(session, folded.edits)
    log.info(
        "routed %d stories: %d outbox rows (%d already queued), %d cards edited to list another outlet",
        len(stories),
        created,
        len(rows) - created,
        edits,
    )
    outbox.notify(db)
    return created


async def drop_unwanted(db: Database, chat_id: int) -> int:
    """After a chat stops following something: what still waits for it (stories for its next
    digest, cards quiet hours hold) that none of its remaining subscriptions wants is not sent.
    Otherwise the story that made the reader /unfollow a word arrives in the next digest anyway.
    Returns how many were dropped."""
    async with db.read() as session:
        waiting = (
            await session.execute(
                select(Outbox.id, Outbox.story_id).where(
                    Outbox.chat_id == chat_id,
                    or_(
                        Outbox.status == outbox.DIGEST_WAIT,
                        (Outbox.status == outbox.PENDING) & (Outbox.kind == outbox.STORY),
                    ),
                )
            )
        ).all()
        if not waiting:
            return 0
        ids = {story_id for _, story_id in waiting if story_id is not None}
        stories = {s.id: s for s in (await session.scalars(select(Story).where(Story.id.in_(ids)))).all()}
        feed_topics = {fid: list(t or []) for fid, t in (await session.execute(select(Feed.id, Feed.topics)))}
        topics = {t.name: list(t.keywords or []) for t in (await session.scalars(select(Topic))).all()}
        subs = (
            await session.execute(
                select(Subscription.kind, Subscription.target).where(Subscription.chat_id == chat_id)
            )
        ).all()
    by_kind: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for kind, target in subs:
        by_kind[kind][target].add(chat_id)
    unwanted = [
        row_id
        for row_id, story_id in waiting
        if story_id in stories
        and chat_id not in _matching_chats(stories[story_id], by_kind, feed_topics, topics)
    ]
    if not unwanted:
        return 0
    async with db.write() as session:
        for part in outbox.chunks(unwanted):
            await session.execute(
                update(Outbox)
                .where(Outbox.id.in_(part), Outbox.status.in_((outbox.DIGEST_WAIT, outbox.PENDING)))
                .values(status=outbox.WITHDRAWN, last_error="unsubscribed before it was sent")
            )
    log.info("chat %s unsubscribed: %d waiting stories it no longer wants dropped", chat_id, len(unwanted))
    return len(unwanted)


def _matching_chats(
    story: Story,
    by_kind: dict[str, dict[str, set[int]]],
    feed_topics: dict[int, list[str]],
    topics: dict[str, list[str]],
) -> set[int]:
    matched: set[int] = set()
    if story.feed_id is not None:
        matched |= by_kind["feed"].get(str(story.feed_id), set())
    terms: set[str] | None = None
    tagged = set(feed_topics.get(story.feed_id, [])) if story.feed_id is not None else set()
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
