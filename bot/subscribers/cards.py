"""Story cards for /latest and topic questions, drawn by the delivery's `render_story`.

The card is the delivery helper's (bot.delivery.format.render_story), so a story looks the same
whether it was pushed or asked for. Until that module exists a plain card stands in.
"""

from __future__ import annotations

import html
import importlib
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.clock import as_utc
from bot.db.models import Story


def render(story: Story, *, lang: str, tz: str, sentences: int) -> tuple[str, InlineKeyboardMarkup | None]:
    try:
        fmt: Any = importlib.import_module("bot.delivery.format")
    except ImportError:
        return _plain_card(story, lang=lang, tz=tz, sentences=sentences)
    rendered = fmt.render_story(story, lang=lang, tz=tz, sentences=sentences)
    return rendered.text_html, rendered.buttons


def _plain_card(
    story: Story, *, lang: str, tz: str, sentences: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    title = html.escape(story.title)
    if story.url:
        title = f'<a href="{html.escape(story.url, quote=True)}">{title}</a>'
    try:
        when = as_utc(story.published_at).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    except Exception:
        when = as_utc(story.published_at).strftime("%Y-%m-%d %H:%M")
    lines = [f"<b>{title}</b>", f"{html.escape(story.source)} · {when}", ""]
    lines += [html.escape(s) for s in story.summary[:sentences]]
    buttons = None
    if story.url:
        label = "المصدر" if lang == "ar" else "Source"
        buttons = InlineKeyboardMarkup([[InlineKeyboardButton(label, url=story.url)]])
    return "\n".join(lines).strip(), buttons
