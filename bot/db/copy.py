"""Copying a whole instance to another database: `akhbar db copy TARGET_URL`.

The way from SQLite to PostgreSQL once an instance outgrows one file (or back). The target is
migrated to the newest revision by the migrations themselves, then every table the models define is
copied into it, parents before children, in batches (a 25k-story archive is never held in memory at
once) and in one transaction on the target: a failure leaves it as empty as it was. Ids are kept,
so every reference between rows still holds; on PostgreSQL the id sequences are then set past the
copied ids, or the next story stored would be handed id 1 and fail on a duplicate key.

The source is read in one snapshot, and the counts of both sides are compared before the target
commits. The caller holds both databases' instance locks: no bot writes to either meanwhile.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Table, bindparam, func, inspect, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.clock import as_utc
from bot.db.database import Database, one_line, shown_url
from bot.db.migrate import current
from bot.db.models import Base

# Rows per INSERT batch: a story with its text and summary is a few kB, so a batch stays a few MB.
BATCH = 500

# Tables that are not the instance's data: the migration stamp (the target's own migration wrote
# it). The instance lock is no table: a file beside SQLite, an advisory lock on PostgreSQL.
_NOT_DATA = {"alembic_version"}

# What SQLite's FTS5 keeps for a virtual table `t` in tables of its own, `t_data` and so on: part
# of the index, written by SQLite itself when rows go into `t`.
_FTS5_SHADOWS = ("config", "content", "data", "docsize", "idx")


class CopyRefused(RuntimeError):
    """The copy must not start (the message says why); nothing was written anywhere."""


class CopyFailed(RuntimeError):
    """The copy stopped part way; the target's transaction was rolled back."""


@dataclass(frozen=True)
class CopiedTable:
    name: str
    rows: int


def data_tables() -> list[Table]:
    """Every table of the instance, parents before children (foreign keys point backwards)."""
    # The tables other packages add register themselves on Base.metadata when imported.
    import bot.admin.models
    import bot.feeds.models
    import bot.search.models  # noqa: F401

    return list(Base.metadata.sorted_tables)


def newest_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from bot.db.migrate import alembic_config

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


async def check_source(source: Database) -> None:
    """CopyRefused unless the source is at this release's newest migration, and holds no table
    this copy would leave behind. (A newer release's revision raises DatabaseFromNewerRelease.)"""
    await source.check_revision()
    if set(await current(source.engine)) != newest_revisions():
        raise CopyRefused(
            f"the database {shown_url(source.url)} is not at this version's newest migration: "
            "run `akhbar db upgrade` first (nothing was copied)"
        )
    known = {table.name for table in data_tables()}
    unknown = sorted(set(await _tables(source.engine)) - known)
    if unknown:
        raise CopyRefused(
            f"the database {shown_url(source.url)} has tables this version does not know "
            f"({', '.join(unknown)}): they would not be copied (nothing was copied)"
        )


async def occupied_tables(engine: AsyncEngine) -> list[str]:
    """The target's tables that hold at least one row (a fresh or migrated empty one has none)."""
    occupied = []
    async with engine.connect() as conn:
        quote = conn.dialect.identifier_preparer.quote
        for name in await _tables(engine):
            found = await conn.execute(text(f"SELECT 1 FROM {quote(name)} LIMIT 1"))
            if found.first() is not None:
                occupied.append(name)
    return occupied


async def _tables(engine: AsyncEngine) -> list[str]:
    """The database's tables in its default schema, without the migration stamp nor SQLite's
    own (FTS5's shadow tables included)."""
    async with engine.connect() as conn:
        names: list[str] = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        shadows: set[str] = set()
        if conn.dialect.name == "sqlite":
            virtual = await conn.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
                )
            )
            shadows = {f"{name}_{suffix}" for (name,) in virtual for suffix in _FTS5_SHADOWS}
    return [name for name in names if name not in _NOT_DATA and name not in shadows]


