"""The outbox: every message owed to a chat is a row before anything is sent.

A row's (chat_id, dedup_key) is unique, and rows are inserted with ON CONFLICT DO NOTHING, so the
same story, digest, broadcast or alert can never be queued twice for a chat — whatever retries,
restarts or duplicate feed items happen upstream.

Statuses: pending (due at not_before) → sending (handed to Telegram) → sent | failed | uncertain.
"digest" rows are stories waiting for the chat's next digest; the digest job turns them into
"digest" messages and marks them "digested". "uncertain" rows were in flight when the process
died: they are never re-sent (see service.py).

Writers notify the running sender (if any) for the same database so new rows go out at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.clock import utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import AdminLanguage, Outbox, Subscriber

log = logging.getLogger(__name__)

_T = TypeVar("_T")

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
UNCERTAIN = "uncertain"
DIGEST_WAIT = "digest"
DIGESTED = "digested"
GROUPED = "grouped"  # told by another story's card in that chat (bot.delivery.grouping); never sent
# Not sent, on purpose: the chat left (blocked the bot, /stop) or stopped following what brought it.
# Not a delivery failure: /stats and the admins' failure alerts leave these out.
WITHDRAWN = "withdrawn"

# Kinds of row.
STORY = "story"
DIGEST_ITEM = "digest_item"
DIGEST = "digest"
BROADCAST = "broadcast"
ALERT = "alert"
TEXT = "text"
EDIT = "edit"  # a sent card corrected in place (bot.delivery.corrections); payload["edit_message_id"]

_listeners: WeakKeyDictionary[Database, set[Callable[[], None]]] = WeakKeyDictionary()


def add_listener(db: Database, callback: Callable[[], None]) -> None:
    _listeners.setdefault(db, set()).add(callback)


def remove_listener(db: Database, callback: Callable[[], None]) -> None:
    _listeners.get(db, set()).discard(callback)


def notify(db: Database) -> None:
    """Wake the sender(s) working on this database: there are new rows."""
    for callback in list(_listeners.get(db, ())):
        callback()


def payload(
    text_html: str,
    buttons: InlineKeyboardMarkup | None = None,
    *,
    link_preview: bool = False,
) -> dict[str, Any]:
    """The JSON a row carries: exactly what sendMessage needs."""
    data: dict[str, Any] = {"text": text_html, "preview": bool(link_preview)}
    if buttons is not None:
        data["buttons"] = buttons.to_dict()["inline_keyboard"]
    return data


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert(Outbox) if dialect == "postgresql" else sqlite.insert(Outbox)


def chunks(items: Sequence[_T], size: int = 500) -> Iterator[Sequence[_T]]:
    """Slices that keep a statement's bound parameters far below SQLite's limit (32766)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Core on the session's connection, not the ORM: a list of parameters then runs as one executemany
# keyed by any column (the ORM would take it for a bulk update by primary key).
_TABLE = cast(Table, Outbox.__table__)


async def set_payloads(
    session: AsyncSession,
    payloads: Iterable[tuple[int, dict[str, Any]]],
    *,
    while_pending: bool = False,
    while_unsent: bool = False,
) -> None:
    """Rows' payloads replaced (row id, payload), in one executemany: what a card shows now after an
    edit, or a waiting card re-rendered. `while_pending`: only rows the sender has not taken yet.
    `while_unsent`: those and the rows in flight, whose message the sender edits to this payload
    once Telegram gives it a number (Sender._sent)."""
    params = [{"row": row_id, "fresh": fresh} for row_id, fresh in payloads]
    if not params:
        return
    condition = _TABLE.c.id == bindparam("row")
    if while_pending:
        condition &= _TABLE.c.status == PENDING
    elif while_unsent:
        # Not IN (…): an expanding parameter cannot go in an executemany.
        condition &= or_(_TABLE.c.status == PENDING, _TABLE.c.status == SENDING)
    connection = await session.connection()
    await connection.execute(update(_TABLE).where(condition).values(payload=bindparam("fresh")), params)


async def active_chats(session: AsyncSession, chat_ids: Iterable[int]) -> set[int]:
    """Of these chats, those still subscribed, as the transaction sees them. A writer that chose its
    chats in an earlier read asks again inside its write: a chat may have /forget-ten everything (or
    /stop-ped) in between, and a row written for it then would reach it, or outlive its data."""
    wanted = sorted(set(chat_ids))
    found: set[int] = set()
    for part in chunks(wanted):
        found.update(
            (
                await session.scalars(
                    select(Subscriber.chat_id).where(Subscriber.active, Subscriber.chat_id.in_(part))
                )
            ).all()
        )
    return found


