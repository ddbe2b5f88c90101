"""The sender: drains the outbox into Telegram within its limits, and survives being killed.

Limits. A pacer of our own spaces sendMessage calls evenly at 95 % of
`telegram.max_messages_per_second` (no bursts: Telegram counts a sliding second), in front of PTB's
AIORateLimiter, which still guards everything else the bot sends. A chat gets its next message no
sooner than `1 / max_messages_per_chat_per_second` after the previous one *completed* (3 s in
groups: 20/min), so latency jitter can never squeeze two into one second.

Exactly-once. Rows go pending → sending → sent. A row is marked "sending" in the database (and
committed) before its request leaves, and "sent" right after Telegram answers. At most
`max_in_flight` rows are "sending" at any moment. On a clean stop the sender waits for them. After
a kill (SIGKILL, power loss) the rows still "sending" are the only ones whose fate is unknown: at the
next start they become "uncertain", are NOT sent again (a duplicate is worse than a gap the user can
fill with /latest), and the admins are told how many. So a kill can leave at most `max_in_flight`
(default 16) messages uncertain; everything pending is sent exactly once by the next process.

Errors. 429 RetryAfter (after AIORateLimiter's own retries): the row goes back to pending and the
whole sender pauses for retry_after. 403 (blocked, kicked, deactivated) and "chat not found": the
subscriber becomes inactive with the reason, the chat's queued rows are withdrawn (not counted as
failed deliveries). Group migrated to a
supergroup: the subscriber, its subscriptions and queued rows move to the new chat id and the
message is sent there. Network errors, timeouts and 5xx: retried with exponential backoff up to
`delivery.max_retries` attempts — unless no message has got through since they began: that is an
outage (Telegram or the network down), the whole sender pauses (up to a minute between tries),
nothing is given up, and when a message gets through again the rows waiting out their backoff are
due at once. A rejected token (revoked at @BotFather) stops the bot: nothing is spent; the later parts of the same message (a long digest) wait with
the part being retried, so a chat always reads the parts in order. Other 400s (message too long,
bad HTML): failed with the reason, logged; the story stays in the database. Failures (not
counting blocked chats) within an hour beyond `delivery.failure_alert_threshold` raise one admin
alert per hour.

A timed-out request may have reached Telegram (it offers no idempotency key); retrying it is the
one place where a duplicate is possible. Connection failures before the request was sent are not
ambiguous.

The database failing after Telegram answered (a PostgreSQL restart, a lost connection, a full disk):
what Telegram said is kept in memory and its row's status written as soon as the database answers,
each try bounded in time, the waits between them growing to half a minute, for as long as the
process runs (Sender._record). Until then the row's chat gets nothing more, and its slot stays
taken. A stop waits for these writes as for any request in flight; a row whose outcome is still
unwritten when the stop gives up stays "sending", so the next start reports it uncertain and does
not send it again — never twice, whatever Telegram had answered.

Rows for chats that are no longer subscribed (/stop, blocked: inactive; /forget: no subscriber at
all) are never sent; a forgotten chat's are deleted, as /forget deletes everything of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError

from bot.clock import as_utc, utcnow
from bot.config import Config
from bot.db.database import Database, one_line
from bot.db.models import Outbox, Subscriber, Subscription
from bot.delivery import outbox, wire
from bot.delivery.card import edit_of
from bot.delivery.grouping import card_gone
from bot.i18n import ar_digits, text
from bot.subscribers.service import STOPPED

log = logging.getLogger(__name__)

_T = TypeVar("_T")

MAX_IN_FLIGHT = 16
RATE_SAFETY = 0.95
IDLE_POLL = 2.0
BATCH = 200
MAX_BACKOFF = 300.0
# Failed requests in a row, with no message getting through between them, that make an outage:
# Telegram (or the network) is down, not one message failing. During one nothing is given up.
OUTAGE_AFTER = 3
MAX_OUTAGE_PAUSE = 60.0  # × retry_base (1 s): the longest wait between two tries in an outage
# In an outage a row is given up only after this many times max_retries tries: about seven hours
# for a lone message Telegram keeps refusing with a 5xx, far longer for a queue.
OUTAGE_PATIENCE = 10
# Writing a row's outcome when the database does not answer: each try gives up after this long (a
# connection to a server that vanished can hang far longer), and the waits between tries double up
# to the longest. While a stop waits for them, they try every STOP_RETRY seconds.
DB_ATTEMPT_TIMEOUT = 30.0
MAX_DB_BACKOFF = 30.0
STOP_RETRY = 0.5
_PART_SUFFIX = re.compile(r"#\d+$")
# Telegram's answers when the chat does not let the bot post: a group that muted it (or went
# read-only), a channel whose admins took away its right to post.
_NO_RIGHTS = re.compile(
    r"not enough rights to send|have no rights to send|CHAT_WRITE_FORBIDDEN|CHAT_RESTRICTED|"
    r"need administrator rights in the channel chat|CHAT_ADMIN_REQUIRED",
    re.I,
)
_TOPIC_GONE = re.compile(r"message thread not found|TOPIC_CLOSED|TOPIC_DELETED", re.I)
# Telegram's answers to editing a message that is no longer there (the reader deleted it).
_MESSAGE_GONE = re.compile(r"message to edit not found|message can't be edited|message_id_invalid", re.I)
# Kinds that stop when their chat becomes inactive or is forgotten (an admin alert still reaches an
# admin who /stop-ped, an answer a chat that never subscribed).
SUBSCRIBER_KINDS = (outbox.STORY, outbox.DIGEST, outbox.BROADCAST, outbox.EDIT)
# Kinds whose row holds what its message shows, and which a correction re-renders.
_RENDERED_KINDS = (outbox.STORY, outbox.DIGEST)

# Counts in Arabic stand after «عددها:», which reads right for any number (١ رسالة، ٣ رسائل، ١١ رسالةً
# would each need their own form).
TEXTS = {
    "uncertain": {
        "ar": "توقف البوت فجأة أثناء إرسال رسائل (عددها: {count})، فلا يُعرف إن وصلت. لن تُرسل مرة أخرى حتى لا تتكرر.",
        "en": "The bot stopped abruptly while sending {count} {count:message|messages}, so whether "
        "{count:it|they} arrived is unknown. {count:It|They} will not be sent again, to avoid duplicates.",
    },
    "failures": {
        # The reason is Telegram's own words (English), quoted as code so it reads as quoted.
        "ar": "تعذّر إرسال رسائل خلال الساعة الأخيرة (عددها: {count}). آخر خطأ:\n<code>{reason}</code>",
        "en": "{count} {count:message|messages} could not be delivered in the last hour. Last error:\n<code>{reason}</code>",
    },
}


@dataclass
class _Claimed:
    row_id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    dedup_key: str = ""
    thread_id: int | None = None  # the forum topic the chat's news goes to


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Sender:
    def __init__(
        self,
        bot: Bot,
        db: Database,
        config: Config,
        *,
        max_in_flight: int = MAX_IN_FLIGHT,
        idle_poll: float = IDLE_POLL,
        retry_base: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        on_token_rejected: Callable[[], None] | None = None,
    ) -> None:
        self.bot, self.db, self.config = bot, db, config
        tg = config.telegram
        self.interval = 1.0 / (tg.max_messages_per_second * RATE_SAFETY)
        self.chat_interval = 1.0 / tg.max_messages_per_chat_per_second
        self.group_interval = max(self.chat_interval, 60.0 / tg.max_messages_per_group_per_minute)
        self.max_in_flight = max_in_flight
        self.idle_poll = idle_poll
        self.retry_base = retry_base
        self.clock = clock
        self.stats: Counter[str] = Counter()
        self._event = asyncio.Event()
        self._stopping = False
        self._slots = asyncio.Semaphore(max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy: set[int] = set()
        self._ready_at: dict[int, float] = {}
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._failures: deque[float] = deque()
        self._alerted_hour = ""
        self._failing = 0  # requests failed in a row on the network or the server, none sent since
        # Rows whose outcome the database has not taken yet (row id: the outcome), retried until it does.
        self._unwritten: dict[int, str] = {}
        self._db_down = False  # writing outcomes fails (said once in the log)
        self._written_late = 0  # outcomes written after the database failed them, since it last did
        self._db_answers = asyncio.Event()  # set when the database was seen to answer: retry at once
        self._cycle_failing = False
        self.on_token_rejected = on_token_rejected

    # ------------------------------------------------------------------ control

    def wake(self) -> None:
        self._event.set()

    async def run(self) -> None:
        outbox.add_listener(self.db, self.wake)
        try:
            await self.recover()
            while not self._stopping:
                try:
                    await self._cycle()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    # Once, not every five seconds while the database is down; a lost connection (a
                    # PostgreSQL restart) in one line, as the expected event it is: a traceback of a
                    # hundred lines is for what nobody expected.
                    if not self._cycle_failing:
                        if _connection_lost(exc):
                            reason = one_line(exc)[:300]
                            log.warning(
                                "delivery sender cycle failed: database connection lost (%s); retrying",
                                reason,
                            )
                        else:
                            log.exception("delivery sender cycle failed; retrying every 5 s")
                    self._cycle_failing = True
                    await self._wait(5.0)
                else:
                    if self._cycle_failing:
                        log.warning("delivery sender cycle works again")
                    self._cycle_failing = False
        finally:
            outbox.remove_listener(self.db, self.wake)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop dispatching and let the requests in flight finish (up to `timeout` seconds), their
        outcomes written if the database answers by then."""
        self._stopping = True
        self._event.set()
        self._db_answers.set()  # outcomes waiting for the database try again now, and often from here on
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
                log.warning("%d messages were still in flight at stop: they are now uncertain", len(pending))
        if self._unwritten:
            log.warning(
                "the database did not take what became of %d messages before the stop: %s. Their rows "
                "stay 'sending': the next start reports them uncertain and does not send them again",
                len(self._unwritten),
                ", ".join(f"row {row} ({what})" for row, what in sorted(self._unwritten.items())),
            )

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    # ------------------------------------------------------------------ start-up

    async def recover(self) -> int:
        """Rows left "sending" by a previous process become "uncertain" and are reported, not re-sent."""
        async with self.db.write() as session:
            result = await session.execute(
                update(Outbox)
                .where(Outbox.status == outbox.SENDING)
                .values(status=outbox.UNCERTAIN, last_error="in flight when the bot stopped")
                .returning(Outbox.id)
            )
            count = len(result.all())
        if count:
            self.stats["uncertain"] += count
            log.warning(
                "%d messages were in flight when the previous process stopped; marked uncertain, not re-sent",
                count,
            )
            await outbox.enqueue_admin_alert(
                self.db,
                self.config,
                f"uncertain:{utcnow():%Y-%m-%dT%H:%M:%S}",
                text(TEXTS, "uncertain", "ar", count=ar_digits(count)),
                text(TEXTS, "uncertain", "en", count=count),
            )
        return count

    # ------------------------------------------------------------------ the loop

    async def _wait(self, seconds: float) -> None:
        if seconds <= 0 or self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()

    async def _sleep(self, seconds: float) -> None:
        """Sleep that a stop interrupts (not a wake: pauses and pacing must be kept)."""
        end = self.clock() + seconds
        while not self._stopping and (left := end - self.clock()) > 0:
            await asyncio.sleep(min(left, 0.5))

    def _excluded(self, now: float) -> set[int]:
        for chat in [c for c, t in self._ready_at.items() if t <= now]:
            del self._ready_at[chat]
        return self._busy | set(self._ready_at)

    async def _cycle(self) -> None:
        now = self.clock()
        if self._paused_until > now:
            await self._sleep(self._paused_until - now)
            return
        self._event.clear()
        excluded = self._excluded(now)
        rows = await self._due(excluded)
        self._db_answers.set()  # outcomes waiting for the database need not wait out their backoff
        if not rows:
            await self._wait(await self._idle_timeout(excluded))
            return
        for row_id, chat_id in rows:
            if self._stopping or self._paused_until > self.clock():
                return
            if chat_id in self._busy or self._ready_at.get(chat_id, 0.0) > self.clock():
                continue
            await self._slots.acquire()
            dispatched = False
            try:
                if self._stopping:
                    return
                claimed = await self._claim(row_id)
                if claimed is None:
                    continue
                # Pace after the claim so the requests leave evenly spaced, whatever the DB did.
                await self._pace()
                if self._stopping or self._paused_until > self.clock():
                    await self._release(claimed)
                    return
                self._busy.add(claimed.chat_id)
                task = asyncio.create_task(self._deliver(claimed))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                dispatched = True
            finally:
                if not dispatched:
                    self._slots.release()

    async def _pace(self) -> None:
        """Wait for the next send slot. Slots are `interval` apart; a send that is late (a slow claim, a
        WAL checkpoint) may catch up at most one slot, so no one-second window ever holds more than
        about 1/interval + 1 sends — still under Telegram's limit, given RATE_SAFETY."""
        now = self.clock()
        slot = max(self._next_slot, now - self.interval)
        self._next_slot = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    async def _due(self, excluded: set[int]) -> list[tuple[int, int]]:
        """Due rows, oldest first, skipping chats in cooldown; rows for chats that became inactive
        (/stop, blocked) are withdrawn here rather than sent, and those of chats forgotten (/forget
        while the row was being written) deleted."""
        query = (
            select(Outbox.id, Outbox.chat_id, Outbox.kind, Subscriber.active)
            .outerjoin(Subscriber, Subscriber.chat_id == Outbox.chat_id)
            .where(Outbox.status == outbox.PENDING, Outbox.not_before <= utcnow())
            .order_by(Outbox.not_before, Outbox.id)
            .limit(BATCH)
        )
        if excluded:
            query = query.where(Outbox.chat_id.not_in(sorted(excluded)[:900]))
        async with self.db.read() as session:
            found = (await session.execute(query)).all()
        inactive = [r.id for r in found if r.active is False and r.kind in SUBSCRIBER_KINDS]
        forgotten = [r.id for r in found if r.active is None and r.kind in SUBSCRIBER_KINDS]
        if inactive:
            async with self.db.write() as session:
                await session.execute(
                    update(Outbox)
                    .where(Outbox.id.in_(inactive), Outbox.status == outbox.PENDING)
                    .values(status=outbox.WITHDRAWN, last_error="chat inactive")
                )
        if forgotten:
            async with self.db.write() as session:
                await session.execute(
                    delete(Outbox).where(
                        Outbox.id.in_(forgotten), Outbox.status == outbox.PENDING, ~_subscribed(False)
                    )
                )
        dropped = {*inactive, *forgotten}
        return [(r.id, r.chat_id) for r in found if r.id not in dropped]

    async def _idle_timeout(self, excluded: set[int]) -> float:
        """Until the next chat leaves its cooldown or the next row falls due (rows of excluded chats
        wait for their chat's cooldown instead), at most idle_poll."""
        timeout = self.idle_poll
        now = self.clock()
        if self._ready_at:
            timeout = min(timeout, max(min(self._ready_at.values()) - now, 0.01))
        query = select(func.min(Outbox.not_before)).where(Outbox.status == outbox.PENDING)
        if excluded:
            query = query.where(Outbox.chat_id.not_in(sorted(excluded)[:900]))
        async with self.db.read() as session:
            soonest = await session.scalar(query)
        if soonest is not None:
            timeout = min(timeout, max((as_utc(soonest) - utcnow()).total_seconds(), 0.01))
        return timeout

    # ------------------------------------------------------------------ one row

    async def _claim(self, row_id: int) -> _Claimed | None:
        """pending → sending, committed before the request; None when the row is not ours to send.

        One UPDATE … RETURNING: the claim is on the critical path of the pacing, so it stays cheap.
        """
        statement = (
            update(Outbox)
            .where(
                Outbox.id == row_id,
                Outbox.status == outbox.PENDING,
                # Still due: a batch read before a retry pushed this row back must not send it early.
                Outbox.not_before <= utcnow(),
                # A chat that left or was forgotten gets no news (_due drops these rows).
                or_(Outbox.kind.not_in(SUBSCRIBER_KINDS), _subscribed(True)),
            )
            .values(status=outbox.SENDING, attempts=Outbox.attempts + 1)
            .returning(
                Outbox.chat_id,
                Outbox.kind,
                Outbox.payload,
                Outbox.attempts,
                Outbox.dedup_key,
                select(Subscriber.thread_id).where(Subscriber.chat_id == Outbox.chat_id).scalar_subquery(),
            )
        )
        async with self.db.write() as session:
            row = (await session.execute(statement)).first()
        if row is None:
            return None
        chat_id, kind, payload, attempts, dedup_key, thread_id = row
        return _Claimed(row_id, chat_id, kind, dict(payload or {}), attempts, dedup_key, thread_id)

    async def _release(self, claimed: _Claimed) -> None:
        """Back to pending: the request never left."""
        await self._record(claimed, "not sent, back to the queue", lambda: self._write_release(claimed))

    async def _write_release(self, claimed: _Claimed) -> None:
        async with self.db.write() as session:
            await session.execute(
                update(Outbox)
                # Still ours: a write that timed out after committing is not applied twice.
                .where(Outbox.id == claimed.row_id, Outbox.status == outbox.SENDING)
                .values(status=outbox.PENDING, attempts=Outbox.attempts - 1)
            )

    async def _record(self, claimed: _Claimed, outcome: str, write: Callable[[], Awaitable[_T]]) -> _T:
        """Write what became of a row, however long the database takes to answer.

        Telegram's answer cannot be asked for again: a message it accepted must end "sent" (left
        "sending", the next start would call it uncertain and the admins would be told the bot
        stopped abruptly), and one it never got must go back to the queue, not stay stranded. So the
        outcome is kept here and written once the database answers. The chat stays busy meanwhile
        (its next message waits for this one's), and a stop waits for it like for a request."""
        delay = self.retry_base
        while True:
            try:
                async with asyncio.timeout(DB_ATTEMPT_TIMEOUT):
                    result = await write()
            except Exception as exc:
                if not _curable(exc):
                    raise  # a bug, not an outage: it would fail the same way forever
                self._unwritten[claimed.row_id] = outcome
                self._db_failed(exc)
                await self._wait_for_db(delay)
                delay = min(delay * 2, MAX_DB_BACKOFF)
                continue
            if self._unwritten.pop(claimed.row_id, None) is not None:
                self._written_late += 1
            if self._db_down and not self._unwritten:
                log.warning(
                    "the database answers again: what became of %d messages is written", self._written_late
                )
                self._db_down, self._written_late = False, 0
            return result

    def _db_failed(self, exc: Exception) -> None:
        """One line when outcomes start failing to be written, not one per row and try."""
        self._db_answers.clear()
        if self._db_down:
            log.debug("writing an outcome failed again: %r", exc)
            return
        self._db_down = True
        log.warning(
            "the database did not take what became of a message (%s: %s): kept, and written as soon "
            "as it answers; meanwhile its chat gets nothing more",
            type(exc).__name__,
            str(exc)[:300],
        )

    async def _wait_for_db(self, delay: float) -> None:
        if self._stopping:  # the stop waits for these writes: try often while it still waits
            await asyncio.sleep(min(delay, STOP_RETRY))
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._db_answers.wait()

    async def _send(self, chat_id: int, data: dict[str, Any], thread_id: int | None = None) -> Any:
        markup = None
        if data.get("buttons"):
            markup = InlineKeyboardMarkup.de_json({"inline_keyboard": data["buttons"]}, self.bot)
        if data.get("edit_message_id"):
            return await self.bot.edit_message_text(
                chat_id=chat_id,
                message_id=int(data["edit_message_id"]),
                text=data.get("text", ""),
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=not data.get("preview", False)),
            )
        return await self.bot.send_message(
            chat_id=chat_id,
            text=data.get("text", ""),
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=not data.get("preview", False)),
            disable_notification=bool(data.get("silent")),
            message_thread_id=thread_id,
        )

    async def _deliver(self, claimed: _Claimed) -> None:
        chat_id = claimed.chat_id
        try:
            with wire.watching() as on_wire:
                try:
                    await self._attempt(claimed)
                except asyncio.CancelledError:
                    # Stopped while the rate limiter held it (or waited out a 429): nothing reached
                    # Telegram, so it is sent after the restart rather than marked uncertain.
                    # One try: a stop does not wait out a database that is down (the row then stays
                    # "sending", and is reported uncertain rather than ever sent twice).
                    if not on_wire[0]:
                        await asyncio.shield(self._write_release(claimed))
                    raise
        except Exception:
            log.exception("delivering outbox row %s failed unexpectedly", claimed.row_id)
        finally:
            self._busy.discard(chat_id)
            interval = self.group_interval if chat_id < 0 else self.chat_interval
            self._ready_at[chat_id] = self.clock() + interval
            self._slots.release()
            self._event.set()

    async def _attempt(self, claimed: _Claimed) -> None:
        try:
            message = await self._send(claimed.chat_id, claimed.payload, claimed.thread_id)
        except RetryAfter as exc:
            # The private timedelta avoids PTB 22's deprecation warning on the int-valued property.
            wait = _seconds(getattr(exc, "_retry_after", None) or exc.retry_after)
            self.stats["retry_after"] += 1
            self._paused_until = max(self._paused_until, self.clock() + wait)
            log.warning("Telegram asked to wait %.1fs (flood control); sender paused", wait)
            await self._release(claimed)
        except ChatMigrated as exc:
            self.stats["migrated"] += 1
            new_chat = exc.new_chat_id
            await self._record(
                claimed, "the group moved", lambda: migrate_chat(self.db, claimed.chat_id, new_chat)
            )
            if claimed.kind != outbox.EDIT:  # an edit was withdrawn: its message is not in the new chat
                await self._release(claimed)
        except Forbidden as exc:
            self.stats["forbidden"] += 1
            await self._deactivate(claimed, exc.message)
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                self.stats["forbidden"] += 1
                await self._deactivate(claimed, exc.message)
            elif claimed.thread_id is not None and _TOPIC_GONE.search(exc.message):
                # The admins deleted or closed the topic the news went to: General takes it over.
                await self._topic_gone(claimed)
            elif _NO_RIGHTS.search(exc.message):
                # The group muted the bot (or made itself read-only; a channel's admins took away its
                # right to post): not a delivery failure, and not a chat that left. Telegram says
                # nothing when posting is allowed again (a timed
                # restriction ends, the group's permissions change), so the chat stays subscribed:
                # each story tries once, and the first that goes through means it is back.
                self.stats["forbidden"] += 1
                await self._withdraw(claimed, f"muted: {exc.message}")
            elif claimed.kind == outbox.EDIT and "not modified" in exc.message.lower():
                await self._sent(claimed, None)  # the card already reads so (the reader expanded it)
            elif claimed.kind == outbox.EDIT and _MESSAGE_GONE.search(exc.message):
                await self._card_gone(claimed, exc.message)
            else:
                await self._fail(claimed, exc.message)
        except InvalidToken:
            # Revoked or changed at @BotFather: no message can go out until the operator acts, and
            # trying would only spend every row's attempts. The bot stops and says why.
            await self._release(claimed)
            self._stopping = True
            self._event.set()
            if self.on_token_rejected is not None:
                self.on_token_rejected()
        except TelegramError as exc:  # NetworkError, TimedOut, 5xx, and the rare others
            await self._retry_later(claimed, f"{type(exc).__name__}: {exc.message}", transient=True)
        except Exception as exc:
            log.exception("sending outbox row %s raised", claimed.row_id)
            await self._fail(claimed, repr(exc)[:500])
        else:
            await self._sent(claimed, message)

    async def _sent(self, claimed: _Claimed, message: Any) -> None:
        self.stats["sent"] += 1
        failed_before, self._failing = self._failing, 0
        message_id, sent_at = getattr(message, "message_id", None), utcnow()
        edited = await self._record(claimed, "sent", lambda: self._write_sent(claimed, message_id, sent_at))
        if edited:
            self._event.set()
        if failed_before >= OUTAGE_AFTER:
            try:
                await self._outage_over(failed_before)
            except Exception:  # only a head start: the rows are due at the end of their backoff anyway
                log.exception("resuming the rows held back by the outage failed")

    async def _write_sent(self, claimed: _Claimed, message_id: int | None, sent_at: datetime) -> bool:
        """The row is sent; returns whether its message is to be edited (see _edit_if_rerendered)."""
        async with self.db.write() as session:
            found = (
                await session.execute(
                    update(Outbox)
                    # Still ours: a write that timed out after committing is not applied twice.
                    .where(Outbox.id == claimed.row_id, Outbox.status == outbox.SENDING)
                    .values(status=outbox.SENT, sent_at=sent_at, message_id=message_id, last_error=None)
                    .returning(Outbox.story_id, Outbox.payload)
                )
            ).first()
            if found is None or message_id is None or claimed.kind not in _RENDERED_KINDS:
                return False
            return await _edit_if_rerendered(session, claimed, message_id, found.story_id, found.payload)

    async def _retry_later(self, claimed: _Claimed, reason: str, *, transient: bool = False) -> None:
        pause = self._outage(reason) if transient else None
        limit = max(self.config.delivery.max_retries, 1)
        if claimed.attempts >= (limit if pause is None else limit * OUTAGE_PATIENCE):
            await self._fail(claimed, f"gave up after {claimed.attempts} attempts: {reason}")
            return
        self.stats["retried"] += 1
        # In an outage the row waits with the whole sender, not its own backoff: the first try that
        # gets through then finds every row due, instead of rows pushed minutes away.
        delay = (
            pause if pause is not None else min(self.retry_base * 2.0 ** (claimed.attempts - 1), MAX_BACKOFF)
        )
        # One line when an outage starts and one when it ends, not one per message and retry.
        log.log(
            logging.DEBUG if pause is not None else logging.INFO,
            "outbox row %s: %s; retrying in %.0fs",
            claimed.row_id,
            reason,
            delay,
        )
        retry_at = utcnow() + timedelta(seconds=delay)
        await self._record(claimed, "to retry", lambda: self._write_retry(claimed, reason, retry_at))

    async def _write_retry(self, claimed: _Claimed, reason: str, retry_at: datetime) -> None:
        async with self.db.write() as session:
            await session.execute(
                update(Outbox)
                .where(Outbox.id == claimed.row_id)
                .values(status=outbox.PENDING, not_before=retry_at, last_error=reason[:1000])
            )
            # The later parts of the same message wait with it: due at the same moment, the lower
            # id goes first (rows are taken by not_before, then id) and a chat has one message in
            # flight at a time, so part 3 of a digest can never overtake a part 2 being retried.
            await session.execute(
                update(Outbox)
                .where(
                    Outbox.chat_id == claimed.chat_id,
                    Outbox.status == outbox.PENDING,
                    Outbox.id > claimed.row_id,
                    Outbox.dedup_key.startswith(f"{message_key(claimed.dedup_key)}#", autoescape=True),
                    Outbox.not_before < retry_at,
                )
                .values(not_before=retry_at)
            )

    def _outage(self, reason: str) -> float | None:
        """Count a failed request. When they make an outage (none got through since they began),
        the whole sender pauses, longer with each failure, up to a minute: the pause, else None."""
        self._failing += 1
        if self._failing < OUTAGE_AFTER:
            return None
        if self._failing == OUTAGE_AFTER:
            self.stats["outages"] += 1
            log.warning("Telegram cannot be reached (%s): delivery paused; nothing is given up", reason)
        pause = self.retry_base * min(2.0 ** (self._failing - OUTAGE_AFTER), MAX_OUTAGE_PAUSE)
        self._paused_until = max(self._paused_until, self.clock() + pause)
        return pause

    async def _outage_over(self, failed: int) -> None:
        """A message got through after an outage: the rows waiting out their backoff (up to five
        minutes) are due now, not whenever their last failed try put them."""
        now = utcnow()
        async with self.db.write() as session:
            result = await session.execute(
                update(Outbox)
                .where(Outbox.status == outbox.PENDING, Outbox.attempts > 0, Outbox.not_before > now)
                .values(not_before=now)
            )
        log.warning(
            "Telegram reachable again after %d failed requests; %s messages resumed",
            failed,
            getattr(result, "rowcount", "the"),
        )
        self._event.set()

    async def _card_gone(self, claimed: _Claimed, reason: str) -> None:
        """The message to edit was deleted by the reader: what the edit was to add goes out as cards."""
        self.stats["gone"] += 1
        edited = claimed.payload.get("edit_message_id")
        message_id = int(edited) if edited else None

        async def write() -> int:
            async with self.db.write() as session:
                await session.execute(
                    update(Outbox)
                    .where(Outbox.id == claimed.row_id)
                    .values(status=outbox.WITHDRAWN, last_error=reason[:1000])
                )
                return await card_gone(session, claimed.chat_id, claimed.dedup_key, message_id, utcnow())

        revived = await self._record(claimed, "the message is gone", write)
        log.info(
            "outbox row %s: chat %s deleted the message; %d stories it was to list queued as cards",
            claimed.row_id,
            claimed.chat_id,
            revived,
        )
        if revived:
            self._event.set()

    async def _fail(self, claimed: _Claimed, reason: str) -> None:
        self.stats["failed"] += 1
        log.error("outbox row %s to chat %s failed: %s", claimed.row_id, claimed.chat_id, reason)
        await self._settle(claimed, outbox.FAILED, reason)
        await self._note_failure(reason)

    async def _settle(self, claimed: _Claimed, status: str, reason: str) -> None:
        """The row's last word: not sent, and why."""

        async def write() -> None:
            async with self.db.write() as session:
                await session.execute(
                    update(Outbox)
                    .where(Outbox.id == claimed.row_id)
                    .values(status=status, last_error=reason[:1000])
                )

        await self._record(claimed, status, write)

    async def _topic_gone(self, claimed: _Claimed) -> None:
        log.info("chat %s: forum topic %s is gone; sending to General", claimed.chat_id, claimed.thread_id)

        async def write() -> None:
            async with self.db.write() as session:
                await session.execute(
                    update(Subscriber)
                    .where(Subscriber.chat_id == claimed.chat_id, Subscriber.thread_id == claimed.thread_id)
                    .values(thread_id=None)
                )

        await self._record(claimed, "its forum topic is gone", write)
        await self._release(claimed)

    async def _withdraw(self, claimed: _Claimed, reason: str) -> None:
        log.info("outbox row %s to chat %s not sent: %s", claimed.row_id, claimed.chat_id, reason)
        await self._settle(claimed, outbox.WITHDRAWN, reason)

    async def _deactivate(self, claimed: _Claimed, reason: str) -> None:
        log.info("chat %s is gone (%s): subscriber marked inactive", claimed.chat_id, reason)

        async def write() -> None:
            async with self.db.write() as session:
                # A chat that /stop-ped keeps saying so: gone as well, it still asked for no news,
                # and talking to the bot again must not bring it back (subscribers.service).
                kept = case((Subscriber.inactive_reason == STOPPED, STOPPED), else_=reason[:200])
                await session.execute(
                    update(Subscriber)
                    .where(Subscriber.chat_id == claimed.chat_id)
                    .values(active=False, inactive_reason=kept, updated_at=utcnow())
                )
                await session.execute(
                    update(Outbox)
                    .where(
                        Outbox.chat_id == claimed.chat_id,
                        or_(
                            Outbox.id == claimed.row_id,
                            Outbox.status.in_((outbox.PENDING, outbox.DIGEST_WAIT)),
                        ),
                    )
                    .values(status=outbox.WITHDRAWN, last_error=reason[:1000])
                )

        await self._record(claimed, "the chat is gone", write)

    async def _note_failure(self, reason: str) -> None:
        now = self.clock()
        self._failures.append(now)
        while self._failures and self._failures[0] < now - 3600:
            self._failures.popleft()
        threshold = self.config.delivery.failure_alert_threshold
        hour = f"{utcnow():%Y-%m-%dT%H}"
        if len(self._failures) >= threshold and self._alerted_hour != hour:
            self._alerted_hour = hour
            import html

            count = len(self._failures)
            await outbox.enqueue_admin_alert(
                self.db,
                self.config,
                f"delivery-failures:{hour}",
                text(TEXTS, "failures", "ar", count=ar_digits(count), reason=html.escape(reason[:300])),
                text(TEXTS, "failures", "en", count=count, reason=html.escape(reason[:300])),
            )


