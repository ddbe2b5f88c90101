"""Audit of when and what subscribers receive: digests across zones and DST, quiet hours, /stop and
/start, long digests, duplicates. Time is controlled by passing `now` (run_digests) or by patching
the routing module's clock; nothing sleeps."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from bot.db.database import Database
from bot.db.models import Story, Subscriber
from bot.delivery import format as format_module
from bot.delivery import routing
from bot.delivery.digest import run_digests
from bot.delivery.format import RLM, render_digest, utf16_len
from bot.delivery.routing import route_new_stories
from bot.delivery.schedule import latest_slot
from bot.subscribers import service
from tests.test_format import visible
from tests.test_routing import add_feed, add_story, add_subscriber, keyword, rows


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC)


async def digests_text(db: Database, chat_id: int) -> str:
    return "\n".join(r.payload["text"] for r in await rows(db, chat_id) if r.kind == "digest")


async def set_sub(db: Database, chat_id: int, **values: Any) -> None:
    async with db.write() as session:
        await session.execute(update(Subscriber).where(Subscriber.chat_id == chat_id).values(**values))


async def night_quiet_subscriber(db: Database, chat_id: int, timezone: str, **settings: Any) -> int:
    """A chat following one feed, in `timezone`, with quiet hours 23:00–07:00; returns the feed id."""
    feed = await add_feed(db)
    await add_subscriber(
        db,
        chat_id,
        since=at("2026-01-01T00:00:00+00:00"),
        subscriptions=[("feed", str(feed))],
        timezone=timezone,
        quiet_start="23:00",
        quiet_end="07:00",
        **settings,
    )
    return feed


def freeze(monkeypatch: pytest.MonkeyPatch, now: datetime, *modules: Any) -> None:
    """These modules' clock (their `utcnow`) stops at `now`."""
    for module in modules:
        monkeypatch.setattr(module, "utcnow", lambda: now)


# --------------------------------------------------------------------------- digest times


@pytest.mark.parametrize(
    ("tz", "first_day", "times", "expected"),
    [
        # Spring forward: 01:30 does not exist on 29 March, it comes at 02:30 BST, once.
        (
            "Europe/London",
            "2026-03-28",
            ["01:30", "08:00"],
            ["01:30", "08:00", "02:30", "08:00", "01:30", "08:00"],
        ),
        # Fall back: 01:30 happens twice on 25 October; one digest.
        (
            "Europe/London",
            "2026-10-24",
            ["01:30", "20:00"],
            ["01:30", "20:00", "01:30", "20:00", "01:30", "20:00"],
        ),
        ("America/New_York", "2026-03-07", ["08:00", "20:00"], ["08:00", "20:00"] * 3),
        ("America/New_York", "2026-10-31", ["08:00", "20:00"], ["08:00", "20:00"] * 3),
        ("Asia/Riyadh", "2026-03-28", ["08:00", "08:01"], ["08:00", "08:01"] * 3),
    ],
)
def test_digest_times_follow_the_local_wall_clock_across_dst(
    tz: str, first_day: str, times: list[str], expected: list[str]
) -> None:
    """A scheduler run every minute for three local days sends each digest once, on the wall clock."""
    zone = ZoneInfo(tz)
    now = datetime.fromisoformat(first_day).replace(tzinfo=zone).astimezone(UTC)
    last = now
    sent: list[str] = []
    for _ in range(3 * 24 * 60):
        now += timedelta(minutes=1)
        slot = latest_slot(now, times, tz)
        if slot is not None and slot > last:
            sent.append(f"{now.astimezone(zone):%H:%M}")
            last = now
    assert sent == expected


