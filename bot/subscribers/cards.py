"""Story cards for /latest and topic questions: the delivery's card, so a story looks the same
whether it was pushed or asked for (bold linked title, source and local time, summary, buttons)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.db.models import Story
from bot.delivery.format import render_story


def render(
    story: Story, *, lang: str, tz: str, sentences: int, max_chars: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    rendered = render_story(story, lang=lang, tz=tz, sentences=sentences, max_chars=max_chars)
    return rendered.text_html, rendered.buttons
