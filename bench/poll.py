"""Feed polling throughput: Akhbar's poller against a naive serial feedparser loop, same run.

A local feed server (tests/fakes/feed_server.py) runs in its own process with N feeds (500 by
default) of M items each (20), built from ANT stories, spread over P ports (distinct origins, as
500 real feeds are spread over many hosts) and answering after a simulated network latency.

Two cycles are measured for each side, each side in a fresh child process (so its peak memory is
its own):
- first cycle: every feed fetched and parsed for the first time;
- 304 cycle: every feed polled again, unchanged (conditional GET answered 304); for ours the
  median of three such cycles.

"ours" is the real pipeline (bot.feeds.poller.poll_feed with a shared Fetcher): fetch, parse, clean,
SUMMARISE, fingerprint, dedup, index for search and store in a fresh SQLite database.
`--no-summary` replaces the summarizer with a stub to show its share.
"naive" is `for url in urls: feedparser.parse(url)` (and `feedparser.parse(url, etag=...,
modified=...)` for the 304 cycle): fetch and parse only, nothing stored.

CPU is process CPU time: time.process_time (all threads of the measuring process) plus, for ours
with `--processes N`, the CPU of its parse worker processes (from /proc). The server's CPU is in
its own process and not counted. Peak memory is the measuring process's peak RSS (plus the parse
workers' peaks, shown separately).

    .venv/bin/python bench/poll.py [--ant PATH] [--feeds 500] [--items 20] [--latency 0.25]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_ANT = ROOT.parent / "shared" / "data" / "ant" / "ant-2018-02-to-07.jsonl.xz"


# -- the feed server process ---------------------------------------------------------------------


def _serve(conn: Connection, ant: str, feeds: int, items: int, latency: float, ports: int) -> None:
    from tests.fakes.feed_server import FeedServer, load_stories

    stories = load_stories(ant, limit=feeds * items)
    if len(stories) < feeds * items:
        conn.send(("error", f"{ant} has only {len(stories)} stories; need {feeds * items}"))
        return

    async def main() -> None:
        server = FeedServer(stories=stories, ports=ports, latency=latency)
        await server.start()
        urls = [
            server.add_feed(f"feed{i:04d}", stories[i * items : (i + 1) * items], title=f"Feed {i}")
            for i in range(feeds)
        ]
        conn.send(("ready", urls))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # any message stops the server
        await server.stop()

    asyncio.run(main())


# -- measurement helpers --------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


class _Cycle(dict[str, float]):
    pass


def _measure(fn: Any) -> _Cycle:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    extra = fn()
    cycle = _Cycle(wall=time.perf_counter() - wall0, cpu=time.process_time() - cpu0)
    if isinstance(extra, dict):
        cycle.update(extra)
    return cycle


# -- ours ----------------------------------------------------------------------------------------


def _ours(
    conn: Connection, urls: list[str], concurrency: int, per_host: int, no_summary: bool, processes: int
) -> None:
    from bot.config import parse_config
    from bot.db.database import open_database
    from bot.db.models import Feed
    from bot.feeds import content
    from bot.feeds.fetcher import Fetcher
    from bot.feeds.poller import poll_feed

    if no_summary:
        # Stubbed in this process only, so main() runs this variant with a worker thread.
        content.summarizer.summarize = _first_sentence  # type: ignore[assignment]

    tmp = tempfile.mkdtemp(prefix="akhbar-bench-")
    config = parse_config(
        {
            "database": {"url": f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"},
            "fetch": {
                "allow_private_addresses": True,
                "concurrency": concurrency,
                "per_host_concurrency": per_host,
                "min_interval": 1,
                "parse_processes": processes,
            },
        }
    )

    async def main() -> dict[str, Any]:
        db = await open_database(config.database.url)
        async with db.write() as session:
            for i, url in enumerate(urls):
                session.add(Feed(url=url, name=f"feed{i:04d}", interval=600, origin="cli"))
        async with db.read() as session:
            from sqlalchemy import select

            ids = list((await session.scalars(select(Feed.id).order_by(Feed.id))).all())
        out: dict[str, Any] = {}
        async with Fetcher(config.fetch) as fetcher:
            if config.fetch.parse_processes:
                from bot.feeds import cpu

                # Start the workers before the clock starts, as a running bot has them already.
                await asyncio.gather(*(cpu.run(config.fetch.parse_processes, len, "") for _ in range(8)))
            # The 304 cycle is short and the box may be shared: run it three times, keep the median.
            runs: dict[str, list[dict[str, Any]]] = {"first": [], "304": []}
            for cycle in ("first", "304", "304", "304"):
                wall0, main0, workers0 = time.perf_counter(), time.process_time(), _workers_cpu()
                results = await asyncio.gather(*(poll_feed(db, config, fetcher, i) for i in ids))
                main_cpu, workers_cpu = time.process_time() - main0, _workers_cpu() - workers0
                runs[cycle].append(
                    {
                        "wall": time.perf_counter() - wall0,
                        "cpu": main_cpu + workers_cpu,
                        "workers_cpu": workers_cpu,
                        "errors": sum(1 for r in results if r.error),
                        "stories": sum(len(r.stored_story_ids) for r in results),
                        "not_modified": sum(1 for r in results if r.not_modified),
                    }
                )
            for cycle, measured in runs.items():
                out[cycle] = sorted(measured, key=lambda m: m["cpu"])[len(measured) // 2]
        await db.close()
        return out

    out = asyncio.run(main())
    out["rss_mb"] = _peak_rss_mb()
    from bot.feeds import cpu

    out["workers_rss_mb"] = sum(_proc_rss_mb(pid) for pid in _pool_pids())
    cpu.shutdown()
    conn.send(out)


def _first_sentence(text: str, **_: Any) -> list[str]:
    return [text.split(".")[0]]


def _pool_pids() -> list[int]:
    from bot.feeds import cpu

    pool = cpu._pool
    return list(pool._processes) if pool is not None else []  # type: ignore[attr-defined]


def _proc_cpu(pid: int) -> float:
    """CPU seconds of a live process (Linux /proc): the parse workers' share of the work."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _workers_cpu() -> float:
    return sum(_proc_cpu(pid) for pid in _pool_pids())


