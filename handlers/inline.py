"""Inline mode: "@bot query" in any chat lists up to 50 matching stories per page, with offsets.

Each result shows its source and time under its title, as a card does; choosing it posts the story
(bold linked title, source and time, summary). An empty query lists the newest stories; a query
with no word, or with no hits, says so on the button above the (empty) result list, and so does a
query no story has every word of (the results have some of them, as /search says).
"""

from __future__ import annotations

from dataclasses import replace

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.ext import Application, ContextTypes, InlineQueryHandler

from bot.db.database import Database
from bot.delivery.format import clip_title, safe_url
from bot.feeds.work import untitled
from bot.i18n import language_for
from bot.search.render import description, result_description, say, shared_story
from bot.search.service import MAX_LIMIT, SearchHit, SearchPage, has_stories, recent, search
from bot.services import services
from bot.subscribers import questions
from bot.subscribers.service import get_subscriber
from bot.subscribers.texts import clip, rtl
from handlers.start import SEARCH_PAYLOAD

PER_PAGE = MAX_LIMIT  # Telegram's own cap: 50 results per answer
MAX_OFFSET = 1000
CACHE_SECONDS = 10
INLINE_ECHO_CHARS = 30  # the query quoted on the button above the results: one short line


def _offset(raw: str) -> int:
    try:
        return min(max(0, int(raw)), MAX_OFFSET)
    except ValueError:
        return 0


def _titled(hit: SearchHit) -> SearchHit:
    """Telegram refuses a whole answer if one result's title is empty, and a story's linked title
    would be an empty link: a story stored without a title gets its first words, or its source."""
    if hit.title.strip():
        return hit
    return replace(hit, title=untitled(description(hit)) or hit.source or "…")


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    iq = update.inline_query
    if iq is None:
        return
    svc = services(context)
    lang = language_for(iq.from_user.language_code if iq.from_user else None)
    tz = svc.config.delivery.default_timezone
    # A user's private chat with the bot has their user id: what they chose there holds here too.
    own = await get_subscriber(svc.db, iq.from_user.id) if iq.from_user else None
    if own is not None:
        lang, tz = ("en" if own.language == "en" else "ar"), own.timezone or tz
    query = iq.query.strip()
    offset = _offset(iq.offset)
    page: SearchPage
    if query:
        words = await questions.search_words(svc.db, query)
        page = await search(svc.db, words, limit=PER_PAGE, offset=offset)
    else:
        page = await recent(svc.db, limit=PER_PAGE, offset=offset)
    hits = [_titled(hit) for hit in page.hits]
    results = [
        InlineQueryResultArticle(
            id=str(hit.story_id),
            title=clip_title(hit.title),
            description=result_description(hit, lang, tz),
            input_message_content=InputTextMessageContent(
                rtl(shared_story(hit, lang, tz, max_chars=svc.config.summary.max_chars), lang),
                parse_mode="HTML",
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
            url=safe_url(hit.url),
        )
        for hit in hits
    ]
    note = await _note(svc.db, page, query, lang, found=bool(results), offset=offset)
    button = InlineQueryResultsButton(text=note, start_parameter=SEARCH_PAYLOAD) if note else None
    # None, not "": PTB's ExtBot with Defaults sends an empty string as "[]", which Telegram would
    # hand back as the offset of a next page that does not exist.
    more = page.has_more and offset + len(results) < MAX_OFFSET
    next_offset = str(offset + len(results)) if more else None
    await iq.answer(
        results, cache_time=CACHE_SECONDS, is_personal=True, next_offset=next_offset, button=button
    )


async def _note(
    db: Database, page: SearchPage, query: str, lang: str, *, found: bool, offset: int
) -> str | None:
    """What the button above the results says, if anything: why there are none, or that they have
    only some of the words (without it, «سوريا زلزال» would list earthquakes as if in Syria)."""
    if page.relaxed:
        return say("inline_relaxed", lang)
    if page.unquoted and found:
        return say("inline_unquoted", lang)
    if found or offset > 0:
        return None
    if page.error:
        return say("inline_no_words", lang)
    if not await has_stories(db):
        return say("inline_no_stories", lang)
    return say("inline_nothing", lang, query=clip(query, INLINE_ECHO_CHARS))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(InlineQueryHandler(inline_query))
