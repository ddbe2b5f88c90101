"""Parsing and validating the settings people type: times, quiet hours, time zones, numbers.

Pure functions (no database, no Telegram); each returns None for input it cannot use so the
handler can answer with a clear error and change nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from summarizer.normalize import normalize

MIN_SENTENCES = 1
MAX_SENTENCES = 5
MAX_LATEST = 10  # /latest N shows at most this many (bot.subscribers.service)

# HH:MM with Western or Arabic-Indic digits (normalize() folds the latter), "7" or "7:30" too.
_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.٫](\d{2}))?\s*$")
# Matched against normalised text: إلى is written الي there. The settings screen shows quiet hours
# as «من 23:00 إلى 07:00» / "23:00 to 07:00", and digest times are typed space-separated, so a
# leading «من»/"from" and a bare space between the two times are accepted too.
_RANGE = re.compile(r"^\s*(?:(?:من|from)\s+)?(\S+?)(?:\s*(?:-|–|—|to|until|till|الي|حتي)\s*|\s+)(\S+)\s*$")

# Preset choices offered as buttons; anything else can be typed.
DIGEST_PRESETS: tuple[tuple[str, ...], ...] = (
    ("07:00", "19:00"),
    ("08:00", "20:00"),
    ("09:00",),
    ("08:00", "14:00", "20:00"),
)
QUIET_PRESETS: tuple[tuple[str, str], ...] = (("22:00", "07:00"), ("23:00", "08:00"), ("00:00", "06:00"))
# Time zones of the Arabic-speaking world most people will want, with their Arabic names.
TIMEZONE_PRESETS: dict[str, tuple[str, str]] = {
    "Asia/Riyadh": ("الرياض", "Riyadh"),
    "Africa/Cairo": ("القاهرة", "Cairo"),
    "Asia/Dubai": ("دبي", "Dubai"),
    "Asia/Baghdad": ("بغداد", "Baghdad"),
    "Asia/Damascus": ("دمشق", "Damascus"),
    "Asia/Beirut": ("بيروت", "Beirut"),
    "Asia/Amman": ("عمّان", "Amman"),
    "Asia/Gaza": ("غزة", "Gaza"),
    "Africa/Algiers": ("الجزائر", "Algiers"),
    "Africa/Casablanca": ("الدار البيضاء", "Casablanca"),
    "Africa/Tunis": ("تونس", "Tunis"),
    "Europe/London": ("لندن", "London"),
}


def parse_time(value: str) -> str | None:
    """'7', '7:30', '07:30', '٠٧:٣٠' -> '07:30'; None when it is not a time of day."""
    match = _TIME.match(normalize(value))
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour == 24 and minute == 0:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return f"{hour:02d}:{minute:02d}"


def parse_times(values: list[str]) -> list[str] | None:
    """Digest times: one to six distinct times, sorted; None if any is not a time."""
    items = [v for part in values for v in re.split(r"[\s,،]+", part) if v]
    times = [parse_time(v) for v in items]
    if not times or len(times) > 6 or any(t is None for t in times):
        return None
    return sorted({t for t in times if t is not None})


def parse_quiet(value: str) -> tuple[str, str] | None:
    """'23:00-07:00' -> ('23:00', '07:00'); None when unusable (also when start equals end)."""
    match = _RANGE.match(normalize(value))
    if not match:
        return None
    start, end = parse_time(match.group(1)), parse_time(match.group(2))
    if start is None or end is None or start == end:
        return None
    return start, end


@lru_cache(maxsize=1)
def _zones_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_timezone(value: str) -> str | None:
    """An IANA zone name (any letter case) -> its canonical spelling; None when unknown."""
    name = value.strip()
    if not name or len(name) > 64:
        return None
    canonical = _zones_by_lower().get(name.lower())
    if canonical is None:
        # A city typed in Arabic or English, e.g. "القاهرة" or "cairo".
        wanted = normalize(name)
        for zone, (ar, en) in TIMEZONE_PRESETS.items():
            if wanted in (normalize(ar), en.lower()):
                return zone
        return None
    try:
        ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return canonical


def parse_sentences(value: str) -> int | None:
    digits = normalize(value).strip()
    if not digits.isdigit():
        return None
    number = int(digits)
    return number if MIN_SENTENCES <= number <= MAX_SENTENCES else None


_ON = {"on", "yes", "true", "1", "نعم", "تشغيل", "تفعيل", "مفعل", "شغل"}
_OFF = {"off", "no", "false", "0", "لا", "ايقاف", "إيقاف", "تعطيل", "معطل", "الغاء", "إلغاء"}


def parse_switch(value: str) -> bool | None:
    word = normalize(value).strip()
    if word in {normalize(w) for w in _ON}:
        return True
    if word in {normalize(w) for w in _OFF}:
        return False
    return None


def timezone_label(zone: str, lang: str) -> str:
    names = TIMEZONE_PRESETS.get(zone)
    if names is None:
        return zone
    return names[0] if lang == "ar" else names[1]


# Each setting's short names and the label the settings screen shows for it
# (bot.subscribers.settings_view.LABELS): people type what they read there.
_SETTING_NAMES = {
    "mode": ("mode", "delivery", "الوضع", "وضع", "طريقة", "الاستلام", "طريقة الاستلام"),
    "instant": ("instant", "فوري", "فورية", "فورا"),
    "digest": (
        "digest",
        "times",
        "digest times",
        "الأوقات",
        "أوقات",
        "الملخص",
        "ملخص",
        "دوري",
        "أوقات الملخص",
    ),
    "tz": ("timezone", "tz", "zone", "time zone", "المنطقة", "منطقة", "التوقيت", "توقيت", "المنطقة الزمنية"),
    "sent": ("sentences", "sentences per summary", "الجمل", "جمل", "عدد", "جمل الملخص"),
    "quiet": ("quiet", "quiet hours", "الهدوء", "هدوء", "ساعات الهدوء"),
    "prev": ("previews", "preview", "links", "link previews", "المعاينة", "معاينة", "معاينة الروابط"),
    "group": (
        "grouping",
        "group",
        "same story",
        "same story from other sources",
        "التجميع",
        "تجميع",
        "الخبر نفسه",
        "الخبر نفسه من مصادر أخرى",
    ),
}
_NAME_OF = {
    " ".join(normalize(alias).split()): name for name, aliases in _SETTING_NAMES.items() for alias in aliases
}
_LONGEST_NAME = max(len(alias.split()) for alias in _NAME_OF)
_MODES = {
    **{normalize(w): "instant" for w in _SETTING_NAMES["instant"]},
    **{normalize(w): "digest" for w in ("digest", "ملخص", "دوري", "الملخص")},
}


@dataclass(frozen=True)
class SettingChange:
    """What `/settings <name> <value>` asks for: `changes` to store, or an `error` code."""

    changes: dict[str, Any]
    error: str | None = None
    value: str = ""


def parse_setting(args: list[str]) -> SettingChange:
    """`/settings` typed as text: ["timezone", "Africa/Cairo"], ["الهدوء", "23:00-07:00"], ...

    Errors: unknown (no such setting), bad_mode, bad_times, bad_tz, bad_sentences, bad_quiet,
    bad_switch (link previews), bad_grouping. `value` is what the user typed, for the message.
    """
    if not args:
        return SettingChange({}, "unknown")
    name, args = _setting_name(args)
    rest = " ".join(args[1:]).strip()
    if name is None:
        return SettingChange({}, "unknown", args[0])
    if name == "instant":
        return SettingChange({"mode": "instant"})
    if name == "mode":
        mode = _MODES.get(normalize(rest))
        return SettingChange({"mode": mode}) if mode else SettingChange({}, "bad_mode", rest)
    if name == "digest":
        if not rest:
            return SettingChange({"mode": "digest"})
        times = parse_times(args[1:])
        # Choosing digest times means wanting digests.
        return (
            SettingChange({"mode": "digest", "digest_times": times})
            if times
            else SettingChange({}, "bad_times", rest)
        )
    if name == "tz":
        zone = parse_timezone(rest)
        return SettingChange({"timezone": zone}) if zone else SettingChange({}, "bad_tz", rest)
    if name == "sent":
        count = parse_sentences(rest)
        return SettingChange({"sentences": count}) if count else SettingChange({}, "bad_sentences", rest)
    if name == "quiet":
        if parse_switch(rest) is False or normalize(rest) in ("بلا", "none"):
            return SettingChange({"quiet_start": None, "quiet_end": None})
        window = parse_quiet(rest)
        if window is None:
            return SettingChange({}, "bad_quiet", rest)
        return SettingChange({"quiet_start": window[0], "quiet_end": window[1]})
    switch = parse_switch(rest)
    if name == "group":
        return (
            SettingChange({"group_events": switch})
            if switch is not None
            else SettingChange({}, "bad_grouping", rest)
        )
    return (
        SettingChange({"link_preview": switch})
        if switch is not None
        else SettingChange({}, "bad_switch", rest)
    )


def _setting_name(args: list[str]) -> tuple[str | None, list[str]]:
    """The setting the first words name (the longest match: «ساعات الهدوء» before «الهدوء»), and
    the args with those words made one, so args[1:] is the value."""
    for length in range(min(_LONGEST_NAME, len(args)), 0, -1):
        name = _NAME_OF.get(" ".join(normalize(" ".join(args[:length])).split()))
        if name is not None:
            return name, [" ".join(args[:length]), *args[length:]]
    return None, args
