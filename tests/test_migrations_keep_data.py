"""Upgrading an existing SQLite database keeps its data: a batch migration rebuilds a table (copy,
DROP, rename), and with foreign keys enforced the DROP of `subscribers` (subscribers_0001) deleted
every subscription through ON DELETE CASCADE - a reader upgrading from a release before it lost
every source and word they followed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.db.database import Database
from bot.db.migrate import upgrade

SUBSCRIBER = (
    "INSERT INTO subscribers (chat_id, chat_type, language, timezone, mode, digest_times, sentences, "
    "link_preview, active, since, created_at, updated_at) VALUES (42, 'private', 'ar', 'Asia/Riyadh', "
    "'instant', '[]', 3, false, true, '2020-01-01', '2020-01-01', '2020-01-01')"
)
SUBSCRIPTION = (
    "INSERT INTO subscriptions (chat_id, kind, target, display, created_at) "
    "VALUES (42, 'keyword', 'النفط', 'النفط', '2020-01-01')"
)


async def test_upgrading_an_old_sqlite_database_keeps_its_subscriptions(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        await upgrade(db.engine, "0001")  # a database from the first release
        async with db.write() as session:
            await session.execute(text(SUBSCRIBER))
            await session.execute(text(SUBSCRIPTION))
        await upgrade(db.engine)  # what `akhbar run` does on start
        async with db.read() as session:
            kept = (await session.execute(text("SELECT chat_id, display FROM subscriptions"))).all()
            enforced = (await session.execute(text("PRAGMA foreign_keys"))).scalar()
        assert kept == [(42, "النفط")]
        # And foreign keys are enforced again on the connection the migrations used.
        assert enforced == 1
        try:
            async with db.write() as session:
                await session.execute(text(SUBSCRIPTION.replace("VALUES (42", "VALUES (4242")))
        except IntegrityError:
            pass
        else:
            raise AssertionError("a subscription of no subscriber was accepted")
    finally:
        await db.close()
