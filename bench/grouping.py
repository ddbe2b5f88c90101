"""One event, one card: what grouping (bot.delivery.grouping) saves readers and costs routing.

    .venv/bin/python bench/grouping.py PATH/ant-2018-02-to-07.jsonl.xz [--subscribers 5000] [--hours 24]

The first --hours of ANT's busiest day (all five outlets), in publication order, are stored and
routed one at a time, as polls route them, to --subscribers instant subscribers of all five outlets,
on SQLite: once with grouping off (every story a card: the baseline) and once with it on, in
the same run. Printed: cards pushed (new messages, each a notification) and edits queued per
subscriber, and routing's CPU time (this process, database included).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import lzma
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, update

from bot.clock import utcnow
from bot.config import parse_config
from bot.db.database import open_database
from bot.db.models import Feed, Outbox, Story, Subscriber, Subscription
from bot.delivery import grouping, outbox, routing


def busiest_day(path: str, hours: float) -> list[dict[str, Any]]:
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with lzma.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            try:
                record["when"] = parsedate_to_datetime(record["time"]).astimezone(UTC)
            except (TypeError, ValueError):
                continue
            by_day[record["when"].date().isoformat()].append(record)
    day = max(by_day, key=lambda d: (len({r["source"] for r in by_day[d]}) == 5, len(by_day[d])))
    stories = sorted(by_day[day], key=lambda r: r["when"])
    start = stories[0]["when"]
    return [r for r in stories if r["when"] - start <= timedelta(hours=hours)]


async def run(records: list[dict[str, Any]], subscribers: int, grouped: bool) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp())
    db = await open_database(f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}")
    config = parse_config({"database": {"url": f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"}})
    sources = sorted({r["source"] for r in records})
    async with db.write() as session:
        feeds = {}
        for source in sources:
            feed = Feed(url=f"https://{source}.example/rss", name=source, origin="cli")
            session.add(feed)
            await session.flush()
            feeds[source] = feed.id
    first = records[0]["when"]
    async with db.write() as session:
        await session.execute(
            insert(Subscriber),
            [
                {
                    "chat_id": chat,
                    "language": "ar",
                    "timezone": "UTC",
                    "mode": "instant",
                    "sentences": 3,
                    "since": first - timedelta(days=1),
                    "group_events": grouped,
                }
                for chat in range(1, subscribers + 1)
            ],
        )
        await session.execute(
            insert(Subscription),
            [
                {"chat_id": chat, "kind": "feed", "target": str(feeds[source])}
                for chat in range(1, subscribers + 1)
                for source in sources
            ],
        )
    cpu = 0.0
    for i, record in enumerate(records):
        async with db.write() as session:
            story = Story(
                feed_id=feeds[record["source"]],
                entry_key=f"bench-{i}",
                url=record["url"],
                title=record["title"],
                source=record["source"],
                text=record["text"],
                summary=[record["abstract"]],
                fetched_at=record["when"],
                published_at=record["when"],
            )
            session.add(story)
            await session.flush()
            story_id = story.id
        started = time.process_time()
        await routing.route_new_stories(db, config, [story_id])
        cpu += time.process_time() - started
        # Delivered at once (no sender here): the next same-event story finds a sent card to edit.
        async with db.write() as session:
            await session.execute(
                update(Outbox)
                .where(Outbox.status == outbox.PENDING)
                .values(status=outbox.SENT, sent_at=utcnow(), message_id=Outbox.id)
            )
    async with db.read() as session:
        counts = Counter(
            {
                (kind, status): n
                for kind, status, n in await session.execute(
                    select(Outbox.kind, Outbox.status, func.count()).group_by(Outbox.kind, Outbox.status)
                )
            }
        )
        folded = [
            (row.payload.get("into_story"), row.story_id)
            for row in await session.scalars(
                select(Outbox).where(Outbox.chat_id == 1, Outbox.status == outbox.GROUPED)
            )
        ]
        titles = dict((await session.execute(select(Story.id, Story.title))).all())
        sources = dict((await session.execute(select(Story.id, Story.source))).all())
    await db.close()
    for host, story in folded:
        print(f"  {sources[host]}: {titles[host][:70]}\n    ← {sources[story]}: {titles[story][:70]}")
    return {
        "cards": counts[(outbox.STORY, outbox.SENT)] / subscribers,
        "edits": counts[(outbox.EDIT, outbox.SENT)] / subscribers,
        "grouped": counts[(outbox.STORY, outbox.GROUPED)] / subscribers,
        "cpu": cpu,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("ant")
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args()
    records = busiest_day(args.ant, args.hours)
    print(
        f"{len(records)} stories from {records[0]['when']:%Y-%m-%d %H:%M} to {records[-1]['when']:%H:%M} UTC, "
        f"{args.subscribers} subscribers of all {len({r['source'] for r in records})} outlets"
    )
    off = await run(records, args.subscribers, grouped=False)
    on = await run(records, args.subscribers, grouped=True)
    print("| | cards pushed per subscriber | edits per subscriber | stories as links | routing CPU |")
    print("|---|---|---|---|---|")
    for name, r in (("a card per story (baseline)", off), ("one event, one card", on)):
        print(
            f"| {name} | {r['cards']:.0f} | {r['edits']:.0f} | {r['grouped']:.0f} | "
            f"{r['cpu']:.1f} s ({r['cpu'] / len(records) * 1000:.0f} ms a story) |"
        )
    print(
        f"\nnotifications: {on['cards'] / off['cards']:.2f}x the baseline; "
        f"routing CPU: {on['cpu'] / off['cpu']:.2f}x"
    )
    _ = grouping  # imported so a change there is what this measures


if __name__ == "__main__":
    asyncio.run(main())
