"""`[database] keep_stories`: the daily prune (bot.db.retention) bounds the story archive, with
everything that refers to the stories it deletes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.app import _retention
from bot.clock import utcnow
from bot.config import Config, ConfigError, parse_config
from bot.db import retention
from bot.db.database import Database, open_database
from bot.db.models import Feed, FeedEntry, Outbox, Story, Subscriber, Subscription
from bot.db.retention import prune
from bot.delivery import outbox
from bot.delivery import service as delivery
from bot.delivery.routing import route_new_stories
from bot.feeds.models import RouteQueue
from bot.search.index import index_story
from bot.search.models import SearchDoc
from bot.search.service import search
from bot.services import services
from tests.helpers import USER_ID, make_config
from tests.postgres import ADMIN_URL, _admin_execute, requires_postgres

DAY = timedelta(days=1)
HISTORY = 30 * DAY
STORIES = 60 * DAY
OLD = 90 * DAY  # first seen before the story cutoff
WORD = "افتتاح"  # every story's title has it: a search for it lists every story still searchable


# --------------------------------------------------------------------------- both databases


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=requires_postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database: an SQLite file, or a PostgreSQL schema of its own (as tests/postgres.py
    makes them), dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'akhbar.sqlite3'}"
        return
    from sqlalchemy.engine import make_url

    name = f"akhbar_test_{uuid.uuid4().hex[:12]}"
    password = uuid.uuid4().hex
    await _admin_execute(
        f"CREATE ROLE {name} LOGIN PASSWORD '{password}'; CREATE SCHEMA {name} AUTHORIZATION {name}"
    )
    try:
        yield make_url(ADMIN_URL).set(username=name, password=password).render_as_string(hide_password=False)
    finally:
        await _admin_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE usename = '{name}' AND pid <> pg_backend_pid(); "
            f"DROP SCHEMA {name} CASCADE; DROP ROLE {name}"
        )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await open_database(database_url)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def config_factory(tmp_path: Path, database_url: str) -> Callable[..., Config]:
    """What bot_factory (tests/helpers.py) starts the application with: this test's database."""

    def factory(**sections: Any) -> Config:
        sections["database"] = {"url": database_url, **sections.get("database", {})}
        return make_config(tmp_path, **sections)

    return factory


# --------------------------------------------------------------------------- seeding


async def add_feed(db: Database, name: str = "وكالة الأنباء") -> int:
    async with db.write() as session:
        feed = Feed(url=f"https://news.example/{uuid.uuid4().hex}.xml", name=name, origin="cli")
        session.add(feed)
        await session.flush()
        return feed.id


async def add_story(
    db: Database, feed_id: int, title: str, *, age: timedelta, duplicate_of: int | None = None
) -> int:
    """A story stored as the poller stores it: with its feed entry and, unless it is another
    feed's copy, its search index row."""
    seen = utcnow() - age
    key = uuid.uuid4().hex
    async with db.write() as session:
        story = Story(
            feed_id=feed_id,
            entry_key=key,
            url=f"https://news.example/{key}",
            title=f"{WORD} {title}",
            source="وكالة الأنباء",
            published_at=seen,
            fetched_at=seen,
            text=f"{WORD} {title} في العاصمة اليوم بحضور المسؤولين.",
            summary=[f"{WORD} {title} في العاصمة اليوم."],
            duplicate_of=duplicate_of,
        )
        session.add(story)
        await session.flush()
        index_story(session, story)
        session.add(FeedEntry(feed_id=feed_id, entry_key=key, story_id=story.id, first_seen_at=seen))
        return story.id


async def add_row(
    db: Database, story_id: int, status: str, *, age: timedelta = DAY, chat_id: int = 1
) -> None:
    kind = outbox.DIGEST_ITEM if status in (outbox.DIGEST_WAIT, outbox.DIGESTED) else outbox.STORY
    async with db.write() as session:
        session.add(
            Outbox(
                chat_id=chat_id,
                kind=kind,
                story_id=story_id,
                dedup_key=f"story:{story_id}:{status}",
                status=status,
                created_at=utcnow() - age,
            )
        )


async def stored(db: Database) -> set[int]:
    async with db.read() as session:
        return set((await session.scalars(select(Story.id))).all())


async def indexed(db: Database) -> set[int]:
    async with db.read() as session:
        return set((await session.scalars(select(SearchDoc.rowid))).all())


async def found(db: Database, query: str = WORD) -> set[int]:
    return {hit.story_id for hit in (await search(db, query, limit=50)).hits}


# --------------------------------------------------------------------------- the prune


