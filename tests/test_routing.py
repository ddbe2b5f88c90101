"""Routing: who gets which story — feeds, topics, keywords, no flood, cross-feed duplicates, digests.

The small seeding helpers here are shared with tests/test_delivery*.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot.clock import as_utc, utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed, Outbox, Story, Subscriber, Subscription, Topic
from bot.delivery import outbox
from bot.delivery.routing import route_new_stories
from bot.delivery.schedule import latest_slot, quiet_until
from summarizer.normalize import normalize, tokens
from tests.fakes.telegram_api import parse_html

# --------------------------------------------------------------------------- seeding helpers


async def add_feed(db: Database, name: str = "الجزيرة نت", topics: list[str] | None = None) -> int:
    async with db.write() as session:
        feed = Feed(
            url=f"https://example.org/{abs(hash(name))}.xml", name=name, topics=topics or [], origin="cli"
        )
        session.add(feed)
        await session.flush()
        return feed.id


async def add_story(
    db: Database,
    feed_id: int | None,
    title: str = "خبر عاجل عن الاقتصاد",
    *,
    summary: list[str] | None = None,
    text: str = "",
    source: str = "الجزيرة نت",
    fetched_at: datetime | None = None,
    duplicate_of: int | None = None,
    url: str | None = "https://example.org/story",
) -> int:
    async with db.write() as session:
        story = Story(
            feed_id=feed_id,
            entry_key=f"k-{title}-{utcnow().timestamp()}-{duplicate_of}",
            url=url,
            title=title,
            source=source,
            summary=summary
            if summary is not None
            else ["الجملة الأولى من الخبر.", "الجملة الثانية من الخبر."],
            text=text,
            fetched_at=fetched_at or utcnow(),
            published_at=fetched_at or utcnow(),
            duplicate_of=duplicate_of,
        )
        session.add(story)
        await session.flush()
        return story.id


async def add_subscriber(
    db: Database,
    chat_id: int,
    *,
    since: datetime | None = None,
    subscriptions: list[tuple[str, str]] = (),  # type: ignore[assignment]
    **settings: Any,
) -> None:
    values: dict[str, Any] = {"language": "ar", "timezone": "Asia/Riyadh", "mode": "instant", "sentences": 3}
    values.update(settings)
    async with db.write() as session:
        session.add(Subscriber(chat_id=chat_id, since=since or utcnow() - timedelta(hours=1), **values))
        await session.flush()
        for kind, target in subscriptions:
            session.add(Subscription(chat_id=chat_id, kind=kind, target=target))


async def add_topic(db: Database, name: str, keywords: list[str]) -> None:
    async with db.write() as session:
        session.add(Topic(name=name, keywords=keywords))


async def rows(db: Database, chat_id: int | None = None) -> list[Outbox]:
    async with db.read() as session:
        query = select(Outbox).order_by(Outbox.id)
        if chat_id is not None:
            query = query.where(Outbox.chat_id == chat_id)
        return list((await session.scalars(query)).all())


def keyword(text: str) -> str:
    """A followed keyword as the subscriber side stores it (normalised words)."""
    return normalize(" ".join(tokens(text)))


# --------------------------------------------------------------------------- routing


async def test_feed_subscribers_get_the_story_rendered_for_them(db: Database, config_factory: Any) -> None:
    config: Config = config_factory()
    feed = await add_feed(db)
    other = await add_feed(db, "مصدر آخر")
    await add_subscriber(db, 1, subscriptions=[("feed", str(feed))], sentences=1)
    await add_subscriber(db, 2, subscriptions=[("feed", str(feed))], language="en", link_preview=True)
    await add_subscriber(db, 3, subscriptions=[("feed", str(other))])
    await add_subscriber(db, 4, subscriptions=[("feed", str(feed))], active=False)
    story = await add_story(db, feed)

    assert await route_new_stories(db, config, [story]) == 2
    by_chat = {row.chat_id: row for row in await rows(db)}
    assert set(by_chat) == {1, 2}
    ar, en = by_chat[1], by_chat[2]
    assert ar.kind == "story" and ar.status == "pending" and ar.dedup_key == f"story:{story}"
    assert "الجملة الأولى" in ar.payload["text"] and "الجملة الثانية" not in ar.payload["text"]  # 1 sentence
    assert ar.payload["buttons"][0][0]["text"] == "المصدر" and ar.payload["preview"] is False
    assert en.payload["buttons"][0][0]["text"] == "Source" and en.payload["preview"] is True
    assert "الجملة الثانية" in en.payload["text"]


async def test_topic_matches_by_feed_tag_or_by_keyword(db: Database, config_factory: Any) -> None:
    config = config_factory()
    tagged_feed = await add_feed(db, "رياضة اليوم", topics=["رياضة"])
    plain_feed = await add_feed(db, "أخبار عامة")
    await add_topic(db, "رياضة", ["كرة القدم", "مباراة"])
    await add_topic(db, "سوريا", ["سوريا", "دمشق"])
    await add_subscriber(db, 10, subscriptions=[("topic", "رياضة")])
    await add_subscriber(db, 11, subscriptions=[("topic", "سوريا")])
    tagged = await add_story(db, tagged_feed, "نتائج الجولة الأخيرة")
    by_keyword = await add_story(db, plain_feed, "الحكومة السورية تعلن خطة جديدة")  # سوريا ↔ السورية
    unrelated = await add_story(db, plain_feed, "ارتفاع أسعار الذهب")

    await route_new_stories(db, config, [tagged, by_keyword, unrelated])
    got = {(row.chat_id, row.story_id) for row in await rows(db)}
    assert got == {(10, tagged), (11, by_keyword)}


async def test_keyword_subscription_matches_title_summary_or_text(db: Database, config_factory: Any) -> None:
    config = config_factory()
    feed = await add_feed(db)
    await add_subscriber(db, 20, subscriptions=[("keyword", keyword("الانتخابات"))])
    await add_subscriber(db, 21, subscriptions=[("keyword", keyword("البنك المركزي"))])
    in_title = await add_story(db, feed, "انتخاب رئيس جديد للبرلمان")
    in_text = await add_story(
        db, feed, "خبر اقتصادي", summary=["قرار جديد."], text="أعلن البنك المركزي رفع الفائدة."
    )
    half = await add_story(db, feed, "البنك الدولي يحذر")  # only one of the two words

    await route_new_stories(db, config, [in_title, in_text, half])
    got = {(row.chat_id, row.story_id) for row in await rows(db)}
    assert got == {(20, in_title), (21, in_text)}


async def test_no_flood_stories_fetched_before_subscribing_are_not_sent(
    db: Database, config_factory: Any
) -> None:
    config = config_factory()
    feed = await add_feed(db)
    now = utcnow()
    await add_subscriber(db, 30, since=now, subscriptions=[("feed", str(feed))])
    old = await add_story(db, feed, "خبر قديم", fetched_at=now - timedelta(minutes=5))
    new = await add_story(db, feed, "خبر جديد", fetched_at=now + timedelta(seconds=1))
    assert await route_new_stories(db, config, [old, new]) == 1
    assert [row.story_id for row in await rows(db, 30)] == [new]


async def test_a_story_carried_by_two_feeds_reaches_a_chat_once(db: Database, config_factory: Any) -> None:
    config = config_factory()
    first, second = await add_feed(db, "المصدر الأول"), await add_feed(db, "المصدر الثاني")
    await add_subscriber(db, 40, subscriptions=[("feed", str(first)), ("feed", str(second))])
    await add_subscriber(db, 41, subscriptions=[("feed", str(second))])
    original = await add_story(db, first, "زلزال قوي")
    duplicate = await add_story(db, second, "زلزال قوي", duplicate_of=original)

    assert await route_new_stories(db, config, [original]) == 1
    assert await route_new_stories(db, config, [duplicate]) == 1  # only chat 41, which lacked it
    assert await route_new_stories(db, config, [original, duplicate]) == 0  # routing again changes nothing
    got = sorted((row.chat_id, row.dedup_key) for row in await rows(db))
    assert got == [(40, f"story:{original}"), (41, f"story:{original}")]


async def test_digest_subscribers_get_a_waiting_item_not_a_message(db: Database, config_factory: Any) -> None:
    config = config_factory()
    feed = await add_feed(db)
    await add_subscriber(db, 50, subscriptions=[("feed", str(feed))], mode="digest", digest_times=["08:00"])
    story = await add_story(db, feed)
    await route_new_stories(db, config, [story])
    [row] = await rows(db, 50)
    assert (row.kind, row.status) == (outbox.DIGEST_ITEM, outbox.DIGEST_WAIT)
    assert await outbox.pending_count(db) == 0


async def test_quiet_hours_delay_instant_messages_until_they_end(db: Database, config_factory: Any) -> None:
    config = config_factory()
    feed = await add_feed(db)
    now = utcnow()
    start = (now - timedelta(hours=1)).strftime("%H:%M")
    end = (now + timedelta(hours=2)).strftime("%H:%M")
    await add_subscriber(
        db, 60, subscriptions=[("feed", str(feed))], timezone="UTC", quiet_start=start, quiet_end=end
    )
    await add_subscriber(db, 61, subscriptions=[("feed", str(feed))], timezone="UTC")
    story = await add_story(db, feed)
    await route_new_stories(db, config, [story])
    [quiet] = await rows(db, 60)
    [loud] = await rows(db, 61)
    expected_end = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    assert abs((as_utc(quiet.not_before) - expected_end).total_seconds()) < 1
    assert as_utc(loud.not_before) <= utcnow()


# --------------------------------------------------------------------------- local time arithmetic


def test_quiet_hours_across_midnight() -> None:
    at = datetime(2024, 5, 1, 21, 30, tzinfo=UTC)  # 00:30 in Riyadh (UTC+3)
    end = quiet_until(at, "23:00", "07:00", "Asia/Riyadh")
    assert end == datetime(2024, 5, 2, 4, 0, tzinfo=UTC)  # 07:00 Riyadh the same local morning
    evening = datetime(2024, 5, 1, 20, 30, tzinfo=UTC)  # 23:30 Riyadh: ends tomorrow 07:00
    assert quiet_until(evening, "23:00", "07:00", "Asia/Riyadh") == datetime(2024, 5, 2, 4, 0, tzinfo=UTC)
    assert quiet_until(datetime(2024, 5, 1, 9, 0, tzinfo=UTC), "23:00", "07:00", "Asia/Riyadh") is None
    assert quiet_until(at, None, None, "Asia/Riyadh") is None
    assert quiet_until(at, "07:00", "07:00", "Asia/Riyadh") is None


def test_latest_digest_slot_in_the_subscribers_zone() -> None:
    at = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)  # 09:00 Riyadh
    assert latest_slot(at, ["08:00", "20:00"], "Asia/Riyadh") == datetime(2024, 5, 1, 5, 0, tzinfo=UTC)
    early = datetime(2024, 5, 1, 4, 0, tzinfo=UTC)  # 07:00 Riyadh: yesterday's 20:00
    assert latest_slot(early, ["08:00", "20:00"], "Asia/Riyadh") == datetime(2024, 4, 30, 17, 0, tzinfo=UTC)
    assert latest_slot(at, ["nonsense"], "Asia/Riyadh") is None


async def _digest_reader(db: Database, *subscriptions: tuple[str, str]) -> None:
    await add_subscriber(
        db,
        1,
        mode="digest",
        digest_times=["00:00", "12:00"],
        last_digest_at=utcnow() - timedelta(days=1),
        subscriptions=list(subscriptions),
    )


async def _digest_text(db: Database, config: Config) -> str:
    from bot.delivery.digest import run_digests

    await run_digests(db, config)
    return " ".join(r.payload["text"] for r in await rows(db, 1) if r.kind == outbox.DIGEST)


async def test_a_story_waiting_for_a_word_the_reader_stopped_following_is_not_in_the_digest(
    db: Database, config_factory: Any
) -> None:
    from bot.subscribers import service

    config = config_factory()
    feed = await add_feed(db)
    await _digest_reader(db, ("keyword", keyword("المدرسة")), ("keyword", keyword("النفط")))
    school = await add_story(db, feed, "حريق في المدرسة الابتدائية")
    oil = await add_story(db, feed, "النفط يرتفع وحريق في المدرسة")  # wanted for النفط too
    await route_new_stories(db, config, [school, oil])
    assert await service.unfollow(db, 1, "مدرسة")  # another form of the followed word
    text = await _digest_text(db, config)
    assert "النفط يرتفع" in text and "الابتدائية" not in text
    assert {r.story_id: r.status for r in await rows(db, 1)}[school] == outbox.WITHDRAWN


async def test_a_source_switched_off_and_on_again_before_the_digest_loses_nothing(
    db: Database, config_factory: Any
) -> None:
    from bot.subscribers import service

    config = config_factory()
    feed = await add_feed(db)
    await _digest_reader(db, ("feed", str(feed)))
    story = await add_story(db, feed, "افتتاح جسر جديد فوق النهر")
    await route_new_stories(db, config, [story])
    assert not await service.toggle(db, 1, "feed", str(feed))  # off…
    assert await service.toggle(db, 1, "feed", str(feed))  # …and on again, a tap later
    assert "افتتاح جسر جديد" in await _digest_text(db, config)


async def test_a_story_another_followed_source_also_carried_stays_in_the_digest(
    db: Database, config_factory: Any
) -> None:
    from bot.subscribers import service

    config = config_factory()
    first, second = await add_feed(db, "المصدر الأول"), await add_feed(db, "المصدر الثاني")
    await _digest_reader(db, ("feed", str(first)), ("feed", str(second)))
    story = await add_story(db, first, "افتتاح جسر جديد فوق النهر")
    copy = await add_story(db, second, "افتتاح جسر جديد فوق النهر")
    async with db.write() as session:
        await session.execute(update(Story).where(Story.id == copy).values(duplicate_of=story))
    await route_new_stories(db, config, [story, copy])
    assert await service.unsubscribe(db, 1, "feed", str(first))
    assert "افتتاح جسر جديد" in await _digest_text(db, config)  # the second source carried it too


async def test_a_pushed_card_keeps_to_the_configured_max_chars(db: Database, config_factory: Any) -> None:
    config = config_factory(summary={"max_chars": 200})
    feed = await add_feed(db)
    await add_subscriber(db, 1, subscriptions=[("feed", str(feed))])
    long = "وقال الوزير في مؤتمر صحفي عقده في العاصمة إن الحكومة ماضية في خطتها " * 6 + "."
    story = await add_story(db, feed, summary=[], text=long)
    await route_new_stories(db, config, [story])
    [row] = await rows(db, 1)
    summary = parse_html(row.payload["text"])[0].split("\n\n", 1)[1]
    assert len(summary) <= 200
