"""`akhbar digest`: poll every active feed once and print the new stories' summaries.

The way to try Akhbar without a Telegram token. It uses the configured database and polls what the
bot would: config.toml's feeds (synced in first, as `akhbar run` does) and the feeds added from the
chat, the CLI or OPML, except paused ones. A second run prints only what is new since the first (and
the bot, when it runs, will not send those stories twice). `--temp-db` uses a throwaway database,
which holds config.toml's feeds only, and prints everything they carry now. While a bot runs on the
database it refuses (exit code 3): the stories it stored would never reach the bot's subscribers.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from bot.clock import as_utc
from bot.config import Config
from bot.db.database import Database
from bot.db.instance_lock import AnotherInstanceRunning, InstanceLock, acquire
from bot.db.models import Feed, Story
from bot.feeds.fetcher import Fetcher
from bot.feeds.health import ACTIVE
from bot.feeds.poller import PollResult, poll_feed
from bot.sync import sync_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--temp-db",
        action="store_true",
        help="poll only config.toml's feeds, into a throwaway database: print every story they carry "
        "now, remember nothing",
    )
    parser.add_argument(
        "--limit", type=int, default=0, metavar="N", help="print at most N stories per feed (newest first)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--verbose", action="store_true", help="log what the poller does (to stderr)")


@dataclass
class FeedOutcome:
    name: str
    result: PollResult | None = None
    stories: list[Story] = field(default_factory=list)


@dataclass
class PollRun:
    outcomes: list[FeedOutcome]
    paused: int = 0


NO_FEEDS = (
    "No feeds to poll: add [[feeds]] entries to the config file (see config.toml) "
    "or a feed with `akhbar feeds add URL`."
)
ALL_PAUSED = (
    "No active feeds: {feeds} paused (by an admin, or by itself after repeated "
    "failures). `akhbar feeds list` shows them; `akhbar feeds resume ID` polls one again."
)
NO_FEEDS_TEMP = (
    "No feeds in the config file: --temp-db polls only its [[feeds]] entries (see config.toml), "
    "into an empty database. Feeds added from the chat or with `akhbar feeds add` live in the "
    "configured database: run `akhbar digest` without --temp-db to poll them."
)


def run(args: argparse.Namespace, config: Config) -> int:
    _utf8_safe(sys.stdout)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.temp_db:
        if not config.feeds:
            print(NO_FEEDS_TEMP, file=sys.stderr)
            return 1
        with tempfile.TemporaryDirectory(prefix="akhbar-digest-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'digest.sqlite3'}"
            polled = asyncio.run(_poll_all(config, url, progress=not args.no_progress))
    else:
        try:
            polled = asyncio.run(_poll_all(config, config.database.url, progress=not args.no_progress))
        except AnotherInstanceRunning as exc:
            # The bot routes only the stories its own polls store: a digest polling a live bot's
            # database would take new stories away from its subscribers.
            print(
                f"{exc}\n(`akhbar digest --temp-db` polls the feeds into a throwaway database)",
                file=sys.stderr,
            )
            return 3
    outcomes = polled.outcomes
    if not outcomes:
        paused = (
            "the database's one feed is"
            if polled.paused == 1
            else f"all {polled.paused} of the database's feeds are"
        )
        print(ALL_PAUSED.format(feeds=paused) if polled.paused else NO_FEEDS, file=sys.stderr)
        return 1
    _print(outcomes, config, limit=args.limit, out=sys.stdout)
    failed = sum(1 for o in outcomes if o.result is None or o.result.error)
    return 1 if failed == len(outcomes) else 0


def _utf8_safe(stream: TextIO) -> None:
    # A terminal that is not UTF-8 must not turn Arabic text into a crash.
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if encoding != "utf8" and hasattr(stream, "reconfigure"):
        stream.reconfigure(errors="replace")


async def _poll_all(config: Config, database_url: str, *, progress: bool) -> PollRun:
    from tqdm import tqdm

    db = Database(database_url)
    lock: InstanceLock | None = None
    try:
        lock = await acquire(db, "akhbar digest")
        await db.migrate()
        await sync_config(db, config)
        # What the bot's scheduler polls: every active feed, wherever it was added.
        async with db.read() as session:
            rows = (await session.execute(select(Feed.id, Feed.name, Feed.url, Feed.status))).all()
        active = [row for row in rows if row.status == ACTIVE]
        # config.toml's feeds first, in its order, then the others as they were added.
        order = {url: i for i, url in enumerate(f.url for f in config.feeds)}
        feeds = sorted(active, key=lambda r: (order.get(r.url, len(order)), r.id))
        outcomes = {row.id: FeedOutcome(name=row.name) for row in feeds}
        bar = tqdm(
            total=len(feeds),
            desc="polling feeds",
            unit="feed",
            file=sys.stderr,
            disable=True if not progress else None,
        )
        async with Fetcher(config.fetch) as fetcher:

            async def one(feed_id: int) -> None:
                outcomes[feed_id].result = await poll_feed(db, config, fetcher, feed_id)
                bar.update(1)

            await asyncio.gather(*(one(row.id) for row in feeds))
        bar.close()
        await _load_stories(db, list(outcomes.values()))
        return PollRun(list(outcomes.values()), paused=len(rows) - len(active))
    finally:
        if lock is not None:
            await lock.release()
        await db.close()


async def _load_stories(db: Database, outcomes: Sequence[FeedOutcome]) -> None:
    async with db.read() as session:
        for outcome in outcomes:
            if outcome.result is None or not outcome.result.stored_story_ids:
                continue
            outcome.stories = list(
                (
                    await session.scalars(
                        select(Story)
                        .where(Story.id.in_(outcome.result.stored_story_ids))
                        .order_by(Story.published_at.desc(), Story.id.desc())
                    )
                ).all()
            )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _print(outcomes: Sequence[FeedOutcome], config: Config, *, limit: int, out: TextIO) -> None:
    zone = _zone(config.delivery.default_timezone)
    total = 0
    for outcome in outcomes:
        result = outcome.result
        if result is None:
            continue
        if result.error:
            out.write(f"\n✗ {outcome.name}: {result.error}\n")
            continue
        if not outcome.stories:
            continue
        out.write(f"\n══ {outcome.name} — {len(outcome.stories)} new ══\n")
        shown = outcome.stories[:limit] if limit > 0 else outcome.stories
        for story in shown:
            when = as_utc(story.published_at).astimezone(zone).strftime("%Y-%m-%d %H:%M")
            out.write(f"\n■ {story.title}\n  {story.source} · {when}\n")
            for sentence in story.summary or [_lead(story.text)]:
                if sentence:
                    out.write(f"  • {sentence}\n")
            if story.url:
                out.write(f"  {story.url}\n")
        if len(shown) < len(outcome.stories):
            out.write(f"\n  … and {len(outcome.stories) - len(shown)} more\n")
        total += len(outcome.stories)
    failed = [o.name for o in outcomes if o.result is not None and o.result.error]
    unchanged = sum(1 for o in outcomes if o.result is not None and o.result.not_modified)
    feeds = f"{len(outcomes)} feed{'' if len(outcomes) == 1 else 's'}"
    summary = f"\n{total} new {'story' if total == 1 else 'stories'} from {feeds}"
    if unchanged:
        summary += f"; {unchanged} unchanged"
    if failed:
        summary += f"; {len(failed)} failed"
    out.write(summary + ".\n")


def _lead(text: str) -> str:
    words = text.split()
    return " ".join(words[:40]) + ("…" if len(words) > 40 else "")
