"""/start: registers the chat and says what to do next. (Placeholder; the subscriber work extends it.)"""

from __future__ import annotations

from telegram import BotCommand, Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.i18n import language_for, text

TEXTS = {
    "welcome": {
        "ar": "أهلًا بك في أخبار! أرسل /subscribe لتختار مصادر الأخبار.",
        "en": "Welcome to Akhbar! Send /subscribe to choose your news sources.",
    },
}


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is None:
        return
    lang = language_for(update.effective_user.language_code if update.effective_user else None)
    await update.effective_message.reply_text(text(TEXTS, "welcome", lang))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("start", start))


async def set_commands(application: Application) -> None:  # type: ignore[type-arg]
    await application.bot.set_my_commands([BotCommand("start", "ابدأ")])
    await application.bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
