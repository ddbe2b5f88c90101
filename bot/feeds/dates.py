"""Item dates as Arabic outlets write them, read before feedparser's reading (bot.feeds.parser).

feedparser reads RFC 822 and ISO dates, and gives up (None: the poller then uses the time it
fetched the item) on what many Arabic feeds write: no time zone, "GMT+3", Arabic month and weekday
names (the Levantine أيار, the Egyptian مايو, the Maghrebi جوان and the Moroccan شتنبر), Arabic-Indic digits,
«- ١٠:٣٠ ص» or «الساعة 14:45» after the date. It also reads "AST" as Atlantic time (UTC-4) and
"EEST" as UTC, while in an Arabic feed they are Arabia Standard Time (UTC+3) and Eastern European
Summer Time (UTC+3). Worse, it misreads numeric dates: 07-12-2026 comes out as 20 Dec 2007 and
2026/12/07 as 1 Dec 2026, so a fresh story looks years old (see year_written). Numeric dates are
read day first, as the Arab world writes them (07-12-2026 is 7 December), unless the second
number cannot be a month. A date with no zone is taken as UTC.
"""

from __future__ import annotations

import functools
import re
import time
import zoneinfo
from datetime import UTC, datetime, timedelta, timezone, tzinfo

_MONTH_NAMES = {
    1: ("jan", "january", "يناير", "كانون الثاني", "جانفي"),
    2: ("feb", "february", "فبراير", "شباط", "فيفري"),
    3: ("mar", "march", "مارس", "اذار"),
    4: ("apr", "april", "ابريل", "نيسان", "افريل"),
    5: ("may", "مايو", "ايار", "ماي"),
    6: ("jun", "june", "يونيو", "يونيه", "حزيران", "جوان"),
    7: ("jul", "july", "يوليو", "يوليه", "تموز", "جويليه", "يوليوز"),
    8: ("aug", "august", "اغسطس", "اب", "اوت", "غشت"),
    9: ("sep", "sept", "september", "سبتمبر", "ايلول", "شتنبر"),
    10: ("oct", "october", "اكتوبر", "تشرين الاول"),
    11: ("nov", "november", "نوفمبر", "تشرين الثاني", "نونبر"),
    12: ("dec", "december", "ديسمبر", "كانون الاول", "دجنبر"),
}
_MONTHS = {name: month for month, names in _MONTH_NAMES.items() for name in names}
_WEEKDAYS = frozenset(
    (
        *("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        *("الاحد", "الاثنين", "الثلاثاء", "الاربعاء", "الخميس", "الجمعه", "السبت"),
    )
)
# Minutes east of UTC, as the abbreviations mean in the Arab world and its neighbours. IST is
# left out: India, Ireland and Israel all write it.
_ZONES = {
    "gmt": 0,
    "ut": 0,
    "utc": 0,
    "z": 0,
    "wet": 0,
    "west": 60,
    "wat": 60,
    "bst": 60,  # British Summer Time: London's Arabic press
    "cet": 60,
    "cest": 120,
    "eet": 120,
    "cat": 120,
    "sast": 120,
    "eest": 180,
    "eat": 180,
    "ast": 180,
    "trt": 180,
    "msk": 180,
    "irst": 210,
    "gst": 240,
    "pkt": 300,
}
# Folded: hamza and taa marbuta forms, Arabic-Indic digits and comma; diacritics and tatweel
# dropped («مساءً», «صباحًا»).
_FOLD = str.maketrans(
    "أإآىة٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹،",
    "ااايه01234567890123456789,",
    "\u0640\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652",
)
_WEEKDAY = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_LEAD = rf"(?:(?:{_WEEKDAY})(?![^\W\d_])\s*,?\s*)?"
_NAME = r"[^\W\d_]+(?:\s[^\W\d_]+)?"
_ERA = r"(?:\s?م(?![^\W\d_]))?"  # «٢٠٢٦م»: the Gregorian year
# The date itself, in the orders outlets write it.
_DAYS = (
    rf"(?P<day>\d{{1,2}})[\s/.-]+(?P<month>{_NAME})[\s/.,-]+(?P<year>\d{{4}}){_ERA}",  # 7 ديسمبر 2026
    rf"(?P<month>{_NAME})\s+(?P<day>\d{{1,2}})\s*,?\s*(?P<year>\d{{4}}){_ERA}",  # December 7, 2026
    rf"(?P<day>\d{{1,2}})(?P<sep>[/.-])(?P<month>\d{{1,2}})(?P=sep)(?P<year>\d{{4}}){_ERA}",  # 07-12-2026
    r"(?P<year>\d{4})(?P<sep>[/.-])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})",  # 2026/12/07
)
_TAIL = (
    # Between date and time: space, "T", a comma, «-», «|» or «الساعة» (the hour). Spaces only
    # before each mark: around it, the regex would try every split of " - - -" (2^n).
    r"(?:(?:(?:\s*(?:[,|t-]|الساعه))+\s*|\s+)"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
    # With no time, a «م» after the year is the Gregorian era, not the afternoon.
    r"\s*(?P<half>am|pm|a\.m\.|p\.m\.|صباحا|مساءا|مساء|ص|م)?)?"
    r"\s*(?P<zone>[a-z]+(?:/[a-z0-9_+-]+)+|[a-z]{1,5}(?:\s*[+-]\s*\d{1,2}(?::?\d{2})?)?|[+-]\d{2}(?::?\d{2})?)?"
)
_DATES = tuple(re.compile(_LEAD + days + _TAIL) for days in _DAYS)
_OFFSET = re.compile(r"([a-z]*)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?")
_NUMBER = re.compile(r"\d+")
# Longer than any date written out in full («Wednesday, September 30, 2026 - 10:30:00 Asia/…»).
_LONGEST = 100


def parse_date(value: str) -> time.struct_time | None:
    """The date as a UTC struct_time (feedparser's form), or None when feedparser's reading stands."""
    text = " ".join(value.translate(_FOLD).lower().split())
    if len(text) > _LONGEST:
        return None
    match = next((m for m in (pattern.fullmatch(text) for pattern in _DATES) if m), None)
    if match is None:
        return None
    day_month = _day_month(match["day"], match["month"])
    zone = _zone(match["zone"] or "")
    if day_month is None or zone is None:
        return None
    try:
        local = datetime(
            int(match["year"]),
            day_month[1],
            day_month[0],
            _hour(int(match["hour"] or 0), match["half"]),
            int(match["minute"] or 0),
            int(match["second"] or 0),
            tzinfo=zone,
        )
    except ValueError:
        return None
    return local.astimezone(UTC).timetuple()


def year_written(value: str, year: int) -> bool:
    """Whether the year feedparser read from `value` is written in it. feedparser reads what it
    does not know as best it can: 07-12-2026 as 20 Dec 2007, 12-07-2026 as 20 Jul 2012. A
    two-digit year (RFC 822 allows "07 Dec 26") counts only when no longer number is written."""
    text = value.translate(_FOLD)
    if str(year) in text:
        return True
    numbers = _NUMBER.findall(text)
    return all(len(number) < 4 for number in numbers) and f"{year % 100:02d}" in numbers


def _day_month(day: str, month: str) -> tuple[int, int] | None:
    """Day and month; a numeric pair is day first, unless only the other way is a date
    (07/25/2026, an American CMS default)."""
    if not month.isdigit():
        named = _MONTHS.get(month)
        return None if named is None else (int(day), named)
    first, second = int(day), int(month)
    return (second, first) if second > 12 >= first else (first, second)


def _hour(hour: int, half: str | None) -> int:
    if half in ("pm", "p.m.", "م", "مساء", "مساءا") and hour < 12:
        return hour + 12
    if half in ("am", "a.m.", "ص", "صباحا") and hour == 12:
        return 0
    return hour


def _zone(zone: str) -> tzinfo | None:
    """ "+0300", "GMT+3", "GMT-03:30", "AST", "Asia/Riyadh" or nothing (UTC); None for a zone not
    known here (feedparser knows the American ones)."""
    if "/" in zone:
        name = _zone_names().get(zone)
        return None if name is None else zoneinfo.ZoneInfo(name)
    match = _OFFSET.fullmatch(zone)
    if match is None:
        return None
    name, sign, hours, minutes = match.groups()
    if sign is None:
        east = _ZONES.get(name or "utc")
        return None if east is None else timezone(timedelta(minutes=east))
    if name not in ("", "gmt", "utc", "ut"):
        return None
    east = int(hours) * 60 + int(minutes or 0)
    return timezone(timedelta(minutes=-east if sign == "-" else east))


@functools.cache
def _zone_names() -> dict[str, str]:
    """IANA zone names by their lower-case spelling (the date is read lower-cased)."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}
