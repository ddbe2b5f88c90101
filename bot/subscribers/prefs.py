"""Parsing and validating the settings people type: times, quiet hours, time zones, numbers.

Pure functions (no database, no Telegram); each returns None for input it cannot use so the
handler can answer with a clear error and change nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.i18n import ar_digits
from summarizer.normalize import normalize

MIN_SENTENCES = 1
MAX_SENTENCES = 5
MAX_LATEST = 10  # /latest N shows at most this many (bot.subscribers.service)
MAX_DIGEST_TIMES = 6  # texts.settings_too_many_times and settings_how_times say this number

# Words after a number that say which part of the day it is, spelled as normalize() leaves them
# (tanwin dropped, ة folded to ه: «صباحًا» is صباحا, «الظهيرة» is الظهيره).
_DAY_PARTS: dict[str, str] = {
    **dict.fromkeys(("am", "ص", "صباحا", "صباح", "الصباح", "صبحا", "الصبح"), "am"),
    **dict.fromkeys(("pm", "م", "مساء", "مساءا", "المساء", "مسا"), "pm"),
    **dict.fromkeys(("ظهرا", "ظهر", "الظهر", "ظهيره", "الظهيره"), "noon"),
    **dict.fromkeys(("عصرا", "عصر", "العصر"), "afternoon"),
    **dict.fromkeys(("ليلا", "ليل", "الليل", "بالليل"), "night"),
    **dict.fromkeys(("فجرا", "فجر", "الفجر"), "dawn"),
}
# (first hour, last hour, hours to add) for each part of the day. 12 am is midnight and 12 pm noon,
# as on any clock (ص/م are the Arabic am/pm); «١ ظهرًا» is 13:00 and «١٢ ليلًا» midnight, as people
# say them; a 24-hour time with its part of the day ("20:00 م") is already right. An hour no range
# holds («٩ ظهرًا», "15am") is refused rather than guessed.
_SHIFTS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "am": ((0, 11, 0), (12, 12, -12)),
    "pm": ((1, 11, 12), (12, 23, 0)),
    "noon": ((1, 6, 12), (11, 18, 0)),
    "afternoon": ((1, 6, 12), (12, 18, 0)),
    "night": ((0, 5, 0), (6, 11, 12), (12, 12, -12), (18, 23, 0)),
    "dawn": ((0, 7, 0), (12, 12, -12)),
}
# "p.m.", "P.M", "p m" -> "pm", so one spelling of each is enough below.
_AM_PM = re.compile(r"(?<![a-z])([ap])\.?\s?m(?![a-z])\.?")
# Times are listed with spaces, commas or «و»/"and" («٨ صباحًا و٨ مساءً», «و٢٠:٠٠» joined to the
# time); «الساعة»/"at" before a time says nothing more.
_BETWEEN_TIMES = re.compile(r"[,،؛;]|(?<!\S)(?:و|and|&|الساعه|at)(?!\S)|(?<!\S)و(?=\d)")
_PART = "|".join(sorted(map(re.escape, _DAY_PARTS), key=len, reverse=True))
# HH:MM with Western or Arabic-Indic digits (normalize() folds the latter), "7", "7.30", «٧٫٣٠»,
# then maybe a part of the day, joined ("8pm", «٨م») or not.
_CLOCK = re.compile(rf"(?<!\S)(\d{{1,2}})(?:[:.٫](\d{{2}}))?(?:\s*({_PART}))?(?!\S)")
# What may stand between the two ends of quiet hours, once normalised (إلى is written الي there):
# a dash, "to", «إلى», «حتى», and «من»/"from" before the first; the settings screen shows them as
# «من 23:00 إلى 07:00» / "23:00 to 07:00", and a bare space works as it does between digest times.
_RANGE_WORDS = re.compile(r"[-–—]|(?<!\S)(?:from|to|until|till|من|الي|حتي|لغايه)(?!\S)")

# Preset choices offered as buttons; anything else can be typed.
DIGEST_PRESETS: tuple[tuple[str, ...], ...] = (
    ("07:00", "19:00"),
    ("08:00", "20:00"),
    ("09:00",),
    ("08:00", "14:00", "20:00"),
)
QUIET_PRESETS: tuple[tuple[str, str], ...] = (("22:00", "07:00"), ("23:00", "08:00"), ("00:00", "06:00"))
# Time zones of the Arabic-speaking world most people will want, with the names the buttons and the
# settings screen show (Arabic, English). «عمان» is read as Amman, as most people mean the city; the
# label names the country so that someone in Oman sees it is not theirs (and types «مسقط»).
TIMEZONE_PRESETS: dict[str, tuple[str, str]] = {
    "Asia/Riyadh": ("الرياض", "Riyadh"),
    "Africa/Cairo": ("القاهرة", "Cairo"),
    "Asia/Dubai": ("دبي", "Dubai"),
    "Asia/Baghdad": ("بغداد", "Baghdad"),
    "Asia/Damascus": ("دمشق", "Damascus"),
    "Asia/Beirut": ("بيروت", "Beirut"),
    "Asia/Amman": ("عمّان (الأردن)", "Amman (Jordan)"),
    "Asia/Gaza": ("غزة", "Gaza"),
    "Africa/Algiers": ("الجزائر", "Algiers"),
    # The country: its capital is Rabat, and a reader who typed «الرباط» was shown Casablanca.
    "Africa/Casablanca": ("المغرب", "Morocco"),
    "Africa/Tunis": ("تونس", "Tunis"),
    "Europe/London": ("لندن", "London"),
}
# The rest of the Arab world, typed rather than offered as buttons, and shown by name like them.
_ARAB_ZONES: dict[str, tuple[str, str]] = {
    "Asia/Kuwait": ("الكويت", "Kuwait"),
    "Asia/Qatar": ("الدوحة", "Doha"),
    "Asia/Bahrain": ("المنامة", "Manama"),
    "Asia/Muscat": ("مسقط", "Muscat"),
    "Asia/Aden": ("صنعاء", "Sanaa"),
    "Asia/Jerusalem": ("القدس", "Jerusalem"),
    "Asia/Hebron": ("الضفة الغربية", "West Bank"),
    "Africa/Khartoum": ("الخرطوم", "Khartoum"),
    "Africa/Tripoli": ("طرابلس (ليبيا)", "Tripoli (Libya)"),
    "Africa/Nouakchott": ("نواكشوط", "Nouakchott"),
    "Africa/Mogadishu": ("مقديشو", "Mogadishu"),
    "Africa/Djibouti": ("جيبوتي", "Djibouti"),
    "Indian/Comoro": ("موروني", "Moroni"),
}
# Other cities and the countries of one zone, typed in Arabic or English. English city names IANA
# has (Paris, New_York, Aden...) need no entry here: the last part of any zone name is matched too.
# Cities outside the Arab world keep showing their IANA name, as every typed zone did before.
_ZONE_ALIASES: dict[str, tuple[str, ...]] = {
    "Asia/Riyadh": ("مكة", "مكة المكرمة", "جدة", "المدينة المنورة", "الدمام", "السعودية", "Mecca", "Jeddah"),
    "Africa/Cairo": ("الإسكندرية", "مصر", "Alexandria", "Egypt"),
    "Asia/Dubai": ("أبوظبي", "أبو ظبي", "الشارقة", "عجمان", "الإمارات", "Abu Dhabi", "Sharjah", "UAE"),
    "Asia/Baghdad": ("الموصل", "البصرة", "أربيل", "النجف", "العراق", "Mosul", "Basra", "Erbil", "Iraq"),
    "Asia/Damascus": ("حلب", "حمص", "اللاذقية", "سوريا", "سورية", "Aleppo", "Syria"),
    "Asia/Beirut": ("طرابلس لبنان", "طرابلس الشام", "صيدا", "لبنان", "Lebanon"),
    "Asia/Amman": ("عمان", "الأردن", "إربد", "الزرقاء", "Jordan"),
    "Asia/Muscat": ("سلطنة عمان", "صلالة", "Oman"),
    "Asia/Kuwait": ("مدينة الكويت",),
    "Asia/Qatar": ("قطر",),
    "Asia/Bahrain": ("البحرين",),
    "Asia/Aden": ("عدن", "اليمن", "تعز", "Sana'a", "Yemen"),
    "Asia/Hebron": ("رام الله", "الخليل", "نابلس", "بيت لحم", "جنين", "فلسطين", "Ramallah", "Palestine"),
    "Asia/Gaza": ("قطاع غزة",),
    "Africa/Khartoum": ("السودان", "أم درمان", "Sudan"),
    "Africa/Tripoli": ("طرابلس", "طرابلس الغرب", "ليبيا", "بنغازي", "Benghazi"),
    "Africa/Tunis": ("صفاقس", "Tunisia"),
    "Africa/Algiers": ("وهران", "قسنطينة", "Algeria", "Oran"),
    "Africa/Casablanca": ("الرباط", "الدار البيضاء", "مراكش", "فاس", "طنجة", "Rabat", "Marrakesh"),
    "Africa/Nouakchott": ("موريتانيا", "Mauritania"),
    "Africa/Mogadishu": ("الصومال", "هرجيسا", "Somalia"),
    "Indian/Comoro": ("جزر القمر", "Comoros"),
    "Europe/Istanbul": ("إسطنبول", "اسطنبول", "أنقرة", "تركيا", "Ankara", "Turkey"),
    "Asia/Tehran": ("طهران", "إيران", "Iran"),
    "Europe/Paris": ("باريس",),
    "Europe/Berlin": ("برلين", "ألمانيا", "Germany"),
    "Europe/Madrid": ("مدريد",),
    "Europe/Rome": ("روما",),
    "Europe/Brussels": ("بروكسل",),
    "Europe/Amsterdam": ("أمستردام",),
    "Europe/Stockholm": ("ستوكهولم", "السويد"),
    "Europe/Vienna": ("فيينا",),
    "Europe/Zurich": ("زيورخ", "جنيف", "Geneva"),
    "Europe/Athens": ("أثينا",),
    "Europe/Moscow": ("موسكو",),
    "America/New_York": ("نيويورك", "واشنطن", "Washington"),
    "America/Chicago": ("شيكاغو",),
    "America/Los_Angeles": ("لوس أنجلوس", "لوس انجلوس"),
    "America/Toronto": ("تورنتو", "تورونتو", "مونتريال", "أوتاوا", "Ottawa"),
    "Australia/Sydney": ("سيدني", "Canberra"),
    "Australia/Melbourne": ("ملبورن",),
    "Asia/Karachi": ("كراتشي", "إسلام آباد", "باكستان", "Islamabad"),
    "Asia/Kolkata": ("نيودلهي", "دلهي", "مومباي", "الهند", "New Delhi", "Delhi", "Mumbai", "India"),
    "Asia/Kuala_Lumpur": ("كوالالمبور", "ماليزيا"),
    "Asia/Jakarta": ("جاكرتا",),
    "Asia/Tokyo": ("طوكيو",),
    "Asia/Shanghai": ("بكين", "شنغهاي", "Beijing"),
}
# Offsets from Greenwich that are not whole hours: zoneinfo has no fixed zone for them, so each is
# the zone of a place that keeps it all year (checked when used: a rule change makes it refused, not
# wrong). Others (−3:30, +10:30, +12:45) belong to places with summer time: a city is asked for.
_FRACTIONAL_OFFSETS: dict[int, str] = {
    3 * 60 + 30: "Asia/Tehran",
    4 * 60 + 30: "Asia/Kabul",
    5 * 60 + 30: "Asia/Kolkata",
    5 * 60 + 45: "Asia/Kathmandu",
    6 * 60 + 30: "Asia/Yangon",
    8 * 60 + 45: "Australia/Eucla",
    9 * 60 + 30: "Australia/Darwin",
    -(9 * 60 + 30): "Pacific/Marquesas",
}
_GREENWICH = ("utc", "gmt", "غرينتش", "غرينيتش", "جرينتش", "جرينيتش", "غرنتش", "جرنتش", "قرينتش")
# "+3", "3+" (the sign typed after the number, reading right to left), "GMT+3", "UTC+03:00", "+0530",
# «غرينتش +٣» (digits folded by normalize()); "UTC 3" is +3. A bare "3" is not an offset.
_OFFSET = re.compile(
    rf"^(?:({'|'.join(_GREENWICH)})\s*)?(?:([+-])\s*)?(\d{{1,2}})(?:[:.٫]?(\d{{2}}))?(?:\s*([+-]))?$"
)
# Greenwich itself, by each name IANA gives it (with or without "Etc/").
_UTC_NAMES = frozenset(("UTC", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich", "UCT", "Universal", "Zulu"))
# Fixed-offset zones count hours west of Greenwich as positive (POSIX): Etc/GMT-3 is UTC+3.
_ETC_ZONE = re.compile(r"Etc/GMT([+-]\d{1,2})")
# Typed in the chat, "Etc/GMT+3" is nearly always meant as UTC+3, yet it is UTC−3. Read either way,
# a wrong guess would move every digest and quiet hour by hours without a word, so the chat asks for
# "+3" instead (parse_setting). config.toml takes IANA names as written: its readers use tz docs.
_REVERSED_ETC = re.compile(r"etc/gmt\s*[+-]\s*0*[1-9]\d*", re.IGNORECASE)
_BIDI_MARKS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_MINUS = str.maketrans({"−": "-", "–": "-", "—": "-", "＋": "+"})
_ZONE_PREFIX = re.compile(r"^(?:ب?توقيت|مدينه)\s+")


def parse_time(value: str) -> str | None:
    """'7', '7:30', '٠٧:٣٠', '8pm', «٨ مساءً» -> 'HH:MM'; None when it is not one time of day."""
    times = _times_in(_clock_text(value))
    return times[0] if times and len(times) == 1 else None


def parse_times(values: list[str]) -> list[str] | None:
    """Digest times: one to MAX_DIGEST_TIMES distinct times, sorted; None if any is not a time."""
    times = _distinct_times(" ".join(values))
    return times if times and len(times) <= MAX_DIGEST_TIMES else None


def _distinct_times(text: str) -> list[str] | None:
    times = _times_in(_clock_text(text))
    return None if times is None else sorted(set(times))


def _clock_text(value: str) -> str:
    """Normalised, with one spelling of am/pm and spaces where the times are listed apart."""
    return _BETWEEN_TIMES.sub(" ", _AM_PM.sub(r"\1m", normalize(value)))


def _times_in(text: str) -> list[str] | None:
    """Every time of day in `text`, in order; None if there is none or anything else is there."""
    found = list(_CLOCK.finditer(text))
    if not found or _CLOCK.sub("", text).strip():
        return None
    times = []
    for match in found:
        time = _to_24h(int(match.group(1)), int(match.group(2) or 0), match.group(3))
        if time is None:
            return None
        times.append(time)
    return times


def _to_24h(hour: int, minute: int, part: str | None) -> str | None:
    if part is None:
        hour = 0 if (hour, minute) == (24, 0) else hour
    else:
        ranges = _SHIFTS[_DAY_PARTS[part]]
        hour = next((hour + shift for first, last, shift in ranges if first <= hour <= last), -1)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return f"{hour:02d}:{minute:02d}"


def parse_quiet(value: str) -> tuple[str, str] | None:
    """'23:00-07:00', '10pm-7am', «من ١١ مساءً إلى ٧ صباحًا» -> ('23:00', '07:00'); None when
    unusable (also when start equals end)."""
    times = _times_in(_RANGE_WORDS.sub(" ", _clock_text(value)))
    if times is None or len(times) != 2 or times[0] == times[1]:
        return None
    return times[0], times[1]


@lru_cache(maxsize=1)
def _zones_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


@lru_cache(maxsize=1)
def _zones_by_city() -> dict[str, str]:
    """The last part of each zone name ('new york' for America/New_York) -> the zone. Etc/ zones are
    left out: their reversed signs are handled apart. Shorter names first, so a city named by an old
    alias and its current name ('America/Buenos_Aires') gives one zone every time."""
    found: dict[str, str] = {}
    for zone in sorted(available_timezones(), key=lambda z: (z.count("/"), z)):
        if "/" in zone and not zone.startswith("Etc/"):
            found.setdefault(_compact(zone.rsplit("/", 1)[1]), zone)
    return found


@lru_cache(maxsize=1)
def _zones_by_name() -> dict[str, str]:
    """Every name and alias above, compacted -> its zone; Arabic names also without «ال»."""
    found: dict[str, str] = {}
    labelled = {**TIMEZONE_PRESETS, **_ARAB_ZONES}
    pairs = [(name, zone) for zone, names in labelled.items() for name in names]
    pairs += [(name, zone) for zone, names in _ZONE_ALIASES.items() for name in names]
    for name, zone in pairs:
        key = _compact(re.sub(r"\(.*\)", "", name))  # «عمّان (الأردن)» is typed «عمّان»
        found.setdefault(key, zone)
    for key, zone in list(found.items()):
        if key.startswith("ال") and len(key) > 4:
            found.setdefault(key[2:], zone)
    return found


def _compact(name: str) -> str:
    """A name as compared: normalised, without spaces, underscores, dashes, dots or apostrophes,
    so «أبو ظبي» is «أبوظبي» and "new york" is New_York."""
    return re.sub(r"[\s_\-'’.]+", "", normalize(name))


def _zone_text(value: str) -> str:
    text = normalize(_BIDI_MARKS.sub("", value)).translate(_MINUS).strip()
    return _ZONE_PREFIX.sub("", text)


def parse_timezone(value: str) -> str | None:
    """A time zone as people type it -> an IANA name zoneinfo loads; None when unknown.

    A city or country in Arabic or English («القاهرة», "new york", "Kuwait"), an IANA name in any
    letter case ("africa/cairo", read as written), or an offset from Greenwich ("+3", "UTC+03:00",
    «غرينتش +٣»): whole hours are stored as Etc/GMT∓N, the rest as _FRACTIONAL_OFFSETS say.
    """
    name = _BIDI_MARKS.sub("", value).strip()
    if not name or len(name) > 64:
        return None
    text = _zone_text(name)
    zone = (
        _oman(name, text)
        or _zones_by_name().get(_compact(text))
        or _zones_by_lower().get(name.lower())
        or _offset_zone(_offset_minutes(text))
        or _zones_by_city().get(_compact(text))
    )
    return zone if zone is not None and _loads(zone) else None


def _oman(typed: str, text: str) -> str | None:
    # «عُمان» with its damma is the country (Amman is «عَمّان»); normalize() drops the marks.
    return "Asia/Muscat" if _compact(text) == "عمان" and "عُ" in typed else None


def _loads(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _offset_minutes(text: str) -> int | None:
    """Minutes east of Greenwich an offset names ("+3" -> 180); None when it is not an offset."""
    if text in _GREENWICH:
        return 0
    match = _OFFSET.match(text)
    if match is None:
        return None
    base, sign, hours, minutes, sign_after = match.groups()
    if (sign and sign_after) or not (base or sign or sign_after) or int(minutes or 0) > 59:
        return None
    total = int(hours) * 60 + int(minutes or 0)
    return -total if "-" in (sign, sign_after) else total


def _offset_zone(minutes: int | None) -> str | None:
    if minutes is None:
        return None
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    if rest == 0:
        inside = -12 * 60 <= minutes <= 14 * 60  # the Etc/GMT zones that exist
        return f"Etc/GMT{'-' if minutes > 0 else '+'}{hours}" if inside else None
    zone = _FRACTIONAL_OFFSETS.get(minutes)
    return zone if zone is not None and _fixed_offset(zone) == minutes else None


def _fixed_offset(zone: str) -> int | None:
    """Minutes east of Greenwich of a zone that has no summer time and is named for its offset
    (UTC, Etc/GMT-3, the _FRACTIONAL_OFFSETS places); None for any other zone."""
    if zone.removeprefix("Etc/") in _UTC_NAMES:
        return 0
    match = _ETC_ZONE.fullmatch(zone)
    if match:
        return -int(match.group(1)) * 60
    if zone not in _FRACTIONAL_OFFSETS.values():
        return None
    year = datetime.now().year
    offsets = {ZoneInfo(zone).utcoffset(datetime(year, month, 1)) for month in (1, 7)}
    if len(offsets) != 1:
        return None
    [offset] = offsets
    return None if offset is None else int(offset.total_seconds()) // 60


def _offset_label(minutes: int, lang: str) -> str:
    """UTC+3, UTC-5:30 / «غرينتش +٣» (Arabic-Indic digits, no Latin letters)."""
    hours, rest = divmod(abs(minutes), 60)
    amount = f"{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")
    if lang == "ar":
        return "غرينتش" + (f" {ar_digits(amount)}" if minutes else "")
    return "UTC" + (amount if minutes else "")


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
    """How the settings screen and its buttons name a zone: a city, an offset from Greenwich
    («غرينتش +٣» / "UTC+3", never the reversed Etc/GMT-3), or else its IANA name."""
    names = TIMEZONE_PRESETS.get(zone) or _ARAB_ZONES.get(zone)
    if names is not None:
        return names[0] if lang == "ar" else names[1]
    minutes = _fixed_offset(zone)
    if minutes is not None:
        return _offset_label(minutes, lang)
    # A city the aliases name in Arabic (باريس، نيويورك) reads so on an Arabic screen; in English
    # its IANA city ("New York"). A zone nobody named stays as IANA writes it.
    arabic = next((name for name in _ZONE_ALIASES.get(zone, ()) if _ARABIC_LETTER.search(name)), None)
    if arabic is not None:
        return arabic if lang == "ar" else zone.rsplit("/", 1)[-1].replace("_", " ")
    return zone


_ARABIC_LETTER = re.compile("[\u0621-\u064a]")


# Each setting's short names and the label the settings screen shows for it
# (bot.subscribers.settings_view.LABELS): people type what they read there. «ملخص» alone is the
# delivery mode; the times words need times after them.
_SETTING_NAMES = {
    "mode": ("mode", "delivery", "الوضع", "وضع", "طريقة", "الاستلام", "طريقة الاستلام"),
    "instant": ("instant", "فوري", "فورية", "فورا"),
    "digest": ("digest", "الملخص", "ملخص", "دوري", "ملخص دوري"),
    "times": ("times", "digest times", "الأوقات", "أوقات", "أوقات الملخص"),
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
    **{normalize(w): "digest" for w in _SETTING_NAMES["digest"]},
}


@dataclass(frozen=True)
class SettingChange:
    """What `/settings <name> <value>` asks for: `changes` to store, or an `error` code."""

    changes: dict[str, Any]
    error: str | None = None
    value: str = ""


def parse_setting(args: list[str]) -> SettingChange:
    """`/settings` typed as text: ["timezone", "Africa/Cairo"], ["الهدوء", "23:00-07:00"], ...

    Errors (each the texts entry settings_<error>): unknown (no such setting), bad_mode, bad_times,
    too_many_times, how_times (the times named without any), bad_tz, bad_tz_etc (a reversed Etc/GMT
    sign), bad_tz_offset (an offset no zone has), how_tz (no zone given), bad_sentences, bad_quiet,
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
        mode = _MODES.get(" ".join(normalize(rest).split()))
        return SettingChange({"mode": mode}) if mode else SettingChange({}, "bad_mode", rest)
    if name == "digest" and not rest:
        return SettingChange({"mode": "digest"})
    if name in ("digest", "times"):
        return _times_change(rest)
    if name == "tz":
        return _timezone_change(rest)
    if name == "sent":
        count = parse_sentences(rest)
        return SettingChange({"sentences": count}) if count else SettingChange({}, "bad_sentences", rest)
    if name == "quiet":
        return _quiet_change(rest)
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


