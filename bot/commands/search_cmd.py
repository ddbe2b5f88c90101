"""`akhbar search QUERY [--json] [--limit N]`: search stored stories from the shell.

Exit codes: 0 searched (even with no hits), 1 the query has no searchable word.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import re
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.clock import utcnow
from bot.config import Config
from bot.db.database import open_database
from bot.search.index import index_missing, reindex_all
from bot.search.service import MAX_LIMIT, SearchPage, search
from bot.subscribers.questions import search_words

_TAG = re.compile(r"</?b>")


def _between(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high], refused with argparse's one-line usage error."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
        if number < low or (high is not None and number > high):
            bounds = f"from {low} to {high}" if high is not None else f"{low} or more"
            raise argparse.ArgumentTypeError(f"{number} is out of range ({bounds})")
        return number

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="*", help="words to look for (Arabic or Latin)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--limit",
        type=_between(1, MAX_LIMIT),
        default=10,
        metavar="N",
        help=f"results to show, 1-{MAX_LIMIT} (default 10)",
    )
    parser.add_argument("--offset", type=_between(0), default=0, metavar="N", help="skip the first N results")
    parser.add_argument("--source", help="only stories from this source (feed name)")
    parser.add_argument("--days", type=float, metavar="D", help="only stories from the last D days")
    parser.add_argument("--reindex", action="store_true", help="rebuild the search index first")


def run(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_run(args, config))


async def _run(args: argparse.Namespace, config: Config) -> int:
    db = await open_database(config.database.url)
    try:
        if args.reindex:
            count = await reindex_all(db)
            print(f"indexed {count} stories", file=sys.stderr)
            if not args.query:
                return 0
        else:
            # Stories stored by something that did not index them (an old build, a manual import).
            await index_missing(db)
        since = utcnow() - timedelta(days=args.days) if args.days else None
        # Read as the chat reads it: a configured topic's English name stands for its Arabic one.
        query = await search_words(db, " ".join(args.query))
        page = await search(db, query, limit=args.limit, offset=args.offset, source=args.source, since=since)
    finally:
        await db.close()
    if args.json:
        print(json.dumps(_as_json(page), ensure_ascii=False, indent=2))
    else:
        _print(page)
    if page.error:
        if not args.json:
            print("akhbar search: the query has no word to search for", file=sys.stderr)
        return 1
    return 0


def _as_json(page: SearchPage) -> dict[str, Any]:
    return {
        "total": page.total,
        "offset": page.offset,
        "terms": page.query_terms,
        "relaxed": page.relaxed,
        "error": page.error,
        "hits": [
            {
                "id": h.story_id,
                "title": h.title,
                "url": h.url,
                "source": h.source,
                "published_at": h.published_at.isoformat(),
                "score": round(h.score, 6),
                "snippet_html": h.snippet_html,
                "summary": h.summary,
            }
            for h in page.hits
        ],
    }


def _print(page: SearchPage) -> None:
    if page.error:
        return
    if not page.hits:
        print("no stories found")
        return
    bold = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")
    if page.relaxed:
        print("no story has every word; stories with some of them:")
    shown = f"{page.offset + 1}-{page.offset + len(page.hits)}"
    print(f"{page.total} {'story' if page.total == 1 else 'stories'} ({shown} shown)\n")
    for n, hit in enumerate(page.hits, page.offset + 1):
        snippet = html.unescape(
            _TAG.sub(lambda m: bold[1] if m.group().startswith("</") else bold[0], hit.snippet_html)
        )
        print(f"{n}. {hit.title}")
        print(f"   {hit.source} · {hit.published_at:%Y-%m-%d %H:%M} UTC · {hit.url or ''}")
        print(f"   {snippet}\n")
