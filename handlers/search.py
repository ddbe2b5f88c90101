"""/search <query>: ranked results with the matched words in bold, and page buttons.

The buttons carry "search:<query id>:<offset>:<language>:<check>" (the query itself is stored by
bot.search.queries, so long Arabic queries fit Telegram's 64-byte callback data and survive a
restart; the language keeps the pages in the one they were first shown in, whoever presses next in
a group with no settings; the check, a few characters of the query's digest, tells an expired
search from another query that was later given the same id). Buttons from before the language or
the check was added ("search:<id>:<offset>", "search:<id>:<offset>:<language>") still work.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.db.database import Database
from bot.i18n import language_for, pager_row
from bot.search import queries
from bot.search.render import results_message, say, short_query
from bot.search.service import SearchPage, has_stories, search
from bot.services import services
from bot.subscribers import questions
from bot.subscribers.chat import COMMAND_UPDATES, reply

PAGE_SIZE = 5
PREFIX = "search:"


async def _prefs(update: Update, db: Database, fallback_tz: str) -> tuple[str, str]:
    """(language, timezone): the chat's settings when it is registered, else the user's language."""
    user = update.effective_user
    lang: str = language_for(user.language_code if user else None)
    tz = fallback_tz
    chat = update.effective_chat
    if chat is not None:
        try:
            from bot.subscribers.service import get_subscriber
        except ImportError:  # the subscriber part is optional for search
            return lang, tz
        subscriber = await get_subscriber(db, chat.id)
        if subscriber is not None:
            lang = "en" if subscriber.language == "en" else "ar"
            tz = subscriber.timezone or tz
    return lang, tz


def _keyboard(page: SearchPage, query_id: int, lang: str, query: str) -> InlineKeyboardMarkup | None:
    tail = f"{lang}:{queries.check(query)}"
    previous = f"{PREFIX}{query_id}:{max(0, page.offset - PAGE_SIZE)}:{tail}" if page.offset > 0 else None
    following = f"{PREFIX}{query_id}:{page.offset + PAGE_SIZE}:{tail}" if page.has_more else None
    buttons = pager_row(lang, previous, following)
    return InlineKeyboardMarkup([buttons]) if buttons else None


async def _page(db: Database, query: str, offset: int) -> SearchPage:
    words = await questions.search_words(db, query)
    page = await search(db, words, limit=PAGE_SIZE, offset=offset)
    if page.hits or offset == 0:
        return page
    # A button past the last page there is (the pages of an older message, before stories were
    # removed or past what is ranked): that last page, rather than "nothing found".
    first = await search(db, words, limit=1)
    if not first.hits:
        return page
    return await search(db, words, limit=PAGE_SIZE, offset=(first.reachable - 1) // PAGE_SIZE * PAGE_SIZE)


async def _answer(db: Database, query: str, offset: int, lang: str, tz: str) -> tuple[str, SearchPage]:
    page = await _page(db, query, offset)
    if page.error:
        key = "only_excluded" if page.error == "only_excluded" else "no_words"
        return say(key, lang, query=short_query(query)), page
    if not page.hits:
        if offset == 0 and not await has_stories(db):
            return say("no_stories", lang), page
        return say("nothing", lang, query=short_query(query)), page
    return results_message(page, query, lang, tz), page


async def search_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is None:
        return
    svc = services(context)
    lang, tz = await _prefs(update, svc.db, svc.config.delivery.default_timezone)
    # "/search @akhbar_bot سوريا": the bot's own name is no search word.
    mention = f"@{context.bot.username}".casefold()
    query = " ".join(word for word in context.args or [] if word.casefold() != mention).strip()
    # Replied as every command is (chat.reply): quoted outside private chats, silent in a channel.
    if not query:
        await reply(update, say("usage", lang))
        return
    text_html, page = await _answer(svc.db, query, 0, lang, tz)
    markup = _keyboard(page, await queries.remember(svc.db, query), lang, query) if page.has_more else None
    await reply(update, text_html, markup)


async def search_page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    callback = update.callback_query
    if callback is None or callback.data is None:
        return
    svc = services(context)
    lang, tz = await _prefs(update, svc.db, svc.config.delivery.default_timezone)
    query_id, offset, shown_in, checked = _button(callback.data)
    query = await queries.recall(svc.db, query_id, checked)
    if query is None:
        await callback.answer(say("expired", lang), show_alert=True)  # told to whoever pressed
        return
    await callback.answer()
    lang = shown_in or lang
    text_html, page = await _answer(svc.db, query, max(0, offset), lang, tz)
    try:
        await callback.edit_message_text(
            text_html,
            reply_markup=_keyboard(page, query_id, lang, query),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():  # a double tap on the same button
            raise


def _button(data: str) -> tuple[int, int, str | None, str | None]:
    """(query id, offset, the language the results were shown in, the query's check) of a page
    button's data (which the handler's pattern has checked); older buttons lack the last two."""
    query_id, offset, *rest = data.removeprefix(PREFIX).split(":")
    lang = ("en" if rest[0] == "en" else "ar") if rest else None
    checked = rest[1] if len(rest) > 1 else None
    return int(query_id), int(offset), lang, checked


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(
        # COMMAND_UPDATES: not the copies of a channel's posts in its discussion group.
        CommandHandler("search", search_command, filters=COMMAND_UPDATES)
    )
    application.add_handler(
        CallbackQueryHandler(search_page, pattern=r"^search:\d+:\d+(?::(?:ar|en)(?::[0-9a-f]{1,40})?)?$")
    )