def _times_change(rest: str) -> SettingChange:
    if not rest:
        return SettingChange({}, "how_times")
    times = _distinct_times(rest)
    if times is None:
        return SettingChange({}, "bad_times", rest)
    if len(times) > MAX_DIGEST_TIMES:
        return SettingChange({}, "too_many_times", rest)
    # Choosing digest times means wanting digests.
    return SettingChange({"mode": "digest", "digest_times": times})


def _timezone_change(rest: str) -> SettingChange:
    if not rest:
        return SettingChange({}, "how_tz")
    if _REVERSED_ETC.fullmatch(rest):
        return SettingChange({}, "bad_tz_etc", rest)
    zone = parse_timezone(rest)
    if zone is not None:
        return SettingChange({"timezone": zone})
    # An offset read right but with no zone (+15, −3:30) gets its own answer: a city is the way.
    unusable_offset = len(rest) <= 64 and _offset_minutes(_zone_text(rest)) is not None
    return SettingChange({}, "bad_tz_offset" if unusable_offset else "bad_tz", rest)


def _quiet_change(rest: str) -> SettingChange:
    if parse_switch(rest) is False or normalize(rest) in ("بلا", "none"):
        return SettingChange({"quiet_start": None, "quiet_end": None})
    window = parse_quiet(rest)
    if window is None:
        return SettingChange({}, "bad_quiet", rest)
    return SettingChange({"quiet_start": window[0], "quiet_end": window[1]})


def _setting_name(args: list[str]) -> tuple[str | None, list[str]]:
    """The setting the first words name (the longest match: «ساعات الهدوء» before «الهدوء»), and
    the args with those words made one, so args[1:] is the value."""
    for length in range(min(_LONGEST_NAME, len(args)), 0, -1):
        name = _NAME_OF.get(" ".join(normalize(" ".join(args[:length])).split()))
        if name is not None:
            return name, [" ".join(args[:length]), *args[length:]]
    return None, args
