"""Alembic, driven from code: `akhbar run` and `akhbar db upgrade` both come through here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    # Migrations may branch (independent features add tables side by side), so "heads", not "head".
    await _run(engine, lambda cfg: command.upgrade(cfg, revision))


async def current(engine: AsyncEngine) -> list[str]:
    from alembic.runtime.migration import MigrationContext

    def heads(sync_conn: Any) -> list[str]:
        return list(MigrationContext.configure(sync_conn).get_current_heads())

    async with engine.connect() as conn:
        return await conn.run_sync(heads)


async def _run(engine: AsyncEngine, action: Any) -> None:
    def run(sync_conn: Any) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_conn
        action(cfg)

    async with engine.begin() as conn:
        await conn.run_sync(run)