async def test_a_restart_while_a_digest_is_due_sends_it_once(db: Database, config_factory: Any) -> None:
    config = config_factory()
    feed = await add_feed(db)
    await add_subscriber(
        db,
        11,
        since=at("2026-03-01T00:00:00+00:00"),
        subscriptions=[("feed", str(feed))],
        mode="digest",
        timezone="America/New_York",
        digest_times=["08:00"],
        last_digest_at=at("2026-03-07T08:00:20-05:00"),
    )
    await route_new_stories(db, config, [await add_story(db, feed, "خبر الصباح")])
    # Down over 08:00 New York (12:00 UTC on 8 March, the DST day); back at 08:07.
    assert await run_digests(db, config, now=at("2026-03-08T07:59:00-04:00")) == 0
    assert await run_digests(db, config, now=at("2026-03-08T08:07:00-04:00")) == 1
    # The first run of a second process in the same minute, then the next minute.
    assert await run_digests(db, config, now=at("2026-03-08T08:07:30-04:00")) == 0
    assert await run_digests(db, config, now=at("2026-03-08T08:08:00-04:00")) == 0
    assert (await digests_text(db, 11)).count("خبر الصباح") == 1


async def test_a_zone_change_on_the_same_day_does_not_lose_the_next_digest(
    db: Database, config_factory: Any
) -> None:
    """A traveller: 08:00 digest in Riyadh, then the zone becomes London; London's 08:00 digest
    the same date must carry the stories that came in between."""
    config = config_factory()
    feed = await add_feed(db)
    await add_subscriber(
        db,
        12,
        since=at("2026-01-01T00:00:00+00:00"),
        subscriptions=[("feed", str(feed))],
        mode="digest",
        timezone="Asia/Riyadh",
        digest_times=["08:00"],
    )
    await route_new_stories(db, config, [await add_story(db, feed, "خبر في الرياض")])
    assert await run_digests(db, config, now=at("2026-01-15T08:00:30+03:00")) == 1
    await set_sub(db, 12, timezone="Europe/London")
    await route_new_stories(db, config, [await add_story(db, feed, "خبر في لندن")])
    assert await run_digests(db, config, now=at("2026-01-15T08:00:30+00:00")) == 1
    text = await digests_text(db, 12)
    assert text.count("خبر في الرياض") == 1 and text.count("خبر في لندن") == 1


async def test_switching_back_and_forth_between_modes_loses_no_story(
    db: Database, config_factory: Any
) -> None:
    """digest → instant flushes the waiting stories; doing it twice in one minute must flush both."""
    config = config_factory()
    feed = await add_feed(db)
    await add_subscriber(db, 13, subscriptions=[("feed", str(feed))], mode="digest", digest_times=["08:00"])
    now = at("2026-05-01T10:00:10+00:00")
    await route_new_stories(db, config, [await add_story(db, feed, "الخبر الأول")])
    await set_sub(db, 13, mode="instant")
    assert await run_digests(db, config, now=now) == 1
    await set_sub(db, 13, mode="digest", last_digest_at=now)
    await route_new_stories(db, config, [await add_story(db, feed, "الخبر الثاني")])
    await set_sub(db, 13, mode="instant")
    assert await run_digests(db, config, now=now + timedelta(seconds=30)) == 1
    text = await digests_text(db, 13)
    assert text.count("الخبر الأول") == 1 and text.count("الخبر الثاني") == 1


# --------------------------------------------------------------------------- /stop, blocked, /start


@pytest.mark.parametrize("leave", ["stop", "blocked"])
async def test_a_returning_chat_gets_no_digest_of_stories_from_before_it_left(
    db: Database, config_factory: Any, leave: str
) -> None:
    config = config_factory()
    feed = await add_feed(db)
    await add_subscriber(
        db,
        21,
        since=at("2026-01-01T00:00:00+00:00"),
        subscriptions=[("feed", str(feed))],
        mode="digest",
        timezone="UTC",
        digest_times=["20:00"],
    )
    await route_new_stories(db, config, [await add_story(db, feed, "خبر قديم من قبل")])
    if leave == "stop":
        await service.stop(db, 21)
    else:
        await service.set_inactive(db, 21, "blocked")
    await service.ensure_subscriber(db, config, 21)
    await service.subscribe(db, 21, "feed", str(feed))
    await route_new_stories(db, config, [await add_story(db, feed, "خبر جديد بعد العودة")])
    await run_digests(db, config, now=datetime.now(UTC) + timedelta(days=1))
    text = await digests_text(db, 21)
    assert "خبر جديد بعد العودة" in text
    assert "خبر قديم من قبل" not in text