async def test_old_stories_go_with_their_index_rows_and_records_and_the_rest_stays(db: Database) -> None:
    feed = await add_feed(db)
    old = await add_story(db, feed, "جسر فوق النهر", age=OLD)
    sent = await add_story(db, feed, "مستشفى للأطفال", age=OLD)
    await add_row(db, sent, outbox.SENT, age=DAY)  # a record still younger than keep_history
    await add_row(db, sent, outbox.GROUPED, age=OLD, chat_id=2)
    owed = {
        status: await add_story(db, feed, f"مدرسة {status}", age=OLD)
        for status in (outbox.PENDING, outbox.SENDING, outbox.DIGEST_WAIT)
    }
    for status, story in owed.items():
        await add_row(db, story, status, age=OLD)
    queued = await add_story(db, feed, "ملعب ينتظر التوجيه", age=OLD)
    async with db.write() as session:
        session.add(RouteQueue(story_id=queued, created_at=utcnow() - OLD))
    recent = await add_story(db, feed, "مطار في المدينة", age=STORIES - DAY)
    everything = await stored(db)
    assert await found(db) == everything and old in everything

    deleted = await prune(db, HISTORY, keep_stories=STORIES)

    kept = {*owed.values(), queued, recent}
    assert deleted["stories"] == 2
    assert await stored(db) == kept
    assert await indexed(db) == kept
    assert await found(db) == kept
    assert await found(db, "جسر") == set()
    async with db.read() as session:
        rows = (await session.execute(select(Outbox.story_id, Outbox.status))).all()
        entries = (await session.execute(select(FeedEntry.story_id).order_by(FeedEntry.id))).all()
    # Only the deleted story's records went; what is still owed to a chat is untouched.
    assert sorted(rows) == sorted((story, status) for status, story in owed.items())
    # Each feed entry stays (the outlet listing the item again is not news), without its story.
    assert len(entries) == len(everything)
    assert {story for (story,) in entries} == {*kept, None}


async def test_by_default_and_within_the_limit_every_story_stays(db: Database) -> None:
    feed = await add_feed(db)
    stories = {
        await add_story(db, feed, f"خبر رقم {n}", age=age) for n, age in enumerate((OLD, 20 * DAY, DAY))
    }
    assert parse_config({}).database.keep_stories == 0
    assert "stories" not in await prune(db, HISTORY)
    assert "stories" not in await prune(db, HISTORY, keep_stories=timedelta(0))
    assert (await prune(db, HISTORY, keep_stories=2 * OLD))["stories"] == 0
    assert await stored(db) == stories and await found(db) == stories


async def test_another_feeds_copy_outlives_its_original_and_is_found_once(db: Database) -> None:
    first, second, third = await add_feed(db), await add_feed(db, "مصدر ثان"), await add_feed(db, "مصدر ثالث")
    original = await add_story(db, first, "قمة اقتصادية في الرياض", age=OLD)
    copy = await add_story(db, second, "قمة اقتصادية في الرياض", age=DAY, duplicate_of=original)
    later = await add_story(db, third, "قمة اقتصادية في الرياض", age=DAY, duplicate_of=original)
    assert await found(db, "قمة") == {original}

    await prune(db, HISTORY, keep_stories=STORIES)

    async with db.read() as session:
        duplicates = dict((await session.execute(select(Story.id, Story.duplicate_of))).all())
    # The earliest copy is now the story, the other copy its duplicate: listed once, as before.
    assert duplicates == {copy: None, later: copy}
    assert await found(db, "قمة") == {copy}
    assert await indexed(db) == {copy}


async def test_the_newest_story_stays_so_no_story_number_is_ever_reused(db: Database) -> None:
    # An instance idle for months: every story is old. Without the newest one, SQLite would number
    # the next story 1 again, and a sent card's «المزيد» button would open that one.
    feed = await add_feed(db)
    ids = [await add_story(db, feed, f"خبر قديم {n}", age=OLD) for n in range(3)]
    await prune(db, HISTORY, keep_stories=STORIES)
    assert await stored(db) == {ids[-1]}
    assert await add_story(db, feed, "خبر جديد", age=timedelta(0)) > ids[-1]


async def test_a_large_archive_goes_in_batches(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "STORY_BATCH", 3)
    feed = await add_feed(db)
    for n in range(10):
        story = await add_story(db, feed, f"خبر {n}", age=OLD)
        await add_row(db, story, outbox.SENT, age=OLD)
    newest = await add_story(db, feed, "خبر اليوم", age=timedelta(0))
    assert (await prune(db, HISTORY, keep_stories=STORIES))["stories"] == 10
    assert await stored(db) == {newest} and await indexed(db) == {newest}


def test_every_outbox_status_is_either_finished_or_owed() -> None:
    # A new status must be one or the other, or a story still owed to a chat could be deleted.
    statuses = {v for k, v in vars(outbox).items() if k.isupper() and isinstance(v, str) and k not in _KINDS}
    assert statuses == set(retention._FINISHED) | set(retention._OWED)
    assert not set(retention._FINISHED) & set(retention._OWED)


_KINDS = {"STORY", "DIGEST_ITEM", "DIGEST", "BROADCAST", "ALERT", "TEXT", "EDIT"}


