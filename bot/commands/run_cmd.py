"""`akhbar run`: start the bot."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sys
import time
from collections.abc import Callable
from typing import TextIO

from bot.config import Config

NO_TOKEN = """\
No Telegram bot token found.

1. In Telegram, open a chat with @BotFather, send /newbot and follow the steps.
2. Put the token it gives you in the environment variable {env}, for example:
       export {env}='123456789:AA...'
   (the variable's name is set by [telegram] token_env in {config}).
3. Start the bot again (./scripts/run.sh in the checkout, or `akhbar run`).

To try Akhbar without a token, `.venv/bin/akhbar digest` polls the feeds once and prints the
summaries (`akhbar digest` where akhbar is installed on your PATH).
"""

REJECTED_TOKEN = """\
Telegram rejected the bot token in {env}.

Check it with @BotFather (/mybots, then API Token): it may have been mistyped, cut short or revoked.
"""


NO_SECRET = """\
Webhook mode needs a secret token in the environment variable {env}.

Telegram sends it with every update, and the listener refuses posts without it (403); without one,
anyone who finds the listener's address could post updates as if they came from Telegram.
Choose 1 to 256 characters of A-Z, a-z, 0-9, _ and -, for example:
    export {env}="$(openssl rand -hex 32)"
(the variable's name is set by [telegram.webhook] secret_token_env in {config}).
"""

NO_DATABASE = """\
Cannot reach the database {url}:
    {reason}
Check [database] url in {config}, and that the database server is running.
"""

UNREACHABLE = "cannot reach the Telegram Bot API at {url} ({reason}); trying again in {delay} s\n"
STOPPED = "stopped before the Telegram Bot API could be reached\n"

# Waits between start attempts while the Bot API cannot be reached: 2, 4, 8, ... then every minute.
FIRST_WAIT = 2.0
LONGEST_WAIT = 60.0

# What Telegram accepts as a webhook's secret_token.
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])


def run(args: argparse.Namespace, config: Config) -> int:
    token = config.token()
    if not token:
        sys.stderr.write(NO_TOKEN.format(env=config.telegram.token_env, config=args.config_path))
        return 2
    if config.telegram.mode == "webhook":
        env = config.telegram.webhook.secret_token_env
        if not _SECRET.match(os.environ.get(env, "")):
            sys.stderr.write(NO_SECRET.format(env=env, config=args.config_path))
            return 2
    from bot.db.database import shown_url

    problem = asyncio.run(database_problem(config.database.url))
    if problem is not None:
        # One line an operator can act on, not the driver's traceback (FileNotFoundError for a
        # PostgreSQL socket that is not there says nothing about the database).
        sys.stderr.write(
            NO_DATABASE.format(url=shown_url(config.database.url), reason=problem, config=args.config_path)
        )
        return 2
    newer = asyncio.run(database_too_new(config.database.url))
    if newer is not None:
        sys.stderr.write(f"{newer}\n")
        return 2
    from bot.logging_setup import setup_logging

    setup_logging(args.log_level)
    return _run_bot(config, token)


def _run_bot(config: Config, token: str) -> int:
    from telegram.error import InvalidToken

    from bot.app import run as run_bot
    from bot.db.database import DatabaseFromNewerRelease
    from bot.db.instance_lock import AnotherInstanceRunning, DatabaseFileChanged

    try:
        started = start_when_reachable(lambda: run_bot(config, token), config.telegram.api_base_url, token)
    except AnotherInstanceRunning as exc:
        sys.stderr.write(f"{exc}\n")
        return 3
    except DatabaseFileChanged as exc:
        sys.stderr.write(f"{exc}\n")
        # Its own code, so that a supervisor can be told not to restart on it (systemd:
        # RestartPreventExitStatus=4): a start on a deleted database begins an empty one.
        return 4
    except DatabaseFromNewerRelease as exc:  # upgraded between the check above and the bot's start
        sys.stderr.write(f"{exc}\n")
        return 2
    except InvalidToken:
        # Its message quotes the token: a traceback would print the secret.
        sys.stderr.write(REJECTED_TOKEN.format(env=config.telegram.token_env))
        return 2
    if not started:
        sys.stderr.write(STOPPED)
    return 0


def start_when_reachable(
    attempt: Callable[[], None],
    api_url: str,
    token: str,
    *,
    wait: Callable[[float], object] = time.sleep,
    out: TextIO | None = None,
) -> bool:
    """attempt() (the bot, until it stops), tried again while the Bot API cannot be reached, with
    one line on `out` and a wait(seconds) each time. True once an attempt ran; False if SIGINT or
    SIGTERM (a KeyboardInterrupt here) stopped it before one could.

    At boot the network may come up after the bot; a NetworkError out of attempt() comes from
    start-up (python-telegram-bot retries on its own once running, and swallows those of its
    shutdown), and the bot has closed what it opened by then, so starting again is clean."""
    from telegram.error import BadRequest, NetworkError  # TimedOut is one; InvalidToken is not

    delay = FIRST_WAIT
    previous = signal.getsignal(signal.SIGTERM)
    try:
        # python-telegram-bot's own traceback of the failed start-up request is dropped by
        # bot.logging_setup.ExpectedErrors: the line below says it.
        while True:
            # Again each time: the bot's event loop leaves SIGTERM at its default (killed, not
            # stopped) when it closes. While the bot runs, its own handler stops it cleanly.
            signal.signal(signal.SIGTERM, _interrupt)
            try:
                attempt()
                return True
            except NetworkError as exc:
                if isinstance(exc, BadRequest):  # a NetworkError in PTB, yet Telegram answered
                    raise
                signal.signal(signal.SIGTERM, _interrupt)  # before saying so: heard from now on
                reason = _one_line(exc).replace(token, "<token>")
                (out or sys.stderr).write(UNREACHABLE.format(url=api_url, reason=reason, delay=f"{delay:g}"))
            wait(delay)
            delay = min(delay * 2, LONGEST_WAIT)
    except KeyboardInterrupt:
        return False
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM between two attempts: a stop, as SIGINT is


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


async def database_too_new(url: str) -> str | None:
    """Why this version cannot use the database (a newer release migrated it), or None."""
    from bot.db.database import Database, DatabaseFromNewerRelease

    db = Database(url)
    try:
        await db.check_revision()
    except DatabaseFromNewerRelease as exc:
        return str(exc)
    finally:
        await db.close()
    return None


async def database_problem(url: str) -> str | None:
    """Why the database cannot be reached, or None when it can."""
    from sqlalchemy import text as sql

    from bot.db.database import Database

    db: Database | None = None
    try:
        db = Database(url)  # an SQLite file's folder is made here
        async with db.engine.connect() as connection:
            await connection.execute(sql("SELECT 1"))
    except Exception as exc:
        cause = getattr(exc, "orig", None) or exc
        detail = str(cause).strip().splitlines()
        return f"{type(cause).__name__}: {detail[0] if detail else ''}".rstrip(": ")
    finally:
        if db is not None:
            await db.close()
    return None
