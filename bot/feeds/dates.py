"""Item dates as Arabic outlets write them, read before feedparser's reading (bot.feeds.parser).

feedparser reads RFC 822 and ISO dates, and gives up (None: the poller then uses the time it
fetched the item) on what many Arabic feeds write: no time zone, "GMT+3", Arabic month and weekday
names (the Levantine أيار, the Egyptian مايو, the Maghrebi جوان and the Moroccan شتنبر), Arabic-Indic digits. It also reads "AST" as
Atlantic time (UTC-4) and "EEST" as UTC, while in an Arabic feed they are Arabia Standard Time
(UTC+3) and Eastern European Summer Time (UTC+3). A date with no zone is taken as UTC.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

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
# Minutes east of UTC, as the abbreviations mean in the Arab world.
_ZONES = {
    "gmt": 0,
    "ut": 0,
    "utc": 0,
    "z": 0,
    "wet": 0,
    "west": 60,
    "cet": 60,
    "cest": 120,
    "eet": 120,
    "eest": 180,
    "ast": 180,
    "trt": 180,
    "msk": 180,
    "gst": 240,
}
_FOLD = str.maketrans("أإآىة٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹،", "ااايه01234567890123456789,")
_DATE = re.compile(
    r"(?:(?P<weekday>[^\W\d_]+)\s*,?\s*)?"
    r"(?P<day>\d{1,2})[\s/.-]+(?P<month>[^\W\d_]+(?:\s[^\W\d_]+)?)[\s/.,-]+(?P<year>\d{4})م?"
    r"(?:[\s,T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
    r"\s*(?P<half>am|pm|ص|م)?"
    r"\s*(?P<zone>[a-z]{1,5}(?:\s*[+-]\s*\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2})?"
)
_OFFSET = re.compile(r"([a-z]*)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?")


def parse_date(value: str) -> time.struct_time | None:
    """The date as a UTC struct_time (feedparser's form), or None when feedparser's reading stands."""
    text = " ".join(value.translate(_FOLD).lower().split())
    match = _DATE.fullmatch(text)
    if match is None or (match["weekday"] and match["weekday"] not in _WEEKDAYS):
        return None
    month, offset = _MONTHS.get(match["month"]), _offset(match["zone"] or "")
    if month is None or offset is None:
        return None
    hour = int(match["hour"] or 0)
    if match["half"] in ("pm", "م") and hour < 12:
        hour += 12
    elif match["half"] in ("am", "ص") and hour == 12:
        hour = 0
    try:
        local = datetime(
            int(match["year"]),
            month,
            int(match["day"]),
            hour,
            int(match["minute"] or 0),
            int(match["second"] or 0),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    return (local - offset).timetuple()


def _offset(zone: str) -> timedelta | None:
    """ "+0300", "GMT+3", "GMT-03:30", "AST" or nothing (UTC); None for a zone not known here
    (feedparser knows the American ones)."""
    match = _OFFSET.fullmatch(zone)
    if match is None:
        return None
    name, sign, hours, minutes = match.groups()
    if sign is None:
        east = _ZONES.get(name or "utc")
        return None if east is None else timedelta(minutes=east)
    if name not in ("", "gmt", "utc", "ut"):
        return None
    east = int(hours) * 60 + int(minutes or 0)
    return timedelta(minutes=-east if sign == "-" else east)
