"""Arabic counts: a number placed straight before its noun needs the noun's form for that number
(١ رسالة، ٣ رسائل، ١١ رسالةً، ١٠٠ رسالة), which one template cannot give. The catalogs put counts after
«عددها:» instead, or spell out the forms (handlers/admin_texts.py's durations); this keeps it so."""

from __future__ import annotations

import re

import pytest

from bot.admin import broadcast
from bot.delivery import format as fmt
from bot.delivery import outbox, sender
from bot.feeds import health
from bot.search import render
from bot.subscribers import texts
from handlers import admin_texts, errors, story_buttons, throttle

CATALOGS = {
    "broadcast": broadcast.TEXTS,
    "format": fmt.TEXTS,
    "format commands": fmt.COMMAND_TEXTS,
    "alerts": outbox.ALERT_TEXTS,
    "sender": sender.TEXTS,
    "search": render.TEXTS,
    "feed moves": health.MOVE_TEXTS,
    "subscribers": texts.TEXTS,
    "errors": errors.TEXTS,
    "throttle": throttle.TEXTS,
    "story buttons": story_buttons.TEXTS,
    "admin": admin_texts.TEXTS,
}
# A counted placeholder followed by an Arabic word; «غيرها» ("… and 3 others") and «على الأقل» ("at
# least") are not nouns it counts.
_COUNTED_NOUN = re.compile(
    r"\{(?:count|limit|total|entries|errors|n)\}[ \t]*(?!غيرها|على الأقل)[\u0621-\u064a]"
)


@pytest.mark.parametrize("name", sorted(CATALOGS))
def test_no_arabic_template_puts_a_count_straight_before_its_noun(name: str) -> None:
    wrong = {
        key: entry["ar"]
        for key, entry in CATALOGS[name].items()
        if "|" not in entry.get("ar", "") and _COUNTED_NOUN.search(entry.get("ar", ""))
    }
    assert wrong == {}
