"""Arabic by default, English for users whose Telegram language is English.

Each area keeps its own catalog (a dict of key -> {"ar": ..., "en": ...}) next to its code; `text()`
looks a key up and fills it in. Arabic strings never carry English words.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from typing import Any, Literal

from telegram import InlineKeyboardButton

Lang = Literal["ar", "en"]
Catalog = Mapping[str, Mapping[str, str]]
RLM = "\u200f"
ELLIPSIS = "…"


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
    return RLM + line if latin_first(_TAGS.sub("", line)) else line


def latin_first(visible: str) -> bool:
    """True when the text's first letter or Western digit is Latin/ASCII (bullets and spaces
    skipped): Telegram would lay the line out left to right from it. Arabic-Indic digits are
    skipped: «١. CNN …» (a numbered result) is laid out from "CNN"."""
    for char in visible:
        if char.isalnum() and (char.isascii() or not char.isdigit()):
            return char.isascii()
    return False


_ARABIC_LETTER = re.compile(r"[\u0621-\u064A\u0671-\u06D3]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def arabic_led_by_latin(visible: str) -> bool:
    """An Arabic line (a story's title or sentence) whose first letter or digit is Latin ("CNN تكشف …"):
    it needs an RLM in a message of any language, or Telegram lays it out left to right from that
    word and the Arabic reads back to front."""
    return latin_first(visible) and len(_ARABIC_LETTER.findall(visible)) > len(_LATIN_LETTER.findall(visible))


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


def clip(value: str, limit: int, size: Callable[[str], int] = len) -> str:
    """`value` on one line, cut after its last whole word that leaves room for "…", so that
    `size` of the result is at most `limit`. Every title, sentence and echoed word the bot shortens
    goes through here, so a cut reads the same everywhere. `size` must add up over concatenation
    (len, UTF-16 units, escaped length): the words are measured once each."""
    flat = " ".join(value.split())
    if size(flat) <= limit:
        return flat
    budget = limit - size(ELLIPSIS)
    out, used = "", 0
    for word in flat.split(" "):
        piece = f" {word}" if out else word
        if used + size(piece) > budget:
            break
        out, used = out + piece, used + size(piece)
    if not out:  # one enormous word (a URL, a slug): cut inside it rather than show nothing
        for char in flat:
            if used + size(char) > budget:
                break
            out, used = out + char, used + size(char)
    return out.rstrip() + ELLIPSIS


PAGER = {
    "prev": {"ar": "→ السابق", "en": "‹ Previous"},
    "next": {"ar": "التالي ←", "en": "Next ›"},
}


def pager_row(lang: str, previous: str | None, following: str | None) -> list[InlineKeyboardButton]:
    """The previous/next buttons of a paged list, given each one's callback data (None: no such
    page). Telegram lays a row out left to right in every language, so in Arabic "next" goes on the
    left with its arrow pointing on, "previous" on the right: the arrows point away from each other,
    the way the reader's eye moves."""
    row = []
    if previous is not None:
        row.append(InlineKeyboardButton(text(PAGER, "prev", lang), callback_data=previous))
    if following is not None:
        row.append(InlineKeyboardButton(text(PAGER, "next", lang), callback_data=following))
    return row[::-1] if lang == "ar" else row
