"""Keeping the search index in step with `stories`.

* New stories: the feed poller calls `index_story_rows_sync(session, rows)` (one bulk INSERT per poll;
  `index_story(session, story)` does the same for one ORM story) in the SAME write session that
  stores the story, so a story is searchable exactly when it is committed, and a rolled-back poll
  leaves no index row behind. It only adds an ORM row (no I/O), so it is safe to call with or
  without `await`.
* Corrected stories (the outlet re-published an item with a new title or text): the poller calls
  `replace_story_rows_sync(session, rows)` in the write session that updates the story, so search
  finds the new wording and no longer the old. On PostgreSQL the weighted tsvector is a generated
  column of the terms, so it follows the new terms by itself.
* Deleted stories: an SQLite trigger (PostgreSQL: a cascading foreign key) drops their row;
  `forget_stories(session, ids)` drops them explicitly before a bulk delete (bot.db.retention) and
  indexes the duplicates that become stories in their own right.
* Duplicates (Story.duplicate_of set) are not indexed; a story marked a duplicate later drops out
  of the index when `index_stories(db, [its id])` is called.
* Rebuilds and repairs: `reindex_all(db)`, `index_stories(db, ids)` (re-analyses those stories) and
  `index_missing(db)` (stories stored by code that forgot to index them).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.db.database import Database
from bot.db.models import Story
from bot.search.models import SearchDoc
from bot.search.terms import story_terms

_BATCH = 500


class _Done:
    """What index_story returns: awaiting it is a no-op, so `await index_story(...)` also works."""

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield


def index_story(session: AsyncSession, story: Story) -> _Done:
    """Index a NEW story inside the caller's session; written on the session's next flush/commit.

    A story stored as a duplicate of another (duplicate_of set) is not indexed: search lists the
    original once, and needs no per-match check of the stories table for it.
    """
    if story.duplicate_of is not None:
        return _Done()
    title_terms, body_terms = story_terms(story.title, story.text, story.summary)
    doc = SearchDoc(story=story, title_terms=title_terms, body_terms=body_terms)
    if story.id is not None:
        doc.rowid = story.id
    session.add(doc)
    return _Done()


def _row(story_id: int, title: str, text: str | None, summary: Any) -> dict[str, Any]:
    title_terms, body_terms = story_terms(title, text, summary)
    return {"rowid": story_id, "title_terms": title_terms, "body_terms": body_terms}


async def _index_ids(session: AsyncSession, ids: Sequence[int]) -> int:
    count = 0
    for start in range(0, len(ids), _BATCH):
        chunk = list(ids[start : start + _BATCH])
        await session.execute(delete(SearchDoc).where(SearchDoc.rowid.in_(chunk)))
        result = await session.execute(
            select(Story.id, Story.title, Story.text, Story.summary).where(
                Story.id.in_(chunk), Story.duplicate_of.is_(None)
            )
        )
        rows = [_row(*r) for r in result.all()]
        if rows:
            await session.execute(insert(SearchDoc), rows)
        count += len(rows)
    return count


async def forget_stories(session: AsyncSession, deleted: Sequence[int], promoted: Sequence[int] = ()) -> None:
    """In the caller's write session, which deletes the stories `deleted`: drop their index rows,
    and index `promoted`, duplicates of theirs that are stories in their own right once their
    original is gone (the caller has cleared their duplicate_of)."""
    table = cast(Table, SearchDoc.__table__)
    ids = sorted(set(deleted))
    for start in range(0, len(ids), _BATCH):
        await session.execute(delete(table).where(table.c.rowid.in_(ids[start : start + _BATCH])))
    if promoted:
        await _index_ids(session, sorted(set(promoted)))


async def index_stories(db: Database, story_ids: Sequence[int]) -> int:
    """(Re-)index these stories (edited, or newly marked duplicates); returns how many were indexed."""
    async with db.write() as session:
        return await _index_ids(session, sorted(set(story_ids)))


async def index_missing(db: Database) -> int:
    """Index every story that has no index row (cheap when there are none)."""
    async with db.read() as session:
        missing = (
            await session.scalars(
                select(Story.id).where(Story.duplicate_of.is_(None), Story.id.not_in(select(SearchDoc.rowid)))
            )
        ).all()
    return await index_stories(db, missing) if missing else 0


async def reindex_all(db: Database) -> int:
    """Rebuild the whole index from `stories` (after an analyzer change); returns stories indexed."""
    async with db.write() as session:
        await session.execute(delete(SearchDoc))
        ids = (
            await session.scalars(select(Story.id).where(Story.duplicate_of.is_(None)).order_by(Story.id))
        ).all()
        count = await _index_ids(session, ids)
    await optimize(db)
    return count


def reanalyse_all_sync(session: Session, only: Callable[[str, str], bool] | None = None) -> None:
    """Analyse every story again and replace its index rows, in the caller's transaction: what a
    migration that changes how the analyzer reads words runs once (search_0006, 0007, 0008), in
    batches of 500 stories. `only(title, text)`: the stories the change can touch (the rest are
    read, not rewritten)."""
    ids = session.scalars(text("SELECT id FROM stories WHERE duplicate_of IS NULL ORDER BY id")).all()
    changed = 0
    for start in range(0, len(ids), 500):
        rows = session.execute(
            text("SELECT id, title, text, summary FROM stories WHERE id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": list(ids[start : start + 500])},
        ).all()
        terms = [
            (story_id, *story_terms(title, body, summary))
            for story_id, title, body, summary in rows
            if only is None or only(title or "", body or "")
        ]
        changed += replace_story_rows_sync(session, terms)
    session.flush()
    if session.get_bind().dialect.name == "sqlite" and changed:
        # Merge the segments the rewrite left behind, as reindex_all does.
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))


async def optimize(db: Database) -> None:
    """Merge FTS5 segments after bulk writes (queries read fewer b-trees). No-op elsewhere."""
    if db.is_sqlite:
        async with db.write() as session:
            await session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))


def index_story_rows_sync(session: Session, rows: Sequence[tuple[int, str, str]]) -> int:
    """Index many NEW stories at once: `rows` are (story id, title terms, body terms), the terms
    from `story_terms(title, text, summary)` (the poller computes them in its worker processes).
    The caller leaves out duplicates. One executemany INSERT in the caller's transaction (the
    poller's sync write, see Database.write_sync), so the index commits or rolls back with the
    stories; returns the rows written."""
    docs = [{"rowid": sid, "title_terms": title, "body_terms": body} for sid, title, body in rows]
    if docs:
        # The Core table, not the ORM entity: no per-row ORM bookkeeping on the poller's hot path.
        session.execute(insert(cast(Table, SearchDoc.__table__)), docs)
    return len(docs)


def replace_story_rows_sync(session: Session, rows: Sequence[tuple[int, str, str]]) -> int:
    """Re-index stories whose title or text changed: `rows` as for index_story_rows_sync. Delete
    and insert rather than UPDATE: the same statements on an FTS5 table and a plain one, and a
    story that had no index row (stored by older code) gets one."""
    table = cast(Table, SearchDoc.__table__)
    ids = [sid for sid, _, _ in rows]
    for start in range(0, len(ids), _BATCH):
        session.execute(delete(table).where(table.c.rowid.in_(ids[start : start + _BATCH])))
    return index_story_rows_sync(session, rows)
