"""Wiring: the python-telegram-bot Application with Akhbar's services, handlers and jobs."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults

import handlers
from bot.config import Config
from bot.db import instance_lock, retention
from bot.db.database import Database, DatabaseFromNewerRelease
from bot.delivery import service as delivery_service
from bot.feeds import scheduler as feed_scheduler
from bot.services import KEY, Services, services
from bot.sync import sync_config

log = logging.getLogger(__name__)
_LOCK = "instance_lock"
_LOCK_LOST = "instance_lock_lost"


def build_application(config: Config, token: str) -> Application:  # type: ignore[type-arg]
    tg = config.telegram
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(tg.api_base_url)
        .base_file_url(tg.file_url)
        # AIORateLimiter keeps the overall 30/s and 20/min-per-group limits and retries RetryAfter;
        # the per-chat 1/s pacing lives in the delivery sender, which knows which messages are bulk.
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=tg.max_messages_per_second,
                overall_time_period=1,
                group_max_rate=tg.max_messages_per_group_per_minute,
                group_time_period=60,
                max_retries=3,
            )
        )
        .defaults(Defaults(parse_mode="HTML", allow_sending_without_reply=True))
        .concurrent_updates(8)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    application = builder.build()
    application.bot_data["config"] = config
    handlers.register_all(application)
    return application


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    config: Config = application.bot_data["config"]
    db = Database(config.database.url, echo=config.database.echo)
    try:
        # Before migrating: a second bot must not touch a database another one is running on.
        lock = application.bot_data[_LOCK] = await instance_lock.acquire(db)
        await _migrate(db)
        lock.remember_database()  # a new database's file exists now: watched from here on
    except BaseException:
        await _release(application)
        await db.close()
        raise
    application.bot_data[KEY] = Services(config=config, db=db)
    report = await sync_config(db, config)
    if report.added or report.updated or report.retired:
        log.info(
            "config feeds: added %s, updated %s, paused %s", report.added, report.updated, report.retired
        )
    await handlers.setup_commands(application)
    await feed_scheduler.start(application)
    await delivery_service.start(application)
    if application.job_queue is not None:
        # Daily, first ten minutes after start (not during start-up's own writes).
        application.job_queue.run_repeating(_retention, interval=RETENTION_EVERY, first=600, name="retention")
        application.job_queue.run_repeating(
            _keep_lock, interval=LOCK_CHECK_EVERY, first=LOCK_CHECK_EVERY, name="instance-lock"
        )


class MigrationFailed(RuntimeError):
    """Bringing the database up to this version's schema failed (its error is __cause__):
    `akhbar run` says so in a few lines; the traceback is logged at DEBUG."""


async def _migrate(db: Database) -> None:
    try:
        await db.migrate()
    except DatabaseFromNewerRelease:
        raise  # said in one line by `akhbar run` already
    except Exception as exc:
        log.debug("migrating the database failed", exc_info=True)
        raise MigrationFailed(str(exc)) from exc


RETENTION_EVERY = 86400.0
LOCK_CHECK_EVERY = 30.0


async def _keep_lock(context: ContextTypes.DEFAULT_TYPE) -> None:
    lock: instance_lock.InstanceLock | None = context.application.bot_data.get(_LOCK)
    if lock is None:
        return
    try:
        await lock.keep()
    except (instance_lock.AnotherInstanceRunning, instance_lock.DatabaseFileChanged) as exc:
        # Two bots on one database deliver everything twice, and a bot whose database file was
        # deleted writes what will be lost: this one stops, loudly (and `akhbar run` exits with
        # code 3 or 4, which `run` raises this again for).
        log.critical("stopping: %s", exc)
        context.application.bot_data[_LOCK_LOST] = str(exc)
        context.application.bot_data[f"{_LOCK_LOST}.error"] = exc
        context.application.stop_running()
    except Exception:
        log.exception("checking the instance lock failed; checked again shortly")


async def _retention(context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context.application)
    try:
        keep = svc.config.database
        await retention.prune(
            svc.db, timedelta(seconds=keep.keep_history), keep_stories=timedelta(seconds=keep.keep_stories)
        )
    except Exception:
        log.exception("deleting old history failed; retried tomorrow")


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    if KEY in application.bot_data:
        await delivery_service.stop(application)
        await feed_scheduler.stop(application)
        await _release(application)
        await services(application).db.close()
    if application.bot_data.get(delivery_service.TOKEN_REJECTED):
        # Everything is closed: `akhbar run` says it in one line and exits 2, as at start.
        from telegram.error import InvalidToken

        raise InvalidToken("the bot token was rejected while running")


async def _release(application: Application) -> None:  # type: ignore[type-arg]
    lock: instance_lock.InstanceLock | None = application.bot_data.pop(_LOCK, None)
    if lock is not None:
        await lock.release()


def run(config: Config, token: str) -> None:
    """Block until SIGINT/SIGTERM, in polling or webhook mode.

    Raises what stopped the bot otherwise: telegram.error.NetworkError when the Bot API cannot be
    reached at start (everything opened is closed again, so `akhbar run` may call this again),
    InvalidToken, AnotherInstanceRunning or DatabaseFileChanged from the instance lock,
    DatabaseFromNewerRelease, and MigrationFailed."""
    import asyncio

    # python-telegram-bot closes the event loop it ran on: a second call needs a new one.
    asyncio.set_event_loop(asyncio.new_event_loop())
    application = build_application(config, token)
    tg = config.telegram
    if tg.mode == "webhook":
        wh = tg.webhook
        application.run_webhook(
            listen=wh.listen,
            port=wh.port,
            url_path=wh.url_path,
            webhook_url=wh.webhook_url,
            secret_token=os.environ.get(wh.secret_token_env) or None,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES, timeout=int(tg.poll_timeout))
    lost = application.bot_data.get(_LOCK_LOST)
    if lost:
        error = application.bot_data.get(f"{_LOCK_LOST}.error")
        raise error if isinstance(error, Exception) else instance_lock.AnotherInstanceRunning(lost)


@asynccontextmanager
async def running(application: Application, *, poll_timeout: float = 1.0) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Run the application inside an existing event loop (tests, benchmarks), as run_polling would."""
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0, timeout=int(poll_timeout), allowed_updates=Update.ALL_TYPES
    )
    try:
        yield application
    finally:
        if application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
