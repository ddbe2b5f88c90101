"""Flood control in front of every other handler (group -1): a user over their rate
(bot.subscribers.throttle) has the update dropped, and hears why once a minute. Admins, inline
queries (Telegram sends one per keystroke) and the bot's own membership updates are not counted."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.i18n import language_for, text
from bot.services import services
from bot.subscribers.throttle import Throttle

log = logging.getLogger(__name__)

KEY = "throttle"
TEXTS = {
    "slow_down": {
        "ar": "⏳ رسائلك كثيرة ومتتابعة، فسأتجاهل بعضها لبضع ثوانٍ. أرسل رسالتك التالية بعد قليل.",
        "en": "⏳ You are sending a lot very quickly, so I will skip some for a few seconds. Try again shortly.",
    },
}


async def check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is None or update.inline_query is not None or update.my_chat_member is not None:
        return
    if services(context).is_admin(user.id):
        return
    throttle: Throttle = context.application.bot_data.setdefault(KEY, Throttle())
    if throttle.allow(user.id):
        return
    if throttle.should_notice(user.id):
        log.info("user %s is over the rate limit; dropping updates for a while", user.id)
        lang = language_for(user.language_code)
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer(text(TEXTS, "slow_down", lang), show_alert=True)
        elif update.effective_message is not None:
            with contextlib.suppress(TelegramError):
                await update.effective_message.reply_text(text(TEXTS, "slow_down", lang))
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, check), group=-1)
