"""`akhbar db upgrade|current`: apply or inspect the Alembic migrations."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import Config
from bot.db.database import Database
from bot.db.instance_lock import AnotherInstanceRunning, acquire
from bot.db.migrate import current


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["upgrade", "current"], help="upgrade: apply migrations")


def run(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_run(args.action, config))


async def _run(action: str, config: Config) -> int:
    db = Database(config.database.url)
    try:
        if action == "upgrade":
            # Not under a running bot: its code expects the schema it started with.
            try:
                lock = await acquire(db, "akhbar db upgrade")
            except AnotherInstanceRunning as exc:
                print(f"{exc}; `akhbar run` applies the migrations itself when it starts", file=sys.stderr)
                return 3
            try:
                await db.migrate()
            finally:
                await lock.release()
        heads = await current(db.engine)
        print("database at revision:", ", ".join(heads) or "(empty)")
    finally:
        await db.close()
    return 0
