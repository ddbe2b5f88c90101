"""Admin services without Telegram: adding feeds after checking them, pause/resume/remove, the audit
log, statistics and the chart. Feeds come from the local feed server (127.0.0.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select, update

from bot.admin import audit
from bot.admin.feeds import (
    add_feed,
    classify_fetch_error,
    normalize_url,
    pause_feed,
    remove_feed,
    resume_feed,
)
from bot.admin.queries import feed_detail, list_feeds
from bot.admin.stats import chart_figure, collect, render_chart
from bot.clock import utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import AuditLog, Feed, Outbox, Story, Subscriber, Subscription
from bot.feeds.fetcher import Fetcher
from bot.i18n import ar_digits
from tests.fakes.feed_server import FeedServer


@pytest.fixture
def config(config_factory: Callable[..., Config]) -> Config:
    return config_factory()


@pytest.fixture
async def fetcher(config: Config) -> AsyncIterator[Fetcher]:
    async with Fetcher(config.fetch) as f:
        yield f


async def _feeds(db: Database) -> list[Feed]:
    async with db.read() as session:
        return list((await session.scalars(select(Feed).order_by(Feed.id))).all())


async def _audit_actions(db: Database) -> list[str]:
    async with db.read() as session:
        return list((await session.scalars(select(AuditLog.action).order_by(AuditLog.id))).all())


async def test_add_feed_checks_the_feed_names_it_from_its_title_and_audits(
    db: Database, config: Config, fetcher: Fetcher, feed_server: FeedServer
) -> None:
    url = feed_server.add_feed("arabiya", feed_server.stories[:4], title="العربية نت")
    result = await add_feed(db, config, fetcher, url, origin="chat", actor=1000, by="أحمد")
    assert result.ok, result
    assert (result.name, result.entries, result.interval) == ("العربية نت", 4, 600.0)
    [feed] = await _feeds(db)
    assert (feed.url, feed.name, feed.origin, feed.status) == (url, "العربية نت", "chat", "active")
    async with db.read() as session:
        entry = await session.scalar(select(AuditLog))
    assert entry is not None and entry.admin_id == 1000 and entry.action == "feed.add"
    assert audit.parse_detail(entry.detail)["url"] == url


async def test_add_feed_finds_the_feed_behind_a_home_page(
    db: Database, config: Config, fetcher: Fetcher, feed_server: FeedServer
) -> None:
    feed_url = feed_server.add_feed("site", feed_server.stories[:3])
    result = await add_feed(db, config, fetcher, feed_server.site_url("site"), origin="chat")
    assert result.ok, result
    assert result.url == feed_url
    assert result.discovered_from == feed_server.site_url("site")
    assert [f.url for f in await _feeds(db)] == [feed_url]


async def test_the_atom_twin_of_a_feed_already_polled_is_that_feed(
    db: Database, config: Config, fetcher: Fetcher, feed_server: FeedServer
) -> None:
    from bot.feeds.poller import poll_feed

    rss = feed_server.add_feed("arabiya", feed_server.stories[:5], title="العربية نت")
    first = await add_feed(db, config, fetcher, rss, origin="chat")
    assert first.ok and first.feed_id is not None
    assert (await poll_feed(db, config, fetcher, first.feed_id)).error is None  # its stories are stored
    # The same site's Atom: another address, the same stories.
    twin = await add_feed(db, config, fetcher, feed_server.url_for("arabiya", "atom"), origin="chat")
    assert (twin.code, twin.existing, twin.feed_id) == ("duplicate_url", "العربية نت", first.feed_id)
    # A feed sharing a story or two with it is another feed.
    other = feed_server.add_feed("other", [*feed_server.stories[4:5], *feed_server.stories[5:9]])
    assert (await add_feed(db, config, fetcher, other, origin="chat")).ok
    assert len(await _feeds(db)) == 2


async def test_a_twin_linking_its_stories_over_https_without_www_is_still_that_feed(
    db: Database, config: Config, fetcher: Fetcher, feed_server: FeedServer
) -> None:
    import dataclasses

    from bot.feeds.poller import poll_feed

    stories = [
        dataclasses.replace(s, url=f"http://www.outlet.example/a/{i}")
        for i, s in enumerate(feed_server.stories[:5])
    ]
    first = await add_feed(
        db, config, fetcher, feed_server.add_feed("rss", stories, link="original"), origin="chat"
    )
    assert first.ok and first.feed_id is not None
    assert (await poll_feed(db, config, fetcher, first.feed_id)).error is None
    # The twin links the same stories as https://outlet.example/…, as the poller's duplicate check allows.
    secure = [dataclasses.replace(s, url=s.url.replace("http://www.", "https://")) for s in stories]
    twin = await add_feed(
        db, config, fetcher, feed_server.add_feed("atom", secure, link="original"), origin="chat"
    )
    assert (twin.code, twin.feed_id) == ("duplicate_url", first.feed_id)


async def test_a_sections_feed_is_not_the_main_feed_it_is_part_of(
    db: Database, config: Config, fetcher: Fetcher, feed_server: FeedServer
) -> None:
    from bot.feeds.poller import poll_feed

    main_stories = sorted(feed_server.stories[:12], key=lambda s: s.published)
    main = await add_feed(db, config, fetcher, feed_server.add_feed("main", main_stories), origin="chat")
    assert main.ok and main.feed_id is not None
    assert (await poll_feed(db, config, fetcher, main.feed_id)).error is None
    # Every one of the section's stories is on the main feed, which has three times as many.
    section = feed_server.add_feed("section", main_stories[::3])
    assert (await add_feed(db, config, fetcher, section, origin="chat")).ok


@pytest.mark.parametrize(
    ("make_url", "code"),
    [
        (lambda s: f"{s.base_url}/feeds/missing.rss", "http_status"),
        (lambda s: s.article_url(s.stories[0].id), "not_feed"),
        (lambda s: "not a url", "invalid_url"),
        (lambda s: "http://127.0.0.1:1/feed.xml", "unreachable"),
    ],
    ids=["404", "html-without-feed-links", "not-a-url", "connection-refused"],
)
async def test_add_feed_refuses_with_a_reason_and_stores_nothing(
    db: Database, config: Config, fetcher: Fetcher, feed_server: FeedServer, make_url: Any, code: str
) -> None:
    feed_server.add_feed("x", feed_server.stories[:1])
    result = await add_feed(db, config, fetcher, make_url(feed_server), origin="chat", actor=1000)
    assert not result.ok
    assert result.code == code, result
    if code == "http_status":
        assert result.http_status == 404
    assert await _feeds(db) == []
    assert await _audit_actions(db) == []


async def test_add_feed_refuses_private_addresses_unless_allowed(
    db: Database, config_factory: Callable[..., Config], feed_server: FeedServer
) -> None:
    strict = config_factory(fetch={"allow_private_addresses": False})
    url = feed_server.add_feed("local", feed_server.stories[:2])
    async with Fetcher(strict.fetch) as fetcher:
        result = await add_feed(db, strict, fetcher, url, origin="chat")
    assert result.code == "private"
    assert feed_server.requests("local") == []  # refused before any connection was made
    assert await _feeds(db) == []


async def test_add_feed_refuses_duplicates_by_normalised_url_and_by_name(
    db: Database, config: Config, fetcher: Fetcher, feed_server: FeedServer
) -> None:
    url = feed_server.add_feed("dup", feed_server.stories[:2], title="مصدر")
    other = feed_server.add_feed("other", feed_server.stories[2:4], title="مصدر")
    assert (await add_feed(db, config, fetcher, url, origin="chat")).ok
    again = await add_feed(db, config, fetcher, url.replace("http://", "HTTP://") + "#top", origin="chat")
    assert again.code == "duplicate_url" and again.existing == "مصدر"
    named = await add_feed(db, config, fetcher, other, name="مصدر", origin="chat")
    assert named.code == "duplicate_name"
    # Without an explicit name, a title that is taken is made unique instead of refused.
    auto = await add_feed(db, config, fetcher, other, origin="chat")
    assert auto.ok and auto.name != "مصدر" and auto.name.startswith("مصدر")
    assert len(await _feeds(db)) == 2


async def test_add_feed_raises_a_short_interval_to_the_minimum(
    db: Database, config_factory: Callable[..., Config], feed_server: FeedServer
) -> None:
    cfg = config_factory(fetch={"min_interval": 120})
    url = feed_server.add_feed("fast", feed_server.stories[:1])
    async with Fetcher(cfg.fetch) as fetcher:
        result = await add_feed(db, cfg, fetcher, url, interval=30, origin="cli")
    assert result.ok and result.interval == 120 and result.interval_floored


async def test_pause_resume_remove_by_id_or_name(db: Database) -> None:
    async with db.write() as session:
        feed = Feed(url="http://example.org/rss", name="مثال", origin="config", status="failing")
        session.add(feed)
        session.add(Subscriber(chat_id=5, language="ar"))
        await session.flush()
        session.add(Subscription(chat_id=5, kind="feed", target=str(feed.id)))
        feed_id = feed.id

    assert (await resume_feed(db, "مثال", actor=1)).code == "resumed"
    assert (await resume_feed(db, str(feed_id))).code == "already_active"
    assert (await pause_feed(db, f"#{feed_id}", actor=1)).code == "paused"
    assert (await pause_feed(db, "مثال")).code == "already_paused"
    [stored] = await _feeds(db)
    assert stored.status == "paused"

    assert (await remove_feed(db, "لا يوجد")).code == "not_found"
    removed = await remove_feed(db, "مثال", actor=1)
    assert (removed.code, removed.origin, removed.subscriptions_removed) == ("removed", "config", 1)
    assert await _feeds(db) == []
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Subscription)) == 0
    assert await _audit_actions(db) == ["feed.resume", "feed.pause", "feed.remove"]


async def test_feed_listing_shows_health_usage_and_the_last_error(db: Database) -> None:
    now = utcnow()
    async with db.write() as session:
        for i in range(12):
            session.add(Feed(url=f"http://example.org/{i}", name=f"مصدر {i}", origin="chat"))
        await session.flush()
        first = await session.get(Feed, 1)
        assert first is not None
        first.consecutive_errors, first.last_error, first.last_error_at = (
            3,
            "HTTP 503 Service Unavailable",
            now,
        )
        first.last_success_at = now - timedelta(hours=2)
        for j in range(14):
            session.add(Story(feed_id=1, entry_key=f"k{j}", title=f"خبر {j}", source="s", published_at=now))
        session.add(Subscriber(chat_id=7))
        session.add(Subscriber(chat_id=8, active=False, inactive_reason="blocked"))
        session.add(Subscription(chat_id=7, kind="feed", target="1"))
        session.add(Subscription(chat_id=8, kind="feed", target="1"))

    page = await list_feeds(db, page=0, per_page=5)
    assert (page.total, page.pages, len(page.rows)) == (12, 3, 5)
    row = page.rows[0]
    # Added just now, its 14 items all from today: under a day of history, so "new", and the count
    # so far rather than 14 spread over the whole week.
    assert (row.consecutive_errors, row.items_per_day, row.new, row.subscribers) == (3, 14.0, True, 1)
    last = await list_feeds(db, page=99, per_page=5)
    assert last.page == 2 and [r.id for r in last.rows] == [11, 12]

    detail = await feed_detail(db, "1")
    assert detail is not None
    assert detail.last_error == "HTTP 503 Service Unavailable" and detail.stories_total == 14
    assert len(detail.latest_titles) == 3
    assert classify_fetch_error(detail.last_error) == ("http_status", 503)


async def test_stats_count_subscribers_stories_deliveries_and_draw_a_png(db: Database) -> None:

    now = utcnow()
    async with db.write() as session:
        session.add_all(
            [
                Subscriber(chat_id=1),
                Subscriber(chat_id=2),
                Subscriber(chat_id=3, active=False, inactive_reason="blocked"),
            ]
        )
        session.add(Feed(url="http://e.org/a", name="أ", status="failing"))
        for i in range(5):
            session.add(Story(entry_key=f"s{i}", title="خبر", source="s", fetched_at=now))
        await session.flush()
        first = (await session.scalars(select(Story.id).where(Story.entry_key == "s0"))).one()
        # The same story carried by a second feed is stored again as its duplicate: one story, not two.
        session.add(Story(entry_key="s0-copy", title="خبر", source="s", fetched_at=now, duplicate_of=first))
        three_days = now - timedelta(days=3)
        session.add(
            Story(entry_key="old", title="خبر", source="s", fetched_at=three_days, published_at=three_days)
        )
        # A feed added today brings its archive: stored today, not today's news.
        archive = now - timedelta(days=900)
        session.add(Story(entry_key="archive", title="خبر", source="s", fetched_at=now, published_at=archive))
        for i in range(4):
            session.add(Outbox(chat_id=1, kind="story", dedup_key=f"d{i}", status="sent", sent_at=now))
        session.add(Outbox(chat_id=3, kind="story", dedup_key="f", status="failed"))
        # What a chat that blocked the bot still had queued is not sent, and no delivery failure.
        for i in range(5):
            session.add(Outbox(chat_id=3, kind="story", dedup_key=f"w{i}", status="withdrawn"))
        session.add(Outbox(chat_id=2, kind="story", dedup_key="p", status="pending"))
        # A corrected card edited in place is not one more delivery.
        session.add(Outbox(chat_id=1, kind="edit", dedup_key="e", status="sent", sent_at=now))
        # Nor is an alert to an admin a message to readers.
        session.add(Outbox(chat_id=1000, kind="alert", dedup_key="a", status="sent", sent_at=now))

    figures = await collect(db, timezone="UTC")
    assert (figures.subscribers_active, figures.subscribers_blocked) == (2, 1)
    assert figures.feeds_failing == 1
    assert len(figures.days) == 14
    assert (figures.today.stories, figures.today.deliveries, figures.today.failures) == (5, 4, 1)
    assert figures.days[-4].stories == 1
    assert figures.queue == 1
    png = render_chart(figures)
    assert png.startswith(b"\x89PNG") and len(png) < 100_000
    # The axes speak the admin's digits, as the caption does.
    day = f"{figures.days[-1].day.day}/{figures.days[-1].day.month}"
    for lang, label in (("ar", ar_digits(day)), ("en", day)):
        ax = chart_figure(figures, lang).axes[0]
        assert ax.get_xticklabels()[-1].get_text() == label
        assert ax.yaxis.get_major_formatter()(2, 0) == ("٢" if lang == "ar" else "2")
    # With nothing sent, the messages' axis counts in whole messages, not ٠٫٠١ of one.
    empty = await collect(db, timezone="UTC")
    empty = replace(empty, days=[replace(d, deliveries=0) for d in empty.days])
    figure = chart_figure(empty, "en")
    figure.canvas.draw()
    ticks = figure.axes[1].get_yticks()
    assert all(float(t).is_integer() for t in ticks)


async def test_the_daily_average_counts_whole_days_since_the_instance_started(db: Database) -> None:
    """Found running a week in the life: an instance started three days ago that sends 20 cards a
    day showed, at noon, «المعدل ٣٫٤ يوميًا» (everything divided by 14 days, today's half included)."""
    now = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    started = now - timedelta(days=3, hours=2)  # three days ago at 10:00: a partial first day
    async with db.write() as session:
        session.add(Feed(url="http://e.org/a", name="أ", created_at=started))
        n = 0
        for days_ago, count in ((3, 12), (2, 20), (1, 20), (0, 7)):
            for _ in range(count):
                n += 1
                at = now - timedelta(days=days_ago)
                session.add(Outbox(chat_id=1, kind="story", dedup_key=f"d{n}", status="sent", sent_at=at))
                session.add(Story(entry_key=f"s{n}", title="خبر", source="s", fetched_at=at, published_at=at))

    with patch("bot.admin.stats.utcnow", return_value=now):
        figures = await collect(db, timezone="UTC")
    assert figures.today.deliveries == 7
    assert figures.average("deliveries") == 20.0 and figures.average("stories") == 20.0

    # On its first day an instance has no whole day yet: the average is today's count.
    async with db.write() as session:
        await session.execute(update(Feed).values(created_at=now - timedelta(hours=2)))
        await session.execute(sa_delete(Outbox).where(Outbox.sent_at < now - timedelta(hours=3)))
        await session.execute(sa_delete(Story).where(Story.fetched_at < now - timedelta(hours=3)))
    with patch("bot.admin.stats.utcnow", return_value=now):
        figures = await collect(db, timezone="UTC")
    assert figures.average("deliveries") == 7.0


async def test_audit_log_pages_newest_first(db: Database) -> None:
    for i in range(23):
        await audit.record_now(db, 1000, "feed.pause", feed_id=i, name=f"مصدر {i}")
    first = await audit.list_entries(db, page=0, per_page=10)
    assert (first.total, first.pages) == (23, 3)
    assert first.entries[0].data["feed_id"] == 22
    last = await audit.list_entries(db, page=2, per_page=10)
    assert [e.data["feed_id"] for e in last.entries] == [2, 1, 0]


def test_normalize_url_ignores_case_scheme_port_slash_and_fragment() -> None:
    assert normalize_url("HTTPS://Example.org:443/rss/#x") == normalize_url("http://example.org/rss")
    assert normalize_url("http://example.org/rss?a=1") != normalize_url("http://example.org/rss?a=2")


async def test_a_broadcast_report_counts_a_chat_that_forgot_itself_meanwhile(
    db: Database, config_factory: Any
) -> None:
    from sqlalchemy import update

    from bot.admin import broadcast
    from bot.subscribers import service

    config = config_factory(telegram={"admins": [1000]})
    async with db.write() as session:
        session.add_all([Subscriber(chat_id=c) for c in (11, 12, 13)])
    draft = await broadcast.create_draft(db, 1000, "صيانة الليلة")
    assert (await broadcast.confirm(db, draft, 1000)).recipients == 3
    await service.forget(db, 13)  # before its copy went out
    async with db.write() as session:
        await session.execute(update(Outbox).where(Outbox.kind == "broadcast").values(status="sent"))
    assert await broadcast.report_finished(db, config) == 1
    async with db.read() as session:
        [report] = (await session.scalars(select(Outbox).where(Outbox.chat_id == 1000))).all()
    assert (
        "وصلت إلى ٢ من ٣" in report.payload["text"]
        and "حظرت البوت أو غادرته (عددها: ١)" in report.payload["text"]
    )
    # Named by its first words: its number appears nowhere the admin saw it.
    assert "الرسالة الجماعية «صيانة الليلة»" in report.payload["text"]


async def test_the_paused_alert_tells_the_last_success_in_each_admins_own_time(
    db: Database, config_factory: Callable[..., Config]
) -> None:
    """Found running a week in the life: an admin in New York read «آخر جلب ناجح: ٠٩:٠٠» in the
    alert (the instance's zone) and «آخر نجاح: ٠١:٠٠» in /feed (their own) for the same fetch."""
    from bot.delivery.format import local_time
    from bot.feeds.health import alert_admins_paused

    config = config_factory(telegram={"admins": [1000, 1001]}, delivery={"default_timezone": "Asia/Riyadh"})
    async with db.write() as session:
        session.add(Subscriber(chat_id=1000, timezone="America/New_York"))  # 1001 has no settings
    now = utcnow()
    last = now - timedelta(days=2, hours=3)
    await alert_admins_paused(db, config, 7, "العربية", 10, "HTTP 500 Internal Server Error", now, last)
    async with db.read() as session:
        alerts = dict((await session.execute(select(Outbox.chat_id, Outbox.payload))).all())
    new_york = local_time(last, lang="ar", tz="America/New_York", now=now)
    riyadh = local_time(last, lang="ar", tz="Asia/Riyadh", now=now)
    assert new_york != riyadh
    assert f"آخر جلب ناجح: {new_york}." in alerts[1000]["text"]
    assert f"آخر جلب ناجح: {riyadh}." in alerts[1001]["text"]
