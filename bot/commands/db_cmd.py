"""`akhbar db upgrade|current|backup`: apply or inspect the Alembic migrations, or copy the database.

`backup PATH` copies a SQLite database with SQLite's online backup API: a consistent copy, its WAL
included, taken while the bot keeps running (copying the file itself mid-write can give a broken
copy). PostgreSQL has pg_dump for that."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import Config
from bot.db.database import Database, DatabaseFromNewerRelease, in_memory
from bot.db.instance_lock import AnotherInstanceRunning, acquire
from bot.db.migrate import current


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["upgrade", "current", "backup"],
        help="upgrade: apply migrations; current: show the database's revision; "
        "backup PATH: a consistent copy of a SQLite database, bot running or not",
    )
    parser.add_argument("path", nargs="?", type=Path, help="backup: the file to write")


def run(args: argparse.Namespace, config: Config) -> int:
    if args.action == "backup":
        return backup(config, args.path)
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
