"""What an admin and a reader saw: a feed named with another Arabic spelling was "not
found", a feed address with tracking parameters was added twice, and search results dated a story
of a minute ago "29 Nov 2026" where its card says "١٤:٠٥".

The real Application against the fake Bot API (tests/fakes), and the `akhbar feeds` command.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.admin.feeds import normalize_url
from bot.cli import main
from bot.clock import as_utc, utcnow
from bot.db.database import Database
from bot.db.models import Feed, Story, Subscriber
from bot.delivery.format import local_time
from bot.feeds.identity import normalize_url as story_link
from bot.i18n import ar_digits, month_name
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID, USER_ID, remove_feed_confirmed
from tests.test_feeds_cli import _config, _stored
from tests.test_subscriber_support import SECTIONS, add_story, db_of, no_background_jobs

RLM = "\u200f"
ARABIYA = {"name": "العربية", "url": "http://127.0.0.1:9/arabiya.xml", "interval": 60}


async def ask(fake: FakeTelegram, text: str, *, chat_id: int = ADMIN_ID, lang: str = "ar") -> str:
    [reply] = await fake.converse(chat_id, text, language_code=lang, timeout=10)
    # Some Arabic replies open with a right-to-left mark; what is read is the same.
    return str(reply["plain_text"]).removeprefix(RLM)


async def _feeds(db: Database) -> list[tuple[str, str, str]]:
    async with db.read() as session:
        rows = (await session.scalars(select(Feed).order_by(Feed.id))).all()
        return [(f.name, f.url, f.status) for f in rows]


# -- 1. a feed named the way the admin spells it ------------------------------------------------


@pytest.mark.parametrize(
    "spelt",
    ["العربيه", "الْعَرَبِيَّة", "العـربية"],
    ids=["ta-marbuta-as-ha", "diacritics", "tatweel"],
)
async def test_pausefeed_finds_a_feed_by_its_name_in_another_arabic_spelling(
    spelt: str, bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_background_jobs(monkeypatch)
    async with bot_factory(feeds=[ARABIYA]) as app:
        reply = await ask(fake_telegram, f"/pausefeed {spelt}")
        assert await _feeds(db_of(app)) == [("العربية", ARABIYA["url"], "paused")]
    assert reply.startswith("⏸ أُوقف المصدر العربية ") and "لا يوجد مصدر" not in reply


async def test_feed_resumefeed_and_removefeed_find_it_too(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_background_jobs(monkeypatch)
    feeds = [{"name": "قناة الأخبار", "url": "http://127.0.0.1:9/news.xml", "interval": 60}]
    async with bot_factory(feeds=feeds) as app:
        detail = await ask(fake_telegram, "/feed قناه الاخبار", lang="en")
        await ask(fake_telegram, "/pausefeed 1")
        resumed = await ask(fake_telegram, "/resumefeed قناة الأخبار")
        _, removed = await remove_feed_confirmed(fake_telegram, "قناه الاخبار")
        assert await _feeds(db_of(app)) == []
    assert detail.startswith("قناة الأخبار (#1)")
    assert resumed.startswith("▶️ استُؤنف المصدر قناة الأخبار ")
    assert removed.startswith("🗑 حُذف المصدر قناة الأخبار ")


async def test_of_two_names_that_differ_only_by_spelling_the_exact_one_wins_else_the_first(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_background_jobs(monkeypatch)
    other = {"name": "العربيه", "url": "http://127.0.0.1:9/other.xml", "interval": 60}
    async with bot_factory(feeds=[ARABIYA, other]) as app:
        exact = await ask(fake_telegram, "/pausefeed العربيه")
        statuses = [status for *_, status in await _feeds(db_of(app))]
        loose = await ask(fake_telegram, "/pausefeed الْعَرَبِيَّة")
        assert statuses == ["active", "paused"]
        assert [status for *_, status in await _feeds(db_of(app))] == ["paused", "paused"]
    assert exact.startswith("⏸ أُوقف المصدر العربيه ")
    assert loose.startswith("⏸ أُوقف المصدر العربية ")


async def test_addfeed_refuses_a_name_that_differs_from_a_feeds_only_by_spelling(
    bot_factory: Callable[..., Any],
    fake_telegram: FakeTelegram,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_background_jobs(monkeypatch)
    url = feed_server.add_feed("second", feed_server.stories[:2])
    async with bot_factory(feeds=[ARABIYA]) as app:
        reply = await ask(fake_telegram, f"/addfeed {url} العربيه")
        assert len(await _feeds(db_of(app))) == 1
    # Two such names would be one name to /pausefeed: the admin is asked for another.
    assert reply.startswith("⚠️ الاسم «العربية» مستخدم لمصدر آخر")


def test_the_feeds_command_finds_a_feed_by_another_spelling(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.opml"
    source.write_text(
        '<opml version="2.0"><body><outline text="العربية" xmlUrl="https://news.example.org/rss"/></body></opml>',
        encoding="utf-8",
    )
    cfg = str(_config(tmp_path))
    assert main(["--config", cfg, "feeds", "import", "--no-check", str(source)]) == 0
    capsys.readouterr()
    assert main(["--config", cfg, "feeds", "pause", "العربيه"]) == 0
    assert capsys.readouterr().out == "paused #1 العربية\n"
    assert _stored(tmp_path) == [("العربية", "https://news.example.org/rss", "paused", "opml")]


# -- 2. a feed address with tracking parameters -------------------------------------------------


async def test_addfeed_with_tracking_parameters_is_the_feed_already_there(
    bot_factory: Callable[..., Any],
    fake_telegram: FakeTelegram,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_background_jobs(monkeypatch)
    url = feed_server.add_feed("arabiya", feed_server.stories[:3])
    async with bot_factory() as app:
        added = await ask(fake_telegram, f"/addfeed {url} العربية")
        again = await ask(fake_telegram, f"/addfeed {url}?utm_source=x")
        english = await ask(fake_telegram, f"/addfeed {url}?fbclid=abc&utm_medium=social", lang="en")
        assert await _feeds(db_of(app)) == [("العربية", url, "active")]
    assert "أُضيف المصدر" in added
    assert again.startswith("ℹ️ هذا المصدر موجود من قبل: العربية ")
    assert english == "ℹ️ This feed is already there: العربية (#1)."


async def test_a_feed_added_with_tracking_parameters_is_stored_and_polled_without_them(
    bot_factory: Callable[..., Any],
    fake_telegram: FakeTelegram,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_background_jobs(monkeypatch)
    url = feed_server.add_feed("arabiya", feed_server.stories[:3])
    async with bot_factory() as app:
        await ask(fake_telegram, f"/addfeed {url}?utm_source=tg&utm_campaign=share العربية")
        detail = await ask(fake_telegram, "/feed 1", lang="en")
        again = await ask(fake_telegram, f"/addfeed {url}")
        assert await _feeds(db_of(app)) == [("العربية", url, "active")]
    assert f"URL: {url}\n" in detail and "utm_" not in detail
    assert again.startswith("ℹ️ هذا المصدر موجود من قبل: العربية")


async def test_a_feed_stored_with_tracking_parameters_before_is_still_a_duplicate(
    bot_factory: Callable[..., Any],
    fake_telegram: FakeTelegram,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_background_jobs(monkeypatch)
    url = feed_server.add_feed("arabiya", feed_server.stories[:3])
    stored = f"{url}?utm_source=newsletter&id=7"
    async with bot_factory(feeds=[{"name": "العربية", "url": stored, "interval": 60}]) as app:
        plain = await ask(fake_telegram, f"/addfeed {url}?id=7")
        tracked = await ask(fake_telegram, f"/addfeed {url}?gclid=1&id=7&utm_medium=x")
        assert await _feeds(db_of(app)) == [("العربية", stored, "active")]
    assert plain.startswith("ℹ️ هذا المصدر موجود من قبل: العربية") and tracked == plain


def test_parameters_that_select_a_feed_still_make_another_feed() -> None:
    base = "https://example.com/rss"
    assert normalize_url(f"{base}?cat=sport&utm_source=x") == normalize_url(f"{base}?cat=sport")
    assert normalize_url(f"{base}?cat=sport") != normalize_url(f"{base}?cat=news")
    assert normalize_url(f"{base}?utm%5Fsource=x") == normalize_url(base)
    # Story links compare as before: their tracking parameters were already dropped and sorted.
    assert story_link("https://Example.com/a?b=2&utm_source=x&a=1#top") == "https://example.com/a?a=1&b=2"


# -- 3. search results say when a story came out, as its card does -------------------------------


async def _published(db: Database, story_id: int) -> datetime:
    async with db.read() as session:
        story = await session.get(Story, story_id)
        assert story is not None
        return as_utc(story.published_at)


def _meta(message: str, title: str) -> str:
    """The line under a result's title: 'source · when'."""
    lines = message.split("\n")
    index = next(i for i, line in enumerate(lines) if title in line)
    return lines[index + 1].removeprefix(RLM)


