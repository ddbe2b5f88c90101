"""/settings tells a digest reader when the next digest comes (a QA pass: a time already past
today waits for tomorrow, and nothing said so)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.db.models import Subscriber
from bot.delivery.schedule import next_slot
from bot.subscribers.settings_view import settings_text

# 14:00 in Riyadh (UTC+3), 7 May 2026.
AFTERNOON = datetime(2026, 5, 7, 11, 0, tzinfo=UTC)
NIGHT = datetime(2026, 5, 7, 18, 30, tzinfo=UTC)  # 21:30 in Riyadh


def reader(
    mode: str = "digest", tz: str = "Asia/Riyadh", times: tuple[str, ...] = ("08:00", "20:00")
) -> Subscriber:
    return Subscriber(
        chat_id=1,
        mode=mode,
        timezone=tz,
        digest_times=list(times),
        sentences=3,
        link_preview=False,
        group_events=True,
        language="ar",
    )


def test_the_next_digest_today_is_its_time() -> None:
    text = settings_text(reader(), "ar", now=AFTERNOON)
    assert "الملخص التالي: ٢٠:٠٠" in text
    assert "Next digest: 20:00" in settings_text(reader(), "en", now=AFTERNOON)


def test_a_time_already_past_today_is_tomorrows_with_its_date() -> None:
    assert "الملخص التالي: ٨ مايو ٠٨:٠٠" in settings_text(reader(), "ar", now=NIGHT)
    assert "Next digest: 8 May 08:00" in settings_text(reader(), "en", now=NIGHT)


def test_in_the_readers_own_zone() -> None:
    # 11:00 UTC is 16:30 in Kolkata: its 20:00 is the next one, and reads 20:00 there.
    assert "الملخص التالي: ٢٠:٠٠" in settings_text(reader(tz="Asia/Kolkata"), "ar", now=AFTERNOON)
    assert next_slot(AFTERNOON, ["20:00"], "Asia/Kolkata") == datetime(2026, 5, 7, 14, 30, tzinfo=UTC)


def test_an_instant_reader_is_told_no_digest_time() -> None:
    assert "الملخص التالي" not in settings_text(reader(mode="instant"), "ar", now=AFTERNOON)
