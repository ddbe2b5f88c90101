"""/broadcast: a draft, an explicit confirmation, then one outbox row per active subscriber.

The messages go through the same outbox and rate-limited sender as stories, so a broadcast to
thousands of chats respects Telegram's limits and survives a restart half-way.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.admin import audit
from bot.admin.models import Broadcast
from bot.clock import utcnow
from bot.db.database import Database

# Leaves room for the confirmation header around the text within Telegram's 4096 characters.
MAX_BROADCAST_CHARS = 3800


@dataclass(frozen=True)
class BroadcastOutcome:
    """`code`: sent | cancelled | already_sent | already_cancelled | not_found."""

    code: str
    recipients: int = 0


async def create_draft(db: Database, admin_id: int, text_html: str, *, by: str = "") -> int:
    async with db.write() as session:
        draft = Broadcast(admin_id=admin_id, text_html=text_html, status="draft")
        session.add(draft)
        await session.flush()
        audit.record(session, admin_id, "broadcast.draft", broadcast_id=draft.id, text=text_html[:300], by=by)
        return draft.id


async def confirm(db: Database, broadcast_id: int, admin_id: int, *, by: str = "") -> BroadcastOutcome:
    from bot.delivery.outbox import enqueue_broadcast

    # Claim the draft first, under the write lock: a second tap on "confirm" finds it taken.
    async with db.write() as session:
        draft = await session.get(Broadcast, broadcast_id)
        if draft is None:
            return BroadcastOutcome("not_found")
        if draft.status != "draft":
            return BroadcastOutcome(f"already_{draft.status}", draft.recipients)
        draft.status = "sent"
        draft.decided_at = utcnow()
        text_html = draft.text_html
    try:
        recipients = int(await enqueue_broadcast(db, broadcast_id, text_html))
    except Exception:
        async with db.write() as session:
            draft = await session.get(Broadcast, broadcast_id)
            if draft is not None:
                draft.status, draft.decided_at = "draft", None
        raise
    async with db.write() as session:
        draft = await session.get(Broadcast, broadcast_id)
        if draft is not None:
            draft.recipients = recipients
        audit.record(
            session,
            admin_id,
            "broadcast.send",
            broadcast_id=broadcast_id,
            recipients=recipients,
            text=text_html[:300],
            by=by,
        )
    return BroadcastOutcome("sent", recipients)


async def cancel(db: Database, broadcast_id: int, admin_id: int, *, by: str = "") -> BroadcastOutcome:
    async with db.write() as session:
        draft = await session.get(Broadcast, broadcast_id)
        if draft is None:
            return BroadcastOutcome("not_found")
        if draft.status != "draft":
            return BroadcastOutcome(f"already_{draft.status}", draft.recipients)
        draft.status = "cancelled"
        draft.decided_at = utcnow()
        audit.record(session, admin_id, "broadcast.cancel", broadcast_id=broadcast_id, by=by)
    return BroadcastOutcome("cancelled")
