"""Full text for feeds that carry only a short lead (feeds with full_text = true).

The article page is fetched under the same rules as feeds (the Fetcher: timeouts, size limit,
private-address guard, per-host limit), its main text extracted with trafilatura, and the result
cached in ArticleCache by URL: a failure is cached too, for FAILURE_TTL, so a broken page is not
hammered at every poll. The caller falls back to the feed's own description when this returns None.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import trafilatura

from bot.clock import as_utc, utcnow
from bot.db.database import Database
from bot.db.models import ArticleCache
from bot.feeds.fetcher import Fetcher, FetchError

log = logging.getLogger(__name__)

FAILURE_TTL = timedelta(hours=6)
MIN_ARTICLE_WORDS = 20


def extract_article(page: bytes, url: str) -> str | None:
    """The page's main text (paragraphs separated by blank lines), or None if there is none."""
    text = trafilatura.extract(
        page,
        url=url,
        include_comments=False,
        include_tables=False,
        include_images=False,
        favor_precision=True,
        # Not trafilatura's deduplication: it remembers text process-wide and drops what it has
        # seen more than twice, so a long-running bot would lose paragraphs (and whole articles)
        # that other pages repeated. Page furniture is the summarizer's cleaning's job.
        deduplicate=False,
    )
    if not text or len(text.split()) < MIN_ARTICLE_WORDS:
        return None
    paragraphs = [" ".join(line.split()) for line in text.splitlines()]
    return "\n\n".join(p for p in paragraphs if p)


async def cached_article(db: Database, url: str, *, now: datetime | None = None) -> tuple[bool, str | None]:
    """(found, text) from the cache; a cached failure younger than FAILURE_TTL is (True, None)."""
    now = now or utcnow()
    async with db.read() as session:
        row = await session.get(ArticleCache, url)
    if row is None:
        return False, None
    if row.text:
        return True, row.text
    if now - as_utc(row.fetched_at) < FAILURE_TTL:
        return True, None
    return False, None


async def fetch_article_text(db: Database, fetcher: Fetcher, url: str) -> str | None:
    found, text = await cached_article(db, url)
    if found:
        return text
    error: str | None = None
    text = None
    try:
        result = await fetcher.fetch(url, accept="html")
        text = await asyncio.to_thread(extract_article, result.content, result.final_url)
        if text is None:
            error = "no article text found on the page"
    except FetchError as exc:
        error = exc.reason
    except Exception as exc:  # trafilatura on hostile HTML: a failed extraction, never a failed poll
        log.exception("full-text extraction failed for %s", url)
        error = f"extraction failed: {type(exc).__name__}"
    async with db.write() as session:
        await session.merge(ArticleCache(url=url, text=text, error=error, fetched_at=utcnow()))
    if error:
        log.info("full text unavailable for %s: %s", url, error)
    return text
