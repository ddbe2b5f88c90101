"""The database handle: one async engine, migrations on open, and one writer at a time.

SQLite allows one writer; rather than let concurrent jobs collide on "database is locked", every
write goes through `Database.write()` (or `write_sync()`), which serialises writers inside the
process. WAL mode lets readers go on while a write is under way.

`read_sync()` / `write_sync()` run a plain function over a sync Session. With SQLite that function
runs in a worker thread on its own sqlite3 connection: aiosqlite makes every statement (and every
cursor call within it) a round trip to its thread, about 70 hops for one feed's poll, and those
hops cost the event loop more CPU than the SQL itself. Elsewhere (PostgreSQL) the function runs
through the async session's `run_sync`, on the same driver as everything else.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from bot.db.migrate import alembic_config, current, upgrade

T = TypeVar("T")


class DatabaseFromNewerRelease(RuntimeError):
    """The database was migrated by a newer Akhbar: this code does not know its revision."""


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _ensure_parent_dir(url)
        self.engine: AsyncEngine = create_async_engine(url, echo=echo, **_engine_options(url))
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock()
        self.sync_engine: Engine | None = None
        self._sync_sessions: sessionmaker[Session] | None = None
        if self.is_sqlite and not in_memory(url):
            # A second engine on the same file, for read_sync/write_sync (see the module doc).
            self.sync_engine = create_engine(
                make_url(url).set(drivername="sqlite+pysqlite"),
                connect_args={"timeout": 30, "check_same_thread": False},
            )
            event.listen(self.sync_engine, "connect", _sqlite_pragmas)
            self._sync_sessions = sessionmaker(self.sync_engine, expire_on_commit=False)

    async def migrate(self) -> None:
        await self.check_revision()
        await upgrade(self.engine)

    async def check_revision(self) -> None:
        """DatabaseFromNewerRelease if a newer release migrated this database: Alembic would fail
        deep inside with "Can't locate revision", and this code does not know that schema."""
        unknown = await unknown_revisions(self.engine)
        if unknown:
            raise DatabaseFromNewerRelease(
                f"the database {shown_url(self.url)} was upgraded by a newer Akhbar (revision "
                f"{', '.join(unknown)}, unknown to this version): run that version, or restore a "
                "backup taken before the upgrade"
            )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed on success and rolled back on any error."""
        async with self._write_lock, self._sessions() as session, session.begin():
            yield session

    async def read_sync(self, fn: Callable[[Session], T]) -> T:
        """fn(session) for reading: one thread hop for all its statements (SQLite)."""
        if self._sync_sessions is None:
            async with self.read() as session:
                return await session.run_sync(fn)
        return await asyncio.to_thread(self._in_thread, fn, False)

    async def write_sync(self, fn: Callable[[Session], T]) -> T:
        """fn(session) in one transaction, committed when it returns, rolled back if it raises;
        under the same one-writer lock as `write()`."""
        async with self._write_lock:
            if self._sync_sessions is None:
                async with self._sessions() as session, session.begin():
                    return await session.run_sync(fn)
            job = asyncio.ensure_future(asyncio.to_thread(self._in_thread, fn, True))
            try:
                return await asyncio.shield(job)
            except asyncio.CancelledError:
                # The transaction goes on in its thread: keep the lock until it has ended, so
                # that no other writer starts meanwhile.
                await asyncio.wait([job])
                raise

    def _in_thread(self, fn: Callable[[Session], T], write: bool) -> T:
        assert self._sync_sessions is not None
        with self._sync_sessions() as session:
            if not write:
                return fn(session)
            with session.begin():
                return fn(session)

    async def close(self) -> None:
        await self.engine.dispose()
        if self.sync_engine is not None:
            self.sync_engine.dispose()


async def open_database(url: str, *, echo: bool = False) -> Database:
    db = Database(url, echo=echo)
    await db.migrate()
    return db


async def unknown_revisions(engine: AsyncEngine) -> list[str]:
    """The revisions the database is stamped with that this code has no migration for."""
    known = _known_revisions()
    return [revision for revision in await current(engine) if revision not in known]


@functools.cache  # the migrations shipped do not change while the process runs
def _known_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    )


def _ensure_parent_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def one_line(exc: BaseException) -> str:
    """A database error as messages show it: the driver's own error, its first line (SQLAlchemy's
    wrapper repeats the statement, its rows and a link)."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def shown_url(url: str) -> str:
    """The database URL as messages and logs may show it: its password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def in_memory(url: str) -> bool:
    database = make_url(url).database
    return not database or database == ":memory:" or "mode=memory" in url


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_size": 10, "max_overflow": 10, "pool_pre_ping": True}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
