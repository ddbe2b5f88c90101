"""Fan-out benchmark: one story to N subscribers (default 5,000) through the fake Bot API with
Telegram's limits (30 messages/s overall, 1/s per chat), with the ANT corpus stored in the database.

    .venv/bin/python bench/fanout.py [--subscribers 5000] [--ant PATH] [--baselines naive,ptb]

What runs where:
  * this process: the fake Bot API (in a thread), the database set-up (ANT stories, subscribers),
    and the baselines;
  * a child process: the real bot (bot.app.build_application + running, with AIORateLimiter and the
    delivery sender), which routes the story and sends it. Its peak RSS is the bot's peak memory
    (the fake and the loader are not counted).

Figures, from the fake's own log: messages/s (first to last delivered message), 429 answers (in
total and after the first second), duplicates (a chat with more than one copy) and losses (a
subscriber with none). Baselines, measured in the same run on fresh chat ids:
  * naive: a loop awaiting bot.send_message for each chat, no pacing, no retries;
  * ptb:   every send at once (asyncio.gather) through PTB's AIORateLimiter alone (30/s, 3 retries).
Targets: >= 28 messages/s, no duplicates, no losses, no 429 after the first second, peak RSS < 250 MB.

Responsiveness: a user who is not a subscriber sends "/search سوريا" every PROBE_EVERY seconds and the
time to the bot's answer is measured, first with the bot idle (the baseline), then while the
fan-out runs: command replies share the Bot API's 30/s with the fan-out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import lzma
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_ANT = ROOT.parent / "shared" / "data" / "ant" / "ant-2018-02-to-07.jsonl.xz"
FIRST_CHAT = 10_000_000
BASELINE_OFFSET = {"naive": 20_000_000, "ptb": 30_000_000}
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
PROBE_CHAT = 999
PROBE_TEXT = "/search سوريا"
PROBE_EVERY = 1.5
IDLE_PROBES = 10


# --------------------------------------------------------------------------- set-up (this process)


def _published(value: str | None) -> datetime:
    try:
        return parsedate_to_datetime(value or "").astimezone(UTC)
    except (TypeError, ValueError):
        return datetime(2018, 1, 1, tzinfo=UTC)


async def prepare(db_url: str, ant: Path | None, subscribers: int) -> tuple[int, int]:
    """Store the ANT stories and the subscribers; returns (stories stored, id of the story to route)."""
    from sqlalchemy import insert, update

    from bot.db.database import open_database
    from bot.db.models import Feed, Story, Subscriber, Subscription
    from summarizer import split_sentences

    db = await open_database(db_url)
    async with db.write() as session:
        feed = Feed(url="https://bench.example/feed.xml", name="مصدر القياس", origin="cli", status="paused")
        session.add(feed)
        await session.flush()
        feed_id = feed.id
    stored = 0
    last_id = 0
    batch: list[dict[str, Any]] = []

    async def flush() -> None:
        nonlocal stored, last_id
        if not batch:
            return
        async with db.write() as session:
            result = await session.execute(insert(Story).returning(Story.id), batch)
            last_id = max(result.scalars().all())
        stored += len(batch)
        batch.clear()

    with lzma.open(ant, "rt", encoding="utf-8") if ant else contextlib.nullcontext(iter(())) as lines:
        for n, line in enumerate(lines):
            item = json.loads(line)
            text = item.get("text") or ""
            batch.append(
                {
                    "feed_id": feed_id,
                    "entry_key": f"ant:{item.get('id', n)}",
                    "url": item.get("url"),
                    "title": item.get("title") or "",
                    "source": item.get("source") or "ANT",
                    "published_at": _published(item.get("time")),
                    "fetched_at": LONG_AGO,
                    "categories": [item["category"]] if item.get("category") else [],
                    "text": text,
                    # The bench needs a plausible card, not the best summary: the first two sentences.
                    "summary": split_sentences(text[:2000])[:2],
                    "duplicate_of": None,
                }
            )
            if len(batch) >= 1000:
                await flush()
    if not stored and not batch:  # no corpus: one synthetic story so the fan-out still runs
        batch.append(
            {
                "feed_id": feed_id,
                "entry_key": "bench:1",
                "url": "https://bench.example/1",
                "title": "خبر القياس",
                "source": "مصدر القياس",
                "published_at": datetime.now(UTC),
                "fetched_at": LONG_AGO,
                "categories": [],
                "text": "جملة أولى من الخبر. جملة ثانية من الخبر. جملة ثالثة.",
                "summary": ["جملة أولى من الخبر.", "جملة ثانية من الخبر."],
                "duplicate_of": None,
            }
        )
    await flush()
    async with db.write() as session:
        for start in range(0, subscribers, 1000):
            chats = range(FIRST_CHAT + start, FIRST_CHAT + min(start + 1000, subscribers))
            await session.execute(
                insert(Subscriber),
                [
                    {
                        "chat_id": c,
                        "chat_type": "private",
                        "language": "ar" if c % 5 else "en",
                        "timezone": "Asia/Riyadh",
                        "mode": "instant",
                        "digest_times": [],
                        "sentences": 2,
                        "link_preview": False,
                        "active": True,
                        "since": LONG_AGO,
                    }
                    for c in chats
                ],
            )
            await session.execute(
                insert(Subscription), [{"chat_id": c, "kind": "feed", "target": str(feed_id)} for c in chats]
            )
    # The story fanned out is the one a poll has just found: published and fetched now (routing
    # sends no card of a story dated well before its feed's newest, delivery.max_story_age).
    async with db.write() as session:
        now = datetime.now(UTC)
        await session.execute(
            update(Story).where(Story.id == last_id).values(published_at=now, fetched_at=now)
        )
    # Indexed as the poller indexes what it stores, so the probe's /search reads a real archive.
    from bot.search.index import reindex_all

    await reindex_all(db)
    await db.close()
    return stored, last_id


# --------------------------------------------------------------------------- the bot (child process)


async def child(db_url: str, base_url: str, token: str, story_id: int) -> dict[str, Any]:
    from bot.app import build_application, running
    from bot.config import parse_config
    from bot.delivery import outbox
    from bot.delivery import service as delivery
    from bot.delivery.routing import route_new_stories
    from bot.services import services

    config = parse_config({"telegram": {"api_base_url": base_url}, "database": {"url": db_url}})
    async with running(build_application(config, token)) as app:
        svc = services(app)
        rss_idle = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # The parent measures idle reply times now, then says "go".
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        started = time.monotonic()
        rows = await route_new_stories(svc.db, svc.config, [story_id])
        routed = time.monotonic()
        delivery.wake(app)
        while await outbox.pending_count(svc.db) > 0:
            await asyncio.sleep(0.2)
        finished = time.monotonic()
        counts = await outbox.status_counts(svc.db)
        sender = delivery.sender(app)
        stats = dict(sender.stats) if sender else {}
    return {
        "rows": rows,
        "route_seconds": routed - started,
        "seconds": finished - started,
        "statuses": counts,
        "sender_stats": stats,
        "rss_idle_mb": rss_idle / 1024,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# --------------------------------------------------------------------------- baselines (this process)


async def naive(base_url: str, token: str, chats: range) -> float:
    from telegram import Bot
    from telegram.error import TelegramError

    started = time.monotonic()
    async with Bot(token, base_url=base_url) as bot:
        for chat in chats:
            # The naive loop just moves on after an error: that message is lost.
            with contextlib.suppress(TelegramError):
                await bot.send_message(chat, "<b>خبر</b> للقياس")
    return time.monotonic() - started


async def ptb_only(base_url: str, token: str, chats: range) -> float:
    from telegram.error import TelegramError
    from telegram.ext import AIORateLimiter, ExtBot
    from telegram.request import HTTPXRequest

    limiter = AIORateLimiter(overall_max_rate=30, overall_time_period=1, max_retries=3)
    request = HTTPXRequest(connection_pool_size=64, pool_timeout=300)
    started = time.monotonic()
    async with ExtBot(token, base_url=base_url, rate_limiter=limiter, request=request) as bot:

        async def one(chat: int) -> None:
            with contextlib.suppress(TelegramError):
                await bot.send_message(chat, "<b>خبر</b> للقياس")

        await asyncio.gather(*(one(c) for c in chats))
    return time.monotonic() - started


# --------------------------------------------------------------------------- figures


def probe(runner: Any) -> float:
    """Seconds from a user's message to the bot's answer; then a pause, so probes stay 1/s per chat."""
    started = time.monotonic()
    runner.run(runner.fake.converse(PROBE_CHAT, PROBE_TEXT, timeout=60), timeout=90)
    took = time.monotonic() - started
    time.sleep(max(0.0, PROBE_EVERY - took))
    return took


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return (
        ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]
        if ordered
        else float("nan")
    )


def figures(fake: Any, chats: range, since_call: int) -> dict[str, Any]:
    calls = [c for c in fake.calls("sendMessage")[since_call:] if c["params"].get("chat_id") in chats]
    ok = [c for c in calls if c["status"] == 200]
    refused = [c for c in calls if c["status"] == 429]
    per_chat = Counter(c["params"]["chat_id"] for c in ok)
    first = calls[0]["time"] if calls else 0.0
    span = (ok[-1]["time"] - ok[0]["time"]) if len(ok) > 1 else 0.0
    return {
        "delivered": len(ok),
        "rate": (len(ok) - 1) / span if span > 0 else float("nan"),
        "429": len(refused),
        "429_after_1s": sum(1 for c in refused if c["time"] > first + 1.0),
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "losses": sum(1 for c in chats if per_chat.get(c, 0) == 0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument(
        "--ant", type=Path, default=DEFAULT_ANT, help="ANT corpus (.jsonl.xz); 'none' to skip"
    )
    parser.add_argument("--baselines", default="naive,ptb", help="comma list of naive, ptb; '' for none")
    parser.add_argument(
        "--child", nargs=4, metavar=("DB_URL", "BASE_URL", "TOKEN", "STORY_ID"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)

    if args.child:
        db_url, base_url, token, story_id = args.child
        print(json.dumps(asyncio.run(child(db_url, base_url, token, int(story_id)))))
        return 0

    from tests.fakes.telegram_api import FakeTelegramThread, RateLimits

    ant: Path | None = None if str(args.ant) == "none" else args.ant
    if ant is not None and not ant.exists():
        print(f"ANT corpus not found at {ant}; running without it (--ant PATH to use it)", file=sys.stderr)
        ant = None
    n = args.subscribers
    with tempfile.TemporaryDirectory(prefix="akhbar-fanout-") as tmp:
        db_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        t0 = time.monotonic()
        stored, story_id = asyncio.run(prepare(db_url, ant, n))
        print(
            f"set-up: {stored} stories (search-indexed) and {n} subscribers stored in {time.monotonic() - t0:.0f}s",
            flush=True,
        )

        with FakeTelegramThread(rate_limits=RateLimits()) as runner:
            fake = runner.fake
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            print(
                f"fan-out of one story to {n} chats (fake Bot API: 30/s overall, 1/s per chat)...", flush=True
            )
            proc = subprocess.Popen(
                [sys.executable, __file__, "--child", db_url, fake.base_url, fake.token, str(story_id)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )
            assert proc.stdin is not None and proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                print(proc.communicate()[1][-4000:], file=sys.stderr)
                return 1
            idle = [probe(runner) for _ in range(IDLE_PROBES)]
            proc.stdin.write("go\n")
            proc.stdin.flush()
            busy: list[float] = []
            while proc.poll() is None:
                try:
                    busy.append(probe(runner))
                except TimeoutError:
                    if proc.poll() is None:
                        raise
                    # The bot finished and exited while this probe was in flight: no answer to wait for.
            stdout, stderr = proc.communicate()
            if proc.returncode != 0:
                print(stderr[-4000:], file=sys.stderr)
                return 1
            out = subprocess.CompletedProcess(proc.args, 0, stdout, stderr)
            bot = json.loads(out.stdout.strip().splitlines()[-1])
            ours = figures(fake, range(FIRST_CHAT, FIRST_CHAT + n), 0)
            results = {"akhbar sender": ours}
            for name in [b for b in args.baselines.split(",") if b]:
                time.sleep(1.5)  # let the fake's one-second window empty between runs
                since = len(fake.calls("sendMessage"))
                chats = range(BASELINE_OFFSET[name], BASELINE_OFFSET[name] + n)
                print(f"baseline {name}...", flush=True)
                runner_fn = naive if name == "naive" else ptb_only
                seconds = asyncio.run(runner_fn(fake.base_url, fake.token, chats))
                results[f"baseline: {name}"] = {**figures(fake, chats, since), "seconds": seconds}

    print()
    print(
        f"bot process: {bot['rows']} outbox rows routed in {bot['route_seconds']:.2f}s; "
        f"all sent in {bot['seconds']:.1f}s; statuses {bot['statuses']}; sender {bot['sender_stats']}"
    )
    print(
        f"bot peak RSS: {bot['rss_peak_mb']:.0f} MB (after start-up: {bot['rss_idle_mb']:.0f} MB), "
        f"{stored} ANT stories stored"
    )
    print(
        f"reply to {PROBE_TEXT!r}: idle p50 {_pct(idle, 50):.2f}s p95 {_pct(idle, 95):.2f}s ({len(idle)} probes); "
        f"during the fan-out p50 {_pct(busy, 50):.2f}s p95 {_pct(busy, 95):.2f}s max {max(busy, default=float('nan')):.2f}s "
        f"({len(busy)} probes), p95 ratio {_pct(busy, 95) / _pct(idle, 95):.1f}x"
    )
    print()
    header = f"{'':22} {'msgs/s':>8} {'delivered':>10} {'429s':>6} {'429s >1s':>9} {'dupes':>6} {'losses':>7}"
    print(header)
    print("-" * len(header))
    for name, f in results.items():
        print(
            f"{name:22} {f['rate']:8.1f} {f['delivered']:10d} {f['429']:6d} {f['429_after_1s']:9d} "
            f"{f['duplicates']:6d} {f['losses']:7d}"
        )
    print()
    for name, f in results.items():
        if name != "akhbar sender" and f["delivered"]:
            print(
                f"vs {name}: {ours['rate'] / f['rate']:.2f}x the rate, "
                f"{(n - ours['losses']) / max(f['delivered'], 1):.2f}x the messages delivered"
            )
    ok = (
        ours["rate"] >= 28
        and ours["duplicates"] == 0
        and ours["losses"] == 0
        and ours["429_after_1s"] == 0
        and bot["rss_peak_mb"] < 250
    )
    print(
        f"targets (>=28 msg/s, no dupes, no losses, no 429 after 1s, <250 MB): {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
