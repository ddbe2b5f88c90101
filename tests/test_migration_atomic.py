"""A start that stops in the middle of the migrations (killed, stopped, a migration that fails)
leaves the database as it found it, so the next start migrates it: on SQLite the migrations' DDL
runs inside their one transaction (bot.db.migrate). Before, each CREATE TABLE committed on its own
(pysqlite opens no transaction before DDL), and an interrupted first start left tables without a
recorded revision: every later start failed on «table … already exists»."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.db.database import Database


async def _tables(database: Database) -> set[str]:
    async with database.engine.connect() as conn:
        rows = await conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {row[0] for row in rows}


async def test_a_first_start_that_fails_midway_leaves_nothing_behind(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'new.sqlite3'}")
    try:
        # search_0001 creates search_fts, after the first revisions created the stories, feeds and
        # subscribers tables: a table of that name makes it fail in the middle of the chain.
        async with database.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE search_fts (x INTEGER)"))
        with pytest.raises(Exception, match="search_fts"):
            await database.migrate()
        assert await _tables(database) == {"search_fts"}  # nothing of the half-done chain stays

        async with database.engine.begin() as conn:
            await conn.execute(text("DROP TABLE search_fts"))
        await database.migrate()  # the next start migrates from scratch
        assert {"stories", "feeds", "subscribers", "outbox", "alembic_version"} <= await _tables(database)
    finally:
        await database.close()
