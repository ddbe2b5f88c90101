"""`akhbar feeds list|add|remove|pause|resume|import|export`: the admin's feed commands, from the shell.

Same services as the chat commands (bot.admin), so the same checks and the same audit log; the
actor is recorded as the shell user. Exit codes: 0 done, 1 refused (the reason on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.admin import audit
from bot.admin.feeds import (
    SKIPPED,
    AddFeedResult,
    FeedActionResult,
    add_feed,
    import_feeds,
    pause_feed,
    remove_feed,
    resume_feed,
)
from bot.admin.opml import OpmlError, OpmlFeed, export_opml, parse_opml
from bot.admin.queries import FeedRow, all_feeds
from bot.config import Config, parse_duration
from bot.db.database import Database, open_database

OK, REFUSED = 0, 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="feeds_action", metavar="ACTION", required=True)
    sub.add_parser("list", help="every feed with its health: status, last success, errors, items/day")
    add = sub.add_parser("add", help="fetch a feed (or a site's home page), check it and add it")
    add.add_argument("url", help="feed URL, or a home page that links to its feed")
    add.add_argument("--name", help="display name (default: the feed's own title)")
    add.add_argument("--interval", help="polling interval: seconds or 90s, 10m, 1h (default 10m)")
    for action, what in (("remove", "remove"), ("pause", "stop polling"), ("resume", "resume polling")):
        cmd = sub.add_parser(action, help=f"{what} a feed, by id or name")
        cmd.add_argument("feed", help="feed id (see `akhbar feeds list`) or name")
    imp = sub.add_parser("import", help="add the feeds listed in an OPML file")
    imp.add_argument("file", type=Path, help="OPML file")
    imp.add_argument(
        "--no-check", action="store_true", help="add without fetching each feed first (faster, unchecked)"
    )
    exp = sub.add_parser("export", help="write every feed as OPML 2.0")
    exp.add_argument("file", nargs="?", type=Path, help="output file, or - for standard output (the default)")
    exp.add_argument("--force", action="store_true", help="replace the file if it exists")


def run(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_run(args, config))


async def _run(args: argparse.Namespace, config: Config) -> int:
    db = await open_database(config.database.url)
    try:
        return await _ACTIONS[args.feeds_action](args, config, db)
    finally:
        await db.close()


def _note() -> str:
    return f"cli:{audit.cli_actor_label()}"


async def _list(args: argparse.Namespace, config: Config, db: Database) -> int:
    rows = await all_feeds(db)
    print(_table(rows))
    known = {r.url for r in rows} | {r.name for r in rows}
    pending = [f for f in config.feeds if f.url not in known and f.name not in known]
    for fc in pending:
        print(f"(in config.toml, added when the bot next starts: {fc.name} <{fc.url}>)")
    return OK


async def _add(args: argparse.Namespace, config: Config, db: Database) -> int:
    interval: float | None = None
    if args.interval is not None:
        try:
            interval = parse_duration(args.interval)
        except ValueError as exc:
            return _refuse(f"--interval: {exc}")
    from bot.feeds.fetcher import Fetcher

    async with Fetcher(config.fetch) as fetcher:
        result = await add_feed(
            db,
            config,
            fetcher,
            args.url,
            interval=interval,
            name=args.name,
            origin="cli",
            by=_note(),
        )
    if not result.ok:
        return _refuse(_add_refusal(result))
    print(f"added #{result.feed_id} {result.name} <{result.url}>, polled every {result.interval:g}s")
    print(f"{_items(result.entries)} in the feed now; subscribers get only new stories from here on")
    if result.malformed:
        print(
            f"note: the feed's document is malformed ({result.malformed}); {_items(result.entries)} "
            "could still be read, and some of its stories may be missed"
        )
    if result.discovered_from:
        print(f"(found through the page {result.discovered_from})")
    if result.interval_floored:
        print(f"(interval raised to fetch.min_interval = {config.fetch.min_interval:g}s)")
    print("a running bot starts polling it within a few seconds (its scheduler re-reads the feeds)")
    return OK


def _feed_action(
    action: Callable[..., Awaitable[FeedActionResult]], done: str
) -> Callable[[argparse.Namespace, Config, Database], Awaitable[int]]:
    async def handler(args: argparse.Namespace, config: Config, db: Database) -> int:
        result = await action(db, args.feed, by=_note())
        if result.code == "not_found":
            return _refuse(f"no feed with id or name {args.feed!r} (see `akhbar feeds list`)")
        if not result.ok:
            return _refuse(f"#{result.feed_id} {result.name} is {result.code.replace('_', ' ')}")
        print(f"{done} #{result.feed_id} {result.name}")
        if result.subscriptions_removed:
            print(f"({result.subscriptions_removed} subscriptions to it removed)")
        if done == "removed" and result.origin == "config":
            print(
                "note: config.toml names this feed, so it comes back when the bot next starts; remove it from config.toml to drop it for good"
            )
        return OK

    return handler


async def _import(args: argparse.Namespace, config: Config, db: Database) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        return _refuse(f"{args.file}: {exc.strerror or exc}")
    try:
        items = parse_opml(data)
    except OpmlError as exc:
        return _refuse(f"{args.file}: {exc.reason}")
    from bot.feeds.fetcher import Fetcher

    async with Fetcher(config.fetch) as fetcher:
        report = await import_feeds(
            db, config, fetcher, items, origin="opml", by=_note(), verify=not args.no_check
        )
    for item, result in zip(items, report.results, strict=True):
        _print_entry(item, result)
    print(
        f"{_count(len(items), 'feed')} in the file: {len(report.added)} added, "
        f"{len(report.duplicates)} already there, {len(report.failed)} refused, "
        f"{len(report.skipped)} skipped"
    )
    # The same feed twice in the file is no problem to report by the exit code; a bad entry is.
    problems = report.failed + [r for r in report.skipped if r.code != f"{SKIPPED}in_file"]
    return OK if report.added or not problems else REFUSED


def _print_entry(item: OpmlFeed, result: AddFeedResult) -> None:
    """One line per entry of the file: what was added or found on stdout, what is wrong on stderr."""
    where = item.url or f"{item.title or 'an untitled entry'} (no xmlUrl)"
    if result.ok:
        paused = " (paused, as in the file)" if item.paused else ""
        print(f"added #{result.feed_id} {result.name} <{result.url}>{paused}")
    elif result.code in ("duplicate_url", "duplicate_name"):
        print(f"already there: {where} ({result.existing})")
    elif result.code == f"{SKIPPED}in_file":
        print(f"skipped: {where}: {result.detail}")
    elif result.code.startswith(SKIPPED):
        print(f"skipped: {where}: {result.detail}", file=sys.stderr)
    else:
        print(f"refused: {where}: {_add_refusal(result)}", file=sys.stderr)


async def _export(args: argparse.Namespace, config: Config, db: Database) -> int:
    to_stdout = args.file is None or str(args.file) == "-"
    if not to_stdout and args.file.exists() and not args.force:
        # As `akhbar db backup`: an export never silently replaces a file (an earlier export, a backup).
        return _refuse(
            f"{args.file} exists; nothing was overwritten "
            "(--force replaces it, and - writes to standard output)"
        )
    from sqlalchemy import select

    from bot.db.models import Feed

    async with db.read() as session:
        feeds = list((await session.scalars(select(Feed).order_by(Feed.id))).all())
    data = export_opml(feeds)
    if to_stdout:
        sys.stdout.write(data.decode("utf-8"))
    else:
        try:
            _write_whole(args.file, data)
        except OSError as exc:
            return _refuse(f"{args.file}: {exc.strerror or exc}")
        print(f"wrote {_count(len(feeds), 'feed')} to {args.file}", file=sys.stderr)
    await audit.record_now(db, audit.CLI_ACTOR, "feeds.export", feeds=len(feeds), by=_note())
    return OK


def _write_whole(target: Path, data: bytes) -> None:
    """Written beside it then renamed: a full disk never leaves half an export under the name asked for."""
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_bytes(data)
        partial.replace(target)
    except OSError:
        partial.unlink(missing_ok=True)
        raise


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _items(count: int) -> str:
    return _count(count, "item")


def _add_refusal(result: AddFeedResult) -> str:
    if result.code == "duplicate_url":
        return f"already there as #{result.feed_id} {result.existing}"
    if result.code == "duplicate_name":
        return f"the name is already used by feed #{result.feed_id}"
    if result.code == "not_feed":
        return f"not a feed, and the page links to none ({result.detail})"
    if result.code.startswith("discovered_"):
        return f"the page points to a feed that does not work: {result.detail}"
    return result.detail or result.code


def _refuse(message: str) -> int:
    print(f"akhbar feeds: {message}", file=sys.stderr)
    return REFUSED


def _table(rows: list[FeedRow]) -> str:
    header = ("ID", "NAME", "STATUS", "LAST SUCCESS", "ERRORS", "ITEMS/DAY", "SUBSCRIBERS", "ORIGIN")
    lines = [
        (
            str(r.id),
            r.name,
            r.status,
            r.last_success_at.strftime("%Y-%m-%d %H:%M") if r.last_success_at else "never",
            str(r.consecutive_errors),
            "new" if r.new else f"{r.items_per_day:g}",
            str(r.subscribers),
            r.origin,
        )
        for r in rows
    ]
    if not lines:
        return "no feeds yet: add one with `akhbar feeds add URL`"
    widths = [max(len(row[i]) for row in (header, *lines)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *lines)
    )


_ACTIONS: dict[str, Callable[[argparse.Namespace, Config, Database], Awaitable[int]]] = {
    "list": _list,
    "add": _add,
    "remove": _feed_action(remove_feed, "removed"),
    "pause": _feed_action(pause_feed, "paused"),
    "resume": _feed_action(resume_feed, "resumed"),
    "import": _import,
    "export": _export,
}
