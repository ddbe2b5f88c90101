"""What a demanding digest reader would notice: a digest of 600 stories, parts of a long digest
arriving out of order after a retry, and a digest at once for a time already past today. The real
Application runs against the fake Bot API; digest runs are triggered directly (`run_digests`), and
every wait is on a condition with a deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.clock import utcnow
from bot.config import ConfigError, parse_config
from bot.db.database import Database
from bot.db.models import Outbox
from bot.delivery import service as delivery
from bot.delivery.digest import run_digests
from bot.delivery.routing import route_new_stories
from bot.i18n import ar_digits
from bot.services import services
from bot.subscribers import service
from tests.fakes.telegram_api import FakeTelegram
from tests.test_audit_delivery import at, digests_text, set_sub
from tests.test_audit_polish import _arabic_only
from tests.test_format import visible
from tests.test_routing import add_feed, add_story, add_subscriber, rows

WIRE, WEEKLY = "وكالة الأنباء السريعة", "المجلة الأسبوعية"


async def _digest_waiting(
    db: Database, chat: int, stories: dict[str, int], *, words: int = 8, **settings: Any
) -> list[int]:
    """A digest-mode chat with these many stories per source (each lead `words` long) to route.

    last_digest_at is in the future while the stories are routed, so the application's own digest
    job (every minute) cannot build a digest of half of them; then it is set back a day.
    """
    now = utcnow()
    feeds = {source: await add_feed(db, source) for source in stories}
    await add_subscriber(
        db,
        chat,
        since=now - timedelta(days=2),
        subscriptions=[("feed", str(feed)) for feed in feeds.values()],
        mode="digest",
        timezone="UTC",
        digest_times=["00:00", "12:00"],
        last_digest_at=now + timedelta(days=1),
        # Every story here is its source's name and the same filler words, which would read as one
        # event told by each source (bot.delivery.grouping): these tests count items, not events.
        **{"group_events": False, **settings},
    )
    ids = []
    for source, count in stories.items():
        for i in range(count):
            ids.append(
                await add_story(
                    db,
                    feeds[source],
                    f"{source}: الخبر رقم {i}",
                    source=source,
                    summary=[f"الجملة الأولى من الخبر {i} في {source} " + "كلام " * words],
                    fetched_at=now - timedelta(minutes=i),  # story 0 is the newest
                    url=f"https://news.example/{feeds[source]}/{i}",
                )
            )
    return ids


async def _send_digest(app: Any, chat: int) -> list[Outbox]:
    """Build the chat's due digest (here or in the application's job, whichever runs first) and
    wake the sender; returns the digest's rows, part 1 first."""
    db, config = services(app).db, services(app).config
    await set_sub(db, chat, last_digest_at=utcnow() - timedelta(days=1))
    await run_digests(db, config)
    delivery.wake(app)
    parts = [r for r in await rows(db, chat) if r.kind == "digest"]
    assert parts, "no digest was queued"
    return parts


# --------------------------------------------------------------------------- 1. a size cap


