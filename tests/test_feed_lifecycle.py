"""A feed's stories and address over time: corrected items, moved feeds, renamed config URLs, and
stories from different feeds that share a generic link.

The feeds are served by test_audit_feeds' RawServer (exact bytes, loopback only); the search test
also runs on PostgreSQL when AKHBAR_TEST_POSTGRES_URL is set (see tests/postgres.py).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.admin.feeds import add_feed as admin_add_feed
from bot.config import Config
from bot.db.database import Database, open_database
from bot.db.models import Feed, Outbox, Story, Subscriber, Subscription
from bot.delivery.outbox import ALERT
from bot.feeds.fetcher import Fetcher
from bot.feeds.health import feed_move, move_texts
from bot.feeds.models import FeedAlias
from bot.feeds.poller import MOVE_AFTER
from bot.search.service import search
from bot.services import services
from bot.sync import sync_config
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID
from tests.postgres import database_url, pg_url
from tests.test_admin_chat import ask
from tests.test_audit_feeds import RawServer, poll, raw_server, rss
from tests.test_audit_feeds import add_feed as add_raw_feed
from tests.test_feed_poller import config, fetcher, queued
from tests.test_feed_poller import stories as stored

__all__ = ["config", "fetcher", "pg_url", "raw_server"]  # fixtures, used by name

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request, tmp_path / "lifecycle.sqlite3")


@pytest.fixture
async def any_db(any_db_url: str) -> AsyncIterator[Database]:
    """The test's database on SQLite, then on PostgreSQL (skipped without a server)."""
    database = await open_database(any_db_url)
    try:
        yield database
    finally:
        await database.close()


async def titles_found(db: Database, query: str) -> list[str]:
    page = await search(db, query, relax=False)
    return [hit.title for hit in page.hits]


# -- 1. a corrected story ---------------------------------------------------------------------------

MINISTER = {
    "guid": "https://news.example/ar/1001",
    "link": "https://news.example/ar/1001",
    "pubDate": "Thu, 01 Mar 2018 10:00:00 +0300",
}
MINISTER_LEAD = (
    "أعلن الوزير صباح اليوم خطة جديدة لدعم المزارعين في المحافظات الجنوبية، "
    "وقال إن الحكومة ستخصص مبالغ إضافية لشراء البذور والأسمدة خلال الموسم المقبل."
)


async def test_a_corrected_headline_replaces_the_old_one_in_search(
    any_db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer
) -> None:
    db = any_db
    old = {**MINISTER, "title": "وزير الزراعة يعلن خطة لدعم المزارعين", "description": MINISTER_LEAD}
    other = {
        "guid": "https://news.example/ar/1002",
        "link": "https://news.example/ar/1002",
        "title": "افتتاح معرض الكتاب في العاصمة",
        "description": "افتتح المعرض أبوابه أمام الزوار بمشاركة مئات دور النشر من عشرين دولة.",
    }
    url = raw_server.set("/fix", rss([old, other]).encode(), RSS)
    feed_id = await add_raw_feed(db, url)
    await poll(db, config, fetcher, feed_id)
    assert await titles_found(db, "الزراعة") == [old["title"]]

    # The outlet corrects the headline (the minister's portfolio) and a word of the lead, under
    # the same guid.
    fixed_lead = MINISTER_LEAD.replace("البذور", "الشتلات")
    new = {**MINISTER, "title": "وزير الري يعلن خطة لدعم المزارعين", "description": fixed_lead}
    raw_server.set("/fix", rss([new, other]).encode(), RSS)
    result = await poll(db, config, fetcher, feed_id)
    assert result.new_story_ids == [] and result.stored_story_ids == []  # not a new story, not re-sent
    assert await queued(db) == []

    assert await titles_found(db, "الري") == [new["title"]]
    assert await titles_found(db, "الزراعة") == []  # the old wording is gone from search
    assert await titles_found(db, "الشتلات") == [new["title"]]
    assert await titles_found(db, "البذور") == []
    async with db.read() as session:
        story = (await session.scalars(select(Story).where(Story.url == MINISTER["link"]))).one()
    assert story.title == new["title"] and "الشتلات" in story.text
    assert story.summary and all(sentence in story.text for sentence in story.summary)

    # Polled again unchanged: nothing to do.
    again = await poll(db, config, fetcher, feed_id)
    assert again.updated_story_ids == [] and again.stored_story_ids == []


# -- 3. a feed's URL changed in config.toml ---------------------------------------------------------


