"""`akhbar db upgrade|current`: apply or inspect the Alembic migrations."""

from __future__ import annotations

import argparse
import asyncio

from bot.config import Config
from bot.db.database import Database
from bot.db.migrate import current


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["upgrade", "current"], help="upgrade: apply migrations")


def run(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_run(args.action, config))


async def _run(action: str, config: Config) -> int:
    db = Database(config.database.url)
    try:
        if action == "upgrade":
            await db.migrate()
        heads = await current(db.engine)
        print("database at revision:", ", ".join(heads) or "(empty)")
    finally:
        await db.close()
    return 0