# -- naive ---------------------------------------------------------------------------------------


def _naive(conn: Connection, urls: list[str]) -> None:
    import feedparser

    out: dict[str, Any] = {}
    tags: list[tuple[str | None, str | None]] = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    entries = errors = 0
    for url in urls:
        parsed = feedparser.parse(url)
        entries += len(parsed.entries)
        errors += int(parsed.get("status", 0) != 200)
        tags.append((parsed.get("etag"), parsed.get("modified")))
    out["first"] = {
        "wall": time.perf_counter() - wall0,
        "cpu": time.process_time() - cpu0,
        "errors": errors,
        "stories": entries,
        "not_modified": 0,
    }
    wall0, cpu0 = time.perf_counter(), time.process_time()
    not_modified = errors = 0
    for url, (etag, modified) in zip(urls, tags, strict=True):
        parsed = feedparser.parse(url, etag=etag, modified=modified)
        not_modified += int(parsed.get("status") == 304)
        errors += int(parsed.get("status") not in (200, 304))
    out["304"] = {
        "wall": time.perf_counter() - wall0,
        "cpu": time.process_time() - cpu0,
        "errors": errors,
        "stories": 0,
        "not_modified": not_modified,
    }
    out["rss_mb"] = _peak_rss_mb()
    conn.send(out)


def _run_child(target: Any, *args: Any) -> dict[str, Any]:
    parent, child = mp.Pipe()
    process = mp.get_context("spawn").Process(target=target, args=(child, *args))
    process.start()
    result: dict[str, Any] = parent.recv()
    process.join()
    return result


