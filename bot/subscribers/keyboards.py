"""Inline keyboards of /subscribe, /topics and /unsubscribe.

Each shows PAGE_SIZE items a page: Telegram refuses a keyboard of more than 100 buttons, and an
instance may offer hundreds of sources (and a chat follow them all).

Callback data (all well under Telegram's 64 bytes):
  sub:f:<feed id>:<page>   toggle a feed on the /subscribe keyboard (page to redraw)
  sub:t:<topic id>:<page>  toggle a topic on the /subscribe keyboard
  sub:p:<page>             turn the page
  sub:x                    close the keyboard (/subscribe and /unsubscribe)
  top:<topic id>:<page>    toggle a topic on the /topics keyboard ("top:<topic id>" before paging)
  top:p:<page>             turn the page
  uns:<subscription id>:<page>  remove a subscription from the /unsubscribe keyboard
  uns:p:<page>             turn the page
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.db.models import Feed, Topic
from bot.i18n import pager_row
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
    return _pages(len(feeds) + len(topics))


def _pages(count: int) -> int:
    return max(1, -(-count // PAGE_SIZE))


def _clamped(page: int, count: int) -> int:
    """`page` within the list as it is now (it may have shrunk since the button was drawn)."""
    return max(0, min(page, _pages(count) - 1))


def _paged(
    buttons: list[InlineKeyboardButton], page: int, turn: str, lang: str
) -> list[list[InlineKeyboardButton]]:
    """One button a row for `page`'s items, then the pager row (`turn` + the page number)."""
    rows = [[button] for button in buttons[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]]
    previous = f"{turn}{page - 1}" if page > 0 else None
    following = f"{turn}{page + 1}" if page < _pages(len(buttons)) - 1 else None
    nav = pager_row(lang, previous, following)
    return [*rows, nav] if nav else rows


def subscribe_keyboard(
    feeds: Sequence[Feed], topics: Sequence[Topic], subscribed: Subscribed, page: int, lang: str
) -> InlineKeyboardMarkup:
    page = _clamped(page, len(feeds) + len(topics))
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
    rows = _paged(items, page, "sub:p:", lang)
    rows.append([InlineKeyboardButton(say("done", lang), callback_data="sub:x")])
    return InlineKeyboardMarkup(rows)


def topics_keyboard(
    topics: Sequence[Topic], subscribed: Subscribed, page: int, lang: str
) -> InlineKeyboardMarkup:
    page = _clamped(page, len(topics))
    buttons = [
        InlineKeyboardButton(
            _label(topic_label(t, lang), ("topic", t.name) in subscribed, ""),
            callback_data=f"top:{t.id}:{page}",
        )
        for t in topics
    ]
    return InlineKeyboardMarkup(_paged(buttons, page, "top:p:", lang))


def unsubscribe_keyboard(
    items: Sequence[SubscriptionItem], page: int, lang: str, *, prefix: str = "uns"
) -> InlineKeyboardMarkup:
    """A ✗ button per subscription; `prefix` "unk" for /unfollow's list, which shows followed words
    only and stays so as its buttons are pressed."""
    page = _clamped(page, len(items))
    icons = {"feed": FEED_ICON, "topic": TOPIC_ICON, "keyword": KEYWORD_ICON}
    buttons = [
        InlineKeyboardButton("✗ " + icons.get(i.kind, "") + i.label, callback_data=f"{prefix}:{i.id}:{page}")
        for i in items
    ]
    rows = _paged(buttons, page, f"{prefix}:p:", lang)
    rows.append([InlineKeyboardButton(say("done", lang), callback_data="sub:x")])
    return InlineKeyboardMarkup(rows)