# --------------------------------------------------------------------------- config


def test_keep_stories_is_a_duration_no_shorter_than_keep_history() -> None:
    assert parse_config({"database": {"keep_stories": "180d"}}).database.keep_stories == 180 * 86400
    assert parse_config({"database": {"keep_stories": "0"}}).database.keep_stories == 0
    both = {"keep_history": "60d", "keep_stories": "60d"}
    assert parse_config({"database": both}).database.keep_stories == 60 * 86400
    for given, message in (
        ({"keep_stories": "20d"}, '20 days is less than keep_history (30 days): set at least "30d"'),
        ({"keep_history": "60d", "keep_stories": "45d"}, "45 days is less than keep_history (60 days)"),
        ({"keep_stories": "12h"}, "0.5 days is less than keep_history (30 days)"),
    ):
        with pytest.raises(ConfigError) as refused:
            parse_config({"database": given})
        said = str(refused.value)
        # The key, in days as the operator writes it (not 1728000 seconds), and the way out.
        assert "database.keep_stories" in said and message in said, said
        assert "or 0 to keep stories forever" in said and "1728000" not in said
    with pytest.raises(ConfigError, match=r"keep_stories.*not a duration"):
        parse_config({"database": {"keep_stories": "forever"}})


# --------------------------------------------------------------------------- what users see


async def _subscriber(db: Database, chat_id: int, feed: int) -> None:
    async with db.write() as session:
        session.add(Subscriber(chat_id=chat_id, language="ar", since=utcnow() - OLD - DAY))
        await session.flush()
        session.add(Subscription(chat_id=chat_id, kind="feed", target=str(feed)))


async def _age(db: Database, story_id: int, when: datetime) -> None:
    async with db.write() as session:
        await session.execute(
            update(Story).where(Story.id == story_id).values(fetched_at=when, published_at=when)
        )
        await session.execute(update(Outbox).where(Outbox.story_id == story_id).values(created_at=when))


async def test_after_the_daily_prune_search_latest_and_a_cards_button_answer_cleanly(
    bot_factory: Any, fake_telegram: Any
) -> None:
    async with bot_factory(database={"keep_stories": "60d"}) as app:
        db: Database = services(app).db
        feed = await add_feed(db)
        await _subscriber(db, USER_ID, feed)
        # A card sent months ago, whose story is now past keep_stories.
        gone = await add_story(db, feed, "جسر فوق النهر", age=timedelta(0))
        assert await route_new_stories(db, services(app).config, [gone]) == 1
        delivery.wake(app)
        [card] = await fake_telegram.wait_for_messages(USER_ID, count=1, timeout=10)
        await _age(db, gone, utcnow() - OLD)
        recent = await add_story(db, feed, "مطار في المدينة", age=DAY)

        keep = services(app).config.database
        assert keep.keep_stories == STORIES.total_seconds()
        await prune(db, timedelta(seconds=keep.keep_history), keep_stories=STORIES)

        assert await stored(db) == {recent}
        [reply] = await fake_telegram.converse(USER_ID, f"/search {WORD}")
        assert "مطار" in reply["plain_text"] and "جسر" not in reply["plain_text"]
        [none] = await fake_telegram.converse(USER_ID, "/search جسر")
        assert "لم أجد أخبارًا عن «جسر»" in none["plain_text"]
        latest = await fake_telegram.converse(USER_ID, "/latest")
        assert all("جسر" not in m["plain_text"] for m in latest)
        assert any("مطار" in m["plain_text"] for m in latest)
        update_ = await fake_telegram.inline_query(WORD)
        answer = await fake_telegram.wait_for_inline_answer(update_["inline_query"]["id"])
        assert [r["title"] for r in answer["results"]] == [f"{WORD} مطار في المدينة"]

        # The old card's «المزيد» button says the story is gone, and the card stays as it was.
        pressed = await fake_telegram.callback_query(USER_ID, card["message_id"], f"more:{gone}")
        said = await fake_telegram.wait_for_callback_answer(pressed["callback_query"]["id"])
        assert said.get("text") == "لم يعد هذا الخبر متاحًا."
        assert fake_telegram.message(USER_ID, card["message_id"])["text"] == card["text"]
        assert not fake_telegram.calls("editMessageText")


async def test_the_running_bot_prunes_old_stories_daily(bot_factory: Any) -> None:
    # bot.app's daily job passes [database] keep_stories to the prune.
    async with bot_factory(database={"keep_stories": "60d"}) as app:
        db: Database = services(app).db
        feed = await add_feed(db)
        old = await add_story(db, feed, "جسر فوق النهر", age=OLD)
        recent = await add_story(db, feed, "مطار في المدينة", age=DAY)
        await _retention(type("Context", (), {"application": app})())
        assert await stored(db) == {recent} and old not in await indexed(db)
