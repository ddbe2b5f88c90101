"""Polling every active feed at its own pace, inside python-telegram-bot's JobQueue (APScheduler).

One short repeating "tick" job looks up the feeds whose `next_check_at` has come (or was never
set) and starts a poll task for each that is not already being polled. So:
- each feed keeps its own interval (and backoff, and server-requested delays) in the database,
  across restarts;
- a feed is never polled twice at once (the in-flight set), and a slow feed never delays others
  (the tick returns at once; the Fetcher bounds how many requests run together);
- feeds added, paused, resumed or removed at run time take effect at the next tick (within
  TICK_MAX seconds) or at once through `await reschedule(app)`;
- start times are spread: at start, feeds that are due (or new) get start times spread evenly over
  a short window instead of all firing together;
- the job has a generous misfire grace and coalesces missed runs, so a busy event loop delays a
  tick instead of dropping it; a tick still running when the next is due (the loop busy with a
  large poll or routing) makes APScheduler skip the next, which is harmless and logged at DEBUG;
- a poll whose outcome could not be stored (the database cannot be written: a full disk,
  PostgreSQL down, a lock held for long) leaves the feed due in the database; the scheduler then
  holds the feed back in memory (`Hold`: its interval, doubling on each such try, up to
  fetch.max_backoff) so that its outlet is not fetched on every tick. A poll recorded again ends
  the hold. A tick that cannot read the database starts nothing; that outage is logged once.

After a poll, the new stories are handed to delivery through the routing queue: every queued
story id goes to `bot.delivery.routing.route_new_stories(db, config, ids)`, the queue rows are
deleted, and `bot.delivery.service.wake(app)` lets the sender start. A crash before the delete
routes them again at the next start; delivery's outbox is unique per chat and story, so nothing is
sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import inspect
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import as_utc, utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed
from bot.feeds import cpu
from bot.feeds.fetcher import Fetcher
from bot.feeds.health import ACTIVE, base_interval
from bot.feeds.models import RouteQueue
from bot.feeds.poller import Outage, PollResult, poll_feed, record_crash
from bot.services import services

log = logging.getLogger(__name__)

STATE_KEY = "feed_scheduler"
JOB_NAME = "feeds:tick"
TICK_MIN = 0.25
TICK_MAX = 5.0
SPREAD_MAX = 60.0
MISFIRE_GRACE = 300
_ROUTE_BATCH = 500


@dataclass
class Hold:
    """A feed not polled before `until` although the database says it is due: its last polls
    could not be recorded (`tries` of them in a row), so its next poll time never moved."""

    until: datetime
    base: float  # the feed's interval, seconds
    tries: int = 1


def _read_outage() -> Outage:
    return Outage(
        log,
        "the database cannot be read: no feed is polled",
        "the database can be read again: feeds are polled",
    )


@dataclass
class SchedulerState:
    fetcher: Fetcher
    in_flight: dict[int, asyncio.Task[PollResult]] = field(default_factory=dict)
    held: dict[int, Hold] = field(default_factory=dict)
    read_outage: Outage = field(default_factory=_read_outage)
    route_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    job: Any = None
    startup_route: asyncio.Task[int] | None = None
    stopping: bool = False
    polls: int = 0  # polls finished since start (for stats and tests)


def tick_seconds(config: Config) -> float:
    return min(TICK_MAX, max(TICK_MIN, config.fetch.min_interval / 4))


def state(application: Any) -> SchedulerState | None:
    value: SchedulerState | None = application.bot_data.get(STATE_KEY)
    return value


async def start(application: Any) -> None:
    svc = services(application)
    config = svc.config
    st = SchedulerState(fetcher=Fetcher(config.fetch))
    application.bot_data[STATE_KEY] = st
    _quiet_skipped_ticks()
    await spread_start_times(svc.db, config)
    job_queue = application.job_queue
    if job_queue is None:
        log.error("no JobQueue (install python-telegram-bot[job-queue]): feeds will not be polled")
        return
    st.job = job_queue.run_repeating(
        _tick_job,
        interval=tick_seconds(config),
        first=0.0,
        name=JOB_NAME,
        job_kwargs={"misfire_grace_time": MISFIRE_GRACE, "coalesce": True, "max_instances": 1},
    )
    # Stories stored but not routed before the last shutdown (or crash).
    st.startup_route = asyncio.get_running_loop().create_task(_route_pending(application))


async def stop(application: Any) -> None:
    st = state(application)
    if st is None:
        return
    st.stopping = True
    if st.job is not None:
        # stop() runs after the Application stopped its JobQueue, which already dropped the job.
        with contextlib.suppress(Exception):
            st.job.schedule_removal()
        st.job = None
    tasks: list[asyncio.Task[Any]] = list(st.in_flight.values())
    for task in tasks:
        task.cancel()
    if st.startup_route is not None and not st.startup_route.done():
        st.startup_route.cancel()
        tasks.append(st.startup_route)
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
    await st.fetcher.aclose()
    await asyncio.to_thread(cpu.shutdown)
    application.bot_data.pop(STATE_KEY, None)


async def reschedule(application: Any) -> None:
    """Apply run-time feed changes now: new and resumed feeds are polled at once, a shortened
    interval takes effect, paused and removed feeds are simply no longer due."""
    svc = services(application)
    now = utcnow()
    async with svc.db.write() as session:
        rows = (
            await session.execute(
                select(Feed.id, Feed.interval, Feed.next_check_at).where(
                    Feed.status == ACTIVE, Feed.consecutive_errors == 0, Feed.next_check_at.is_not(None)
                )
            )
        ).all()
        for feed_id, interval, next_at in rows:
            latest = now + timedelta(seconds=base_interval(interval, svc.config))
            if next_at is not None and as_utc(next_at) > latest:
                await session.execute(update(Feed).where(Feed.id == feed_id).values(next_check_at=latest))
    await tick(application)


async def spread_start_times(db: Database, config: Config) -> None:
    """Give due and never-polled feeds start times spread over a short window."""
    now = utcnow()
    async with db.write() as session:
        due = (
            await session.scalars(
                select(Feed.id)
                .where(
                    Feed.status == ACTIVE,
                    or_(Feed.next_check_at.is_(None), Feed.next_check_at <= now),
                )
                .order_by(Feed.id)
            )
        ).all()
        if not due:
            return
        window = min(SPREAD_MAX, config.fetch.min_interval)
        step = window / len(due)
        for i, feed_id in enumerate(due):
            await session.execute(
                update(Feed).where(Feed.id == feed_id).values(next_check_at=now + timedelta(seconds=i * step))
            )


class _SkippedTick(logging.Filter):
    """APScheduler warns when it skips a run of a job whose previous run is still going. For the
    tick that is the intended outcome of max_instances=1, not trouble: a tick only starts polls,
    the next one does whatever the skipped one would have, and the in-flight set already keeps a
    feed from being polled twice. It happens when the event loop is busy for more than a tick
    (a large first poll storing and indexing in a worker thread, routing thousands of outbox rows),
    at start-up most of all; as a WARNING an operator reads it as a fault. So that one message,
    for this job only, becomes a DEBUG line of ours; APScheduler's other warnings stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not (isinstance(record.msg, str) and record.msg.startswith('Execution of job "%s" skipped')):
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        if not args or getattr(args[0], "name", None) != JOB_NAME:
            return True
        log.debug("tick skipped: the previous one is still running")
        return False


