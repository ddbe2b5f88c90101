"""One style of digits per reply: an Arabic admin reads counts, dates, times, durations and page
numbers in Arabic-Indic digits, as the story cards write them; an English admin reads Latin ones.
What the admin types back (a feed's number after /feed, a command, a URL, a raw error in <code>)
stays Latin. Admin times follow the admin's own /settings zone, as their story cards do.

The real Application against the fake Bot API, one admin conversation per test.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.clock import utcnow
from bot.db.models import AuditLog, Feed, Story, Subscriber, Subscription
from bot.delivery.format import local_time
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID
from tests.test_subscriber_support import SECTIONS, add_story, db_of, feed_id, no_background_jobs

LATIN_DIGIT = re.compile(r"[0-9]")
AR_INDIC = re.compile(r"[٠-٩]")
ADMIN_ZONE = "America/New_York"  # not the config's default_timezone (Asia/Riyadh)
EXTRA_FEEDS = ["الشروق", "الأهرام", "اليوم السابع", "المصري اليوم", "الوطن", "الدستور", "النهار"]
OLD_ERROR = datetime(2018, 7, 23, 16, 15, tzinfo=UTC)  # 12:15 in New York, 19:15 in Riyadh


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS)


async def ask(fake: FakeTelegram, text: str, lang: str) -> dict[str, Any]:
    [reply] = await fake.converse(ADMIN_ID, text, language_code=lang, timeout=20)
    return reply


def _typed_back(reply: dict[str, Any]) -> str:
    """The reply as the admin reads it, less what they copy or type back: <code>, URLs, commands
    and the feed numbers shown for /feed."""
    shown = re.sub(r"<code>.*?</code>", "", reply["text"] or "", flags=re.S)
    shown = re.sub(r"<[^>]+>", "", shown)
    shown = re.sub(r"https?://\S+", "", shown)
    shown = re.sub(r"/\w+(?: \d+)?", "", shown)
    return re.sub(r"\((?:رقم |#)\d+\)", "", shown)


async def _admin_with_data(app: Any, fake: FakeTelegram, lang: str) -> datetime:
    """The admin in their own zone, a second page of feeds, stories, a subscriber and feed times."""
    await ask(fake, f"/settings timezone {ADMIN_ZONE}", lang)
    db = db_of(app)
    async with db.read() as session:
        assert (
            await session.scalar(select(Subscriber.timezone).where(Subscriber.chat_id == ADMIN_ID))
            == ADMIN_ZONE
        )
    async with db.write() as session:
        for i, name in enumerate(EXTRA_FEEDS):
            session.add(Feed(url=f"http://127.0.0.1:9/extra{i}.xml", name=name, origin="chat"))
    for title in ("خبر أول", "خبر ثان", "خبر ثالث"):
        await add_story(db, title, [f"{title} في الجملة الأولى."])
    # An instance running for weeks, one of the stories from two days ago: /stats averages its
    # whole days, 1 story over 13, a figure with a decimal separator.
    weeks_ago, two_days_ago = utcnow() - timedelta(days=20), utcnow() - timedelta(days=2)
    async with db.write() as session:
        await session.execute(update(Feed).values(created_at=weeks_ago))
        await session.execute(
            update(Story)
            .where(Story.title == "خبر أول")
            .values(published_at=two_days_ago, fetched_at=two_days_ago)
        )
    fid = await feed_id(db, "الجزيرة نت")
    checked = utcnow() - timedelta(minutes=5)
    async with db.write() as session:
        session.add(Subscription(chat_id=ADMIN_ID, kind="feed", target=str(fid)))
        await session.execute(
            update(Feed)
            .where(Feed.id == fid)
            .values(
                last_checked_at=checked,
                last_success_at=OLD_ERROR,
                last_error_at=OLD_ERROR,
                last_error="ReadTimeout: timed out after 20s",
                consecutive_errors=12,
            )
        )
    return checked


async def _replies(fake: FakeTelegram, lang: str) -> dict[str, dict[str, Any]]:
    return {command: await ask(fake, command, lang) for command in ("/stats", "/feeds", "/feed 1")}


async def test_an_arabic_admin_reads_every_figure_in_arabic_indic_digits(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        checked = await _admin_with_data(app, fake_telegram, "ar")
        replies = await _replies(fake_telegram, "ar")
    for command, reply in replies.items():
        rest = _typed_back(reply)
        assert not LATIN_DIGIT.search(rest), (command, rest)
        assert AR_INDIC.search(rest), (command, rest)
    stats, listing, detail = (replies[c]["plain_text"] for c in ("/stats", "/feeds", "/feed 1"))
    assert replies["/stats"]["kind"] == "photo"
    assert "المشتركون النشطون: ١" in stats and "في آخر ١٤ يومًا" in stats
    assert "(المعدل ٠٫١ يوميًا)" in stats  # 1 story over 13 whole days, with the Arabic decimal separator
    assert "(الصفحة ١ من ٢)" in listing and "المصادر</b>" not in listing  # tags stripped in plain text
    assert "(رقم 1)" in listing and "(رقم 1)" in detail  # the number the admin types after /feed
    assert "أخطاء متتالية: ١٢" in detail and "عناصر يوميًا: ٠٫٤" in detail and "مشتركون: ١" in detail
    assert "قصص محفوظة: ٣" in detail and "يُفحص كل دقيقة واحدة" in detail
    assert "timed out after 20s" in detail  # the raw error, shown as code, stays as it was
    assert "آخر فحص: " + local_time(checked, lang="ar", tz=ADMIN_ZONE) in detail


async def test_an_english_admin_reads_latin_digits_only(bot: Any, fake_telegram: FakeTelegram) -> None:
    async with bot as app:
        await _admin_with_data(app, fake_telegram, "en")
        replies = await _replies(fake_telegram, "en")
    for command, reply in replies.items():
        assert not AR_INDIC.search(reply["plain_text"]), (command, reply["plain_text"])
        assert not AR_INDIC.search(reply["text"] or ""), command
    assert "(average 0.1 a day)" in replies["/stats"]["plain_text"]
    assert "(page 1 of 2)" in replies["/feeds"]["plain_text"]
    assert "Errors in a row: 12" in replies["/feed 1"]["plain_text"]


@pytest.mark.parametrize("lang", ["ar", "en"])
async def test_admin_times_are_in_the_admins_own_zone(
    lang: str, bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        checked = await _admin_with_data(app, fake_telegram, lang)
        await ask(fake_telegram, "/pausefeed الأهرام", lang)
        listing = (await ask(fake_telegram, "/feeds", lang))["plain_text"]
        detail = (await ask(fake_telegram, "/feed 1", lang))["plain_text"]
        log = (await ask(fake_telegram, "/audit", lang))["plain_text"]
        async with db_of(app).read() as session:
            logged = await session.scalar(
                select(AuditLog.created_at).order_by(AuditLog.created_at.desc()).limit(1)
            )
    assert logged is not None
    old = {"ar": "٢٣ يوليو ٢٠١٨ ١٢:١٥", "en": "23 Jul 2018 12:15"}[lang]  # New York, not Riyadh's 19:15
    success, last_check, error = {
        "ar": ("آخر نجاح: ", "آخر فحص: ", "آخر خطأ ("),
        "en": ("last success: ", "Last check: ", "Last error ("),
    }[lang]
    assert success + old in listing
    assert success.capitalize() + old in detail and error + old in detail
    assert last_check + local_time(checked, lang=lang, tz=ADMIN_ZONE) in detail
    assert "• " + local_time(logged, lang=lang, tz=ADMIN_ZONE) + " — " in log
    riyadh = local_time(logged, lang=lang, tz="Asia/Riyadh")
    assert riyadh != local_time(logged, lang=lang, tz=ADMIN_ZONE) and "• " + riyadh not in log


@pytest.mark.parametrize(("lang", "two"), [("ar", "٢"), ("en", "2")])
async def test_a_subscriber_reads_subscription_counts_in_the_replys_digits(
    lang: str, two: str, bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        subscribed = await ask(fake_telegram, "/subscribe all", lang)
        removed = await ask(fake_telegram, "/unsubscribe all", lang)
    assert f"({two})" in subscribed["plain_text"] and f"({two})" in removed["plain_text"]