@pytest.mark.parametrize("lang", ["ar", "en"])
async def test_a_digest_of_many_stories_shows_thirty_shared_between_sources_and_says_how_many_more(
    lang: str, bot_factory: Any, fake_telegram: FakeTelegram
) -> None:
    """36 stories from a busy wire service and 4 from a weekly: the digest shows 30 — the weekly's
    4 and the wire's 26 newest — and ends saying 10 more were left out and how to find them. The
    10 are not carried into the next digest."""
    chat = 4101 if lang == "ar" else 4102
    async with bot_factory() as app:
        db, config = services(app).db, services(app).config
        assert config.delivery.digest_max_stories == 30
        ids = await _digest_waiting(db, chat, {WIRE: 36, WEEKLY: 4}, language=lang)
        assert await route_new_stories(db, config, ids) == 40
        parts = await _send_digest(app, chat)
        messages = await fake_telegram.wait_for_messages(chat, count=len(parts), timeout=15)
        text = "\n".join(m["plain_text"] for m in messages)
        assert sum(text.count(f"{WEEKLY}: الخبر رقم {i}\n") for i in range(4)) == 4
        wire_shown = [i for i in range(36) if f"{WIRE}: الخبر رقم {i}\n" in text]
        assert wire_shown == list(range(26))  # the newest of the busy source
        last_line = messages[-1]["plain_text"].split("\n")[-1]
        if lang == "ar":
            assert "عدد الأخبار: ٣٠" in text
            assert last_line.startswith("أخبار أخرى من هذه الفترة لم تُعرض هنا: ١٠.")
            assert "/latest" in last_line and "/search" in last_line
            assert _arabic_only(last_line, "/latest", "/search")
        else:
            assert "30 stories" in text
            assert last_line.startswith("10 more stories from this period are not shown here.")
            assert "/latest" in last_line and "/search" in last_line
        # The ten left out are accounted for, not waiting for the next digest.
        items = [r for r in await rows(db, chat) if r.kind == "digest_item"]
        assert len(items) == 40 and {r.status for r in items} == {"digested"}
        assert await run_digests(db, config, now=utcnow() + timedelta(days=1)) == 0
        assert len([r for r in await rows(db, chat) if r.kind == "digest"]) == len(parts)


def test_the_digest_size_is_configurable_and_checked() -> None:
    assert parse_config({"delivery": {"digest_max_stories": 12}}).delivery.digest_max_stories == 12
    for bad in (0, 101, "many"):
        with pytest.raises(ConfigError, match=r"delivery\.digest_max_stories"):
            parse_config({"delivery": {"digest_max_stories": bad}}, source="cfg.toml")


async def test_a_smaller_configured_cap_is_what_the_digest_shows(db: Database, config_factory: Any) -> None:
    config = config_factory(delivery={"digest_max_stories": 3})
    ids = await _digest_waiting(db, 4103, {WIRE: 5, WEEKLY: 1, "مصدر ثالث": 2})
    await route_new_stories(db, config, ids)
    await set_sub(db, 4103, last_digest_at=utcnow() - timedelta(days=1))
    assert await run_digests(db, config) == 1
    text = visible(await digests_text(db, 4103))
    # One from each source, the newest of each; five more.
    assert text.count("• ") == 3
    assert f"{WIRE}: الخبر رقم 0\n" in text and f"{WEEKLY}: الخبر رقم 0\n" in text
    assert "مصدر ثالث: الخبر رقم 0\n" in text
    assert "لم تُعرض هنا: ٥." in text


# --------------------------------------------------------------------------- 2. parts in order


async def test_a_retried_part_of_a_long_digest_still_arrives_before_the_next_part(
    bot_factory: Any, fake_telegram: FakeTelegram
) -> None:
    """Part 2 of a long digest meets a 502 and is retried a second later: the chat still reads
    part 1, part 2, part 3… in that order (part 3 used to go out first)."""
    chat = 4201
    async with bot_factory() as app:
        db, config = services(app).db, services(app).config
        ids = await _digest_waiting(db, chat, {WIRE: 16}, words=110)
        await route_new_stories(db, config, ids)
        parts = await _send_digest(app, chat)
        assert len(parts) >= 3
        await fake_telegram.wait_for_messages(chat, count=1, timeout=10)
        # The chat's next message leaves no sooner than a second after part 1: time to arm the fault.
        fake_telegram.fail_next("sendMessage", error_code=502, description="Bad Gateway")
        messages = await fake_telegram.wait_for_messages(chat, count=len(parts), timeout=20)
    assert [c["status"] for c in fake_telegram.calls("sendMessage")].count(502) == 1
    texts = [p.payload["text"] for p in parts]
    assert [texts.index(m["text"]) + 1 for m in messages] == list(range(1, len(parts) + 1))


