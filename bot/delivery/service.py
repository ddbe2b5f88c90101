"""Delivery inside the running Application: the sender task, the digest job and a watchdog.

`start(app)` (from post_init) starts the long-running sender (bot.delivery.sender.Sender) as an
asyncio task kept in bot_data, with a Bot client of its own (same token, API URL and AIORateLimiter
as the application's): PTB shuts the application's bot down before post_shutdown runs, and the
sender must still be able to finish the requests in flight when it is stopped there. It also schedules the digest check every minute and a watchdog that restarts
the sender should it ever die. `wake(app)` tells the sender new rows are queued (routing and the
outbox functions also wake it by themselves). `stop(app)` (from post_shutdown) stops dispatching and
waits for the requests in flight, so a clean stop leaves nothing uncertain.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from bot.admin.broadcast import report_finished
from bot.delivery.digest import run_digests
from bot.delivery.sender import MAX_IN_FLIGHT, Sender
from bot.services import services

log = logging.getLogger(__name__)

SENDER = "delivery.sender"
TASK = "delivery.task"
JOBS = "delivery.jobs"
DIGEST_EVERY = 60.0
WATCHDOG_EVERY = 30.0


def sender(application: Any) -> Sender | None:
    value = application.bot_data.get(SENDER)
    return value if isinstance(value, Sender) else None


CLIENT = "delivery.bot"


async def _client(application: Any) -> Any:
    """The sender's own ExtBot, sharing the application's rate limiter and defaults."""
    from telegram.ext import ExtBot
    from telegram.request import HTTPXRequest

    existing = application.bot_data.get(CLIENT)
    if existing is not None:
        return existing
    tg = services(application).config.telegram
    app_bot = application.bot
    client: Any = ExtBot(
        token=app_bot.token,
        base_url=tg.api_base_url,
        base_file_url=tg.file_url,
        request=HTTPXRequest(connection_pool_size=MAX_IN_FLIGHT + 4, read_timeout=30.0, connect_timeout=10.0),
        defaults=app_bot.defaults,
        rate_limiter=getattr(app_bot, "rate_limiter", None),
    )
    await client.initialize()
    application.bot_data[CLIENT] = client
    return client


def _spawn(application: Any, client: Any) -> None:
    svc = services(application)
    new = Sender(client, svc.db, svc.config)
    application.bot_data[SENDER] = new
    application.bot_data[TASK] = asyncio.create_task(new.run(), name="akhbar-delivery-sender")


async def start(application: Any) -> None:
    _spawn(application, await _client(application))
    jobs = []
    queue = application.job_queue
    if queue is not None:
        jobs.append(
            queue.run_repeating(_digest_job, interval=DIGEST_EVERY, first=1.0, name="delivery-digest")
        )
        jobs.append(
            queue.run_repeating(
                _watchdog, interval=WATCHDOG_EVERY, first=WATCHDOG_EVERY, name="delivery-watchdog"
            )
        )
        jobs.append(
            queue.run_repeating(_broadcast_job, interval=DIGEST_EVERY, first=5.0, name="broadcast-reports")
        )
    else:  # without the job-queue extra there are no digests; say so instead of silently skipping
        log.warning(
            "PTB JobQueue unavailable: digests will not be sent (install python-telegram-bot[job-queue])"
        )
    application.bot_data[JOBS] = jobs


async def stop(application: Any) -> None:
    for job in application.bot_data.pop(JOBS, []):
        # After Application.stop() the JobQueue has already dropped its jobs.
        with contextlib.suppress(Exception):
            job.schedule_removal()
    current = sender(application)
    task: asyncio.Task[None] | None = application.bot_data.pop(TASK, None)
    if current is not None:
        await current.stop()
    if task is not None and not task.done():
        try:
            await asyncio.wait_for(task, timeout=5.0)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
    application.bot_data.pop(SENDER, None)
    client = application.bot_data.pop(CLIENT, None)
    if client is not None:
        await client.shutdown()


def wake(application: Any) -> None:
    current = sender(application)
    if current is not None:
        current.wake()


async def _digest_job(context: Any) -> None:
    svc = services(context.application)
    try:
        await run_digests(svc.db, svc.config)
    except Exception:
        log.exception("digest run failed; retried in a minute")


async def _broadcast_job(context: Any) -> None:
    svc = services(context.application)
    try:
        await report_finished(svc.db, svc.config)
    except Exception:
        log.exception("broadcast reports failed; retried in a minute")


async def _watchdog(context: Any) -> None:
    application = context.application
    task: asyncio.Task[None] | None = application.bot_data.get(TASK)
    if task is None or not task.done():
        wake(application)
        return
    if not task.cancelled() and task.exception() is not None:
        log.error("delivery sender died (%r); restarting it", task.exception())
    _spawn(application, await _client(application))
