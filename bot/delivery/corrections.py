"""A story the outlet corrected (bot.feeds.poller: same guid, new headline or text; or relisted
under a new guid or link with its headline changed, poller._republished) is corrected in
the chats that have it: a card already sent is edited in place, a card still queued is re-rendered,
and a digest that lists it has that item replaced (the digest's other items stay as they were).

Cards sent in the last 47 hours are corrected (bot.delivery.card.EDIT_WINDOW says why not older
ones); older cards stay as they are, and /search finds the corrected story. An edit is an outbox
row of kind "edit", so it keeps the same per-chat pacing, retries and restart safety as any
message, and a chat that left gets none. A card the sender takes while the correction is worked
out is not missed: one sent meanwhile gets its edit when the correction is written, and one still in
flight then is edited by the sender as soon as Telegram gives it a number. The edited message's row
then holds its new text, so the same correction seen again edits nothing, and a later one, even
back to an earlier text, edits again (bot.delivery.card.edit_of). Nothing is sent as a new message:
a correction is not news.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_

from bot.clock import utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Outbox, Story, Subscriber
from bot.delivery import outbox
from bot.delivery.card import edit_of, editable, rerender
from bot.delivery.format import MAX_MESSAGE, digest_item, visible_len

log = logging.getLogger(__name__)

# A message not sent yet: waiting, or in flight (re-rendered all the same, see Sender._sent).
_UNSENT = (outbox.PENDING, outbox.SENDING)


async def queue_corrections(
    db: Database, config: Config, story_ids: Sequence[int], *, now: datetime | None = None
) -> int:
    """Queue an edit for every card of these stories sent in the last 47 hours whose text changes,
    and re-render the ones still waiting. Returns how many edits were queued."""
    if not story_ids:
        return 0
    now = now or utcnow()
    async with db.read() as session:
        stories = {
            s.id: s for s in (await session.scalars(select(Story).where(Story.id.in_(story_ids)))).all()
        }
        cards = (
            await session.execute(
                select(Outbox, Subscriber)
                .join(Subscriber, Subscriber.chat_id == Outbox.chat_id)
                .where(
                    Outbox.kind == outbox.STORY,
                    Outbox.story_id.in_(story_ids),
                    Outbox.status.in_((*_UNSENT, outbox.SENT)),
                    Subscriber.active.is_(True),
                )
            )
        ).all()
    edits: list[dict[str, Any]] = []
    requeued: list[tuple[int, dict[str, Any]]] = []
    shown: list[tuple[int, dict[str, Any]]] = []  # sent cards being edited: what they will show
    for card, chat in cards:
        story = stories.get(card.story_id or 0)
        if story is None or not (card.status in _UNSENT or editable(card, now)):
            continue
        fresh = rerender(card, story, chat, config)
        if fresh["text"] == (card.payload or {}).get("text"):
            continue  # the correction is not in what the card shows (a later paragraph)
        if card.status in _UNSENT:
            requeued.append((card.id, fresh))
            continue
        edit, holds = edit_of(card, fresh)
        edits.append(edit)
        shown.append((card.id, holds))
    digest_edits, digests_requeued, digests_shown = await _digest_corrections(db, stories, now)
    edits += digest_edits
    requeued += digests_requeued
    async with db.write() as session:
        still = await outbox.active_chats(session, {edit["chat_id"] for edit in edits})
        created = await outbox.insert_rows(session, [edit for edit in edits if edit["chat_id"] in still])
        await outbox.set_payloads(session, [*shown, *digests_shown])
        # What was read above is a moment old: the sender may have sent some of these since.
        created += await _edit_sent_meanwhile(session, requeued, now)
        await outbox.set_payloads(session, requeued, while_unsent=True)
    if created:
        outbox.notify(db)
        log.info("corrections: %d sent cards to edit, %d queued cards re-rendered", created, len(requeued))
    return created


async def _edit_sent_meanwhile(
    session: Any, requeued: list[tuple[int, dict[str, Any]]], now: datetime
) -> int:
    """Of the messages re-rendered while they waited (or were in flight), those the sender has sent
    since get an edit, as if they had been sent before the correction. Returns edits queued."""
    fresh_of = dict(requeued)
    sent: list[Outbox] = []
    for part in outbox.chunks(sorted(fresh_of)):
        sent += (
            await session.scalars(select(Outbox).where(Outbox.id.in_(part), Outbox.status == outbox.SENT))
        ).all()
    edits: list[dict[str, Any]] = []
    shown: list[tuple[int, dict[str, Any]]] = []
    for message in sent:
        fresh = fresh_of[message.id]
        if not editable(message, now) or fresh["text"] == (message.payload or {}).get("text"):
            continue
        edit, holds = edit_of(message, fresh)
        edits.append(edit)
        shown.append((message.id, holds))
    await outbox.set_payloads(session, shown)
    return await outbox.insert_rows(session, edits)


async def _digest_corrections(
    db: Database, stories: dict[int, Story], now: datetime
) -> tuple[list[dict[str, Any]], list[tuple[int, dict[str, Any]]], list[tuple[int, dict[str, Any]]]]:
    """The digest messages that list these stories: each item row names its message
    (bot.delivery.digest), whose payload holds every item as rendered; the corrected item replaces
    the old one. Returns the edit rows to queue, and (row id, corrected payload) for the digests
    not sent yet and for the sent ones being edited."""
    async with db.read() as session:
        named = (
            await session.execute(
                select(Outbox.chat_id, Outbox.story_id, Outbox.payload, Subscriber.language)
                .join(Subscriber, Subscriber.chat_id == Outbox.chat_id)
                .where(
                    Outbox.kind == outbox.DIGEST_ITEM,
                    Outbox.story_id.in_(list(stories)),
                    Outbox.status == outbox.DIGESTED,
                    Subscriber.active.is_(True),
                )
            )
        ).all()
        wanted: dict[tuple[int, str], list[int]] = {}
        language: dict[int, str] = {}
        for chat_id, story_id, data, lang in named:
            key = (data or {}).get("digest")
            if key and story_id is not None:
                wanted.setdefault((chat_id, key), []).append(story_id)
                language[chat_id] = lang
        messages: list[Outbox] = []
        for keys in outbox.chunks(sorted(wanted)):
            messages += (
                await session.scalars(
                    select(Outbox).where(
                        tuple_(Outbox.chat_id, Outbox.dedup_key).in_(keys),
                        Outbox.kind == outbox.DIGEST,
                        Outbox.status.in_((*_UNSENT, outbox.SENT)),
                    )
                )
            ).all()
    edits: list[dict[str, Any]] = []
    requeued: list[tuple[int, dict[str, Any]]] = []
    shown: list[tuple[int, dict[str, Any]]] = []
    for message in messages:
        data = dict(message.payload or {})
        text, items = data.get("text", ""), dict(data.get("items") or {})
        for story_id in wanted[(message.chat_id, message.dedup_key)]:
            new = digest_item(stories[story_id], language.get(message.chat_id, "ar"))
            old = items.get(str(story_id))
            if old and old != new and old in text:
                text, items[str(story_id)] = text.replace(old, new, 1), new
        if text == data.get("text") or visible_len(text) > MAX_MESSAGE:
            continue  # nothing the message shows changed, or the corrected text would not fit it
        fresh = {**data, "text": text, "items": items}
        if message.status in _UNSENT:
            requeued.append((message.id, fresh))
        elif editable(message, now):
            edit, holds = edit_of(message, fresh)
            edits.append(edit)
            shown.append((message.id, holds))
    return edits, requeued, shown
