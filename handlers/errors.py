"""The last line of defence: an update that raised is logged, the user hears a short apology; a
button no other handler takes is answered rather than left spinning."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.delivery.service import token_rejected
from bot.i18n import language_for, text
from bot.services import services
from bot.subscribers.service import get_subscriber
from bot.subscribers.texts import say

log = logging.getLogger(__name__)

TEXTS = {
    "oops": {
        "ar": "عذرًا، حدث خطأ غير متوقع. جرّب مرة أخرى بعد قليل.",
        "en": "Sorry, something went wrong. Please try again in a moment.",
    },
}


async def _language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The chat's chosen language (as every other reply has it); the app's when unknown. The
    failure may have been the database itself, so reading it may fail too."""
    subscriber = None
    if update.effective_chat is not None:
        try:
            subscriber = await get_subscriber(services(context).db, update.effective_chat.id)
        except Exception:
            log.warning("could not read the chat's language for the error notice", exc_info=True)
    if subscriber is not None:
        return "en" if subscriber.language == "en" else "ar"
    return language_for(update.effective_user.language_code if update.effective_user else None)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    if isinstance(error, InvalidToken):
        token_rejected(context.application)  # polling gave up for good: so does the bot
        return
    if update is None and isinstance(error, NetworkError):
        # Fetching updates failed (Telegram or the network is down): PTB retries on its own, so
        # one line, not a traceback on every retry of an outage.
        log.warning("getting updates from Telegram failed: %s; retrying", error)
        return
    log.error("update handling failed", exc_info=error)
    if isinstance(update, Update) and update.effective_message and update.effective_chat:
        lang = await _language(update, context)
        try:
            await update.effective_message.reply_text(text(TEXTS, "oops", lang))
        except Exception:  # the apology itself failing must not raise again
            log.warning("could not send the error notice", exc_info=True)


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button no handler knows (an older bot's keyboard): unanswered, Telegram keeps it spinning."""
    query = update.callback_query
    if query is None:
        return
    lang = language_for(query.from_user.language_code if query.from_user else None)
    await query.answer(say("gone", lang), show_alert=True)


def register(application: Application) -> None:  # type: ignore[type-arg]
    # Registered by the last module, so it only sees the presses every other handler passed over.
    application.add_handler(CallbackQueryHandler(unknown_button))
    application.add_error_handler(on_error)
