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

    from bot.delivery.wire import WireRequest

    existing = application.bot_data.get(CLIENT)
    if existing is not None:
        return existing
    tg = services(application).config.telegram
    app_bot = application.bot
    client: Any = ExtBot(
        token=app_bot.token,
        base_url=tg.api_base_url,
        base_file_url=tg.file_url,
        request=WireRequest(connection_pool_size=MAX_IN_FLIGHT + 4, read_timeout=30.0, connect_timeout=10.0),
        defaults=app_bot.defaults,
        rate_limiter=getattr(app_bot, "rate_limiter", None),
    )
    await client.initialize()
    application.bot_data[CLIENT] = client
    return client


def _spawn(application: Any, client: Any) -> None:
    svc = services(application)
    new = Sender(client, svc.db, svc.config, on_token_rejected=lambda: token_rejected(application))
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
        jobs.append(
            queue.run_repeating(_updates_watch, interval=UPDATES_WATCH_EVERY, first=1.0, name="updates-watch")
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


# Set when Telegram rejected the token while the bot ran: `akhbar run` then exits as it does for a
# token rejected at start (bot.app._post_shutdown raises InvalidToken once everything is closed).
TOKEN_REJECTED = "akhbar.token_rejected"


def token_rejected(application: Any) -> None:
    """The token was revoked or changed while the bot ran: without it nothing can be received or
    sent, so the bot stops (once) rather than run on and fail every message queued."""
    if application.bot_data.get(TOKEN_REJECTED):
        return
    application.bot_data[TOKEN_REJECTED] = True
    log.critical("Telegram rejected the bot token (revoked or changed at @BotFather): stopping")
    application.bot_data[_STOPPING] = asyncio.get_running_loop().create_task(_stop_deaf(application))


_STOPPING = "akhbar.stopping"


async def _stop_deaf(application: Any) -> None:
    """Stop the update polling first, quietly: it ended on the rejected token, and PTB's own stop
    would re-raise that error and skip the rest of the shutdown (the sender's requests in flight,
    the database), leaving tasks destroyed while pending."""
    updater = application.updater
    if updater is not None and updater.running:
        with contextlib.suppress(Exception):
            await updater.stop()
    application.stop_running()


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


UPDATES_WATCH_EVERY = 5.0
_POLLING_TASK = "Updater:start_polling:polling_task"  # python-telegram-bot's name for it


async def _updates_watch(context: Any) -> None:
    """PTB's update polling ends for good on a rejected token, without a word to the application
    (its retry loop re-raises InvalidToken rather than report it): the bot would run on, deaf.
    So the polling task is kept in sight (asyncio forgets a task once it is done), and a token
    rejected there stops the bot."""
    from telegram.error import InvalidToken

    bot_data = context.application.bot_data
    task = bot_data.get(_POLLING_TASK)
    if task is None:
        task = next((t for t in asyncio.all_tasks() if t.get_name() == _POLLING_TASK), None)
        bot_data[_POLLING_TASK] = task
    ended = task is not None and task.done() and not task.cancelled()
    if ended and isinstance(task.exception(), InvalidToken):
        token_rejected(context.application)


async def _watchdog(context: Any) -> None:
    application = context.application
    task: asyncio.Task[None] | None = application.bot_data.get(TASK)
    if task is None or not task.done():
        wake(application)
        return
    if not task.cancelled() and task.exception() is not None:
        log.error("delivery sender died (%r); restarting it", task.exception())
    _spawn(application, await _client(application))
