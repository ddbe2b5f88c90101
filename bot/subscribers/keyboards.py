"""Inline keyboards of /subscribe, /topics and /unsubscribe.

Callback data (all well under Telegram's 64 bytes):
  sub:f:<feed id>:<page>   toggle a feed on the /subscribe keyboard (page to redraw)
  sub:t:<topic id>:<page>  toggle a topic on the /subscribe keyboard
  sub:p:<page>             turn the page
  sub:x                    close the keyboard
  top:<topic id>           toggle a topic on the /topics keyboard
  uns:<subscription id>    remove a subscription from the /unsubscribe keyboard
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.db.models import Feed, Topic
from bot.subscribers.service import SubscriptionItem
from bot.subscribers.texts import say

PAGE_SIZE = 10
CHECK = "✓ "
FEED_ICON = "📰 "
TOPIC_ICON = "🏷 "
KEYWORD_ICON = "🔎 "

Subscribed = set[tuple[str, str]]  # (kind, target)


def _label(name: str, on: bool, icon: str) -> str:
    return (CHECK if on else "") + icon + name


def topic_label(topic: Topic, lang: str) -> str:
    return topic.name if lang == "ar" else (topic.name_en or topic.name)


def page_count(feeds: Sequence[Feed], topics: Sequence[Topic]) -> int:
    return max(1, -(-(len(feeds) + len(topics)) // PAGE_SIZE))


def subscribe_keyboard(
    feeds: Sequence[Feed], topics: Sequence[Topic], subscribed: Subscribed, page: int, lang: str
) -> InlineKeyboardMarkup:
    pages = page_count(feeds, topics)
    page = max(0, min(page, pages - 1))
    items = [
        InlineKeyboardButton(
            _label(f.name, ("feed", str(f.id)) in subscribed, FEED_ICON), callback_data=f"sub:f:{f.id}:{page}"
        )
        for f in feeds
    ] + [
        InlineKeyboardButton(
            _label(topic_label(t, lang), ("topic", t.name) in subscribed, TOPIC_ICON),
            callback_data=f"sub:t:{t.id}:{page}",
        )
        for t in topics
    ]
    rows = [[button] for button in items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]]
    nav: list[InlineKeyboardButton] = []
    if page > 0:
        nav.append(InlineKeyboardButton(say("page_prev", lang), callback_data=f"sub:p:{page - 1}"))
    if page < pages - 1:
        nav.append(InlineKeyboardButton(say("page_next", lang), callback_data=f"sub:p:{page + 1}"))
    if nav:
        rows.append(nav)
    rows.append([InlineKeyboardButton(say("done", lang), callback_data="sub:x")])
    return InlineKeyboardMarkup(rows)


def topics_keyboard(topics: Sequence[Topic], subscribed: Subscribed, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _label(topic_label(t, lang), ("topic", t.name) in subscribed, ""),
                    callback_data=f"top:{t.id}",
                )
            ]
            for t in topics
        ]
    )


def unsubscribe_keyboard(items: Sequence[SubscriptionItem], lang: str) -> InlineKeyboardMarkup:
    icons = {"feed": FEED_ICON, "topic": TOPIC_ICON, "keyword": KEYWORD_ICON}
    rows = [
        [InlineKeyboardButton("✗ " + icons.get(i.kind, "") + i.label, callback_data=f"uns:{i.id}")]
        for i in items[:50]
    ]
    rows.append([InlineKeyboardButton(say("done", lang), callback_data="sub:x")])
    return InlineKeyboardMarkup(rows)