def news_item(n: int, base: str, *, day: int) -> dict[str, str]:
    leads = [
        "قررت الحكومة رفع أسعار الوقود بنسبة خمسة في المئة اعتبارًا من الشهر المقبل بعد مراجعة الأسعار العالمية.",
        "افتتح الرئيس مستشفى جديدًا في المدينة الساحلية يضم مئتي سرير وأقسامًا متخصصة لعلاج الأطفال.",
        "أعلن الاتحاد المحلي لكرة القدم موعد انطلاق الموسم الجديد وجدول مباريات الجولة الأولى للفرق.",
        "سجلت محطات الرصد أمطارًا غزيرة في المناطق الشمالية أدت إلى إغلاق عدد من الطرق الفرعية.",
        "وقعت وزارة التعليم اتفاقية لتدريب آلاف المعلمين على المناهج الرقمية خلال العام الدراسي.",
    ]
    titles = [
        "رفع أسعار الوقود الشهر المقبل",
        "افتتاح مستشفى جديد للأطفال",
        "موعد انطلاق الموسم الكروي",
        "أمطار غزيرة تغلق طرقًا في الشمال",
        "اتفاقية لتدريب المعلمين رقميًا",
    ]
    link = f"{base}/{n}"
    return {
        "title": titles[n],
        "link": link,
        "guid": link,
        "pubDate": f"0{day} Mar 2018 09:00:00 +0000",
        "description": leads[n],
    }


async def subscribe(db: Database, chat_id: int, feed_id: int) -> None:
    async with db.write() as session:
        session.add(Subscriber(chat_id=chat_id))
        await session.flush()
        session.add(Subscription(chat_id=chat_id, kind="feed", target=str(feed_id)))


async def config_feeds(db: Database) -> list[Feed]:
    async with db.read() as session:
        return list((await session.scalars(select(Feed).order_by(Feed.id))).all())


@pytest.mark.parametrize("renamed", [False, True], ids=["same-name", "renamed"])
async def test_a_feed_whose_url_changed_in_config_keeps_its_subscribers_and_sends_nothing_twice(
    any_db: Database,
    config: Config,
    config_factory: Callable[..., Config],
    fetcher: Fetcher,
    raw_server: RawServer,
    renamed: bool,
) -> None:
    db = any_db
    old_base, new_base = "https://old.news.example/ar", "https://news.example/world/ar"
    old_url = raw_server.set("/rss", rss([news_item(0, old_base, day=1)]).encode(), RSS)
    await sync_config(db, config_factory(feeds=[{"url": old_url, "name": "الأخبار", "interval": 60}]))
    (feed,) = await config_feeds(db)
    await subscribe(db, 42, feed.id)
    await poll(db, config, fetcher, feed.id)
    raw_server.set("/rss", rss([news_item(1, old_base, day=2), news_item(0, old_base, day=1)]).encode(), RSS)
    assert len((await poll(db, config, fetcher, feed.id)).new_story_ids) == 1  # delivered once

    # The outlet moves its feed (and its links) to a new address; the admin edits config.toml.
    moved = [news_item(1, new_base, day=2), news_item(0, new_base, day=1)]
    new_url = raw_server.set("/feed/ar", rss(moved).encode(), RSS)
    name = "الأخبار العالمية" if renamed else "الأخبار"
    await sync_config(db, config_factory(feeds=[{"url": new_url, "name": name, "interval": 60}]))
    (now,) = [f for f in await config_feeds(db) if f.status == "active"]
    assert (now.url, now.name) == (new_url, name)
    if not renamed:
        assert now.id == feed.id  # the same feed row: its stories stay with it

    routed = await queued(db)  # (no delivery runs here to take them off the queue)
    result = await poll(db, config, fetcher, now.id)
    assert result.new_story_ids == [] and await queued(db) == routed  # nothing delivered a second time
    raw_server.set("/feed/ar", rss([news_item(2, new_base, day=3), *moved]).encode(), RSS)
    fresh = await poll(db, config, fetcher, now.id)
    assert len(fresh.new_story_ids) == 1  # and the feed goes on...
    async with db.read() as session:
        targets = (await session.scalars(select(Subscription.target).where(Subscription.chat_id == 42))).all()
    assert targets == [str(now.id)]  # ...for its subscriber


