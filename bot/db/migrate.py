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

    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            await conn.run_sync(run)
        return
    # A batch operation rebuilds a SQLite table (copy, DROP, rename); with foreign keys enforced,
    # dropping the old `subscribers` (subscribers_0001) deleted every subscription through ON DELETE
    # CASCADE. SQLite's own recipe for altering a table turns them off meanwhile. The pragma is a
    # no-op inside a transaction, so it is set, and set back, outside the migrations' one.
    async with engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await conn.commit()
        # pysqlite opens a transaction before DML only: each CREATE TABLE committed on its own, and a
        # start stopped midway left tables without their revision (every later start then failed on
        # «table … already exists»). In the driver's autocommit mode an explicit BEGIN holds the DDL
        # too (SQLAlchemy's pysqlite recipe), so the chain is applied whole or not at all.
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        try:
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                await conn.run_sync(run)
            except BaseException:
                if driver.in_transaction:  # an error may have ended it already
                    await conn.exec_driver_sql("ROLLBACK")
                raise
            await conn.exec_driver_sql("COMMIT")
        finally:
            await conn.rollback()  # SQLAlchemy's own record of a transaction; the driver has none open
            await conn.execution_options(isolation_level=conn.default_isolation_level)
            await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            await conn.commit()