async def test_a_returning_chat_gets_no_story_held_from_before_it_left(
    db: Database, config_factory: Any
) -> None:
    """A story held back by quiet hours, then /stop and /start before they end: it is not sent."""
    config = config_factory()
    feed = await add_feed(db)
    await add_subscriber(
        db, 22, subscriptions=[("feed", str(feed))], timezone="UTC", quiet_start="00:00", quiet_end="23:59"
    )
    await route_new_stories(db, config, [await add_story(db, feed, "خبر محجوز")])
    [held] = await rows(db, 22)
    assert held.status == "pending"
    await service.stop(db, 22)
    await service.ensure_subscriber(db, config, 22)
    assert [r.status for r in await rows(db, 22)] == ["withdrawn"]


# --------------------------------------------------------------------------- long digests


def _digest_stories(count: int) -> list[Story]:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    return [
        Story(
            id=i,
            title=f"عنوان الخبر رقم {i} عن <الاقتصاد> & الأسواق",
            url=f"https://e.org/{i}?a=1&b=2",
            source=("المصدر أ", "المصدر ب", "BBC عربي")[i % 3],
            summary=[f"الجملة الأولى من الخبر {i} " + "كلام " * 60 + "."],
            text="",
            published_at=now - timedelta(minutes=count - i),
            fetched_at=now,
        )
        for i in range(count)
    ]


def test_a_long_digest_never_splits_a_story_from_its_lead() -> None:
    stories = _digest_stories(80)
    parts = render_digest(stories, lang="ar", tz="Asia/Riyadh", slot=datetime(2026, 5, 1, 17, 0, tzinfo=UTC))
    assert len(parts) > 1
    assert all(utf16_len(visible(p)) <= 4096 for p in parts)  # as Telegram counts: text, not markup
    seen: Counter[int] = Counter()
    for part in parts:
        lines = [line.strip(RLM) for line in visible(part).split("\n")]
        assert lines[-1].startswith("الجملة الأولى"), "a part ends on a heading or a title"
        for i, line in enumerate(lines):
            match = re.match(r"• عنوان الخبر رقم (\d+) ", line)
            if match:
                seen[int(match.group(1))] += 1
                assert lines[i + 1].startswith(f"الجملة الأولى من الخبر {match.group(1)} ")
    assert seen == Counter(range(80))


# --------------------------------------------------------------------------- quiet hours and cards


