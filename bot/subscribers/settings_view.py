"""The /settings screen: its text (current values) and its inline keyboards.

Callback data:
  set:m:<section>      open a section (mode, digest, tz, sent, quiet)
  set:b                back to the main screen
  set:mode:<mode>      instant | digest
  set:dt:<i>           digest times preset i (prefs.DIGEST_PRESETS)
  set:tz:<zone>        a time zone preset
  set:sent:<n>         sentences per summary
  set:q:off | set:q:<i> quiet hours off or preset i (prefs.QUIET_PRESETS)
  set:prev:on|off      link previews
  set:grp:on|off       one card per event (bot.delivery.grouping)
"""

from __future__ import annotations

import html
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.clock import utcnow
from bot.db.models import Subscriber
from bot.delivery.format import local_time
from bot.delivery.schedule import next_slot
from bot.i18n import number
from bot.subscribers import prefs
from bot.subscribers.texts import rtl

CHECK = "✓ "

LABELS: dict[str, dict[str, str]] = {
    "title": {"ar": "<b>الإعدادات</b>", "en": "<b>Settings</b>"},
    "mode": {"ar": "طريقة الاستلام", "en": "Delivery"},
    "instant": {"ar": "فوري", "en": "Instant"},
    "digest": {"ar": "ملخص دوري", "en": "Digest"},
    "digest_times": {"ar": "أوقات الملخص", "en": "Digest times"},
    "next_digest": {"ar": "الملخص التالي", "en": "Next digest"},
    "tz": {"ar": "المنطقة الزمنية", "en": "Time zone"},
    "sent": {"ar": "جمل الملخص", "en": "Sentences per summary"},
    "quiet": {"ar": "ساعات الهدوء", "en": "Quiet hours"},
    "quiet_off": {"ar": "بلا", "en": "Off"},
    "quiet_range": {"ar": "من {start} إلى {end}", "en": "{start} to {end}"},
    "prev": {"ar": "معاينة الروابط", "en": "Link previews"},
    "on": {"ar": "مفعّلة", "en": "On"},
    "off": {"ar": "معطّلة", "en": "Off"},
    # Another outlet's story on an event you have a card of: a link on that card, or a card of its own.
    "group": {"ar": "الخبر نفسه من مصادر أخرى", "en": "Same story from other sources"},
    "group_on": {"ar": "رابط في البطاقة الأولى", "en": "A link on the first card"},
    "group_off": {"ar": "بطاقة لكل مصدر", "en": "A card from each source"},
    "back": {"ar": "« رجوع", "en": "« Back"},
    "hint": {
        "ar": (
            "اضغط على إعداد لتغييره، أو اكتبه بعد الأمر، مثل:\n"
            "/settings المنطقة القاهرة\n"
            "/settings الهدوء 23:00-07:00\n"
            "/settings الأوقات 07:00 19:00\n"
            "/settings الخبر نفسه إيقاف"
        ),
        "en": (
            "Press a setting to change it, or type it after the command, e.g.:\n"
            "/settings timezone Cairo\n"
            "/settings quiet 23:00-07:00\n"
            "/settings digest 07:00 19:00\n"
            "/settings same story off"
        ),
    },
    "tz_hint": {
        "ar": "اختر مدينة، أو اكتب مدينتك أو فرق توقيتها عن غرينتش: /settings المنطقة +3",
        "en": "Choose a city, or type yours or its offset from UTC: /settings timezone +3",
    },
}


def label(key: str, lang: str, **values: str) -> str:
    template = LABELS[key].get(lang) or LABELS[key]["ar"]
    return template.format(**values) if values else template


def _list_sep(lang: str) -> str:
    return "، " if lang == "ar" else ", "


def _quiet_range(start: str, end: str, lang: str) -> str:
    return label("quiet_range", lang, start=number(start, lang), end=number(end, lang))


