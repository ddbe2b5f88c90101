"""The last line of defence: an update that raised is logged, the user hears a short apology."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.i18n import language_for, text
from bot.services import services
from bot.subscribers.service import get_subscriber

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
    log.error("update handling failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message and update.effective_chat:
        lang = await _language(update, context)
        try:
            await update.effective_message.reply_text(text(TEXTS, "oops", lang))
        except Exception:  # the apology itself failing must not raise again
            log.warning("could not send the error notice", exc_info=True)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_error_handler(on_error)