async def test_a_different_feed_added_as_another_leaves_does_not_take_its_subscribers(
    db: Database,
    config: Config,
    config_factory: Callable[..., Config],
    fetcher: Fetcher,
    raw_server: RawServer,
) -> None:
    base = "https://news.example/ar"
    politics = raw_server.set(
        "/politics", rss([news_item(0, base, day=1), news_item(1, base, day=1)]).encode(), RSS
    )
    await sync_config(db, config_factory(feeds=[{"url": politics, "name": "سياسة", "interval": 60}]))
    (old,) = await config_feeds(db)
    await subscribe(db, 42, old.id)
    await poll(db, config, fetcher, old.id)
    # The admin swaps it for the site's sports feed, which happens to list one of the same stories.
    sports = [news_item(n, base, day=2) for n in (2, 3, 4)] + [news_item(0, base, day=1)]
    sports_url = raw_server.set("/sports", rss(sports).encode(), RSS)
    await sync_config(db, config_factory(feeds=[{"url": sports_url, "name": "رياضة", "interval": 60}]))
    (new,) = [f for f in await config_feeds(db) if f.status == "active"]
    assert new.id != old.id
    await poll(db, config, fetcher, new.id)
    async with db.read() as session:
        targets = (await session.scalars(select(Subscription.target).where(Subscription.chat_id == 42))).all()
    assert targets == [str(old.id)]  # politics readers are not switched to sports


# -- 2. a feed that moved permanently ---------------------------------------------------------------


async def feed_url(db: Database, feed_id: int) -> str:
    async with db.read() as session:
        feed = await session.get(Feed, feed_id)
        assert feed is not None
        return feed.url


async def test_a_feed_that_moved_permanently_is_fetched_from_its_new_address(
    any_db: Database,
    config: Config,
    config_factory: Callable[..., Config],
    fetcher: Fetcher,
    raw_server: RawServer,
) -> None:
    db = any_db
    items = [news_item(0, "https://news.example/ar", day=1), news_item(1, "https://news.example/ar", day=2)]
    new_url = raw_server.set("/new/rss", rss(items).encode(), RSS)
    old_url = raw_server.set("/rss", b"", {"Location": new_url}, status=301)
    declared = config_factory(feeds=[{"url": old_url, "name": "الأخبار", "interval": 60}])
    await sync_config(db, declared)
    (feed,) = await config_feeds(db)
    await subscribe(db, 42, feed.id)

    for _ in range(1, MOVE_AFTER):
        await poll(db, config, fetcher, feed.id)
        assert await feed_url(db, feed.id) == old_url  # one or two 301s are not a move yet
    move = await feed_move(db, feed.id)
    assert move is not None and move.moving_to == new_url and move.seen == MOVE_AFTER - 1
    async with db.read() as session:
        assert not (await session.scalars(select(Outbox).where(Outbox.kind == ALERT))).all()
    await poll(db, config, fetcher, feed.id)
    assert await feed_url(db, feed.id) == new_url  # the third in a row is
    # ... and the admins are told, in Arabic by default, with both addresses.
    async with db.read() as session:
        [alert] = (await session.scalars(select(Outbox).where(Outbox.kind == ALERT))).all()
    assert alert.chat_id == ADMIN_ID and new_url in alert.payload["text"] and old_url in alert.payload["text"]
    assert "انتقلت تغذية «الأخبار» نهائيًا" in alert.payload["text"]
    hits = raw_server.hits["/rss"]
    await poll(db, config, fetcher, feed.id)
    assert raw_server.hits["/rss"] == hits  # no more detour through the old address

    # Same feed: its stories and subscribers stay, and nothing is stored twice.
    assert len(await stored(db, feed.id)) == 2
    async with db.read() as session:
        targets = (await session.scalars(select(Subscription.target))).all()
    assert targets == [str(feed.id)]

    # The admin sees it in /feed, in Arabic and in English.
    move = await feed_move(db, feed.id)
    assert move is not None and move.moved_from == old_url and move.moving_to is None
    (line_ar,) = move_texts(move, "ar", "اليوم")
    (line_en,) = move_texts(move, "en", "today")
    assert (
        old_url in line_ar and "نُقلت" in line_ar and not re.search(r"[A-Za-z]", line_ar.replace(old_url, ""))
    )
    assert old_url in line_en and "Moved permanently" in line_en

    # config.toml still names the old address: the next start does not add it back as a new feed.
    report = await sync_config(db, declared)
    assert report.added == [] and report.retired == [] and report.moved == ["الأخبار"]
    feeds = await config_feeds(db)
    assert [(f.id, f.url, f.status) for f in feeds] == [(feed.id, new_url, "active")]
    # An admin who adds the old address from the chat is told the feed is already there.
    again = await admin_add_feed(db, config, fetcher, old_url, origin="chat")
    assert (again.code, again.feed_id) == ("duplicate_url", feed.id)
    # And when the admin writes the new address into config.toml, nothing changes either.
    report = await sync_config(
        db, config_factory(feeds=[{"url": new_url, "name": "الأخبار", "interval": 60}])
    )
    assert report.added == report.retired == report.moved == []
    assert [(f.id, f.url) for f in await config_feeds(db)] == [(feed.id, new_url)]


