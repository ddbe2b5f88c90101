"""What the bot no longer needs is deleted once a day, so a busy instance's database stops growing
with its traffic: the outbox keeps a row per message sent (5,000 subscribers and 50 stories a day
make 250,000 rows a day, each with its card), article pages are cached, search queries are kept
for their page buttons. Stories stay: they are the archive /search and /latest read.

Only finished outbox rows go (sent, failed, uncertain, digested, grouped); anything still owed to a chat
stays whatever its age. Deletion runs in batches, each its own short write, so the one writer is
never held for long and the bot keeps answering while a large backlog is cleared.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from bot.clock import utcnow
from bot.db.database import Database
from bot.db.models import ArticleCache, Outbox
from bot.delivery import outbox

log = logging.getLogger(__name__)

BATCH = 5000
_FINISHED = (outbox.SENT, outbox.FAILED, outbox.UNCERTAIN, outbox.DIGESTED, outbox.GROUPED, outbox.WITHDRAWN)


async def prune(db: Database, keep: timedelta, *, now: datetime | None = None) -> dict[str, int]:
    """Delete history older than `keep`; returns the rows deleted per table."""
    cutoff = (now or utcnow()) - keep
    from bot.search.models import SearchQuery  # the search package registers its tables itself

    deleted = {
        "outbox": await _in_batches(
            db, Outbox, Outbox.id, Outbox.status.in_(_FINISHED) & (Outbox.created_at < cutoff)
        ),
        "article_cache": await _in_batches(
            db, ArticleCache, ArticleCache.url, ArticleCache.fetched_at < cutoff
        ),
        "search_queries": await _in_batches(db, SearchQuery, SearchQuery.id, SearchQuery.used_at < cutoff),
    }
    if any(deleted.values()):
        log.info("retention: deleted %s (older than %s)", deleted, cutoff.isoformat(timespec="minutes"))
    return deleted


async def _in_batches(db: Database, model: Any, key: Any, condition: Any) -> int:
    total = 0
    while True:
        async with db.write() as session:
            keys = list((await session.scalars(select(key).where(condition).limit(BATCH))).all())
            if keys:
                await session.execute(delete(model).where(key.in_(keys)))
        total += len(keys)
        if len(keys) < BATCH:
            return total
