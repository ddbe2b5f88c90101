"""Arabic by default, English for users whose Telegram language is English.

Each area keeps its own catalog (a dict of key -> {"ar": ..., "en": ...}) next to its code; `text()`
looks a key up and fills it in. Arabic strings never carry English words.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any, Literal

Lang = Literal["ar", "en"]
Catalog = Mapping[str, Mapping[str, str]]
RLM = "\u200f"


def language_for(code: str | None) -> Lang:
    """Telegram's language_code ('en', 'en-GB', 'ar', None...) to the bot's language."""
    return "en" if code and code.lower().split("-")[0] == "en" else "ar"


def text(catalog: Catalog, key: str, lang: str, /, **values: object) -> str:
    """The entry's template in `lang`, filled in. `{count:story|stories}` is the word for the number
    `count` holds: the first form for 1, the second otherwise (English only: Arabic templates say
    «عدد الأخبار: ٣», which reads right for any number)."""
    entry = catalog[key]
    template = entry.get(lang) or entry["ar"]
    return _FORMATTER.format(template, **values) if values else template


class _PluralFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" not in format_spec:
            return super().format_field(value, format_spec)
        one, other = format_spec.split("|", 1)
        return one if _is_one(value) else other


def _is_one(value: object) -> bool:
    # Counts often arrive already rendered for display (number(), ar_digits()).
    digits = str(value).strip().translate(_WESTERN_DIGITS)
    return digits == "1"


_FORMATTER = _PluralFormatter()


def rtl(message: str, lang: str) -> str:
    """Arabic lines whose first letter or digit is Latin ("/subscribe", "08:00", "• BBC عربي") get
    an RLM mark: Telegram takes a line's direction from its first strong character."""
    if lang != "ar":
        return message
    return "\n".join(_rtl_message_line(line) for line in message.split("\n"))


_TAGS = re.compile(r"<[^>]*>")


def _rtl_message_line(line: str) -> str:
    for char in _TAGS.sub("", line):
        if char.isalnum():
            return RLM + line if char.isascii() else line
    return line


def rtl_line(line: str) -> str:
    """Prefix an RLM where an Arabic line would start with Latin letters or digits.

    Without it Telegram lays the line out left-to-right and the Arabic that follows reads backwards.
    """
    stripped = line.lstrip()
    if stripped and (stripped[0].isascii() and stripped[0].isalnum()):
        return RLM + line
    return line


_AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_WESTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
_MONTHS = {
    "ar": (
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def ar_digits(value: object) -> str:
    """Arabic-Indic digits, as Arabic news sites print dates and times."""
    return str(value).translate(_AR_DIGITS)


def number(value: object, lang: str) -> str:
    return ar_digits(value) if lang == "ar" else str(value)


def decimal(value: float, lang: str) -> str:
    """A count that may have a fraction (an average, '2.5 minutes'): no trailing '.0', and in Arabic
    Arabic-Indic digits with the Arabic decimal separator, '٢٫٥', as the digits around it are."""
    plain = f"{value:g}"
    return ar_digits(plain).replace(".", "\u066b") if lang == "ar" else plain


def month_name(month: int, lang: str) -> str:
    """1..12 to 'يناير'… in Arabic, 'Jan'… in English."""
    return _MONTHS["ar" if lang == "ar" else "en"][month - 1]
