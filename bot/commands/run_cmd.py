"""`akhbar run`: start the bot."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys

from bot.config import Config

NO_TOKEN = """\
No Telegram bot token found.

1. In Telegram, open a chat with @BotFather, send /newbot and follow the steps.
2. Put the token it gives you in the environment variable {env}, for example:
       export {env}='123456789:AA...'
   (the variable's name is set by [telegram] token_env in {config}).
3. Run `akhbar run` again.

To try Akhbar without a token, `akhbar digest` polls the feeds once and prints the summaries.
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
    from telegram.error import InvalidToken

    from bot.app import run as run_bot
    from bot.db.instance_lock import AnotherInstanceRunning
    from bot.logging_setup import setup_logging

    setup_logging(args.log_level)
    try:
        run_bot(config, token)
    except AnotherInstanceRunning as exc:
        sys.stderr.write(f"{exc}\n")
        return 3
    except InvalidToken:
        # Its message quotes the token: a traceback would print the secret.
        sys.stderr.write(REJECTED_TOKEN.format(env=config.telegram.token_env))
        return 2
    return 0


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