@pytest.fixture
def bot(bot_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS)


async def test_search_shows_a_story_of_a_minute_ago_with_its_time_in_the_readers_zone(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    title = "ارتفاع أسعار النفط في الأسواق"
    async with bot as app:
        db = db_of(app)
        story = await add_story(db, title, ["ارتفعت أسعار النفط."], age=timedelta(minutes=1))
        await ask(fake_telegram, "/start", chat_id=USER_ID)
        default_zone = await ask(fake_telegram, "/search النفط", chat_id=USER_ID)
        async with db.write() as session:
            await session.execute(
                update(Subscriber).where(Subscriber.chat_id == USER_ID).values(timezone="Asia/Tokyo")
            )
        tokyo = await ask(fake_telegram, "/search النفط", chat_id=USER_ID)
        english = await ask(fake_telegram, "/search النفط", chat_id=USER_ID + 1, lang="en")
        published = await _published(db, story)
    # Riyadh (the config's default) and Tokyo are six hours apart: each reader sees their own clock.
    assert _meta(default_zone, title) == "الجزيرة نت · " + local_time(published, lang="ar", tz="Asia/Riyadh")
    assert _meta(tokyo, title) == "الجزيرة نت · " + local_time(published, lang="ar", tz="Asia/Tokyo")
    assert _meta(english, title) == "الجزيرة نت · " + local_time(published, lang="en", tz="Asia/Riyadh")
    riyadh_clock = f"{published + timedelta(hours=3):%H:%M}"
    assert ar_digits(riyadh_clock) in _meta(default_zone, title) and riyadh_clock in _meta(english, title)
    assert str(utcnow().year) not in english and ar_digits(utcnow().year) not in default_zone


async def test_search_keeps_the_year_of_a_story_from_another_year(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    title = "انتخابات بلدية قديمة"
    async with bot as app:
        db = db_of(app)
        story = await add_story(db, title, ["جرت انتخابات بلدية."], age=timedelta(days=400))
        arabic = await ask(fake_telegram, "/search انتخابات", chat_id=USER_ID)
        english = await ask(fake_telegram, "/search انتخابات", chat_id=USER_ID + 1, lang="en")
        local = (await _published(db, story)) + timedelta(hours=3)  # Riyadh, no daylight saving
    day, year, clock = local.day, local.year, f"{local:%H:%M}"
    assert _meta(arabic, title) == (
        f"الجزيرة نت · {ar_digits(day)} {month_name(local.month, 'ar')} {ar_digits(year)} {ar_digits(clock)}"
    )
    assert _meta(english, title) == f"الجزيرة نت · {day} {month_name(local.month, 'en')} {year} {clock}"


async def test_inline_results_show_source_and_time_under_the_title_and_in_the_shared_story(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        db = db_of(app)
        story = await add_story(
            db,
            "قمة اقتصادية في الرياض",
            ["افتتحت القمة الاقتصادية."],
            feed="BBC عربي",
            age=timedelta(minutes=1),
        )
        asked = await fake_telegram.inline_query("القمة", user_id=USER_ID)
        arabic = await fake_telegram.wait_for_inline_answer(asked["inline_query"]["id"], timeout=10)
        asked = await fake_telegram.inline_query("القمة", user_id=USER_ID + 1, language_code="en")
        english = await fake_telegram.wait_for_inline_answer(asked["inline_query"]["id"], timeout=10)
        published = await _published(db, story)
    [result] = arabic["results"]
    [result_en] = english["results"]
    when_ar = local_time(published, lang="ar", tz="Asia/Riyadh")
    when_en = local_time(published, lang="en", tz="Asia/Riyadh")
    # A line led by a Latin source name is marked right-to-left in Arabic, as /search does.
    assert result["description"] == f"{RLM}BBC عربي · {when_ar}\nافتتحت القمة الاقتصادية."
    assert result_en["description"] == f"BBC عربي · {when_en}\nافتتحت القمة الاقتصادية."
    shared = result["input_message_content"]["message_text"].split("\n")
    assert shared[1] == f"{RLM}BBC عربي · {when_ar}"
    assert result_en["input_message_content"]["message_text"].split("\n")[1] == f"BBC عربي · {when_en}"
