"""`akhbar db upgrade|current|backup|copy`: apply or inspect the Alembic migrations, or copy the database.

`backup PATH` copies a SQLite database with SQLite's online backup API: a consistent copy, its WAL
included, taken while the bot keeps running (copying the file itself mid-write can give a broken
copy). PostgreSQL has pg_dump for that.

`copy TARGET_URL` moves the whole instance into another, empty database, SQLite to PostgreSQL when
an instance outgrows one file (bot.db.copy). The bot is stopped meanwhile: the copy takes the
instance lock of both databases, as `db upgrade` does."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.config import Config, DatabaseConfig
from bot.db.copy import (
    CopiedTable,
    CopyFailed,
    CopyRefused,
    check_source,
    copy_database,
    occupied_tables,
)
from bot.db.database import Database, DatabaseFromNewerRelease, in_memory, one_line, shown_url
from bot.db.instance_lock import AnotherInstanceRunning, InstanceLock, acquire
from bot.db.migrate import current


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["upgrade", "current", "backup", "copy"],
        help="upgrade: apply migrations; current: show the database's revision; "
        "backup PATH: a consistent copy of a SQLite database, bot running or not; "
        "copy TARGET_URL: the whole instance into a new, empty database (e.g. PostgreSQL), bot stopped",
    )
    # A string, not a Path: Path would fold the "//" of a database URL.
    parser.add_argument("path", nargs="?", help="backup: the file to write; copy: the target database URL")


def run(args: argparse.Namespace, config: Config) -> int:
    if args.action == "backup":
        return backup(config, None if args.path is None else Path(args.path))
    if args.action == "copy":
        return copy(config, args.path, getattr(args, "config_path", "config.toml"))
    if args.path is not None:  # "db current extra": a typo, not something to ignore
        print(f"akhbar db {args.action} takes no argument (got {str(args.path)!r})", file=sys.stderr)
        return 2
    return asyncio.run(_run(args.action, config))


def backup(config: Config, target: Path | None) -> int:
    url = config.database.url
    if not url.startswith("sqlite") or in_memory(url):
        print("akhbar db backup copies a SQLite database; for PostgreSQL use pg_dump", file=sys.stderr)
        return 2
    if target is None:
        print(
            "akhbar db backup: give the file to write, e.g. akhbar db backup backups/akhbar.sqlite3",
            file=sys.stderr,
        )
        return 2
    source_path = Path(make_url(url).database or "")
    if not source_path.is_file():
        print(f"akhbar db backup: no database at {source_path}", file=sys.stderr)
        return 2
    if target.exists():
        print(
            f"akhbar db backup: {target} exists; choose a new file (nothing was overwritten)", file=sys.stderr
        )
        return 2
    partial = target.with_name(target.name + ".partial")
    # Read-only on the source: a backup never writes to the live database.
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
        partial.rename(target)  # a half-written backup never carries the name asked for
    except (sqlite3.Error, OSError) as exc:  # a full disk, a directory it may not write in
        partial.unlink(missing_ok=True)
        print(f"akhbar db backup: could not write {target}: {exc}", file=sys.stderr)
        return 1
    finally:
        source.close()
    print(f"backup written: {target} ({target.stat().st_size // 1024} KiB)")
    return 0


async def _run(action: str, config: Config) -> int:
    missing = _missing_sqlite_file(config.database.url)
    if action == "current" and missing is not None:
        # Opening it would create it (and its folder): a look must leave nothing behind.
        print(f"no database yet at {missing} (`akhbar run` or `akhbar db upgrade` creates it)")
        return 0
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
            except DatabaseFromNewerRelease as exc:
                print(exc, file=sys.stderr)  # one line, not Alembic's traceback
                return 2
            finally:
                await lock.release()
        heads = await current(db.engine)
        print("database at revision:", ", ".join(heads) or "(empty)")
    finally:
        await db.close()
    return 0


def _missing_sqlite_file(url: str) -> str | None:
    """The SQLite file's path when the URL names one that does not exist yet; None otherwise."""
    if not url.startswith("sqlite") or in_memory(url):
        return None
    path = make_url(url).database or ""
    return None if path.startswith("file:") or Path(path).exists() else path


def copy(config: Config, target: str | None, config_path: object) -> int:
    source_url = config.database.url
    if target is None:
        print(
            "akhbar db copy: give the database to copy to, "
            "e.g. akhbar db copy postgresql+asyncpg://akhbar@localhost/akhbar",
            file=sys.stderr,
        )
        return 2
    target_url = _target_url(target)
    if target_url is None:
        return 2
    refusal = _refusal(source_url, target_url)
    if refusal is not None:
        print(f"akhbar db copy: {refusal} (nothing was copied)", file=sys.stderr)
        return 2
    return asyncio.run(_copy(source_url, target_url, config_path))


