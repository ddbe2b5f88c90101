"""Digests: at each of a subscriber's digest times (in their time zone), one message with the
period's stories grouped by source, split across messages when long.

Routing leaves "digest_item" rows in status "digest" for digest-mode chats. A run of
`run_digests` finds the chats whose latest digest time has passed since their last digest and, in
ONE transaction per chat, queues the digest message(s) (dedup "digest:<chat>:<local date>T<time>:<id
of its first item>"), marks the items "digested" and stamps last_digest_at — so a crash never loses
or doubles a digest.
A digest shows at most `delivery.digest_max_stories` stories, shared out between sources, and ends
by saying how many more there were (those are marked digested too: counted, not carried over).
New digest times or zone start a new period (`restart_period`): no catch-up digest for a time
already past today.
Digest times are explicit choices: quiet hours do not delay them, but a digest due inside them
arrives silently (no sound, no vibration), as quiet hours promise. The stories a chat that left
digest mode still had waiting are flushed as one digest, which does wait for the end of quiet hours.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update

from bot.clock import as_utc, utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Outbox, Story, Subscriber
from bot.delivery import outbox
from bot.delivery.format import render_digest_parts, source_key
from bot.delivery.grouping import fold_digest
from bot.delivery.routing import still_wanted
from bot.delivery.schedule import latest_slot, quiet_until, slot_key

log = logging.getLogger(__name__)


async def run_digests(db: Database, config: Config, *, now: datetime | None = None) -> int:
    """Queue every digest that is due; returns the number of digest messages queued."""
    now = as_utc(now or utcnow())
    async with db.read() as session:
        subscribers = list(
            (
                await session.execute(
                    select(
                        Subscriber.chat_id,
                        Subscriber.timezone,
                        Subscriber.digest_times,
                        Subscriber.last_digest_at,
                        Subscriber.since,
                    ).where(Subscriber.active, Subscriber.mode == "digest")
                )
            ).all()
        )
    queued = 0
    for chat_id, tz, times, last, since in subscribers:
        tz = tz or config.delivery.default_timezone
        slot = latest_slot(now, times or config.delivery.digest_times, tz)
        baseline = as_utc(last or since or now)
        if slot is None or slot <= baseline:
            continue
        try:
            queued += await _digest_for(db, chat_id, slot, now, cap=config.delivery.digest_max_stories)
        except Exception:
            log.exception("building the digest for chat %s failed; it is retried at the next run", chat_id)
    # Chats that left digest mode with stories still waiting get them now, as one last digest.
    async with db.read() as session:
        switched = list(
            (
                await session.scalars(
                    select(Outbox.chat_id)
                    .join(Subscriber, Subscriber.chat_id == Outbox.chat_id)
                    .where(
                        Outbox.status == outbox.DIGEST_WAIT, Subscriber.active, Subscriber.mode != "digest"
                    )
                    .distinct()
                )
            ).all()
        )
    for chat_id in switched:
        try:
            queued += await _digest_for(
                db, chat_id, now, now, digest_mode=False, cap=config.delivery.digest_max_stories
            )
        except Exception:
            log.exception("flushing the waiting stories of chat %s failed; retried at the next run", chat_id)
    if queued:
        outbox.notify(db)
    return queued


def restart_period(sub: Subscriber, old_times: list[str], old_tz: str | None, now: datetime) -> None:
    """New digest times or a new zone for a chat already in digest mode: the next digest comes at
    the next occurrence of a chosen time. A user who picks 08:00 at 10:00 expects tomorrow's 08:00,
    not a digest at once for a time already past today (nor one for "08:00 in Tokyo" the moment
    they move their zone east). The stories waiting stay waiting: they are in that next digest.

    A digest the old schedule already owed (its time has come; the job, which runs every minute,
    has not built it yet) stays owed rather than being pushed a day on.
    """
    baseline = as_utc(sub.last_digest_at or sub.since or now)
    owed = latest_slot(now, old_times, old_tz or "UTC")
    if owed is None or owed <= baseline:
        sub.last_digest_at = now


async def _digest_for(
    db: Database, chat_id: int, slot: datetime, now: datetime, *, digest_mode: bool = True, cap: int = 30
) -> int:
    async with db.write() as session:
        sub = await session.get(Subscriber, chat_id)
        if sub is None or not sub.active or (sub.mode == "digest") != digest_mode:
            return 0
        items: list[tuple[int, int | None]] = list(
            (
                await session.execute(
                    select(Outbox.id, Outbox.story_id)
                    .where(Outbox.chat_id == chat_id, Outbox.status == outbox.DIGEST_WAIT)
                    .order_by(Outbox.id)
                )
            ).all()
        )
        story_ids = [sid for _, sid in items if sid is not None]
        stories = (
            list((await session.scalars(select(Story).where(Story.id.in_(story_ids)))).all())
            if story_ids
            else []
        )
        # A story whose word, topic or source the reader stopped following since it was queued
        # is not in the digest (decided now, so switching a source off and on again loses nothing).
        wanted = await still_wanted(session, chat_id, stories)
        unwanted = [row_id for row_id, story_id in items if story_id not in wanted]
        if unwanted:
            await session.execute(
                update(Outbox)
                .where(Outbox.id.in_(unwanted))
                .values(status=outbox.WITHDRAWN, last_error="unsubscribed before the digest")
            )
            items = [(row_id, story_id) for row_id, story_id in items if story_id in wanted]
            stories = [s for s in stories if s.id in wanted]
        created = shown_count = 0
        tz = sub.timezone
        due = now
        if not digest_mode:
            # Not a chosen digest time: the flushed stories are instant stories, so they keep the
            # quiet hours as any other instant story does, and the header says when they arrive.
            due = quiet_until(now, sub.quiet_start, sub.quiet_end, tz) or now
            slot = due
        if stories:
            # One event told by several outlets is one item, the others a link under it.
            items_of, also = fold_digest(stories) if sub.group_events else (stories, {})
            shown = _balanced(items_of, cap)
            shown_count = len(shown)
            # The rest are marked digested with the others below: counted in the digest's last
            # line, never carried into the next digest (which would only grow).
            parts = render_digest_parts(
                shown,
                lang=sub.language,
                tz=tz,
                slot=slot,
                more=len(items_of) - len(shown),
                also=also,
                now=due,
            )
            # The slot names the digest for people reading the outbox; the first item's id makes the key
            # unique, since each digest consumes its own items. A slot alone repeats after a zone change
            # (08:00 in Riyadh, then 08:00 in London the same date) or two mode switches in one minute,
            # and the clashing insert would mark the new stories digested with nothing queued.
            key = f"digest:{chat_id}:{slot_key(slot, tz)}:{items[0][0]}"
            silent = quiet_until(due, sub.quiet_start, sub.quiet_end, tz) is not None
            rows = [
                {
                    "chat_id": chat_id,
                    "kind": outbox.DIGEST,
                    "dedup_key": key if i == 0 else f"{key}#{i + 1}",
                    # The items it shows, so a story corrected later is corrected in this message.
                    "payload": {
                        **outbox.payload(part, link_preview=False),
                        "items": {str(story_id): item for story_id, item in shown_items.items()},
                        **({"silent": True} if silent else {}),
                    },
                    "not_before": due,
                }
                for i, (part, shown_items) in enumerate(parts)
            ]
            created = await outbox.insert_rows(session, rows)
            # Each item row names the message that shows its story (bot.delivery.corrections).
            for row, (_, shown_items) in zip(rows, parts, strict=True):
                named = [row_id for row_id, story_id in items if story_id in shown_items]
                if named:
                    await session.execute(
                        update(Outbox)
                        .where(Outbox.id.in_(named))
                        .values(payload={"digest": row["dedup_key"]})
                    )
        if items:
            await session.execute(
                update(Outbox)
                .where(Outbox.id.in_([row_id for row_id, _ in items]))
                .values(status=outbox.DIGESTED, sent_at=now)
            )
        if digest_mode:
            sub.last_digest_at = now
        log.info(
            "digest for chat %s: %d stories (%d shown) in %d messages",
            chat_id,
            len(stories),
            shown_count,
            created,
        )
        return created


def _balanced(stories: list[Story], cap: int) -> list[Story]:
    """At most `cap` stories, shared out between sources: each source's newest first, one per
    source in turn.

    Not simply the newest `cap`: a reader who follows a wire service posting hundreds of stories a
    day and a weekly column expects the column in the digest, and "newest first" would let the
    busy source crowd out every other. Within a source the newest win, since the digest is about the
    period that just ended and the older ones are what /search finds.
    """
    if len(stories) <= cap:
        return stories
    groups: dict[str, list[Story]] = {}
    for story in sorted(stories, key=_recency, reverse=True):
        groups.setdefault(source_key(story), []).append(story)
    queues = list(groups.values())  # sources in order of their newest story
    kept: list[Story] = []
    for depth in range(cap):
        for queue in queues:
            if depth < len(queue) and len(kept) < cap:
                kept.append(queue[depth])
    return kept


def _recency(story: Story) -> tuple[datetime, int]:
    return as_utc(story.published_at or story.fetched_at or utcnow()), story.id