@pytest.mark.parametrize("status", [302, 303, 307])
async def test_a_temporary_redirect_never_rewrites_the_feed_url(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, status: int
) -> None:
    new_url = raw_server.set("/new/rss", rss([news_item(0, "https://news.example/ar", day=1)]).encode(), RSS)
    old_url = raw_server.set("/rss", b"", {"Location": new_url}, status=status)
    feed_id = await add_raw_feed(db, old_url)
    for _ in range(MOVE_AFTER + 2):
        await poll(db, config, fetcher, feed_id)
    assert await feed_url(db, feed_id) == old_url
    assert await feed_move(db, feed_id) is None


async def test_a_permanent_redirect_that_stops_is_not_a_move(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer
) -> None:
    body = rss([news_item(0, "https://news.example/ar", day=1)]).encode()
    new_url = raw_server.set("/new/rss", body, RSS)
    old_url = raw_server.set("/rss", b"", {"Location": new_url}, status=308)
    feed_id = await add_raw_feed(db, old_url)
    for _ in range(MOVE_AFTER - 1):
        await poll(db, config, fetcher, feed_id)
    raw_server.set("/rss", body, RSS)  # a CDN blip, over: the old address answers again
    await poll(db, config, fetcher, feed_id)
    assert await feed_move(db, feed_id) is None  # the count starts again
    raw_server.set("/rss", b"", {"Location": new_url}, status=308)
    for _ in range(MOVE_AFTER - 1):
        await poll(db, config, fetcher, feed_id)
    assert await feed_url(db, feed_id) == old_url
    await poll(db, config, fetcher, feed_id)
    assert await feed_url(db, feed_id) == new_url


# -- 4. different stories that share a generic link -------------------------------------------------


async def test_different_stories_sharing_a_generic_link_across_feeds_are_both_delivered(
    any_db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer
) -> None:
    db = any_db
    home = "https://site.example/"
    first = {**news_item(0, "https://a.example/ar", day=1), "link": home, "guid": "a-100"}
    second = {**news_item(1, "https://b.example/ar", day=1), "link": home, "guid": "b-200"}
    # The same article in both feeds under its own link, one headline reworded: still one story.
    article = news_item(3, "https://site.example/ar", day=2)
    reworded = {**article, "title": "أمطار غزيرة وإغلاق طرق فرعية في الشمال", "guid": "b-201"}
    # Each feed has listed a story before (a feed's first stories are its catalogue, not news).
    earlier = {site: rss([news_item(2, f"https://{site}.example/ar", day=1)]).encode() for site in "ab"}
    a = await add_raw_feed(db, raw_server.set("/a", earlier["a"], RSS), "أ")
    b = await add_raw_feed(db, raw_server.set("/b", earlier["b"], RSS), "ب")
    for feed_id in (a, b):
        await poll(db, config, fetcher, feed_id)

    raw_server.set("/a", rss([first, article]).encode(), RSS)
    raw_server.set("/b", rss([second, reworded]).encode(), RSS)
    from_a = await poll(db, config, fetcher, a)
    from_b = await poll(db, config, fetcher, b)
    assert len(from_a.new_story_ids) == len(from_b.new_story_ids) == 2
    by_title = {s.title: s for s in await stored(db)}
    assert by_title[second["title"]].duplicate_of is None  # its own story: delivered to b's readers
    assert by_title[reworded["title"]].duplicate_of == by_title[article["title"]].id  # sent once


async def test_feed_card_says_where_a_feed_moved_from(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    old, new = "http://example.org/rss.xml", "https://www.example.org/feed/"
    async with bot_factory() as app:
        async with services(app).db.write() as session:
            feed = Feed(url=new, name="مصدر انتقل", origin="cli", status="paused")
            session.add(feed)
            await session.flush()
            session.add(FeedAlias(url=old, feed_id=feed.id))
        text_ar = (await ask(fake_telegram, "/feed مصدر انتقل"))["plain_text"]
        assert "نُقلت التغذية نهائيًا من" in text_ar and old in text_ar and new in text_ar
        text_en = (await ask(fake_telegram, "/feed مصدر انتقل", lang="en"))["plain_text"]
        assert f"Moved permanently from {old}" in text_en