async def insert_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """INSERT … ON CONFLICT (chat_id, dedup_key) DO NOTHING; returns how many rows were new."""
    if not rows:
        return 0
    created = 0
    now = utcnow()
    for part in chunks(rows):
        batch = [
            {
                "status": PENDING,
                "attempts": 0,
                "not_before": now,
                "created_at": now,
                "payload": {},
                "story_id": None,
                **row,
            }
            for row in part
        ]
        statement = (
            _insert(session)
            .values(batch)
            .on_conflict_do_nothing(index_elements=["chat_id", "dedup_key"])
            .returning(Outbox.id)
        )
        created += len((await session.execute(statement)).all())
    return created


async def enqueue_text(
    db: Database,
    chat_id: int,
    text_html: str,
    *,
    kind: str = TEXT,
    dedup_key: str,
    buttons: InlineKeyboardMarkup | None = None,
    link_preview: bool = False,
    not_before: datetime | None = None,
) -> int:
    """Queue an HTML message (split when longer than Telegram's limit; buttons on the last part).

    Returns the number of rows created: 0 when this dedup_key was already queued for the chat.
    """
    from bot.delivery.format import split_html

    parts = split_html(text_html) or [text_html]
    rows = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        rows.append(
            {
                "chat_id": chat_id,
                "kind": kind,
                "dedup_key": dedup_key if i == 0 else f"{dedup_key}#{i + 1}",
                "payload": payload(part, buttons if last else None, link_preview=link_preview),
                "not_before": not_before or utcnow(),
            }
        )
    async with db.write() as session:
        created = await insert_rows(session, rows)
    notify(db)
    return created


ALERT_TEXTS = {
    "prefix": {"ar": "⚠️ تنبيه للمشرفين", "en": "⚠️ Admin alert"},
    "notice": {"ar": "📣 للمشرفين", "en": "📣 For admins"},
}


async def remember_admin_language(db: Database, chat_id: int, language: str) -> None:
    """The language of the app an admin just used an admin command or button from: their alerts
    follow it while they have no Subscriber row (an admin need never /start). Written only when it
    changed, so an admin's every command costs a read, not a write."""
    async with db.read() as session:
        known = await session.get(AdminLanguage, chat_id)
        if known is not None and known.language == language:
            return
    async with db.write() as session:
        await session.merge(AdminLanguage(chat_id=chat_id, language=language, updated_at=utcnow()))


async def _admin_languages(db: Database, admins: list[int]) -> tuple[dict[int, str], dict[int, str]]:
    """Each admin's language: their Subscriber row's (what /language chose, what their replies
    follow), else their app's as last seen on an admin command, else none (Arabic); and the time
    zone their /settings chose, where they have one."""
    async with db.read() as session:
        seen = dict(
            (
                await session.execute(
                    select(AdminLanguage.chat_id, AdminLanguage.language).where(
                        AdminLanguage.chat_id.in_(admins)
                    )
                )
            ).all()
        )
        chosen: dict[int, str] = {}
        zones: dict[int, str] = {}
        for chat_id, language, timezone in (
            await session.execute(
                select(Subscriber.chat_id, Subscriber.language, Subscriber.timezone).where(
                    Subscriber.chat_id.in_(admins)
                )
            )
        ).all():
            chosen[chat_id] = language
            if timezone:
                zones[chat_id] = timezone
    return {**seen, **chosen}, zones


async def enqueue_admin_alert(
    db: Database,
    config: Config,
    key: str,
    text_ar: str,
    text_en: str,
    *,
    notice: bool = False,
    in_zone: Callable[[str], tuple[str, str]] | None = None,
) -> int:
    """One row per admin (config.telegram.admins), in the admin's language; deduplicated by `key`.

    `text_ar`/`text_en` are HTML (escape anything external). `notice`: news for the admins, not a
    warning (a broadcast that went out), headed so. `in_zone`: for an alert that tells a time, the
    (Arabic, English) texts in a time zone, called with each admin's own (/settings; else the
    instance's default), as /feed tells them the same times. Returns rows created.
    """
    admins = list(dict.fromkeys(config.telegram.admins))
    if not admins:
        log.warning("admin alert %s not sent: no admins in config.telegram.admins", key)
        return 0
    languages, zones = await _admin_languages(db, admins)
    rows = []
    for admin in admins:
        lang = "en" if languages.get(admin) == "en" else "ar"
        if in_zone is not None:
            text_ar, text_en = in_zone(zones.get(admin) or config.delivery.default_timezone)
        body = text_en if lang == "en" else text_ar
        head = ALERT_TEXTS["notice" if notice else "prefix"][lang]
        rows.append(
            {
                "chat_id": admin,
                "kind": ALERT,
                "dedup_key": f"alert:{key}"[:200],
                "payload": payload(f"<b>{head}</b>\n{body}"),
            }
        )
    async with db.write() as session:
        created = await insert_rows(session, rows)
    notify(db)
    return created


