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
from typing import TYPE_CHECKING, TextIO

from bot.config import Config

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

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

NO_DRIVER = """\
[database] url in {config} names PostgreSQL, and its driver (asyncpg) is not installed:
    .venv/bin/pip install -e '.[postgres]'      (./scripts/run.sh installs it)
"""

# SQLite has no server: what to do depends on what is wrong with the file.
DAMAGED_FILE = """\
The database file {path} is damaged:
    {reason}
Put a backup in its place (`akhbar db backup PATH` makes them), or move it aside to start afresh on
an empty database (no subscribers). Either way move {name}-wal and {name}-shm aside with it, if they
are there: they belong to the damaged file, and SQLite could apply them to the next one.
"""

UNWRITABLE_FILE = """\
Cannot {what} the database file {path}:
    {reason}
The bot's user, {user}, must be able to write to the file and to its folder {folder}, where SQLite
creates {name}-wal and {name}-shm. Check their owner and permissions, and that the disk is not
mounted read-only, or set [database] url in {config} to a file that user can write.
"""

FILE_PROBLEM = """\
Cannot use the database file {path}:
    {reason}
Check [database] url in {config}, and the disk the file is on.
"""

MIGRATION_FAILED = """\
Could not bring the database {url} up to this version of Akhbar; the bot did not start:
    {reason}
{advice}
`akhbar run --log-level DEBUG` prints the whole error, for a bug report.
"""
MIGRATION_ADVICE_SQLITE = """\
If no bot has run on it yet (a first start stopped half-way), move {path}, {name}-wal and {name}-shm
aside and start again: a new database is made. Otherwise run the Akhbar version that last ran on it
(on a backup, if it no longer starts: `akhbar db backup PATH` makes them) until this is fixed."""
MIGRATION_ADVICE_OTHER = """\
If no bot has run on it yet, drop it, create it again and start again. Otherwise run the Akhbar
version that last ran on it (on your last pg_dump, if it no longer starts) until this is fixed."""

# Primary SQLite result codes (sqlite3.Error.sqlite_errorcode & 0xFF).
_SQLITE_PERM = 3
_SQLITE_BUSY = 5
_SQLITE_READONLY = 8
_SQLITE_CORRUPT = 11
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26

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
    problem = asyncio.run(database_message(config.database.url, args.config_path))
    if problem is not None:
        # What an operator can act on, not the driver's traceback (FileNotFoundError for a
        # PostgreSQL socket that is not there says nothing about the database).
        sys.stderr.write(problem)
        return 2
    newer = asyncio.run(database_too_new(config.database.url))
    if newer is not None:
        sys.stderr.write(f"{newer}\n")
        return 2
    from bot.logging_setup import setup_logging

    setup_logging(args.log_level)
    return _run_bot(config, token, args.config_path)


def _run_bot(config: Config, token: str, config_path: object = "config.toml") -> int:
    from telegram.error import InvalidToken

    from bot.app import MigrationFailed
    from bot.app import run as run_bot
    from bot.db.database import DatabaseFromNewerRelease
    from bot.db.instance_lock import AnotherInstanceRunning, DatabaseFileChanged

    url = config.database.url
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
    except MigrationFailed as exc:
        # A file that became unwritable or damaged since the check above says so; anything else is
        # the migration's own failure (its traceback went to the log at DEBUG).
        sys.stderr.write(
            asyncio.run(database_message(url, config_path)) or migration_failed(url, exc.__cause__ or exc)
        )
        return 2
    except Exception:
        # The check above passed, yet the database failed the start (made read-only meanwhile, or
        # something the check cannot see): said as at the check, when it now sees it.
        problem = asyncio.run(database_message(url, config_path))
        if problem is None:
            raise
        sys.stderr.write(problem)
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
    """Why the database cannot be reached (or, SQLite, written), in one line, or None when it can."""
    from bot.db.database import one_line

    failure = await _database_failure(url)
    return None if failure is None else one_line(failure)