# The database refusing a statement as written: waiting cures none of these.
_BUGS = (sa_exc.IntegrityError, sa_exc.ProgrammingError, sa_exc.DataError, sa_exc.NotSupportedError)


def _curable(exc: Exception) -> bool:
    """An error that waiting for the database may cure: it is restarting, the connection broke, the
    disk is full, a lock is held (asyncpg's own errors come unwrapped when connecting)."""
    if isinstance(exc, sa_exc.DBAPIError):
        return not isinstance(exc, _BUGS)
    return isinstance(exc, (sa_exc.TimeoutError, sa_exc.DisconnectionError, OSError, TimeoutError)) or type(
        exc
    ).__module__.startswith("asyncpg")


def _subscribed(active: bool) -> Any:
    """The row's chat is a subscriber (`active`: an active one)."""
    query = select(Subscriber.chat_id).where(Subscriber.chat_id == Outbox.chat_id)
    if active:
        query = query.where(Subscriber.active.is_(True))
    return query.exists()


async def _edit_if_rerendered(
    session: AsyncSession,
    claimed: _Claimed,
    message_id: int,
    story_id: int | None,
    now: dict[str, Any] | None,
) -> bool:
    """A card (or digest) re-rendered while its request was out (a correction, see
    bot.delivery.corrections) went out as it was claimed: its message is edited to what the row
    holds now, as if it had been sent before. Returns whether an edit was queued."""
    fresh = dict(now or {})
    if fresh.get("text") is None or fresh.get("text") == claimed.payload.get("text"):
        return False
    shown = Outbox(
        id=claimed.row_id, chat_id=claimed.chat_id, story_id=story_id, message_id=message_id, payload=fresh
    )
    edit, holds = edit_of(shown, fresh)
    await outbox.set_payloads(session, [(claimed.row_id, holds)])
    return await outbox.insert_rows(session, [edit]) > 0


