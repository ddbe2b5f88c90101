"""Old history is deleted once a day (bot.db.retention), and only what nobody still needs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import _retention
from bot.clock import utcnow
from bot.config import ConfigError, parse_config
from bot.db.database import Database
from bot.db.models import ArticleCache, Outbox
from bot.db.retention import prune
from bot.delivery import outbox
from bot.search.models import SearchQuery
from bot.services import services

DAY = timedelta(days=1)


async def test_finished_history_older_than_the_limit_goes_and_the_rest_stays(db: Database) -> None:
    now = utcnow()
    old, recent = now - 40 * DAY, now - 2 * DAY
    rows = {
        "old sent": (outbox.SENT, old),
        "old failed": (outbox.FAILED, old),
        "old uncertain": (outbox.UNCERTAIN, old),
        "old digested": (outbox.DIGESTED, old),
        "old but still owed": (outbox.PENDING, old),  # a card held back, a retry
        "old digest item waiting": (outbox.DIGEST_WAIT, old),
        "recent sent": (outbox.SENT, recent),
    }
    async with db.write() as session:
        for key, (status, created) in rows.items():
            session.add(Outbox(chat_id=1, kind="story", dedup_key=key, status=status, created_at=created))
        session.add(ArticleCache(url="https://news.example/old", text="نص", fetched_at=old))
        session.add(ArticleCache(url="https://news.example/new", text="نص", fetched_at=recent))
        session.add(SearchQuery(digest="a" * 40, text="سوريا", used_at=old))
        session.add(SearchQuery(digest="b" * 40, text="النفط", used_at=recent))
    deleted = await prune(db, 30 * DAY, now=now)
    assert deleted == {"outbox": 4, "article_cache": 1, "search_queries": 1}
    async with db.read() as session:
        kept = set((await session.scalars(select(Outbox.dedup_key))).all())
        pages = set((await session.scalars(select(ArticleCache.url))).all())
        queries = set((await session.scalars(select(SearchQuery.text))).all())
    assert kept == {"old but still owed", "old digest item waiting", "recent sent"}
    assert pages == {"https://news.example/new"} and queries == {"النفط"}


async def test_a_large_backlog_is_cleared_in_batches(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.db.retention.BATCH", 7)
    old = utcnow() - 40 * DAY
    async with db.write() as session:
        for i in range(30):
            session.add(Outbox(chat_id=i, kind="story", dedup_key="s", status=outbox.SENT, created_at=old))
    assert (await prune(db, 30 * DAY))["outbox"] == 30


def test_history_is_kept_at_least_as_long_as_stats_and_edits_need() -> None:
    assert parse_config({}).database.keep_history == 30 * 86400
    assert parse_config({"database": {"keep_history": "90d"}}).database.keep_history == 90 * 86400
    with pytest.raises(ConfigError, match="keep_history") as refused:
        parse_config({"database": {"keep_history": "14d"}})
    # In days, as the operator wrote it, not "greater than or equal to 1296000".
    assert "15 days" in str(refused.value) and "1296000" not in str(refused.value)


async def test_the_running_bot_prunes_daily(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async with bot_factory() as app:
        [job] = app.job_queue.get_jobs_by_name("retention")
        db = services(app).db
        async with db.write() as session:
            session.add(
                Outbox(
                    chat_id=1, kind="story", dedup_key="x", status=outbox.SENT, created_at=utcnow() - 40 * DAY
                )
            )
        await _retention(type("Context", (), {"application": app})())
        async with db.read() as session:
            assert (await session.scalars(select(Outbox))).all() == []
    assert job.trigger.interval == timedelta(days=1)