async def card_shown(db: Database, chat_id: int, message_id: int) -> dict[str, Any] | None:
    """The payload of the story card that is this message, or None (not a card, or pruned)."""
    async with db.read() as session:
        found = await session.scalar(
            select(Outbox.payload)
            .where(Outbox.chat_id == chat_id, Outbox.message_id == message_id, Outbox.kind == STORY)
            .limit(1)
        )
    return dict(found) if found is not None else None


async def record_expanded(db: Database, chat_id: int, message_id: int, expanded: dict[str, Any]) -> None:
    """The reader pressed "المزيد" on a card: its row now holds what the message shows, so a later
    correction (bot.delivery.corrections) edits it to its expanded form, not back to the short one.

    An edit of that message still queued (another outlet's link, a correction, waiting for its turn
    or a retry) was rendered short, before the press, and would fold the card up again; the expanded
    card already shows what it was to bring, so it now edits to the same text (Telegram answers "not
    modified", and the row counts as sent)."""
    async with db.write() as session:
        cards = (
            await session.scalars(
                select(Outbox).where(
                    Outbox.chat_id == chat_id, Outbox.message_id == message_id, Outbox.kind == STORY
                )
            )
        ).all()
        await set_payloads(
            session,
            [
                (card.id, {**expanded, "expanded": True, "edits": (card.payload or {}).get("edits", 0)})
                for card in cards
            ],
        )
        queued = (
            await session.scalars(
                select(Outbox).where(Outbox.chat_id == chat_id, Outbox.kind == EDIT, Outbox.status == PENDING)
            )
        ).all()
        await set_payloads(
            session,
            [
                (edit.id, {**expanded, "expanded": True, "edit_message_id": message_id})
                for edit in queued
                if (edit.payload or {}).get("edit_message_id") == message_id
            ],
            while_pending=True,
        )


async def enqueue_broadcast(db: Database, broadcast_id: int, text_html: str) -> int:
    """One row per active subscriber (kind "broadcast", dedup "broadcast:<id>"); returns rows created."""
    from bot.delivery.format import split_html
    from bot.delivery.schedule import quiet_until

    parts = split_html(text_html) or [text_html]
    async with db.read() as session:
        chats = (
            await session.execute(
                select(
                    Subscriber.chat_id, Subscriber.quiet_start, Subscriber.quiet_end, Subscriber.timezone
                ).where(Subscriber.active)
            )
        ).all()
    now = utcnow()
    # An announcement does not wait for anyone's quiet hours, but it does not ring in them either.
    silent = {chat for chat, start, end, tz in chats if quiet_until(now, start, end, tz) is not None}
    rows = [
        {
            "chat_id": chat,
            "kind": BROADCAST,
            "dedup_key": f"broadcast:{broadcast_id}" + (f"#{i + 1}" if i else ""),
            "payload": {**payload(part), **({"silent": True} if chat in silent else {})},
        }
        for chat, *_ in chats
        for i, part in enumerate(parts)
    ]
    async with db.write() as session:
        still = await active_chats(session, (chat for chat, *_ in chats))
        created = await insert_rows(session, [row for row in rows if row["chat_id"] in still])
    notify(db)
    return created // len(parts)


async def pending_count(db: Database, *, kinds: Iterable[str] | None = None) -> int:
    """Rows still to be sent (pending or being sent)."""
    query = select(func.count()).select_from(Outbox).where(Outbox.status.in_((PENDING, SENDING)))
    if kinds is not None:
        query = query.where(Outbox.kind.in_(list(kinds)))
    async with db.read() as session:
        return int(await session.scalar(query) or 0)


async def status_counts(db: Database) -> dict[str, int]:
    async with db.read() as session:
        rows = (await session.execute(select(Outbox.status, func.count()).group_by(Outbox.status))).all()
    return {status: int(count) for status, count in rows}