def message_key(dedup_key: str) -> str:
    """The key of a whole message from one part's key: a long text sent in parts (a digest, a
    broadcast, enqueue_text) keys them "<key>", "<key>#2", "<key>#3"…"""
    return _PART_SUFFIX.sub("", dedup_key)


async def migrate_chat(db: Database, old: int, new: int) -> None:
    """A group became a supergroup: move the subscriber, its subscriptions and its rows.

    Message ids belong to one chat, so nothing may edit the old group's messages in the new one:
    queued edits are withdrawn, and the record of what was sent moves without its message ids (it
    still keeps a story from being sent twice, and /forget in the new chat deletes it)."""
    log.info("chat %s migrated to %s", old, new)
    async with db.write() as session:
        sub = await session.get(Subscriber, old)
        if sub is not None:
            await _move_subscriber(session, sub, new)
        live = (outbox.PENDING, outbox.SENDING, outbox.DIGEST_WAIT)
        await session.execute(
            update(Outbox)
            .where(Outbox.chat_id == old, Outbox.kind == outbox.EDIT, Outbox.status.in_(live))
            .values(status=outbox.WITHDRAWN, last_error="the group became a supergroup")
        )
        # Rows follow, unless the new chat already has the same message.
        taken = select(Outbox.dedup_key).where(Outbox.chat_id == new).scalar_subquery()
        await session.execute(delete(Outbox).where(and_(Outbox.chat_id == old, Outbox.dedup_key.in_(taken))))
        await session.execute(
            update(Outbox).where(Outbox.chat_id == old).values(chat_id=new, message_id=None)
        )


