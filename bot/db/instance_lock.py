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

On SQLite the lock is also where the bot notices that its database file was deleted or replaced
while it ran: SQLite goes on writing to the open, unlinked file, and the next start would begin on
an empty database with no subscribers. The periodic check stops the bot instead, loudly.
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


class DatabaseFileChanged(RuntimeError):
    """The SQLite file the bot opened is no longer the file at its path: deleted or replaced."""


FileId = tuple[int, int]  # (st_dev, st_ino): which file a path names


@dataclass
class InstanceLock:
    file: IO[str] | None = None
    connection: AsyncConnection | None = None
    db: Database | None = None
    database_path: str | None = None  # SQLite: the database file, symlinks resolved
    database_id: FileId | None = None  # and the file it was when the lock was taken
    holder: str = "akhbar run"

    def remember_database(self) -> None:
        """Note which file the SQLite database is, once it exists (migrations create a new one)."""
        if self.database_path is not None and self.database_id is None:
            self.database_id = _file_id(self.database_path)

    async def keep(self) -> None:
        """Make sure this process still holds the lock, and the database it opened (called every
        half minute); DatabaseFileChanged or AnotherInstanceRunning mean this process must stop.

        SQLite: the kernel holds the flock for the process's life, but the files can go from under
        it. A database file deleted or replaced raises DatabaseFileChanged; a lock file deleted
        (rm akhbar.sqlite3*) is made and locked again, so that a second bot is still refused.

        PostgreSQL: a session lock dies with its session: when PostgreSQL restarts or drops the
        connection, the lock is gone without a word, and a second `akhbar run` would then start
        beside this one. So the session is checked, the lock taken again on a fresh one if it was
        lost, and AnotherInstanceRunning raised if another process took it meanwhile."""
        if self.database_path is not None:
            self._check_database_file(self.database_path)
            self._check_lock_file(self.database_path)
            return
        if self.db is None:
            return  # nothing on disk to watch (in memory, or no file locks on this system)
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

    def _check_database_file(self, path: str) -> None:
        if self.database_id is None:
            self.remember_database()
            return
        now = _file_id(path)
        if now == self.database_id:
            return
        if now is None:
            raise DatabaseFileChanged(
                f"the database file {path} was deleted while the bot ran (all it wrote would be "
                "lost with it). Put the file back from a backup (`akhbar db backup` makes them) "
                "before starting the bot again: started with no file there, it begins an empty "
                "database, with no subscribers"
            )
        raise DatabaseFileChanged(
            f"the database file {path} was replaced by another file while the bot ran (it would "
            "go on writing to the old one). Start the bot again to use the file now there, and "
            "stop it before restoring a backup next time"
        )

    def _check_lock_file(self, path: str) -> None:
        # A lock file deleted with the database (rm akhbar.sqlite3*) no longer keeps a second
        # bot out: the flock is on the deleted file. Take it again on the new one.
        if self.file is None or _file_id(f"{path}.lock") == _fd_id(self.file):
            return
        again = _lock_file(path, self.holder, shown=path)  # AnotherInstanceRunning if a new bot has it
        self.file.close()
        self.file = again
        log.warning("the instance lock file %s.lock was deleted or replaced; taken again", path)

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
        import fcntl  # noqa: F401 (only to know whether file locks exist here)
    except ImportError:  # not a POSIX system: no lock, as before there was one
        return InstanceLock()
    named = make_url(url).database or ""
    # A symlink to the database must take the lock its real name takes: it goes by the real file.
    path = os.path.realpath(named)
    fh = _lock_file(path, holder, shown=named)
    return InstanceLock(file=fh, database_path=path, database_id=_file_id(path), holder=holder)


def _lock_file(path: str, holder: str, *, shown: str) -> IO[str]:
    """`path`.lock, opened and flocked; AnotherInstanceRunning naming the database as `shown` and
    the process that has it, if taken."""
    import fcntl

    fh = open(f"{path}.lock", "a+", encoding="utf-8")  # noqa: SIM115 (held open for the process's life)
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        pid, _, command = fh.read().strip().partition(" ")
        fh.close()
        who = f"`{command}` (process {pid})" if command else "another Akhbar process"
        raise AnotherInstanceRunning(
            f"the database {shown} is in use by {who}: stop it first (one bot process per database)"
        ) from None
    fh.truncate(0)
    fh.write(f"{os.getpid()} {holder}")
    fh.flush()
    return fh


def _file_id(path: str) -> FileId | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


def _fd_id(fh: IO[str]) -> FileId:
    info = os.fstat(fh.fileno())
    return info.st_dev, info.st_ino
