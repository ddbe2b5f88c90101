"""A story card's outbox payload, as first rendered and as re-rendered later (a correction, a
reader's "المزيد", another outlet's story on the same event): the payload keeps what the card
shows beyond the story itself, so every re-render keeps it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.clock import as_utc, utcnow
from bot.config import Config
from bot.db.models import Outbox, Story
from bot.delivery import outbox
from bot.delivery.format import MAX_SUMMARY_CHARS, RenderedMessage, render_story, zone

# Cards are edited (a correction, another outlet's link) for 47 hours after they were sent. Telegram
# would allow longer (its 48-hour limit is on deleting, and on editing business messages), but a
# change to a card two days old is an outlet tidying its archive, not news a reader is following,
# and the window bounds what each correction looks through.
EDIT_WINDOW = timedelta(hours=47)

Also = list[tuple[str, str | None]]
# In a sent row's payload: Telegram said its message is gone (the reader deleted it), so it is never
# edited again (bot.delivery.grouping.card_gone).
GONE = "gone"


def card_payload(
    story: Story,
    *,
    lang: str,
    tz: str,
    sentences: int,
    link_preview: bool,
    now: datetime | None = None,
    expanded: bool = False,
    also: Sequence[tuple[str, str | None]] = (),
    max_chars: int = MAX_SUMMARY_CHARS,
) -> dict[str, Any]:
    rendered = render_story(
        story,
        lang=lang,
        tz=tz,
        sentences=sentences,
        expanded=expanded,
        now=now,
        also=also,
        max_chars=max_chars,
    )
    return as_payload(rendered, link_preview=link_preview, expanded=expanded, also=also)


def as_payload(
    rendered: RenderedMessage,
    *,
    link_preview: bool,
    expanded: bool = False,
    also: Sequence[tuple[str, str | None]] = (),
) -> dict[str, Any]:
    """A rendered card as its row holds it."""
    data = outbox.payload(rendered.text_html, rendered.buttons, link_preview=link_preview)
    if expanded:
        data["expanded"] = True
    if also:
        data["also"] = [[source, url] for source, url in also]
    return data


def also_of(payload: dict[str, Any] | None) -> Also:
    """The other outlets a card lists (bot.delivery.grouping), as (source, url)."""
    return [(str(source), url) for source, url in (payload or {}).get("also", [])]


class Reader(Protocol):
    """A chat's card settings: a Subscriber, or routing's row of one."""

    @property
    def language(self) -> str: ...
    @property
    def timezone(self) -> str | None: ...
    @property
    def sentences(self) -> int | None: ...
    @property
    def link_preview(self) -> bool: ...


def rerender(
    card: Outbox,
    story: Story,
    chat: Reader,
    config: Config,
    *,
    also: Sequence[tuple[str, str | None]] | None = None,
    cache: dict[tuple[Any, ...], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The card as it should read now: the reader's settings, expanded if they expanded it, its time
    as it read when the card was rendered, and the other outlets it lists (or `also` instead).

    With `cache`, cards that would read the same are rendered once (thousands of chats share a few
    settings); the payloads returned are shared, never to be changed in place."""
    # Routing rendered the card as of its not_before ("١٤:٠٥" today, a date otherwise); rendering it
    # as of when it was sent changed "today" for a card routed before midnight and sent after, so a
    # correction of its body alone edited its time into a date.
    now = as_utc(card.not_before) if card.not_before is not None else as_utc(card.sent_at or utcnow())
    tz = chat.timezone or config.delivery.default_timezone
    sentences = chat.sentences or config.summary.sentences
    expanded = bool((card.payload or {}).get("expanded"))
    links = also_of(card.payload) if also is None else list(also)
    # The card's time reads as a clock today and with its date on other days: the day is what counts.
    key = (
        story.id,
        story.title,
        chat.language,
        tz,
        sentences,
        chat.link_preview,
        expanded,
        tuple(links),
        now.astimezone(zone(tz)).date(),
    )
    if cache is not None and key in cache:
        return cache[key]
    rendered = card_payload(
        story,
        lang=chat.language,
        tz=tz,
        sentences=sentences,
        link_preview=chat.link_preview,
        now=now,
        expanded=expanded,
        also=links,
        max_chars=config.summary.max_chars,
    )
    if cache is not None:
        cache[key] = rendered
    return rendered


def editable(card: Outbox, now: datetime) -> bool:
    """A sent card Telegram still lets the bot edit (and the reader has not deleted)."""
    sent_at = as_utc(card.sent_at) if card.sent_at is not None else None
    return (
        card.status == outbox.SENT
        and card.message_id is not None
        and sent_at is not None
        and now - sent_at <= EDIT_WINDOW
        and not (card.payload or {}).get(GONE)
    )


def edit_of(card: Outbox, fresh: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the outbox row that edits the sent card to `fresh`, the payload its own row holds from then).

    The card's row follows what the message shows, so a later change back to an earlier text edits
    again; the number keeps such a key apart from the first edit to that text."""
    number = int((card.payload or {}).get("edits", 0)) + 1
    digest = hashlib.sha1(fresh["text"].encode()).hexdigest()[:12]
    row = {
        "chat_id": card.chat_id,
        "story_id": card.story_id,
        "kind": outbox.EDIT,
        "dedup_key": f"edit:{card.id}:{number}:{digest}",
        "payload": {**fresh, "edit_message_id": card.message_id},
    }
    return row, {**fresh, "edits": number}
