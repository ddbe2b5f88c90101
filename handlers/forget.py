"""/forget: a chat's data deleted on request, after a confirmation button (deletion is final).

In groups and channels only the chat's administrators may ask, as for /stop.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.subscribers import service
from bot.subscribers.chat import COMMAND_UPDATES, changing_chat, edit, reply
from bot.subscribers.texts import say

_YES, _NO = "fgt:yes", "fgt:no"


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = await changing_chat(update, context)
    if ctx is None:
        return
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(say("forget_yes", ctx.lang), callback_data=_YES),
                InlineKeyboardButton(say("forget_no", ctx.lang), callback_data=_NO),
            ]
        ]
    )
    await reply(update, say("forget_ask", ctx.lang), buttons)


async def forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    ctx = await changing_chat(update, context)
    if query is None or ctx is None:
        return
    if query.data == _YES:
        await service.forget(ctx.svc.db, ctx.chat_id)
        outcome = "forgotten"
    else:
        outcome = "forget_kept"
    await query.answer()
    # The question is replaced by the outcome, so its buttons cannot be pressed twice; a second
    # tap that arrived before the edit finds it already so (edit ignores "not modified").
    await edit(update, say(outcome, ctx.lang))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("forget", forget, filters=COMMAND_UPDATES))
    application.add_handler(CallbackQueryHandler(forget_button, pattern=r"^fgt:(?:yes|no)$"))
