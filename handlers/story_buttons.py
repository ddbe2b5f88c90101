"""The "المزيد" / "More" button under a story card: edits the card to show more sentences."""

from __future__ import annotations

import logging

from telegram import LinkPreviewOptions, MaybeInaccessibleMessage, Message, MessageEntity, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.db.models import Story, Subscriber
from bot.delivery.card import Also, also_of, as_payload
from bot.delivery.format import ALSO_LABELS, render_story, utf16_len
from bot.delivery.outbox import card_shown, record_expanded
from bot.i18n import language_for, text
from bot.services import services

log = logging.getLogger(__name__)

TEXTS = {
    "gone": {"ar": "لم يعد هذا الخبر متاحًا.", "en": "This story is no longer available."},
}


async def more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    svc = services(context)
    story_id = int(query.data.split(":", 1)[1])
    chat_id = query.message.chat.id if query.message is not None else None
    async with svc.db.read() as session:
        story = await session.get(Story, story_id)
        sub = await session.get(Subscriber, chat_id) if chat_id is not None else None
    lang = sub.language if sub is not None else language_for(query.from_user.language_code)
    if story is None:
        await query.answer(text(TEXTS, "gone", lang), show_alert=False)
        return
    tz = (sub.timezone if sub is not None else None) or svc.config.delivery.default_timezone
    sentences = (sub.sentences if sub is not None else None) or svc.config.summary.sentences
    link_preview = sub is not None and sub.link_preview
    card = await card_shown(svc.db, chat_id, query.message.message_id) if chat_id and query.message else None
    # The card may list other outlets on the same event (bot.delivery.grouping): they stay. Its
    # record is deleted after keep_history (bot.db.retention); the message itself still shows them.
    also = also_of(card) if card is not None else _also_shown(query.message)
    rendered = render_story(
        story,
        lang=lang,
        tz=tz,
        sentences=sentences,
        expanded=True,
        also=also,
        max_chars=svc.config.summary.max_chars,
    )
    await query.answer()
    try:
        await query.edit_message_text(
            rendered.text_html,
            parse_mode=ParseMode.HTML,
            reply_markup=rendered.buttons,
            link_preview_options=LinkPreviewOptions(is_disabled=not link_preview),
        )
    except BadRequest as exc:
        # A second tap finds the card already expanded; anything else is worth a log line.
        if "not modified" not in exc.message.lower():
            log.warning("could not expand story %s in chat %s: %s", story_id, chat_id, exc.message)
        return
    if chat_id is not None and query.message is not None:
        shown = as_payload(rendered, link_preview=link_preview, expanded=True, also=also)
        await record_expanded(svc.db, chat_id, query.message.message_id, shown)


def _also_shown(message: MaybeInaccessibleMessage | None) -> Also:
    """The other outlets the card in the chat lists, read from its «وأيضًا في:» line (its last) and
    that line's links."""
    if not isinstance(message, Message) or not message.text:
        return []
    lines = message.text.split("\n")
    last = lines[-1]
    label = next((label for label in ALSO_LABELS if last.startswith(label)), None)
    if label is None:
        return []
    start = utf16_len("\n".join(lines[:-1]))  # Telegram counts UTF-16 units
    links = {
        name: entity.url
        for entity, name in message.parse_entities([MessageEntity.TEXT_LINK]).items()
        if entity.offset >= start
    }
    names = [name.strip() for name in last[len(label) :].split(" · ")]
    return [(name, links.get(name)) for name in names if name]


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CallbackQueryHandler(more, pattern=r"^more:\d+$"))