async def database_message(url: str, config_path: object) -> str | None:
    """What to tell the operator about a database the bot cannot use, or None when it can."""
    from bot.db.database import one_line, shown_url

    failure = await _database_failure(url)
    if failure is None:
        return None
    path = _sqlite_path(url)
    if isinstance(failure, ModuleNotFoundError) and failure.name == "asyncpg":
        return NO_DRIVER.format(config=config_path)
    if path is None:
        return NO_DATABASE.format(url=shown_url(url), reason=one_line(failure), config=config_path)
    code = _sqlite_code(failure)
    where = {"path": path, "name": os.path.basename(path), "reason": one_line(failure), "config": config_path}
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return DAMAGED_FILE.format(**where)
    if code in (_SQLITE_READONLY, _SQLITE_CANTOPEN, _SQLITE_PERM) or isinstance(failure, OSError):
        what = "write to" if code == _SQLITE_READONLY else "open"
        folder = os.path.dirname(os.path.abspath(path))
        return UNWRITABLE_FILE.format(what=what, user=_user(), folder=folder, **where)
    return FILE_PROBLEM.format(**where)


def migration_failed(url: str, error: BaseException) -> str:
    from bot.db.database import one_line, shown_url

    path = _sqlite_path(url)
    if path is None:
        advice = MIGRATION_ADVICE_OTHER
    else:
        advice = MIGRATION_ADVICE_SQLITE.format(path=path, name=os.path.basename(path))
    return MIGRATION_FAILED.format(url=shown_url(url), reason=one_line(error), advice=advice)


async def _database_failure(url: str) -> BaseException | None:
    """What opening the database (and, SQLite, starting a write on it) raised, or None."""
    from sqlalchemy import text as sql

    from bot.db.database import Database

    db: Database | None = None
    try:
        db = Database(url)  # an SQLite file's folder is made here
        async with db.engine.connect() as connection:
            await connection.execute(sql("SELECT 1"))
            if db.is_sqlite:
                await _try_a_write(connection)
    except Exception as exc:
        if _sqlite_code(exc) == _SQLITE_BUSY:
            return None  # another process writing: the instance lock says whether it is a bot
        return exc
    finally:
        if db is not None:
            await db.close()
    return None


async def _try_a_write(connection: AsyncConnection) -> None:
    """Raises what SQLite raises for a file it can read but not write: a read-only file, folder or
    disk. Reading works on those, and so does BEGIN IMMEDIATE; only a change fails. It is undone."""
    await connection.commit()  # SELECT 1's implicit transaction, if the driver began one
    raw = await connection.execution_options(isolation_level="AUTOCOMMIT")
    await raw.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        await raw.exec_driver_sql("CREATE TABLE akhbar_write_check (x)")
    finally:
        await raw.exec_driver_sql("ROLLBACK")


def _sqlite_code(exc: BaseException) -> int | None:
    """The primary SQLite result code behind exc (SQLAlchemy wraps the driver's error), or None."""
    seen: BaseException | None = exc
    while seen is not None:
        code = getattr(seen, "sqlite_errorcode", None)
        if isinstance(code, int):
            return code & 0xFF
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


def _sqlite_path(url: str) -> str | None:
    """The file an SQLite URL names, or None (another database, or SQLite in memory)."""
    from sqlalchemy.engine import make_url

    from bot.db.database import in_memory

    if not url.startswith("sqlite") or in_memory(url):
        return None
    database = make_url(url).database or ""
    if database.startswith("file:"):  # an SQLite URI: file:PATH?mode=ro
        database = database.removeprefix("file:").split("?", 1)[0]
    return database


def _user() -> str:
    try:
        import pwd

        return f"{pwd.getpwuid(os.geteuid()).pw_name} (uid {os.geteuid()})"
    except (ImportError, KeyError):
        return f"uid {os.geteuid()}"
