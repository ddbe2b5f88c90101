"""Flood control in front of every other handler (group -1): a user over their rate
(bot.subscribers.throttle) has the update dropped, and hears why once a minute. Admins, inline
queries (Telegram sends one per keystroke) and the bot's own membership updates are not counted."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.constants import ChatType
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
    chat = update.effective_chat
    if _group_chatter(update, context):
        return
    throttle: Throttle = context.application.bot_data.setdefault(KEY, Throttle())
    if throttle.allow(_sender(update, user.id)):
        return
    # Told on a button (an alert only they see) or in their private chat; never in a group, where
    # the notice would be one more message the group did not ask for.
    private = update.effective_message is not None and chat is not None and chat.type == ChatType.PRIVATE
    if (update.callback_query is not None or private) and throttle.should_notice(user.id):
        log.info("user %s is over the rate limit; dropping updates for a while", user.id)
        notice = text(TEXTS, "slow_down", language_for(user.language_code))
        with contextlib.suppress(TelegramError):
            if update.callback_query is not None:
                await update.callback_query.answer(notice, show_alert=True)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(notice)
    raise ApplicationHandlerStop


def _sender(update: Update, user_id: int) -> int:
    """Whose allowance an update spends. Every anonymous group admin is one Telegram account
    (GroupAnonymousBot), and every user posting as a channel another (Channel_Bot): keyed by
    account, one group's admin used up every other group's; the chat they speak for tells them apart."""
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id
    return user_id


def _group_chatter(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A group's own conversation is not for the bot: only what is addressed to it counts. Nor is
    the copy Telegram posts in a discussion group of each post of its channel: counted, the copies
    of a busy channel (keyed by the channel, as its posts are) would drop its admins' commands."""
    message, chat = update.message, update.effective_chat
    if message is None or chat is None or chat.type == ChatType.PRIVATE:
        return False
    if message.is_automatic_forward:
        return True
    words = message.text or ""
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id
    return not words.startswith("/") and f"@{context.bot.username}" not in words and not to_bot


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, check), group=-1)