def values(sub: Subscriber, lang: str) -> dict[str, str]:
    """The current value of each setting, readable: numbers and times in the digits the cards use
    (the typed /settings forms read Arabic-Indic digits too)."""
    quiet = (
        _quiet_range(sub.quiet_start, sub.quiet_end, lang)
        if sub.quiet_start and sub.quiet_end
        else label("quiet_off", lang)
    )
    return {
        "mode": label(sub.mode if sub.mode in ("instant", "digest") else "instant", lang),
        "digest_times": _list_sep(lang).join(number(t, lang) for t in sub.digest_times) or "—",
        "tz": prefs.timezone_label(sub.timezone, lang),
        "sent": number(sub.sentences, lang),
        "quiet": quiet,
        "prev": label("on" if sub.link_preview else "off", lang),
        "group": label("group_on" if sub.group_events else "group_off", lang),
    }


def settings_text(sub: Subscriber, lang: str, now: datetime | None = None) -> str:
    lines = [label("title", lang)]
    for key, value in values(sub, lang).items():
        lines.append(f"{label(key, lang)}: {html.escape(value)}")
        if key == "digest_times" and sub.mode == "digest":
            # When the first digest comes is what a reader who just chose the times wonders (a
            # time already past today waits for tomorrow).
            moment = next_slot(now or utcnow(), sub.digest_times, sub.timezone)
            if moment is not None:
                when = local_time(moment, lang=lang, tz=sub.timezone, now=now)
                lines.append(f"{label('next_digest', lang)}: {html.escape(when)}")
    lines += ["", label("hint", lang)]
    return rtl("\n".join(lines), lang)


def main_keyboard(sub: Subscriber, lang: str) -> InlineKeyboardMarkup:
    current = values(sub, lang)
    rows = [
        [InlineKeyboardButton(f"{label(key, lang)}: {current[key]}", callback_data=f"set:m:{section}")]
        for key, section in (
            ("mode", "mode"),
            ("digest_times", "digest"),
            ("tz", "tz"),
            ("sent", "sent"),
            ("quiet", "quiet"),
        )
    ]
    for key, on in (("prev", sub.link_preview), ("group", sub.group_events)):
        toggled = "off" if on else "on"
        rows.append(
            [
                InlineKeyboardButton(
                    f"{label(key, lang)}: {current[key]}", callback_data=f"set:{key}:{toggled}"
                )
            ]
        )
    return InlineKeyboardMarkup(rows)


def _mark(text: str, on: bool) -> str:
    return (CHECK if on else "") + text


def section_keyboard(section: str, sub: Subscriber, lang: str) -> InlineKeyboardMarkup | None:
    rows: list[list[InlineKeyboardButton]]
    if section == "mode":
        rows = [
            [
                InlineKeyboardButton(_mark(label(m, lang), sub.mode == m), callback_data=f"set:mode:{m}")
                for m in ("instant", "digest")
            ]
        ]
    elif section == "digest":
        rows = [
            [
                InlineKeyboardButton(
                    _mark(" · ".join(number(t, lang) for t in times), list(times) == list(sub.digest_times)),
                    callback_data=f"set:dt:{i}",
                )
            ]
            for i, times in enumerate(prefs.DIGEST_PRESETS)
        ]
    elif section == "tz":
        buttons = [
            InlineKeyboardButton(
                _mark(prefs.timezone_label(zone, lang), zone == sub.timezone), callback_data=f"set:tz:{zone}"
            )
            for zone in prefs.TIMEZONE_PRESETS
        ]
        rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    elif section == "sent":
        rows = [
            [
                InlineKeyboardButton(
                    _mark(number(n, lang), sub.sentences == n), callback_data=f"set:sent:{n}"
                )
                for n in range(prefs.MIN_SENTENCES, prefs.MAX_SENTENCES + 1)
            ]
        ]
    elif section == "quiet":
        current = (sub.quiet_start, sub.quiet_end)
        rows = [
            [
                InlineKeyboardButton(
                    _mark(label("quiet_off", lang), not sub.quiet_start), callback_data="set:q:off"
                )
            ]
        ]
        rows += [
            [
                InlineKeyboardButton(
                    _mark(_quiet_range(start, end, lang), current == (start, end)),
                    callback_data=f"set:q:{i}",
                )
            ]
            for i, (start, end) in enumerate(prefs.QUIET_PRESETS)
        ]
    else:
        return None
    rows.append([InlineKeyboardButton(label("back", lang), callback_data="set:b")])
    return InlineKeyboardMarkup(rows)