# -- main ----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ant", default=str(DEFAULT_ANT), help="ANT corpus (.jsonl or .jsonl.xz)")
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument(
        "--latency",
        type=float,
        default=0.25,
        help="seconds the server waits before answering each request: a stand-in for a real "
        "feed's round trips and time to first byte (default 0.25)",
    )
    parser.add_argument(
        "--ports", type=int, default=50, help="distinct origins (host:port) the feeds spread over"
    )
    parser.add_argument("--concurrency", type=int, default=50, help="fetch.concurrency for ours")
    parser.add_argument("--per-host", type=int, default=2, help="fetch.per_host_concurrency for ours")
    parser.add_argument("--no-summary", action="store_true", help="stub the summarizer (shows its share)")
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="fetch.parse_processes for ours (0 = a worker thread; default: the number of CPUs)",
    )
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    if args.no_summary:
        args.processes = 0  # the stub lives in the measuring process only
    if not Path(args.ant).exists():
        print(f"ANT corpus not found at {args.ant} (use --ant PATH)", file=sys.stderr)
        return 2

    ctx = mp.get_context("spawn")
    server_conn, child = ctx.Pipe()
    server = ctx.Process(
        target=_serve, args=(child, args.ant, args.feeds, args.items, args.latency, args.ports), daemon=True
    )
    server.start()
    status, payload = server_conn.recv()
    if status != "ready":
        print(payload, file=sys.stderr)
        return 2
    urls: list[str] = payload
    try:
        ours = _run_child(_ours, urls, args.concurrency, args.per_host, args.no_summary, args.processes)
        naive = None if args.skip_naive else _run_child(_naive, urls)
    finally:
        server_conn.send("stop")
        server.join(10)

    n = len(urls)
    print(
        f"\nFeed polling: {n} feeds x {args.items} ANT items, server latency {args.latency * 1000:.0f} ms, "
        f"{args.ports} origins; ours: concurrency {args.concurrency}, per host {args.per_host}, "
        f"parse processes {args.processes}, summaries {'STUBBED' if args.no_summary else 'included'}; "
        f"{os.cpu_count()} CPUs\n"
    )
    header = f"{'cycle':<7} {'side':<6} {'wall s':>8} {'feeds/s':>9} {'CPU ms/feed':>12} {'stories':>8} {'304s':>5} {'errors':>6}"
    print(header)
    print("-" * len(header))
    for cycle in ("first", "304"):
        rows = [("ours", ours)] + ([("naive", naive)] if naive else [])
        for side, data in rows:
            c = data[cycle]
            print(
                f"{cycle:<7} {side:<6} {c['wall']:>8.2f} {n / c['wall']:>9.1f} {c['cpu'] * 1000 / n:>12.2f} "
                f"{c['stories']:>8} {c['not_modified']:>5} {c['errors']:>6}"
            )
    print()
    workers = f" + parse workers {ours['workers_rss_mb']:.0f} MB" if ours.get("workers_rss_mb") else ""
    print(
        f"peak memory (RSS): ours {ours['rss_mb']:.0f} MB{workers}"
        + (f", naive {naive['rss_mb']:.0f} MB" if naive else "")
    )
    share = ours["first"].get("workers_cpu", 0) * 1000 / n
    if share:
        print(f"of ours' first-cycle CPU, in the parse worker processes: {share:.2f} ms/feed")
    if naive:
        first = naive["first"]["wall"] / ours["first"]["wall"]
        again = naive["304"]["wall"] / ours["304"]["wall"]
        cpu_304 = ours["304"]["cpu"] * 1000 / n
        print(
            f"throughput ratio ours/naive: first cycle {first:.1f}x (target >= 10x), 304 cycle {again:.1f}x"
        )
        print(f"CPU per unchanged feed (ours): {cpu_304:.2f} ms (target < 2 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
