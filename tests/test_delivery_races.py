"""Delivery racing the rest of the bot: a reader's /forget while a story or a broadcast is being
queued for them, the database failing just after Telegram accepted a message, and a correction
arriving while the story's cards are being sent. Each interleaving is forced with asyncio events
around the step that used to leave the gap (nothing sleeps to synchronise)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.admin import broadcast
from bot.clock import utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Story
from bot.delivery import corrections, outbox, routing
from bot.delivery.corrections import queue_corrections
from bot.delivery.digest import run_digests
from bot.delivery.sender import Sender
from bot.subscribers import service
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID
from tests.test_delivery_sender import bot, sending, until
from tests.test_routing import add_feed, add_story, add_subscriber, rows

__all__ = ["bot"]  # a fixture, used by name

OLD = "انفجار في مرفأ المدينة يوقع عشرة قتلى"
NEW = "انفجار في مرفأ المدينة يوقع عشرين قتيلا"


def hold(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> tuple[asyncio.Event, asyncio.Event]:
    """`owner.name` (a coroutine function) waits, once called, until released: (entered, release)."""
    entered, release = asyncio.Event(), asyncio.Event()
    real = getattr(owner, name)

    async def held(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        await release.wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(owner, name, held)
    return entered, release


def hold_after_first_read(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> tuple[asyncio.Event, asyncio.Event]:
    """The next `db.read()` waits, once it has read, until released: a writer that chose its chats
    in a read is held before its write."""
    entered, release = asyncio.Event(), asyncio.Event()
    real = db.read

    @asynccontextmanager
    async def read() -> AsyncIterator[AsyncSession]:
        async with real() as session:
            yield session
        if not entered.is_set():
            entered.set()
            await release.wait()

    monkeypatch.setattr(db, "read", read)
    return entered, release


async def settled(db: Database) -> bool:
    return all(r.status not in (outbox.PENDING, outbox.SENDING) for r in await rows(db))


def texts_to(fake_telegram: FakeTelegram, chat_id: int) -> list[str]:
    return [m["plain_text"] for m in fake_telegram.sent_messages(chat_id)]


# --------------------------------------------------------------------------- /forget while queued


@pytest.mark.parametrize("mode", ["instant", "digest"])
async def test_a_reader_who_forgets_while_a_story_is_routed_gets_nothing_and_leaves_nothing(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, monkeypatch: Any, mode: str
) -> None:
    """Routing has read who subscribes, and waits for the database to write the rows; the reader
    confirms /forget meanwhile. No card reaches them, and no row about them stays, not even a digest
    item that a later /start would bring back; the other reader gets the story as usual."""
    config: Config = config_factory()
    feed = await add_feed(db)
    await add_subscriber(db, 31, subscriptions=[("feed", str(feed))], mode=mode)
    await add_subscriber(db, 32, subscriptions=[("feed", str(feed))])
    story = await add_story(db, feed, OLD)
    entered, release = hold(monkeypatch, routing, "fold_same_events")
    routed = asyncio.create_task(routing.route_new_stories(db, config, [story]))
    await entered.wait()  # the subscribers are read
    assert await service.forget(db, 31)
    release.set()
    await routed
    async with sending(bot, db, config):
        await fake_telegram.wait_for_messages(32)
        await until(lambda: settled(db))
    assert texts_to(fake_telegram, 31) == []
    assert await rows(db, 31) == []
    # Back with the same choices: the story routed while they were leaving does not come with them.
    await add_subscriber(db, 31, subscriptions=[("feed", str(feed))], mode=mode)
    await run_digests(db, config, now=utcnow() + timedelta(days=1))
    assert await rows(db, 31) == []


async def test_a_reader_who_forgets_while_a_broadcast_is_queued_gets_nothing(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, monkeypatch: Any
) -> None:
    config: Config = config_factory()
    for chat in (41, 42):
        await add_subscriber(db, chat)
    draft = await broadcast.create_draft(db, ADMIN_ID, "صيانة الليلة")
    entered, release = hold_after_first_read(monkeypatch, db)
    confirmed = asyncio.create_task(broadcast.confirm(db, draft, ADMIN_ID))
    await entered.wait()  # the recipients are read
    assert await service.forget(db, 42)
    release.set()
    assert (await confirmed).recipients == 1
    async with sending(bot, db, config):
        await fake_telegram.wait_for_messages(41)
        await until(lambda: settled(db))
    assert texts_to(fake_telegram, 42) == []
    assert await rows(db, 42) == []


async def test_rows_written_for_a_chat_forgotten_meanwhile_never_go_out(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    """Whatever wrote them (a digest, a correction's edit, a writer not yet taught to look again),
    a card, digest, broadcast or edit for a chat with no subscriber left is deleted, not sent; an
    answer to a chat that never subscribed (a question in a group) still goes."""
    config: Config = config_factory()
    await add_subscriber(db, 52)
    queued = [
        {"chat_id": 51, "kind": kind, "dedup_key": f"{kind}:1", "payload": outbox.payload(f"لمن نسي {kind}")}
        for kind in (outbox.STORY, outbox.DIGEST, outbox.BROADCAST)
    ]
    queued.append(
        {
            "chat_id": 51,
            "kind": outbox.EDIT,
            "dedup_key": "edit:1",
            "payload": {**outbox.payload("تصحيح"), "edit_message_id": 1},
        }
    )
    queued.append(
        {"chat_id": 52, "kind": outbox.STORY, "dedup_key": "story:1", "payload": outbox.payload("خبر")}
    )
    queued.append(
        {"chat_id": 53, "kind": outbox.TEXT, "dedup_key": "answer", "payload": outbox.payload("جواب")}
    )
    async with db.write() as session:
        await outbox.insert_rows(session, queued)
    async with sending(bot, db, config):
        await fake_telegram.wait_for_messages(52)
        await fake_telegram.wait_for_messages(53)
        await until(lambda: settled(db))
    assert texts_to(fake_telegram, 51) == []
    assert [c for c in fake_telegram.calls() if (c["params"] or {}).get("chat_id") in (51, "51")] == []
    assert await rows(db, 51) == []


# --------------------------------------------------------------------------- the database fails


class _Outage:
    """The database refusing the writes that record what Telegram answered (a PostgreSQL restart
    as the sender sees it), `refuse` times from when the request comes back."""

    def __init__(self, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
        self.refuse = 0
        self.refused = 0
        self._answered: contextvars.ContextVar[bool] = contextvars.ContextVar("answered", default=False)
        real_write = db.write
        real_send = Sender._send
        outage = self

        @asynccontextmanager
        async def write() -> AsyncIterator[AsyncSession]:
            if outage._answered.get() and outage.refuse > 0:
                outage.refuse -= 1
                outage.refused += 1
                raise OperationalError("UPDATE outbox", None, ConnectionError("server closed the connection"))
            async with real_write() as session:
                yield session

        async def send(
            sender: Sender, chat_id: int, data: dict[str, Any], thread_id: int | None = None
        ) -> Any:
            try:
                return await real_send(sender, chat_id, data, thread_id)
            finally:
                # Only this delivery's task: the sender's own loop (claims) is not part of it.
                outage._answered.set(True)

        monkeypatch.setattr(db, "write", write)
        monkeypatch.setattr(Sender, "_send", send)


@pytest.mark.parametrize("answer", ["accepted", "server error"])
async def test_a_broadcast_survives_the_database_failing_as_telegram_answers(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, monkeypatch: Any, answer: str
) -> None:
    """Each message's outcome (sent, or to be retried after a 502) meets a database that refuses
    it three times. Every chat gets the broadcast once, every row ends "sent", the admins get the
    report, and a restart afterwards finds nothing uncertain to alarm them with."""
    config: Config = config_factory()
    chats = (61, 62, 63)
    for chat in chats:
        await add_subscriber(db, chat)
    draft = await broadcast.create_draft(db, ADMIN_ID, "صيانة الليلة")
    assert (await broadcast.confirm(db, draft, ADMIN_ID)).recipients == 3
    outage = _Outage(db, monkeypatch)
    outage.refuse = 3 * len(chats)
    if answer == "server error":
        fake_telegram.fail_next("sendMessage", len(chats), error_code=502, description="Bad Gateway")
    async with sending(bot, db, config, retry_base=0.01):
        await until(lambda: _broadcast_sent(db), timeout=15)
        assert outage.refused == 3 * len(chats)
        assert await broadcast.report_finished(db, config) == 1
        [report] = await fake_telegram.wait_for_messages(ADMIN_ID)
    assert "وصلت إلى ٣ من ٣" in report["plain_text"]
    assert {chat: texts_to(fake_telegram, chat) for chat in chats} == {c: ["صيانة الليلة"] for c in chats}
    async with sending(bot, db, config):  # the next start
        await until(lambda: settled(db))
    assert texts_to(fake_telegram, ADMIN_ID) == [report["plain_text"]]  # no "stopped abruptly"
    assert {row.status for row in await rows(db)} == {outbox.SENT}


async def _broadcast_sent(db: Database) -> bool:
    return all(r.status == outbox.SENT for r in await rows(db) if r.kind == outbox.BROADCAST)


async def test_a_stop_writes_what_telegram_answered_once_the_database_is_back(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, monkeypatch: Any
) -> None:
    """The database refuses a card's outcome; it is back by the time the bot is stopped (a deploy
    after the incident): the card is recorded as sent, so the next start has nothing uncertain."""
    config: Config = config_factory()
    await add_subscriber(db, 71)
    await outbox.enqueue_text(db, 71, "خبر", kind=outbox.STORY, dedup_key="story:1")
    outage = _Outage(db, monkeypatch)
    outage.refuse = 10**6
    # Long waits between tries: only the database answering again, or the stop, brings the next one.
    async with sending(bot, db, config, retry_base=60.0) as sender:
        await fake_telegram.wait_for_messages(71)
        await until(lambda: _refused(outage))
        outage.refuse = 0
        await sender.stop()
        assert await status_of_all(db) == [outbox.SENT]
    assert await Sender(bot, db, config).recover() == 0
    assert texts_to(fake_telegram, 71) == ["خبر"] and texts_to(fake_telegram, ADMIN_ID) == []


async def _refused(outage: _Outage) -> bool:
    return outage.refused > 0


async def status_of_all(db: Database) -> list[str]:
    return [r.status for r in await rows(db)]


# --------------------------------------------------------------------------- a correction meanwhile


async def _correct(db: Database, story_id: int, title: str) -> None:
    """What the poller does with a corrected entry (same guid, new headline)."""
    async with db.write() as session:
        await session.execute(update(Story).where(Story.id == story_id).values(title=title))


def _shows(fake_telegram: FakeTelegram, chats: tuple[int, ...], title: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return all(
            [m["plain_text"].split("\n")[0] for m in fake_telegram.sent_messages(c)] == [title] for c in chats
        )

    return check


async def test_cards_sent_while_a_correction_is_worked_out_are_edited(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, monkeypatch: Any
) -> None:
    """The correction reads the cards while they wait; the sender sends them (uncorrected) before
    the correction is written. They are edited all the same."""
    config: Config = config_factory()
    feed = await add_feed(db)
    chats = (81, 82)
    for chat in chats:
        await add_subscriber(db, chat, subscriptions=[("feed", str(feed))])
    story = await add_story(db, feed, OLD)
    await routing.route_new_stories(db, config, [story])
    await _correct(db, story, NEW)
    entered, release = hold(monkeypatch, corrections, "_digest_corrections")
    corrected = asyncio.create_task(queue_corrections(db, config, [story]))
    await entered.wait()  # the waiting cards are read and re-rendered
    async with sending(bot, db, config):
        await until(_shows(fake_telegram, chats, OLD))
        await until(lambda: settled(db))
        release.set()
        await corrected
        await until(_shows(fake_telegram, chats, NEW))


async def test_a_card_in_flight_when_a_correction_comes_is_edited_once_sent(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any, monkeypatch: Any
) -> None:
    """The card's request is out (its row "sending") for the whole of the correction: once Telegram
    answers, the card is edited to the corrected text, and is still one message."""
    config: Config = config_factory()
    feed = await add_feed(db)
    await add_subscriber(db, 91, subscriptions=[("feed", str(feed))])
    story = await add_story(db, feed, OLD)
    await routing.route_new_stories(db, config, [story])
    entered, release = hold(monkeypatch, Sender, "_send")
    async with sending(bot, db, config):
        await entered.wait()  # the card is claimed, its request about to leave
        await _correct(db, story, NEW)
        await queue_corrections(db, config, [story])
        release.set()
        await until(_shows(fake_telegram, (91,), NEW))
        await until(lambda: settled(db))
    [card] = fake_telegram.sent_messages(91)
    assert [edit["plain_text"].split("\n")[0] for edit in card["edits"]] == [NEW]
