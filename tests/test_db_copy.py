"""`akhbar db copy TARGET_URL`: a whole instance moved into another database, which then works.

The source is a SQLite instance filled by the real code (a polled feed, a reader with settings and
follows, a card owed to them); the target is a new SQLite file, or a new PostgreSQL schema when
tests/postgres.py finds a server. After the copy the target must be the instance: the reader's
settings and follows are there, /search finds a copied story, and the poller stores the feed's next
story (a hand copy leaves PostgreSQL's id sequences at 1: every poll then failed on a duplicate key).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.cli import main
from bot.db.database import Database, open_database
from bot.db.instance_lock import acquire
from bot.db.migrate import upgrade
from bot.db.models import Outbox, Story, Subscriber, Subscription
from bot.feeds.fetcher import Fetcher
from bot.feeds.poller import poll_feed
from bot.search.service import search
from bot.subscribers.service import ensure_subscriber, follow, list_subscriptions, update_settings
from tests.fakes.feed_server import FeedServer
from tests.helpers import make_config
from tests.postgres import database_url, pg_url
from tests.test_feed_poller import add_feed

__all__ = ["pg_url"]  # a fixture, used by name

READER = 4242


@dataclass
class Instance:
    """The source instance: its config file (for the CLI) and what it holds."""

    config_file: Path
    url: str
    feed_id: int
    story_ids: list[int]


@pytest.fixture
async def instance(tmp_path: Path, feed_server: FeedServer) -> AsyncIterator[Instance]:
    source = tmp_path / "source"
    config = make_config(source, database={"url": f"sqlite+aiosqlite:///{source / 'akhbar.sqlite3'}"})
    db = await open_database(config.database.url)
    try:
        feed_id = await add_feed(db, feed_server.add_feed("news", feed_server.stories[:5]), "الأخبار")
        async with Fetcher(config.fetch) as fetcher:
            polled = await poll_feed(db, config, fetcher, feed_id)
        assert polled.error is None and len(polled.stored_story_ids) == 5
        await ensure_subscriber(db, config, READER, language="en")
        await update_settings(db, READER, mode="digest", sentences=5, quiet_start="23:00", quiet_end="07:00")
        await follow(db, READER, "الانتخابات")
        ids = sorted(polled.stored_story_ids)
        async with db.write() as session:
            # A story marked a copy of one stored after it: its reference points forwards.
            await session.execute(update(Story).where(Story.id == ids[0]).values(duplicate_of=ids[-1]))
            session.add(Outbox(chat_id=READER, kind="story", story_id=ids[1], dedup_key=f"story:{ids[1]}"))
    finally:
        await db.close()
    config_file = source / "config.toml"
    config_file.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")
    yield Instance(config_file, config.database.url, feed_id, ids)


@pytest.fixture(params=["sqlite", "postgresql"])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request, tmp_path / "target" / "akhbar.sqlite3")


async def copy(instance: Instance, target: str) -> int:
    # In a thread: the CLI runs its own event loop, and the feed server runs on this one.
    return await asyncio.to_thread(main, ["--config", str(instance.config_file), "db", "copy", target])


async def counts(url: str) -> dict[str, int]:
    db = Database(url)
    try:
        async with db.read() as session:
            return {
                model.__tablename__: (
                    await session.execute(select(func.count()).select_from(model))
                ).scalar_one()
                for model in (Story, Subscriber, Subscription, Outbox)
            }
    finally:
        await db.close()


async def test_the_copy_is_the_instance_and_the_poller_goes_on_storing_in_it(
    instance: Instance,
    target_url: str,
    tmp_path: Path,
    feed_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await copy(instance, target_url) == 0
    out = capsys.readouterr().out
    assert "  stories " in out and "row counts checked: the same on both sides" in out
    assert out.rstrip().splitlines()[-1].startswith('to switch, set [database] url = "')

    config = make_config(tmp_path, database={"url": target_url})
    db = await open_database(target_url)  # as `akhbar run` opens it once [database] url is switched
    try:
        reader = await db.read_sync(lambda session: session.get(Subscriber, READER))
        assert reader is not None and reader.language == "en" and reader.mode == "digest"
        assert (reader.sentences, reader.quiet_start, reader.quiet_end) == (5, "23:00", "07:00")
        follows = await list_subscriptions(db, READER)
        assert [(row.kind, row.display) for row in follows] == [("keyword", "الانتخابات")]
        async with db.read() as session:
            first = await session.get(Story, instance.story_ids[0])
            owed = (await session.scalars(select(Outbox))).one()
        assert first is not None and first.duplicate_of == instance.story_ids[-1]
        assert owed.story_id == instance.story_ids[1] and owed.chat_id == READER

        async with db.read() as session:
            copied = await session.get(Story, instance.story_ids[2])
        assert copied is not None
        word = max(copied.title.split(), key=len)
        assert copied.id in [hit.story_id for hit in (await search(db, word, relax=False)).hits]

        feed_server.add_item("news", feed_server.stories[7])  # the feed's next story, after the move
        async with Fetcher(config.fetch) as fetcher:
            polled = await poll_feed(db, config, fetcher, instance.feed_id)
        assert polled.error is None, polled.error  # not a duplicate key on stories.id
        assert len(polled.stored_story_ids) == 1 and polled.stored_story_ids[0] > max(instance.story_ids)
    finally:
        await db.close()
    assert await counts(instance.url) == {"stories": 5, "subscribers": 1, "subscriptions": 1, "outbox": 1}


async def test_a_migrated_but_empty_target_is_taken(
    instance: Instance, target_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # `akhbar db upgrade` run on the new database first (or a copy that failed half way) is no data.
    await (await open_database(target_url)).close()
    assert await copy(instance, target_url) == 0
    assert (await counts(target_url))["stories"] == 5


async def test_a_target_holding_data_is_refused_and_left_as_it_was(
    instance: Instance, target_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await copy(instance, target_url) == 0
    capsys.readouterr()
    db = await open_database(target_url)
    try:
        async with db.write() as session:
            await session.execute(update(Subscriber).values(sentences=2))  # the new home, in use
    finally:
        await db.close()

    assert await copy(instance, target_url) == 2
    err = capsys.readouterr().err
    assert "already holds data" in err and "stories" in err and "Traceback" not in err
    assert await counts(target_url) == {"stories": 5, "subscribers": 1, "subscriptions": 1, "outbox": 1}
    db = await open_database(target_url)
    try:
        reader = await db.read_sync(lambda session: session.get(Subscriber, READER))
        assert reader is not None and reader.sentences == 2
    finally:
        await db.close()


async def test_the_source_itself_is_refused(
    instance: Instance, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "link.sqlite3"
    os.symlink(instance.url.removeprefix("sqlite+aiosqlite:///"), link)
    for same in (instance.url, f"sqlite+aiosqlite:///{link}"):
        assert await copy(instance, same) == 2
        assert "is the configured database itself" in capsys.readouterr().err
    assert (await counts(instance.url))["stories"] == 5


async def test_a_running_bot_keeps_the_copy_from_starting(
    instance: Instance, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "target" / "akhbar.sqlite3"
    bot_db = Database(instance.url)
    lock = await acquire(bot_db)  # what a running `akhbar run` holds
    try:
        assert await copy(instance, f"sqlite+aiosqlite:///{target}") == 3
    finally:
        await lock.release()
        await bot_db.close()
    err = capsys.readouterr().err
    assert f"in use by `akhbar run` (process {os.getpid()})" in err and "nothing was copied" in err
    assert not target.exists()
    assert await copy(instance, f"sqlite+aiosqlite:///{target}") == 0  # once the bot is stopped


async def test_a_source_behind_the_newest_migration_is_sent_to_db_upgrade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
    old = Database(url)
    await upgrade(old.engine, "0001")  # a database an older release left behind
    await old.close()
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    target = tmp_path / "target.sqlite3"
    command = ["--config", str(config_file), "db", "copy", f"sqlite+aiosqlite:///{target}"]
    assert await asyncio.to_thread(main, command) == 2
    assert "run `akhbar db upgrade` first" in capsys.readouterr().err
    assert not target.exists()
