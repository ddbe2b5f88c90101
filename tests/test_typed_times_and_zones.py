"""Digest times, quiet hours and time zones typed as people write them: «٨ صباحًا», "8pm", times
joined by «و», "+3", "GMT+3", Arab cities by name, English city names; more than six digest times
told as such; `/settings الأوقات` and `/settings المنطقة` with nothing after them explained rather
than acted on; offsets shown as «غرينتش +٣» / "UTC+3", never as the reversed Etc/GMT-3."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.i18n import number
from bot.subscribers import prefs, service
from bot.subscribers.texts import say
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import USER_ID
from tests.test_subscriber_support import SECTIONS, db_of, no_background_jobs

LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS)


# Each new form next to a form that already worked for the same times: both must give them.
@pytest.mark.parametrize(
    ("typed", "already_worked", "times"),
    [
        ("٨ صباحا", "8", ["08:00"]),
        ("٨ صباحًا", "٠٨:٠٠", ["08:00"]),
        ("٨ ص", "08:00", ["08:00"]),
        ("8pm", "20:00", ["20:00"]),
        ("8 pm", "٢٠:٠٠", ["20:00"]),
        ("8 P.M.", "20", ["20:00"]),
        ("٨ مساءً", "٢٠", ["20:00"]),
        ("٨م", "20:00", ["20:00"]),
        ("8:00 am", "08:00", ["08:00"]),
        ("8.30pm", "٢٠٫٣٠", ["20:30"]),
        ("٨:٣٠ و ٢٠:٠٠", "08:30، 20:00", ["08:30", "20:00"]),
        ("٨:٣٠ و٢٠:٠٠", "08:30 20:00", ["08:30", "20:00"]),
        ("8 صباحًا و 8 مساءً", "8 20", ["08:00", "20:00"]),
        ("8am 6pm", "8,18", ["08:00", "18:00"]),
        ("8am, 6pm", "08:00, 18:00", ["08:00", "18:00"]),
        ("7am, 1pm and 7pm", "7,13,19", ["07:00", "13:00", "19:00"]),
        ("12am", "24:00", ["00:00"]),
        ("12pm", "12", ["12:00"]),
        ("12 ظهرًا", "12:00", ["12:00"]),
        ("١ ظهرًا", "13", ["13:00"]),
        ("٣ عصرًا", "15:00", ["15:00"]),
        ("٩ ليلًا", "21", ["21:00"]),
        ("١٢ ليلا", "0:00", ["00:00"]),
        ("٥ فجرًا", "5", ["05:00"]),
        ("الساعة ٨ مساءً", "20:00", ["20:00"]),
    ],
)
def test_digest_times_as_people_write_them(typed: str, already_worked: str, times: list[str]) -> None:
    assert prefs.parse_times(typed.split()) == times
    assert prefs.parse_times(already_worked.split()) == times
    change = prefs.parse_setting(["الأوقات", *typed.split()])
    assert change.changes == {"mode": "digest", "digest_times": times}


def test_a_part_of_the_day_never_makes_a_nonsense_time() -> None:
    assert prefs.parse_time("8pm") == "20:00"  # one time, as config.toml's digest_times reads them
    assert prefs.parse_time("20:00 م") == "20:00"  # a 24-hour time with its part of the day
    for nonsense in ("13am", "٩ ظهرًا", "0pm", "8 pm pm", "8pm 6am", "noon", "pm"):
        assert prefs.parse_time(nonsense) is None, nonsense
    assert prefs.parse_times(["8:00,", "noon"]) is None


@pytest.mark.parametrize(
    ("typed", "already_worked", "window"),
    [
        ("١١ مساءً - ٧ صباحًا", "23:00-07:00", ("23:00", "07:00")),
        ("10pm-7am", "22:00-07:00", ("22:00", "07:00")),
        ("11 pm to 7 am", "23:00 to 07:00", ("23:00", "07:00")),
        ("from 11pm to 7am", "from 23:00 to 07:00", ("23:00", "07:00")),
        ("من ١١ مساء إلى ٧ صباحا", "من ٢٣ إلى ٧", ("23:00", "07:00")),
        ("١٢ ليلًا - ٦ صباحًا", "00:00-06:00", ("00:00", "06:00")),
    ],
)
def test_quiet_hours_as_people_write_them(typed: str, already_worked: str, window: tuple[str, str]) -> None:
    assert prefs.parse_quiet(typed) == window
    assert prefs.parse_quiet(already_worked) == window
    assert prefs.parse_quiet("11pm-11pm") is None  # start and end the same, as before
    change = prefs.parse_setting(["الهدوء", *typed.split()])
    assert change.changes == {"quiet_start": window[0], "quiet_end": window[1]}


def test_seven_digest_times_are_too_many_not_invalid() -> None:
    six = prefs.parse_setting(["الأوقات", "٧", "١٣", "١٩", "٢٢", "١", "٣"])
    assert six.changes["digest_times"] == ["01:00", "03:00", "07:00", "13:00", "19:00", "22:00"]
    seven = prefs.parse_setting(["الأوقات", "٧", "١٣", "١٩", "٢٢", "١", "٣", "٥"])
    assert (seven.error, seven.changes, seven.value) == ("too_many_times", {}, "٧ ١٣ ١٩ ٢٢ ١ ٣ ٥")
    assert prefs.parse_times(["7", "13", "19", "22", "1", "3", "5"]) is None  # config.toml's check, as before
    # A time that is not one is still the first thing said.
    assert (
        prefs.parse_setting(["الأوقات", "٧", "١٣", "١٩", "٢٢", "١", "٣", "٥", "٩", "ظهرًا"]).error
        == "bad_times"
    )
    for lang in ("ar", "en"):
        told = say("settings_too_many_times", lang, value="…")
        assert number(prefs.MAX_DIGEST_TIMES, lang) in told
    assert not LATIN.search(say("settings_too_many_times", "ar", value="…").replace("/settings", ""))


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("+3", "Etc/GMT-3"),
        ("GMT+3", "Etc/GMT-3"),
        ("UTC+3", "Etc/GMT-3"),
        ("UTC+03:00", "Etc/GMT-3"),
        ("utc -5", "Etc/GMT+5"),
        ("غرينتش+3", "Etc/GMT-3"),
        ("جرينتش +٣", "Etc/GMT-3"),
        ("٣+", "Etc/GMT-3"),  # the sign typed after the number, right to left
        ("+0530", "Asia/Kolkata"),
        ("+5:30", "Asia/Kolkata"),
        ("+4:30", "Asia/Kabul"),
        ("+3:30", "Asia/Tehran"),
        ("+5:45", "Asia/Kathmandu"),
        ("+9:30", "Australia/Darwin"),
        ("غرينتش", "UTC"),
        ("الكويت", "Asia/Kuwait"),
        ("الدوحة", "Asia/Qatar"),
        ("مسقط", "Asia/Muscat"),
        ("سلطنة عمان", "Asia/Muscat"),
        ("الرباط", "Africa/Casablanca"),
        ("القدس", "Asia/Jerusalem"),
        ("رام الله", "Asia/Hebron"),
        ("مكة", "Asia/Riyadh"),
        ("جدة", "Asia/Riyadh"),
        ("المدينة المنورة", "Asia/Riyadh"),
        ("الخرطوم", "Africa/Khartoum"),
        ("صنعاء", "Asia/Aden"),
        ("عدن", "Asia/Aden"),
        ("المنامة", "Asia/Bahrain"),
        ("أبوظبي", "Asia/Dubai"),
        ("أبو ظبي", "Asia/Dubai"),
        ("الشارقة", "Asia/Dubai"),
        ("طرابلس", "Africa/Tripoli"),
        ("نواكشوط", "Africa/Nouakchott"),
        ("مقديشو", "Africa/Mogadishu"),
        ("جيبوتي", "Africa/Djibouti"),
        ("الموصل", "Asia/Baghdad"),
        ("البصرة", "Asia/Baghdad"),
        ("أربيل", "Asia/Baghdad"),
        ("حلب", "Asia/Damascus"),
        ("إسطنبول", "Europe/Istanbul"),
        ("أنقرة", "Europe/Istanbul"),
        ("طهران", "Asia/Tehran"),
        ("باريس", "Europe/Paris"),
        ("برلين", "Europe/Berlin"),
        ("نيويورك", "America/New_York"),
        ("تورنتو", "America/Toronto"),
        ("سيدني", "Australia/Sydney"),
        ("Paris", "Europe/Paris"),
        ("Kuwait", "Asia/Kuwait"),
        ("Doha", "Asia/Qatar"),
        ("new york", "America/New_York"),
        ("los angeles", "America/Los_Angeles"),
        ("Muscat", "Asia/Muscat"),
        ("Oman", "Asia/Muscat"),
    ],
)
def test_time_zones_as_people_write_them(typed: str, zone: str) -> None:
    assert prefs.parse_timezone(typed) == zone
    assert prefs.parse_setting(["المنطقة", *typed.split()]).changes == {"timezone": zone}


def test_zones_that_worked_still_do_and_amman_is_shown_as_jordan() -> None:
    for typed, zone in (
        ("africa/cairo", "Africa/Cairo"),
        ("القاهرة", "Africa/Cairo"),
        ("Europe/Paris", "Europe/Paris"),
        ("UTC", "UTC"),
        ("تونس", "Africa/Tunis"),
        ("الجزائر", "Africa/Algiers"),
        ("الدار البيضاء", "Africa/Casablanca"),
        ("لندن", "Europe/London"),
        ("عمان", "Asia/Amman"),
        ("عمّان", "Asia/Amman"),
    ):
        assert prefs.parse_timezone(typed) == zone, typed
    assert prefs.parse_timezone("Mars/Olympus") is None and prefs.parse_timezone("3") is None
    # «عمان» stays the city most people mean; the screen names the country so an Omani sees it.
    assert prefs.timezone_label("Asia/Amman", "ar") == "عمّان (الأردن)"
    assert prefs.timezone_label("Asia/Amman", "en") == "Amman (Jordan)"
    assert prefs.timezone_label("Asia/Muscat", "ar") == "مسقط"
    # Morocco's zone is named for the country: a reader in Rabat was shown «الدار البيضاء».
    assert prefs.timezone_label(prefs.parse_timezone("الرباط") or "", "ar") == "المغرب"
    assert prefs.timezone_label("Africa/Casablanca", "en") == "Morocco"


@pytest.mark.parametrize(
    ("zone", "arabic", "english"),
    [
        ("Etc/GMT-3", "غرينتش +٣", "UTC+3"),
        ("Etc/GMT+5", "غرينتش -٥", "UTC-5"),
        ("Etc/GMT-14", "غرينتش +١٤", "UTC+14"),
        ("Asia/Kolkata", "غرينتش +٥:٣٠", "UTC+5:30"),
        ("UTC", "غرينتش", "UTC"),
        ("Asia/Kuwait", "الكويت", "Kuwait"),
        ("Asia/Qatar", "الدوحة", "Doha"),
        ("Africa/Tripoli", "طرابلس (ليبيا)", "Tripoli (Libya)"),
    ],
)
def test_how_a_zone_is_shown(zone: str, arabic: str, english: str) -> None:
    assert prefs.timezone_label(zone, "ar") == arabic
    assert prefs.timezone_label(zone, "en") == english
    assert not LATIN.search(arabic)


def test_reversed_and_impossible_offsets_get_their_own_answer() -> None:
    # Etc/GMT+3 is UTC-3, the opposite of what people typing it mean: asked, not guessed.
    refused = prefs.parse_setting(["timezone", "Etc/GMT+3"])
    assert (refused.error, refused.changes, refused.value) == ("bad_tz_etc", {}, "Etc/GMT+3")
    assert prefs.parse_setting(["timezone", "etc/gmt-3"]).error == "bad_tz_etc"
    assert "+3" in say("settings_bad_tz_etc", "en", value="Etc/GMT+3")
    # config.toml still reads IANA names as written, and shows what they are.
    assert prefs.parse_timezone("Etc/GMT+3") == "Etc/GMT+3"
    assert prefs.timezone_label("Etc/GMT+3", "en") == "UTC-3"
    for offset in ("+15", "-13", "-3:30", "+10:30"):
        assert prefs.parse_setting(["المنطقة", offset]).error == "bad_tz_offset", offset
    assert prefs.parse_setting(["المنطقة", "Nowhere"]).error == "bad_tz"
    # The unknown-zone answer offers offsets too, not only city names.
    assert "+3" in say("settings_bad_tz", "ar", value="x") and "غرينتش" in say(
        "settings_bad_tz", "ar", value="x"
    )


@pytest.mark.parametrize("named", [["الأوقات"], ["أوقات", "الملخص"], ["times"], ["digest", "times"]])
def test_naming_the_times_without_any_explains_and_changes_nothing(named: list[str]) -> None:
    change = prefs.parse_setting(named)
    assert (change.changes, change.error) == ({}, "how_times")
    # The mode words alone still choose digests.
    for mode in (["ملخص"], ["digest"], ["الملخص"], ["ملخص", "دوري"]):
        assert prefs.parse_setting(mode).changes == {"mode": "digest"}, mode
    assert prefs.parse_setting(["الوضع", "ملخص", "دوري"]).changes == {"mode": "digest"}


def test_naming_the_zone_without_one_explains() -> None:
    for named in (["المنطقة"], ["المنطقة", "الزمنية"], ["timezone"]):
        change = prefs.parse_setting(named)
        assert (change.changes, change.error) == ({}, "how_tz"), named
    assert "/settings المنطقة +3" in say("settings_how_tz", "ar")
    assert "/settings timezone +3" in say("settings_how_tz", "en")


# End to end: the real Application against the fake Bot API.


async def _reply(fake: FakeTelegram, text: str, lang: str = "ar") -> dict[str, Any]:
    [reply] = await fake.converse(USER_ID, text, language_code=lang)
    return reply


def _line(reply: dict[str, Any], label: str) -> str:
    [line] = [line for line in reply["plain_text"].split("\n") if line.lstrip("\u200f").startswith(label)]
    return line


async def test_an_english_user_types_8am_6pm(bot: Any, fake_telegram: FakeTelegram) -> None:
    async with bot as app:
        reply = await _reply(fake_telegram, "/settings digest 8am 6pm", "en")
        assert reply["plain_text"].startswith("Saved ✓")
        assert _line(reply, "Digest times") == "Digest times: 08:00, 18:00"
        sub = await service.get_subscriber(db_of(app), USER_ID)
        assert sub is not None and (sub.mode, sub.digest_times) == ("digest", ["08:00", "18:00"])

        refused = await _reply(fake_telegram, "/settings digest 7 13 19 22 1 3 5", "en")
        assert refused["plain_text"].startswith("A digest comes at most 6 times a day")
        sub = await service.get_subscriber(db_of(app), USER_ID)
        assert sub is not None and sub.digest_times == ["08:00", "18:00"]


async def test_arabic_times_joined_by_wa_and_quiet_hours_with_parts_of_the_day(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        reply = await _reply(fake_telegram, "/settings الأوقات ٨ صباحًا و ٨ مساءً")
        # A reader of instant news is told that times mean digests from now on, not only shown it.
        assert reply["plain_text"].startswith("حُفظ ✓ ستصلك الأخبار من الآن في ملخص")
        assert _line(reply, "أوقات الملخص") == "أوقات الملخص: ٠٨:٠٠، ٢٠:٠٠"
        again = await _reply(fake_telegram, "/settings الأوقات ٧ صباحًا")
        assert again["plain_text"].split("\n")[0] == "حُفظ ✓"  # already on digests: nothing to tell
        reply = await _reply(fake_telegram, "/settings الهدوء من ١١ مساءً إلى ٧ صباحًا")
        assert _line(reply, "ساعات الهدوء") == "ساعات الهدوء: من ٢٣:٠٠ إلى ٠٧:٠٠"
        sub = await service.get_subscriber(db_of(app), USER_ID)
        assert sub is not None and (sub.quiet_start, sub.quiet_end) == ("23:00", "07:00")


async def test_an_offset_is_stored_and_shown_in_arabic_without_latin(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        reply = await _reply(fake_telegram, "/settings المنطقة +3")
        assert reply["plain_text"].startswith("حُفظ ✓")
        line = _line(reply, "المنطقة الزمنية")
        assert line == "المنطقة الزمنية: غرينتش +٣" and not LATIN.search(line)
        [button] = [
            b["text"]
            for row in reply["reply_markup"]["inline_keyboard"]
            for b in row
            if "المنطقة" in b["text"]
        ]
        assert button == "المنطقة الزمنية: غرينتش +٣"
        sub = await service.get_subscriber(db_of(app), USER_ID)
        assert sub is not None and sub.timezone == "Etc/GMT-3"

        await _reply(fake_telegram, "/language english")
        english = await _reply(fake_telegram, "/settings")
        assert "Time zone: UTC+3" in english["plain_text"]

        refused = await _reply(fake_telegram, "/settings timezone Etc/GMT+3")
        assert refused["plain_text"].startswith("In «Etc/GMT+3» the sign is reversed")
        sub = await service.get_subscriber(db_of(app), USER_ID)
        assert sub is not None and sub.timezone == "Etc/GMT-3"  # nothing changed


async def test_amman_is_shown_as_jordan_and_muscat_as_muscat(bot: Any, fake_telegram: FakeTelegram) -> None:
    async with bot as app:
        reply = await _reply(fake_telegram, "/settings المنطقة عمان")
        assert _line(reply, "المنطقة الزمنية") == "المنطقة الزمنية: عمّان (الأردن)"
        reply = await _reply(fake_telegram, "/settings المنطقة مسقط")
        assert _line(reply, "المنطقة الزمنية") == "المنطقة الزمنية: مسقط"
        sub = await service.get_subscriber(db_of(app), USER_ID)
        assert sub is not None and sub.timezone == "Asia/Muscat"


async def test_naming_a_setting_without_a_value_explains_and_changes_nothing(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        await _reply(fake_telegram, "/start")
        # Before: switched to digests and said «حُفظ ✓».
        for typed in ("/settings الأوقات", "/settings أوقات الملخص"):
            reply = await _reply(fake_telegram, typed)
            assert not reply["plain_text"].startswith("حُفظ"), typed
            assert "/settings الأوقات 07:00 19:00" in reply["plain_text"]
        sub = await service.get_subscriber(db_of(app), USER_ID)
        assert sub is not None and sub.mode == "instant"

        reply = await _reply(fake_telegram, "/settings المنطقة")
        assert "لا أعرف" not in reply["plain_text"]
        assert reply["plain_text"].startswith("اكتب مدينتك أو فرق توقيتك عن غرينتش")
        sub = await service.get_subscriber(db_of(app), USER_ID)
        assert sub is not None and (sub.mode, sub.timezone) == ("instant", "Asia/Riyadh")

        # «ملخص» alone is still the delivery mode.
        reply = await _reply(fake_telegram, "/settings ملخص")
        assert reply["plain_text"].startswith("حُفظ ✓")
        sub = await service.get_subscriber(db_of(app), USER_ID)
        assert sub is not None and sub.mode == "digest"
