"""What the bot no longer needs is deleted once a day, so a busy instance's database stops growing
with its traffic: the outbox keeps a row per message sent (5,000 subscribers and 50 stories a day
make 250,000 rows a day, each with its card), article pages are cached, search queries are kept
for their page buttons. Stories stay unless the operator bounds the archive (`[database]
keep_stories`): they are what /search and /latest read.

Only finished outbox rows go (sent, failed, uncertain, digested, grouped); anything still owed to a chat
stays whatever its age. Deletion runs in batches, each its own short write, so the one writer is
never held for long and the bot keeps answering while a large backlog is cleared.

Stories first seen (fetched) longer ago than keep_stories go with what refers to them, in the same
write as each batch of them, so nothing is left pointing at a story that is gone:
- their search index rows (bot.search.index.forget_stories), so /search and inline search stop
  finding them as /latest stops showing them;
- their finished outbox rows (a card's record, a grouped or digested row); a story still owed to a
  chat (a pending, held, sending or waiting digest row) or still waiting to be routed stays,
  whatever its age;
- a later copy another feed carried (duplicate_of) outlives its original: the earliest copy becomes
  the story in its own right, searchable, and the other copies its duplicates;
- the feed entries that named them keep their key without the story (the foreign key clears it), so
  an outlet that still lists the same item does not bring it back as news. But an old story the
  outlet lists again under a new guid or link is no longer recognised as a relisting (its link,
  words and fingerprint went with it: bot.feeds.poller, bot.feeds.dedup) and may count as new.
A card already sent whose story went answers its «المزيد» button with "no longer available"
(handlers/story_buttons.py); corrections and grouping find no story or card and leave it be.
The newest story is always kept: SQLite numbers a new row after the largest id in the table, so an
archive emptied of every story would hand old ids (still on sent cards' buttons) to new stories.

Deleting a story makes the database find the rows that refer to it (outbox.story_id,
feed_entries.story_id, stories.duplicate_of); without an index on those columns each look-up reads
the whole table, so on a large instance story batches are slow until those indexes exist.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import utcnow
from bot.db.database import Database
from bot.db.models import ArticleCache, Outbox, Story
from bot.delivery import outbox

log = logging.getLogger(__name__)

BATCH = 5000
# Fewer stories than rows per write: each drags its text, its index row, its outbox rows along.
STORY_BATCH = 500
_FINISHED = (outbox.SENT, outbox.FAILED, outbox.UNCERTAIN, outbox.DIGESTED, outbox.GROUPED, outbox.WITHDRAWN)
# Still owed to a chat: a card due or held by quiet hours, one in flight, a digest item waiting.
# Named rather than "not finished" so the look-up uses the outbox's status index.
_OWED = (outbox.PENDING, outbox.SENDING, outbox.DIGEST_WAIT)


async def prune(
    db: Database,
    keep: timedelta,
    *,
    keep_stories: timedelta | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Delete history older than `keep`, and stories first seen longer ago than `keep_stories`
    (None or zero: stories are kept); returns the rows deleted per table."""
    now = now or utcnow()
    cutoff = now - keep
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
    if keep_stories:
        deleted["stories"] = await prune_stories(db, now - keep_stories)
    if any(deleted.values()):
        log.info("retention: deleted %s (older than %s)", deleted, cutoff.isoformat(timespec="minutes"))
    return deleted


async def prune_stories(db: Database, cutoff: datetime) -> int:
    """Delete the stories first seen before `cutoff` that no chat is still owed, with everything
    that refers to them (see the module's docstring); returns how many were deleted."""
    from bot.feeds.models import RouteQueue  # registered by the feeds package, as SearchQuery is

    owed = select(Outbox.story_id).where(Outbox.status.in_(_OWED), Outbox.story_id.is_not(None))
    condition = (
        (Story.fetched_at < cutoff)
        & (Story.id < select(func.max(Story.id)).scalar_subquery())
        & Story.id.not_in(owed)
        & Story.id.not_in(select(RouteQueue.story_id))
    )
    return await _batches(db, select(Story.id).where(condition), _delete_stories, STORY_BATCH)


async def _delete_stories(session: AsyncSession, ids: Sequence[int]) -> None:
    from bot.search import index

    promoted = await _promote_copies(session, ids)
    await session.execute(delete(Outbox).where(Outbox.story_id.in_(ids), Outbox.status.in_(_FINISHED)))
    await index.forget_stories(session, ids, promoted)
    # feed_entries.story_id is cleared by its foreign key (ON DELETE SET NULL).
    await session.execute(delete(Story).where(Story.id.in_(ids)))


async def _promote_copies(session: AsyncSession, ids: Sequence[int]) -> list[int]:
    """Other feeds' copies of these stories that stay: the earliest of each becomes the story (no
    longer a duplicate), the rest its duplicates, as if it had come first. Returns the promoted."""
    copies: dict[int, list[int]] = {}
    rows = await session.execute(
        select(Story.id, Story.duplicate_of)
        .where(Story.duplicate_of.in_(ids), Story.id.not_in(ids))
        .order_by(Story.id)
    )
    for story_id, original in rows.all():
        if original is not None:  # the query asks for copies: always set
            copies.setdefault(original, []).append(story_id)
    for first, *rest in copies.values():
        await session.execute(update(Story).where(Story.id == first).values(duplicate_of=None))
        if rest:
            await session.execute(update(Story).where(Story.id.in_(rest)).values(duplicate_of=first))
    return [first for first, *_ in copies.values()]


async def _in_batches(db: Database, model: Any, key: Any, condition: Any) -> int:
    async def remove(session: AsyncSession, keys: Sequence[Any]) -> None:
        await session.execute(delete(model).where(key.in_(keys)))

    return await _batches(db, select(key).where(condition), remove, BATCH)


async def _batches(
    db: Database,
    query: Any,
    act: Callable[[AsyncSession, Sequence[Any]], Awaitable[None]],
    size: int,
) -> int:
    """Run `act` on the keys `query` selects, `size` at a time, each batch its own short write,
    until a batch comes back short; returns how many keys were acted on."""
    total = 0
    while True:
        async with db.write() as session:
            keys = list((await session.scalars(query.limit(size))).all())
            if keys:
                await act(session, keys)
        total += len(keys)
        if len(keys) < size:
            return total