_SKIPPED_TICK = _SkippedTick()


def _quiet_skipped_ticks() -> None:
    logger = logging.getLogger("apscheduler.scheduler")
    if _SKIPPED_TICK not in logger.filters:
        logger.addFilter(_SKIPPED_TICK)


async def _tick_job(context: Any) -> None:
    await tick(context.application)


async def tick(application: Any) -> list[int]:
    """Start a poll for every due feed not already being polled nor held back; returns the feed
    ids started."""
    st = state(application)
    if st is None or st.stopping:
        return []
    now = utcnow()
    try:
        due = await _due(services(application).db, now)
    except (SQLAlchemyError, OSError) as exc:
        # The database is down or locked for long: every tick would fail the same way, and the
        # application's error handler would log a traceback four times a second.
        st.read_outage.failed(exc, "feed scheduler tick")
        return []
    st.read_outage.recovered()
    _forget_holds(st, {feed_id for feed_id, _ in due})
    started = []
    for feed_id, interval in due:
        if feed_id in st.in_flight or _held(st, feed_id, now):
            continue
        task = asyncio.get_running_loop().create_task(
            _poll_and_route(application, st, feed_id, interval), name=f"poll-feed-{feed_id}"
        )
        st.in_flight[feed_id] = task
        task.add_done_callback(functools.partial(_done, st, feed_id))
        started.append(feed_id)
    return started


async def _due(db: Database, now: datetime) -> list[tuple[int, float]]:
    """(id, interval) of the active feeds whose poll time has come, the longest due first."""
    async with db.read() as session:
        rows = await session.execute(
            select(Feed.id, Feed.interval)
            .where(
                Feed.status == ACTIVE,
                or_(Feed.next_check_at.is_(None), Feed.next_check_at <= now),
            )
            .order_by(Feed.next_check_at.is_not(None), Feed.next_check_at, Feed.id)
        )
        return [(feed_id, float(interval or 0)) for feed_id, interval in rows.all()]


def _held(st: SchedulerState, feed_id: int, now: datetime) -> bool:
    hold = st.held.get(feed_id)
    return hold is not None and now < hold.until


def _forget_holds(st: SchedulerState, due: set[int]) -> None:
    """A held feed no longer due was paused, removed or rescheduled: its hold has no more say."""
    for feed_id in [f for f in st.held if f not in due]:
        del st.held[feed_id]


