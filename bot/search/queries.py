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


async def remember(db: Database, text: str) -> int:
    """The id of this query (the same id for the same text); queries unused for 30 days are dropped."""
    text = text[:MAX_QUERY_CHARS]
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
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


async def recall(db: Database, query_id: int) -> str | None:
    async with db.read() as session:
        return await session.scalar(select(SearchQuery.text).where(SearchQuery.id == query_id))