async def copy_database(source: Database, target: Database) -> list[CopiedTable]:
    """Every row of `source` into the migrated, empty `target`, ids kept; the row counts per table
    (equal on both sides, or CopyFailed and nothing written)."""
    tables = data_tables()
    async with _snapshot(source.engine) as src, target.engine.begin() as dst:
        for table in tables:
            await _copy_table(src, dst, table)
        if dst.dialect.name == "postgresql":
            for table in tables:
                await _advance_sequence(dst, table)
        return await _compare_counts(src, dst, tables)


@asynccontextmanager
async def _snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection that reads the database as it was at its first read, for every table: a
    consistent copy even if an admin command writes meanwhile (they do not take the lock)."""
    async with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                yield conn
            return
        # pysqlite begins no transaction before a SELECT, so each would see the database anew.
        # In the driver's autocommit mode an explicit BEGIN holds one read snapshot throughout.
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            await conn.exec_driver_sql("ROLLBACK")  # read only: nothing to keep


async def _copy_table(src: AsyncConnection, dst: AsyncConnection, table: Table) -> None:
    # A row may point at a later row of its own table (a story marked a duplicate of one stored
    # after it): such columns are written empty first, and filled once every row is in.
    own = [column for column in table.columns if _points_at_own_table(column)]
    later: dict[str, list[dict[str, Any]]] = {column.name: [] for column in own}
    key = next(iter(table.primary_key.columns))  # stories: its id, the only such table
    dates = [column.name for column in table.columns if isinstance(column.type, DateTime)]
    try:
        result = await src.stream(select(table).order_by(*table.primary_key.columns))
        async for batch in result.mappings().partitions(BATCH):
            rows = [_portable(dict(row), dates) for row in batch]
            for column in own:
                for row in rows:
                    if row[column.name] is not None:
                        later[column.name].append({"_key": row[key.name], "_value": row[column.name]})
                        row[column.name] = None
            await dst.execute(table.insert(), rows)
        for column in own:
            fill = update(table).where(key == bindparam("_key")).values({column.name: bindparam("_value")})
            for start in range(0, len(later[column.name]), BATCH):
                await dst.execute(fill, later[column.name][start : start + BATCH])
    except Exception as exc:
        raise CopyFailed(f"could not copy the table {table.name}: {one_line(exc)}") from exc


def _points_at_own_table(column: Column[Any]) -> bool:
    return any(fk.column.table is column.table for fk in column.foreign_keys)


def _portable(row: dict[str, Any], dates: Sequence[str]) -> dict[str, Any]:
    """A row as the target must be given it: SQLite hands back times without their zone (every
    stored time is UTC), and asyncpg would read a zoneless time as the machine's local time."""
    for name in dates:
        value = row[name]
        if isinstance(value, datetime):
            row[name] = as_utc(value)
    return row


async def _advance_sequence(dst: AsyncConnection, table: Table) -> None:
    """Set the id sequence of a table with an autoincrement id past the largest id copied: the
    rows came with their ids, so the sequence still stands at 1."""
    column = table.autoincrement_column
    if column is None:
        return
    quote = dst.dialect.identifier_preparer
    name, key = quote.format_table(table), quote.quote(column.name)
    # is_called false: the next id handed out is the value set itself (1 on an empty table).
    await dst.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), COALESCE(MAX({key}), 0) + 1, false) "
            f"FROM {name}"
        ),
        {"table": name, "column": column.name},
    )


async def _compare_counts(
    src: AsyncConnection, dst: AsyncConnection, tables: Sequence[Table]
) -> list[CopiedTable]:
    copied = []
    for table in tables:
        count = select(func.count()).select_from(table)
        there, here = (await src.execute(count)).scalar_one(), (await dst.execute(count)).scalar_one()
        if there != here:
            raise CopyFailed(f"the table {table.name} has {there} rows in the source but {here} in the copy")
        copied.append(CopiedTable(table.name, here))
    return copied