def _hold_back(st: SchedulerState, config: Config, feed_id: int, interval: float) -> None:
    """The feed's poll could not be recorded: wait its interval before the next try, twice that
    after the next such try, and so on up to fetch.max_backoff, as recorded failures back off."""
    hold = st.held.get(feed_id)
    base = base_interval(interval, config)
    tries = hold.tries + 1 if hold is not None else 1
    delay = min(max(config.fetch.max_backoff, base), base * 2 ** min(tries - 1, 40))
    st.held[feed_id] = Hold(until=utcnow() + timedelta(seconds=delay), base=base, tries=tries)


def _recorded(st: SchedulerState, feed_id: int) -> None:
    """The feed's poll was recorded: the database schedules it again. The others held back may
    have waited out the same outage: none waits longer than its own interval from now (one whose
    own writes keep failing is then tried at its normal pace, never on every tick)."""
    st.held.pop(feed_id, None)
    now = utcnow()
    for hold in st.held.values():
        hold.until = min(hold.until, now + timedelta(seconds=hold.base))


def _done(st: SchedulerState, feed_id: int, task: asyncio.Task[PollResult]) -> None:
    if st.in_flight.get(feed_id) is task:
        del st.in_flight[feed_id]
    st.polls += 1
    if not task.cancelled() and task.exception() is not None:
        log.error("poll task for feed %s crashed: %r", feed_id, task.exception())


async def _poll_and_route(application: Any, st: SchedulerState, feed_id: int, interval: float) -> PollResult:
    svc = services(application)
    try:
        result = await poll_feed(svc.db, svc.config, st.fetcher, feed_id)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        # poll_feed records its own failures; this is the last line of defence for the scheduler.
        result = await record_crash(svc.db, svc.config, feed_id, exc)
    if result.unrecorded:
        _hold_back(st, svc.config, feed_id, interval)
        return result
    _recorded(st, feed_id)
    if result.new_story_ids:
        await _route_pending(application)
    if result.updated_story_ids:
        await _correct_sent(application, result.updated_story_ids)
    return result


async def _correct_sent(application: Any, story_ids: list[int]) -> None:
    """Stories the outlet corrected: the cards already in chats are edited (bot.delivery.corrections).
    Best effort: the stored story is corrected either way, and /search shows it."""
    svc = services(application)
    try:
        corrections = importlib.import_module("bot.delivery.corrections")
        await corrections.queue_corrections(svc.db, svc.config, story_ids)
    except Exception:
        log.exception("queueing the corrections of stories %s failed", story_ids)


async def _route_pending(application: Any) -> int:
    """Hand every queued story to delivery; returns how many were routed."""
    st = state(application)
    if st is None:
        return 0
    svc = services(application)
    try:
        routing = importlib.import_module("bot.delivery.routing")
    except ModuleNotFoundError:
        # Delivery's routing has not landed: the queue keeps the stories until it does.
        log.debug("bot.delivery.routing missing; %s keeps stories queued", RouteQueue.__tablename__)
        return 0
    routed = 0
    skipped: list[int] = []  # stories that fail on their own this run: queued still, not in the way
    async with st.route_lock:
        while True:
            async with svc.db.read() as session:
                ids = list(
                    (
                        await session.scalars(
                            select(RouteQueue.story_id)
                            .where(RouteQueue.story_id.not_in(skipped))
                            .order_by(RouteQueue.story_id)
                            .limit(_ROUTE_BATCH)
                        )
                    ).all()
                )
            if not ids:
                break
            try:
                await routing.route_new_stories(svc.db, svc.config, ids)
                done = ids
            except Exception:
                log.exception("routing %d stories failed; trying them one by one", len(ids))
                # One story that routing cannot take (bad data, a bug) must not hold back every
                # story after it, poll after poll: the others go on, it stays queued for the next.
                done, failed = await _route_one_by_one(routing, svc, ids)
                skipped += failed
                if not done:
                    break  # all of them: the database or delivery itself is failing, retried next poll
            async with svc.db.write() as session:
                await session.execute(delete(RouteQueue).where(RouteQueue.story_id.in_(done)))
            routed += len(done)
            if len(ids) < _ROUTE_BATCH:
                break
    if routed:
        await _wake_delivery(application)
    return routed


async def _route_one_by_one(routing: Any, svc: Any, ids: list[int]) -> tuple[list[int], list[int]]:
    done: list[int] = []
    failed: list[int] = []
    for story_id in ids:
        try:
            await routing.route_new_stories(svc.db, svc.config, [story_id])
        except Exception as exc:
            # The batch's traceback is logged already; one line a story is enough after it.
            log.error("routing story %s failed (%r); it stays queued, the others go on", story_id, exc)
            failed.append(story_id)
        else:
            done.append(story_id)
    return done, failed


async def _wake_delivery(application: Any) -> None:
    try:
        service = importlib.import_module("bot.delivery.service")
    except ModuleNotFoundError:
        return
    wake = getattr(service, "wake", None)
    if wake is None:
        return
    try:
        outcome = wake(application)
        if inspect.isawaitable(outcome):
            await outcome
    except Exception:
        log.exception("waking the delivery sender failed")