# What the group chose, carried over even when the new chat was registered first (a member's
# /start in the supergroup can reach the bot before the service message that says it moved).
_SETTINGS = (
    "language",
    "timezone",
    "mode",
    "digest_times",
    "sentences",
    "quiet_start",
    "quiet_end",
    "link_preview",
    "group_events",
    "last_digest_at",
)


async def _move_subscriber(session: Any, sub: Subscriber, new: int) -> None:
    target = await session.get(Subscriber, new)
    if target is None:
        columns = {c.key: getattr(sub, c.key) for c in Subscriber.__table__.columns}
        columns.update(chat_id=new, chat_type="supergroup")
        session.add(Subscriber(**columns))
    else:
        for name in _SETTINGS:
            setattr(target, name, getattr(sub, name))
        target.since = min(as_utc(target.since), as_utc(sub.since))
        target.active = target.active or sub.active
        target.inactive_reason = None if target.active else sub.inactive_reason
    await session.flush()
    have = set(
        (
            await session.execute(
                select(Subscription.kind, Subscription.target).where(Subscription.chat_id == new)
            )
        ).all()
    )
    for subscription in (
        await session.scalars(select(Subscription).where(Subscription.chat_id == sub.chat_id))
    ).all():
        if (subscription.kind, subscription.target) in have:
            await session.delete(subscription)
        else:
            subscription.chat_id = new
    await session.flush()
    await session.delete(sub)


def _connection_lost(exc: BaseException) -> bool:
    """A database connection dropped or refused (the server restarting), not a fault of ours."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    lost = ("CannotConnectNowError", "ConnectionDoesNotExistError")  # asyncpg's, not wrapped
    return isinstance(exc, (ConnectionError, sa_exc.DisconnectionError)) or type(exc).__name__ in lost
