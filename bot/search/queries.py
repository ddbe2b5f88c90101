"""Queries behind /search page buttons: stored by id, so a button's callback data stays short and
a long Arabic query (two bytes a letter) still pages, also after a restart."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, select

from bot.clock import utcnow
from bot.db.database import Database
from bot.search.analyzer import MAX_QUERY_CHARS
from bot.search.models import SearchQuery

KEEP_FOR = timedelta(days=30)


def check(text: str) -> str:
    """A few characters of the query's digest, carried by its buttons next to its id: an id is
    reused once its query is dropped (SQLite hands out the highest free id again; a restored backup
    or a reset sequence does the same on PostgreSQL), and an old button must then say its search
    expired rather than page through whatever query now has that id."""
    return _digest(text)[:CHECK_CHARS]


CHECK_CHARS = 6


def _digest(text: str) -> str:
    return hashlib.sha1(text[:MAX_QUERY_CHARS].encode("utf-8")).hexdigest()


async def remember(db: Database, text: str) -> int:
    """The id of this query (the same id for the same text); queries unused for 30 days are dropped."""
    text = text[:MAX_QUERY_CHARS]
    digest = _digest(text)
    now = utcnow()
    async with db.write() as session:
        row = await session.scalar(select(SearchQuery).where(SearchQuery.digest == digest))
        if row is None:
            await session.execute(delete(SearchQuery).where(SearchQuery.used_at < now - KEEP_FOR))
            row = SearchQuery(digest=digest, text=text, used_at=now)
            session.add(row)
            await session.flush()
        else:
            row.used_at = now
        return row.id


async def recall(db: Database, query_id: int, checked: str | None = None) -> str | None:
    """The query stored under this id, if it is still the one whose `check` the button carries
    (buttons from before the check carry none and are taken at their word)."""
    async with db.read() as session:
        row = (
            await session.execute(
                select(SearchQuery.text, SearchQuery.digest).where(SearchQuery.id == query_id)
            )
        ).first()
    if row is None or (checked is not None and not row.digest.startswith(checked)):
        return None
    text: str = row.text
    return text
