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
  tick instead of dropping it.

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
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update

from bot.clock import as_utc, utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed
from bot.feeds import cpu
from bot.feeds.fetcher import Fetcher
from bot.feeds.health import ACTIVE, base_interval, record_failure
from bot.feeds.models import RouteQueue
from bot.feeds.poller import PollResult, poll_feed
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
class SchedulerState:
    fetcher: Fetcher
    in_flight: dict[int, asyncio.Task[PollResult]] = field(default_factory=dict)
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


async def _tick_job(context: Any) -> None:
    await tick(context.application)


async def tick(application: Any) -> list[int]:
    """Start a poll for every due feed not already being polled; returns the feed ids started."""
    st = state(application)
    if st is None or st.stopping:
        return []
    svc = services(application)
    now = utcnow()
    async with svc.db.read() as session:
        due = (
            await session.scalars(
                select(Feed.id)
                .where(
                    Feed.status == ACTIVE,
                    or_(Feed.next_check_at.is_(None), Feed.next_check_at <= now),
                )
                .order_by(Feed.next_check_at.is_not(None), Feed.next_check_at, Feed.id)
            )
        ).all()
    started = []
    for feed_id in due:
        if feed_id in st.in_flight:
            continue
        task = asyncio.get_running_loop().create_task(
            _poll_and_route(application, st, feed_id), name=f"poll-feed-{feed_id}"
        )
        st.in_flight[feed_id] = task
        task.add_done_callback(functools.partial(_done, st, feed_id))
        started.append(feed_id)
    return started


def _done(st: SchedulerState, feed_id: int, task: asyncio.Task[PollResult]) -> None:
    if st.in_flight.get(feed_id) is task:
        del st.in_flight[feed_id]
    st.polls += 1
    if not task.cancelled() and task.exception() is not None:
        log.error("poll task for feed %s crashed: %r", feed_id, task.exception())


async def _poll_and_route(application: Any, st: SchedulerState, feed_id: int) -> PollResult:
    svc = services(application)
    try:
        result = await poll_feed(svc.db, svc.config, st.fetcher, feed_id)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        # poll_feed records its own failures; this is the last line of defence for the scheduler.
        log.exception("feed %s: poll crashed", feed_id)
        reason = f"internal error: {type(exc).__name__}"
        await record_failure(svc.db, svc.config, feed_id, reason)
        return PollResult(feed_id, error=reason)
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
