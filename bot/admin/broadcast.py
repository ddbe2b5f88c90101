"""/broadcast: a draft, an explicit confirmation, then one outbox row per active subscriber.

The messages go through the same outbox and rate-limited sender as stories, so a broadcast to
thousands of chats respects Telegram's limits and survives a restart half-way. When none of them
is left to send, the admins are told how it went (report_finished): how many chats it reached, and
how many it could not, of which how many had blocked the bot or left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from bot.admin import audit
from bot.admin.models import Broadcast
from bot.clock import utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Outbox, Subscriber
from bot.delivery import outbox
from bot.i18n import clip, number, text

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
        recipients = int(await outbox.enqueue_broadcast(db, broadcast_id, text_html))
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


# A broadcast still unfinished after this long is not reported (its rows may have been pruned).
REPORT_WITHIN = timedelta(days=2)

TEXTS = {
    # Named by its first words: its number appears nowhere an admin would have seen it.
    "report": {
        "ar": "انتهى إرسال الرسالة الجماعية «{start}»: وصلت إلى {sent} من {total}.",
        "en": "The broadcast “{start}” is done: it reached {sent} of {total} {total:chat|chats}.",
    },
    "report_failed": {
        "ar": "لم تصل إلى {failed}.",
        "en": "It did not reach {failed}.",
    },
    "report_gone": {
        "ar": "ومن هذه محادثات حظرت البوت أو غادرته (عددها: {gone}).",
        "en": "{gone} of them had blocked the bot or left.",
    },
}


async def report_finished(db: Database, config: Config, *, now: datetime | None = None) -> int:
    """Tell the admins how each recent broadcast went, once none of its messages is left to send
    (the confirmation only said it was queued). Each is reported once; returns how many were."""
    now = now or utcnow()
    found: list[tuple[int, int, int, int]] = []
    async with db.read() as session:
        recent = (
            await session.execute(
                select(Broadcast.id, Broadcast.recipients, Broadcast.text_html).where(
                    Broadcast.status == "sent", Broadcast.decided_at >= now - REPORT_WITHIN
                )
            )
        ).all()
        starts = {broadcast_id: _start_of(body or "") for broadcast_id, _, body in recent}
        for broadcast_id, recipients, _ in recent:
            if await session.scalar(
                select(Outbox.id).where(Outbox.dedup_key == f"alert:{_report_key(broadcast_id)}").limit(1)
            ):
                continue
            # The first part of each chat's message stands for the chat.
            mine = (Outbox.kind == outbox.BROADCAST, Outbox.dedup_key == f"broadcast:{broadcast_id}")
            counts = dict(
                (
                    await session.execute(
                        select(Outbox.status, func.count()).where(*mine).group_by(Outbox.status)
                    )
                ).all()
            )
            if not counts or counts.get(outbox.PENDING, 0) or counts.get(outbox.SENDING, 0):
                continue
            # Blocked the bot, left the group, or had the bot /forget them meanwhile.
            gone = await session.scalar(
                select(func.count())
                .select_from(Outbox)
                .outerjoin(Subscriber, Subscriber.chat_id == Outbox.chat_id)
                .where(
                    *mine,
                    or_(
                        Outbox.status == outbox.WITHDRAWN,
                        (Outbox.status == outbox.FAILED)
                        & or_(Subscriber.chat_id.is_(None), Subscriber.active.is_(False)),
                    ),
                )
            )
            # A chat that used /forget meanwhile took its row with it: still one the broadcast left.
            forgotten = max(0, int(recipients or 0) - sum(counts.values()))
            total = sum(counts.values()) + forgotten
            found.append((broadcast_id, total, counts.get(outbox.SENT, 0), int(gone or 0) + forgotten))
    reported = 0
    for broadcast_id, total, sent, gone in found:
        lines = {
            lang: [_say("report", lang, sent=sent, total=total, start=starts[broadcast_id])]
            for lang in ("ar", "en")
        }
        if total > sent:
            for lang in lines:
                lines[lang].append(_say("report_failed", lang, failed=total - sent))
                if gone:
                    lines[lang].append(_say("report_gone", lang, gone=gone))
        reported += bool(
            await outbox.enqueue_admin_alert(
                db,
                config,
                _report_key(broadcast_id),
                " ".join(lines["ar"]),
                " ".join(lines["en"]),
                notice=True,
            )
        )
    return reported


def _report_key(broadcast_id: int) -> str:
    return f"broadcast-report:{broadcast_id}"


def _say(key: str, lang: str, **values: int | str) -> str:
    """The text, its counts in the reader's digits (words stay as they are)."""
    shown = {k: number(v, lang) if isinstance(v, int) else v for k, v in values.items()}
    return text(TEXTS, key, lang, **shown)


def _start_of(body_html: str, limit: int = 50) -> str:
    """A broadcast's first words, as plain text (escaped again for the HTML alert)."""
    import html as html_lib

    plain = html_lib.unescape(re.sub(r"<[^>]*>", "", body_html))
    return html_lib.escape(clip(" ".join(plain.split()), limit), quote=False)
