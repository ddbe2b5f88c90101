"""One running bot per database.

Two bots on one database would each poll every feed, deliver every story twice, and the second one's
start-up recovery would mark the first one's messages in flight as uncertain. Nothing in the data
stops that, so `akhbar run` takes a lock for its whole life and a second start is refused with a
clear message: on SQLite an advisory lock on a file next to the database (released by the kernel if
the process dies), on PostgreSQL a session advisory lock keyed by the schema (released when the
session ends). The admin commands of the CLI do not take it: they are short and safe beside a
running bot. `akhbar digest` takes it too: the stories it stores are never sent to subscribers,
so it must not poll a live bot's database; and so does `akhbar db upgrade`, since a running bot's code
expects the schema it started with.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.database import Database, in_memory, shown_url

_KEY = "hashtext('akhbar run:' || current_schema())"  # per schema: one database can hold several

log = logging.getLogger(__name__)


class AnotherInstanceRunning(RuntimeError):
    """Another `akhbar run` holds this database."""


@dataclass
class InstanceLock:
    file: IO[str] | None = None
    connection: AsyncConnection | None = None
    db: Database | None = None

    async def keep(self) -> None:
        """Make sure this process still holds the lock (PostgreSQL; called every half minute).

        A session lock dies with its session: when PostgreSQL restarts or drops the connection, the
        lock is gone without a word, and a second `akhbar run` would then start beside this one.
        So the session is checked, the lock taken again on a fresh one if it was lost, and
        AnotherInstanceRunning raised if another process took it meanwhile (this one must stop)."""
        if self.db is None:
            return  # SQLite: the kernel holds the file lock for the process's life
        if self.connection is not None:
            try:
                await self.connection.execute(text("SELECT 1"))
                await self.connection.commit()
                return
            except Exception:
                log.warning("the database connection holding the instance lock was lost; taking it again")
            await _close_quietly(self.connection)
            self.connection = None
        # Raises while the database is unreachable (tried again at the next check), and
        # AnotherInstanceRunning when another process has taken the lock meanwhile.
        again = await acquire(self.db)
        self.connection = again.connection
        log.info("instance lock taken again")

    async def release(self) -> None:
        if self.file is not None:
            self.file.close()  # closing the descriptor drops the flock
            self.file = None
        if self.connection is not None:
            connection, self.connection = self.connection, None
            try:
                # The connection goes back to the pool, not away: its session would keep the lock.
                await connection.execute(text(f"SELECT pg_advisory_unlock({_KEY})"))
                await connection.commit()
            except Exception:
                # A session already gone took its lock with it: nothing left to release.
                log.info("instance lock: its database session had already ended")
            finally:
                await _close_quietly(connection)


async def _close_quietly(connection: AsyncConnection) -> None:
    try:
        await connection.close()
    except Exception:
        log.debug("closing a dead lock connection failed", exc_info=True)


async def acquire(db: Database, holder: str = "akhbar run") -> InstanceLock:
    """The database's instance lock, or AnotherInstanceRunning if a live process has it.
    `holder` names this process's command in the refusal another one gets (SQLite)."""
    if db.is_sqlite:
        return _acquire_file(db.url, holder)
    connection = await db.engine.connect()
    try:
        got = (await connection.execute(text(f"SELECT pg_try_advisory_lock({_KEY})"))).scalar_one()
        await connection.commit()
    except BaseException:
        await connection.close()
        raise
    if not got:
        await connection.close()
        raise AnotherInstanceRunning(
            f"the database {shown_url(db.url)} is in use by another Akhbar process "
            "(`akhbar run` or `akhbar digest`): stop it first (one bot process per database)"
        )
    return InstanceLock(connection=connection, db=db)


def _acquire_file(url: str, holder: str) -> InstanceLock:
    if in_memory(url):
        return InstanceLock()  # nobody else can open it
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no lock, as before there was one
        return InstanceLock()
    path = f"{make_url(url).database}.lock"
    fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held open for the process's life)
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        pid, _, command = fh.read().strip().partition(" ")
        fh.close()
        who = f"`{command}` (process {pid})" if command else "another Akhbar process"
        raise AnotherInstanceRunning(
            f"the database {make_url(url).database} is in use by {who}: "
            "stop it first (one bot process per database)"
        ) from None
    fh.truncate(0)
    fh.write(f"{os.getpid()} {holder}")
    fh.flush()
    return InstanceLock(file=fh)