def _target_url(typed: str) -> str | None:
    """The target URL, checked as [database] url is; a relative SQLite path is made absolute (from
    where the command is typed), so the URL printed for config.toml names the same file. None,
    said why, if it is no database URL this bot can use."""
    try:
        url = DatabaseConfig(url=typed).url
        parsed = make_url(url)
    except (ValidationError, ArgumentError):
        print(
            f"akhbar db copy: {typed!r} is not a database URL: "
            "use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB",
            file=sys.stderr,
        )
        return None
    path = parsed.database or ""
    if url.startswith("sqlite") and not in_memory(url) and not path.startswith("file:"):
        parsed = parsed.set(database=str(Path(path).absolute()))
    return parsed.render_as_string(hide_password=False)


def _refusal(source_url: str, target_url: str) -> str | None:
    """Why the copy must not start, told before anything is opened; None if it may."""
    if in_memory(source_url):
        return "the configured database is in memory: there is nothing to copy"
    if in_memory(target_url):
        return "the target is an in-memory database: the copy would vanish with this command"
    missing = _missing_sqlite_file(source_url)
    if missing is not None:
        return f"no database at {missing} ([database] url of the config)"
    if _same_database(make_url(source_url), make_url(target_url)):
        return f"the target {shown_url(target_url)} is the configured database itself: give another one"
    return None


def _same_database(a: URL, b: URL) -> bool:
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        first, second = Path(a.database or ""), Path(b.database or "")
        if first.exists() and second.exists():
            return first.samefile(second)  # a symlink or a hard link to the same file
        return first.resolve() == second.resolve()
    return _server_database(a) == _server_database(b)


def _server_database(url: URL) -> tuple[str, int, str, str]:
    """Where a PostgreSQL URL leads: server, port, database and user (whose schema it uses)."""
    host = url.host or str(url.query.get("host") or "localhost")
    return host, url.port or 5432, url.database or "", url.username or ""


async def _copy(source_url: str, target_url: str, config_path: object) -> int:
    source = Database(source_url)
    target: Database | None = None
    locks: list[InstanceLock] = []
    try:
        try:
            locks.append(await acquire(source, "akhbar db copy"))
            await check_source(source)
            target, code = await _open_target(target_url, locks)
            if target is None:
                return code
            await target.migrate()
            copied = await copy_database(source, target)
        except AnotherInstanceRunning as exc:
            print(f"{exc}; nothing was copied", file=sys.stderr)
            return 3
        except (CopyRefused, DatabaseFromNewerRelease) as exc:
            print(f"akhbar db copy: {exc}", file=sys.stderr)
            return 2
        except (CopyFailed, SQLAlchemyError) as exc:
            print(
                f"akhbar db copy: {_first_line(exc)}. Nothing was copied: {shown_url(target_url)} holds "
                "no rows (only the tables of its migration), and the source is as it was",
                file=sys.stderr,
            )
            return 1
    finally:
        for lock in reversed(locks):
            await lock.release()
        await source.close()
        if target is not None:
            await target.close()
    _print_copied(copied, source_url, target_url, config_path)
    return 0


async def _open_target(url: str, locks: list[InstanceLock]) -> tuple[Database | None, int]:
    """The target opened and locked, after checking it holds no data; (None, exit code) if not,
    said why."""
    shown = shown_url(url)
    try:
        target = Database(url)  # an SQLite file's folder is made here
    except OSError as exc:
        print(f"akhbar db copy: cannot create the target {shown}: {exc}", file=sys.stderr)
        return None, 2
    try:
        locks.append(await acquire(target, "akhbar db copy"))
        occupied = await occupied_tables(target.engine)
    except (OSError, SQLAlchemyError) as exc:
        await target.close()
        print(f"akhbar db copy: cannot use the target database {shown}: {_first_line(exc)}", file=sys.stderr)
        return None, 2
    except BaseException:
        await target.close()
        raise
    if occupied:
        await target.close()
        print(
            f"akhbar db copy: the target {shown} already holds data (in {', '.join(occupied)}): a copy "
            "goes into a new, empty database, never into one in use (nothing was copied)",
            file=sys.stderr,
        )
        return None, 2
    return target, 0


def _first_line(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, CopyFailed) else one_line(exc)


def _print_copied(copied: list[CopiedTable], source_url: str, target_url: str, config_path: object) -> None:
    width = max(len(table.name) for table in copied)
    print(f"copied {shown_url(source_url)} to {shown_url(target_url)}:")
    for table in copied:
        print(f"  {table.name:<{width}}  {table.rows:>9}")
    print(f"  {'total':<{width}}  {sum(table.rows for table in copied):>9}")
    checks = "row counts checked: the same on both sides"
    if not target_url.startswith("sqlite"):
        checks += "; id sequences set past the copied ids"
    print(checks)
    print(
        f'to switch, set [database] url = "{shown_url(target_url)}" in {config_path} and start the bot '
        "(the source database is left as it was)"
    )