# --------------------------------------------------------------------------- 3. new digest times


def _hhmm(moment: Any) -> str:
    return f"{moment:%H:%M}"


async def test_new_digest_times_already_past_today_wait_for_their_next_occurrence(
    bot_factory: Any, fake_telegram: FakeTelegram
) -> None:
    """At 10:00 a digest reader changes their time to 08:00: no digest at once for this morning's
    08:00; the next one is tomorrow's 08:00, and it carries the story that was already waiting."""
    chat = 4301
    now = utcnow()
    old_time, new_time = now - timedelta(hours=3), now - timedelta(hours=2)
    async with bot_factory() as app:
        db, config = services(app).db, services(app).config
        feed = await add_feed(db)
        await add_subscriber(
            db,
            chat,
            since=now - timedelta(days=2),
            subscriptions=[("feed", str(feed))],
            mode="digest",
            timezone="UTC",
            digest_times=[_hhmm(old_time)],
            last_digest_at=old_time + timedelta(seconds=10),  # today's digest came at the old time
        )
        await route_new_stories(db, config, [await add_story(db, feed, "خبر ينتظر الموجز")])
        [reply] = await fake_telegram.converse(chat, f"/settings digest {_hhmm(new_time)}")
        assert ar_digits(_hhmm(new_time)) in reply["plain_text"]
        assert (await service.get_subscriber(db, chat)).digest_times == [_hhmm(new_time)]  # type: ignore[union-attr]
        assert await run_digests(db, config) == 0
        assert await digests_text(db, chat) == ""
        assert await run_digests(db, config, now=new_time + timedelta(days=1, seconds=30)) == 1
    assert (await digests_text(db, chat)).count("خبر ينتظر الموجز") == 1


async def test_changing_times_just_after_a_digest_fell_due_keeps_that_digest(
    db: Database, config_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """08:00 has come and the minute's digest run has not built it yet when the user adds 21:00:
    the 08:00 digest still goes out, not tomorrow."""
    config = config_factory()
    feed = await add_feed(db)
    await add_subscriber(
        db,
        chat_id=4302,
        since=at("2026-05-01T00:00:00+00:00"),
        subscriptions=[("feed", str(feed))],
        mode="digest",
        timezone="Asia/Riyadh",
        digest_times=["08:00", "20:00"],
        last_digest_at=at("2026-05-01T20:00:10+03:00"),
    )
    await route_new_stories(db, config, [await add_story(db, feed, "خبر الليل", fetched_at=utcnow())])
    monkeypatch.setattr(service, "utcnow", lambda: at("2026-05-02T08:00:20+03:00"))
    await service.update_settings(db, 4302, mode="digest", digest_times=["08:00", "21:00"])
    assert await run_digests(db, config, now=at("2026-05-02T08:00:40+03:00")) == 1
    assert (await digests_text(db, 4302)).count("خبر الليل") == 1


# --------------------------------------------------------------------------- 4. quiet hours


@pytest.mark.parametrize(("quiet", "silent"), [(("00:00", "23:59"), True), ((None, None), False)])
async def test_a_digest_due_in_quiet_hours_arrives_on_time_but_silently(
    bot_factory: Any, fake_telegram: FakeTelegram, quiet: tuple[str | None, str | None], silent: bool
) -> None:
    """A digest time is the reader's choice, so quiet hours do not delay it; they do keep it from
    ringing, as they keep everything else."""
    chat = 4301
    async with bot_factory() as app:
        db, config = services(app).db, services(app).config
        ids = await _digest_waiting(db, chat, {WIRE: 2}, quiet_start=quiet[0], quiet_end=quiet[1])
        await route_new_stories(db, config, ids)
        await _send_digest(app, chat)
        [digest] = await fake_telegram.wait_for_messages(chat, count=1, timeout=10)
    assert "موجز الأخبار" in digest["plain_text"]
    assert digest["disable_notification"] is silent