async def test_quiet_hours_cross_midnight_in_the_subscribers_zone_and_the_card_says_when(
    db: Database, config_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """23:00–07:00 in New York: a story at 23:30 there arrives at 07:00, and its card shows the
    date, since 23:30 without one would read as tonight."""
    config = config_factory()
    feed = await night_quiet_subscriber(db, 31, "America/New_York", sentences=1)
    now = at("2026-11-28T23:30:00-05:00")
    freeze(monkeypatch, now, routing, format_module)
    story = await add_story(db, feed, "خبر في منتصف الليل", fetched_at=now)
    assert await route_new_stories(db, config, [story]) == 1
    [row] = await rows(db, 31)
    assert row.not_before.replace(tzinfo=UTC) == at("2026-11-29T07:00:00-05:00")
    card = visible(row.payload["text"])
    assert "٢٨ نوفمبر ٢٣:٣٠" in card
    assert "الجملة الأولى" in card and "الجملة الثانية" not in card  # the chat's one sentence


async def test_feed_and_keyword_matching_the_same_story_send_it_once(
    db: Database, config_factory: Any
) -> None:
    config = config_factory()
    first, second = await add_feed(db, "المصدر الأول"), await add_feed(db, "المصدر الثاني")
    await add_subscriber(
        db,
        41,
        subscriptions=[("feed", str(first)), ("feed", str(second)), ("keyword", keyword("الاقتصاد"))],
    )
    original = await add_story(db, first, "خبر عاجل عن الاقتصاد")
    copy = await add_story(db, second, "خبر عاجل عن الاقتصاد", duplicate_of=original)
    await route_new_stories(db, config, [original])
    await route_new_stories(db, config, [copy, original])
    assert len(await rows(db, 41)) == 1


async def test_stories_flushed_by_a_switch_to_instant_wait_for_the_end_of_quiet_hours(
    db: Database, config_factory: Any
) -> None:
    """Switching from digest to instant at 23:30 inside 23:00–07:00 quiet hours: the waiting
    stories come at 07:00 like any instant story, not in the middle of the night."""
    config = config_factory()
    feed = await night_quiet_subscriber(db, 32, "Asia/Riyadh", mode="digest", digest_times=["20:00"])
    await route_new_stories(db, config, [await add_story(db, feed, "خبر ينتظر")])
    await set_sub(db, 32, mode="instant")
    assert await run_digests(db, config, now=at("2026-05-01T23:30:00+03:00")) == 1
    [flushed] = [r for r in await rows(db, 32) if r.kind == "digest"]
    assert flushed.not_before.replace(tzinfo=UTC) == at("2026-05-02T07:00:00+03:00")


async def test_turning_quiet_hours_off_releases_the_stories_they_held(
    db: Database, config_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_factory()
    feed = await night_quiet_subscriber(db, 33, "Asia/Riyadh")
    now = at("2026-05-01T23:30:00+03:00")
    freeze(monkeypatch, now, routing, service)
    await route_new_stories(db, config, [await add_story(db, feed, "خبر محجوز", fetched_at=now)])
    await service.update_settings(db, 33, quiet_start="23:00", quiet_end="08:00")
    [row] = await rows(db, 33)
    assert row.not_before.replace(tzinfo=UTC) == at("2026-05-02T08:00:00+03:00")
    await service.update_settings(db, 33, timezone="Europe/London")  # 21:30 there: not quiet
    [row] = await rows(db, 33)
    assert row.not_before.replace(tzinfo=UTC) == now


async def test_stories_held_by_quiet_hours_follow_the_subscriptions_until_they_end(
    db: Database, config_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader who unsubscribes at midnight does not get that source's held stories at 07:00;
    a story a followed word also wants still comes; subscribing again before 07:00 brings back
    what was held, once."""
    config = config_factory()
    feed = await night_quiet_subscriber(db, 35, "Asia/Riyadh")
    now = at("2026-05-01T23:30:00+03:00")
    freeze(monkeypatch, now, routing, service)
    await service.follow(db, 35, "الاقتصاد")
    plain = await add_story(db, feed, "خبر عن الطقس", fetched_at=now)
    economy = await add_story(db, feed, "خبر عن الاقتصاد", fetched_at=now)
    await route_new_stories(db, config, [plain, economy])
    assert {r.story_id: r.status for r in await rows(db, 35)} == {plain: "pending", economy: "pending"}

    assert await service.unsubscribe(db, 35, "feed", str(feed))
    assert {r.story_id: r.status for r in await rows(db, 35)} == {plain: "withdrawn", economy: "pending"}
    assert await service.unfollow(db, 35, "الاقتصاد") == ["الاقتصاد"]
    assert {r.status for r in await rows(db, 35)} == {"withdrawn"}

    assert await service.subscribe(db, 35, "feed", str(feed))
    held = await rows(db, 35)
    assert [r.status for r in held] == ["pending", "pending"]
    assert {r.not_before.replace(tzinfo=UTC) for r in held} == {at("2026-05-02T07:00:00+03:00")}
    assert await service.unsubscribe_all(db, 35) == 1
    assert {r.status for r in await rows(db, 35)} == {"withdrawn"}


async def test_a_removed_feeds_cards_held_by_quiet_hours_are_not_delivered_in_the_morning(
    db: Database, config_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The admin removes a feed at midnight: its readers are told «لم يعد المصدر … متاحًا», so its
    stories held until 07:00 must not arrive then (as on /unsubscribe); one a followed word wants does."""
    from bot.admin import feeds as admin_feeds

    config = config_factory()
    feed = await night_quiet_subscriber(db, 36, "Asia/Riyadh")
    now = at("2026-05-01T23:30:00+03:00")
    freeze(monkeypatch, now, routing, service, admin_feeds)
    await service.follow(db, 36, "الاقتصاد")
    plain = await add_story(db, feed, "خبر عن الطقس", fetched_at=now)
    economy = await add_story(db, feed, "خبر عن الاقتصاد", fetched_at=now)
    await route_new_stories(db, config, [plain, economy])
    assert (await admin_feeds.remove_feed(db, str(feed))).code == "removed"
    assert {r.story_id: r.status for r in await rows(db, 36)} == {plain: "withdrawn", economy: "pending"}


async def test_a_card_held_by_quiet_hours_arrives_as_the_settings_read_when_it_is_sent(
    db: Database, config_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader switches to English and one sentence overnight: the card held since 23:30 comes
    at 07:00 in English with one sentence, not as it was rendered in Arabic at 23:30."""
    config = config_factory()
    feed = await night_quiet_subscriber(db, 36, "Asia/Riyadh", sentences=2)
    now = at("2026-05-01T23:30:00+03:00")
    freeze(monkeypatch, now, routing, service)
    await route_new_stories(db, config, [await add_story(db, feed, "خبر محجوز", fetched_at=now)])
    [before] = await rows(db, 36)
    assert "الجملة الثانية" in before.payload["text"]
    await service.update_settings(db, 36, config=config, language="en", sentences=1)
    [row] = await rows(db, 36)
    labels = [b["text"] for line in row.payload["buttons"] for b in line]
    assert "الجملة الثانية" not in row.payload["text"] and "الجملة الأولى" in row.payload["text"]
    assert "May" in row.payload["text"] and "مايو" not in row.payload["text"]
    assert labels and not any(re.search("[\u0600-\u06ff]", label) for label in labels)
    assert row.not_before.replace(tzinfo=UTC) == at("2026-05-02T07:00:00+03:00")


async def test_switching_to_digest_moves_held_stories_into_the_digest(
    db: Database, config_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stories held overnight by quiet hours, then the user picks digest mode: they arrive once, in
    the next digest, not as a run of separate cards at 07:00."""
    config = config_factory()
    feed = await night_quiet_subscriber(
        db, 34, "Asia/Riyadh", digest_times=["08:00"], last_digest_at=at("2026-05-01T08:00:10+03:00")
    )
    now = at("2026-05-01T23:30:00+03:00")
    freeze(monkeypatch, now, routing, service)
    ids = [await add_story(db, feed, f"خبر الليل {i}", fetched_at=now) for i in range(3)]
    await route_new_stories(db, config, ids)
    await service.update_settings(db, 34, mode="digest")
    assert await run_digests(db, config, now=at("2026-05-02T08:00:20+03:00")) == 1
    assert [r.kind for r in await rows(db, 34) if r.status == "pending"] == ["digest"]
    text = await digests_text(db, 34)
    assert all(text.count(f"خبر الليل {i}") == 1 for i in range(3))


async def test_a_first_switch_to_digest_waits_for_the_next_digest_time(
    db: Database, config_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chat that was never in digest mode picks it at 23:30 (quiet hours, stories held): the
    first digest comes at the next digest time, not a minute later with this morning's time."""
    config = config_factory()
    feed = await night_quiet_subscriber(db, 35, "Asia/Riyadh", digest_times=["08:00"])
    now = at("2026-05-01T23:30:00+03:00")
    freeze(monkeypatch, now, routing, service)
    await route_new_stories(db, config, [await add_story(db, feed, "خبر الليل", fetched_at=now)])
    await service.update_settings(db, 35, mode="digest")
    assert await run_digests(db, config, now=now + timedelta(minutes=1)) == 0
    assert await run_digests(db, config, now=at("2026-05-02T08:00:20+03:00")) == 1
    assert (await digests_text(db, 35)).count("خبر الليل") == 1
