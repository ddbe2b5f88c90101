"""/start, /help, /language, /stop, the bot joining or leaving chats, and setMyCommands.

/start registers the chat (language from Telegram, `since` = now so no flood of old stories).
/language alone offers the two languages as buttons (lang:ar, lang:en); `/language en` switches at
once. In groups and channels, /language (and its buttons) and /stop are for the chat's
administrators only.
"""

from __future__ import annotations

import logging

from telegram import (
    BotCommand,
    Chat,
    ChatMember,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.delivery.sender import migrate_chat
from bot.i18n import language_for, number, text
from bot.services import services
from bot.subscribers import service
from bot.subscribers.chat import (
    COMMAND_UPDATES,
    changing_chat,
    chat_context,
    chat_title,
    edit,
    may_change,
    reply,
)
from bot.subscribers.texts import clip, rtl, say
from handlers.admin_texts import TEXTS as ADMIN_TEXTS
from summarizer.normalize import normalize

log = logging.getLogger(__name__)

# The whole command menu (admin commands are set by handlers.admin for the admins' chats only).
COMMANDS: list[tuple[str, str, str]] = [
    ("start", "ابدأ واشترك في الأخبار", "Start and register this chat"),
    ("subscribe", "اختر المصادر والمواضيع", "Choose sources and topics"),
    ("latest", "أحدث الأخبار من اشتراكاتك", "The latest news from your subscriptions"),
    ("search", "ابحث في الأخبار", "Search the news"),
    ("topics", "المواضيع المتاحة", "Topics you can follow"),
    ("follow", "تابع كلمة في كل المصادر", "Follow a keyword in every source"),
    ("unfollow", "أوقف متابعة كلمة", "Stop following a keyword"),
    ("mysubs", "اشتراكاتي", "My subscriptions"),
    ("unsubscribe", "ألغِ اشتراكًا", "Remove a subscription"),
    ("settings", "الإعدادات: فوري أو ملخص، التوقيت، الهدوء", "Settings: instant or digest, time zone, quiet"),
    ("language", "غيّر اللغة", "Change the language"),
    ("help", "المساعدة وقائمة الأوامر", "Help and the list of commands"),
    ("stop", "أوقف كل الاشتراكات", "End every subscription"),
    ("forget", "احذف كل ما يحفظه البوت عنك", "Delete everything the bot keeps about you"),
]

# The deep link of inline mode's button (handlers.inline): t.me/<bot>?start=search.
SEARCH_PAYLOAD = "search"

# Compared after normalize(), so عربية / عربيه / عربى and English in any letter case all match.
_LANGUAGE_NAMES = {
    "ar": ("ar", "arabic", "عربي", "عربية", "العربي", "العربية"),
    "en": ("en", "english", "انجليزي", "إنجليزي", "الإنجليزية", "الانجليزية", "إنكليزي", "الإنكليزية"),
}
LANGUAGE_WORDS = {normalize(word): code for code, words in _LANGUAGE_NAMES.items() for word in words}

# Each language names itself on its button, so a user who cannot read the current one finds theirs.
_LANGUAGE_BUTTONS = (("ar", "العربية"), ("en", "English"))
_LANGUAGE_DATA = "lang:"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = await chat_context(update, context)
    if ctx is None:
        return
    # A chat the bot knows is told where it stands: after /stop it follows nothing (the first-time
    # welcome would not say so), after unblocking the bot its subscriptions are all still there.
    before = await service.get_subscriber(ctx.svc.db, ctx.chat_id)
    known = before is not None
    held = len(await service.list_subscriptions(ctx.svc.db, ctx.chat_id)) if known else 0
    stopped_group = not ctx.private and before is not None and before.inactive_reason == service.STOPPED
    if stopped_group and not await may_change(update, context):
        # The group's admins stopped its news: a member's /start must not undo that.
        await reply(update, say("start_stopped_member", ctx.lang))
        return
    await ctx.register(resume=True)
    if ctx.private and context.args == [SEARCH_PAYLOAD]:
        # Inline mode's button under an empty answer ("type a word", "no stories for …") leads here:
        # the user came to search, so say how, rather than the general welcome.
        await reply(update, say("start_search", ctx.lang))
        return
    if not ctx.private:
        await reply(update, say("welcome_group", ctx.lang))
    elif not known:
        await reply(update, say("welcome", ctx.lang))
    elif held:
        await reply(update, say("welcome_back", ctx.lang, count=number(held, ctx.lang)))
    else:
        await reply(update, say("welcome_back_empty", ctx.lang))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = await chat_context(update, context)
    if ctx is None:
        return
    mention = f"@{context.bot.username}"
    if ctx.lang == "ar":  # a Latin name inside an Arabic sentence, kept left-to-right on its own
        mention = f"\u200e{mention}\u200e"
    # A group's help says how to ask there (mention the bot, or reply to it), a channel's says no
    # more than its admins can do: advice from a private chat would do nothing in either.
    message = ctx.say("help", bot=mention)
    if context.bot.supports_inline_queries and context.bot.username:
        # Nothing else tells a user that "@bot word" works in their other chats.
        message += "\n" + say("help_inline", ctx.lang, bot=mention)
    if ctx.private and ctx.svc.is_admin(ctx.user_id):
        # Admins have more commands (their menu lists them); their help should too. Not in groups,
        # where the members read the answer.
        message += "\n\n" + rtl(text(ADMIN_TEXTS, "help_admin", ctx.lang), ctx.lang)
    await reply(update, message)


def _language_keyboard(current: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ("✓ " if code == current else "") + name, callback_data=_LANGUAGE_DATA + code
                )
                for code, name in _LANGUAGE_BUTTONS
            ]
        ]
    )


async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = await changing_chat(update, context)
    if ctx is None:
        return
    sub = await ctx.register()
    typed = " ".join(context.args or [])
    if not typed:
        # A user sending /language to see what it offers must not find the bot switched already.
        await reply(update, ctx.say("language_choose"), _language_keyboard(sub.language))
        return
    wanted = LANGUAGE_WORDS.get(normalize(typed))
    if wanted is None:
        # Guessing here would switch a user who misspelt their own language to the other one.
        await reply(update, say("language_unknown", ctx.lang, value=clip(typed)))
        return
    await service.set_language(ctx.svc.db, ctx.chat_id, wanted, config=ctx.svc.config)
    await reply(update, say(ctx.key("language_set"), wanted) + ctx.stopped_note(wanted))


async def language_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    ctx = await changing_chat(update, context)
    if ctx is None:
        return
    await ctx.register()
    wanted = query.data.removeprefix(_LANGUAGE_DATA)
    await service.set_language(ctx.svc.db, ctx.chat_id, wanted, config=ctx.svc.config)
    await query.answer()
    # The choice is replaced by its outcome, said in the language just chosen.
    await edit(update, say(ctx.key("language_set"), wanted) + ctx.stopped_note(wanted))


async def stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = await changing_chat(update, context)
    if ctx is None:
        return
    await service.stop(ctx.svc.db, ctx.chat_id)
    await reply(update, ctx.say("stopped"))


_IN = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}
_OUT = {ChatMember.LEFT, ChatMember.BANNED}


async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was added to or removed from a chat, or a user blocked or unblocked it."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None:
        return
    old, new = change.old_chat_member.status, change.new_chat_member.status
    chat = change.chat
    svc = services(context)
    if new in _OUT:
        reason = "blocked" if chat.type == Chat.PRIVATE else "removed"
        if await service.set_inactive(svc.db, chat.id, reason):
            log.info("chat %s is gone (%s)", chat.id, new)
        return
    if chat.type == Chat.PRIVATE or old not in _OUT or new not in _IN:
        return  # an unblocked user comes back with /start; a promotion changes nothing here
    lang = language_for(change.from_user.language_code if change.from_user else None)
    held = len(await service.list_subscriptions(svc.db, chat.id))
    sub = await service.ensure_subscriber(svc.db, svc.config, chat.id, chat.type, lang, chat_title(chat))
    log.info("added to %s %s", chat.type, chat.id)
    if chat.type != Chat.CHANNEL:
        # A channel's readers should not see a greeting; a group's admins need to know what to do,
        # and, when the bot comes back, that what the group followed is followed again.
        if held:
            welcome = say("welcome_back_group", sub.language, count=number(held, sub.language))
        else:
            welcome = say("welcome_group", sub.language)
        await context.bot.send_message(chat.id, welcome)


async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup (new chat id): its subscriber row and subscriptions move along."""
    message = update.effective_message
    if message is None or update.effective_chat is None or message.migrate_to_chat_id is None:
        return
    await migrate_chat(services(context).db, update.effective_chat.id, message.migrate_to_chat_id)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("start", start, filters=COMMAND_UPDATES))
    application.add_handler(CommandHandler("help", help_command, filters=COMMAND_UPDATES))
    application.add_handler(CommandHandler("language", language, filters=COMMAND_UPDATES))
    codes = "|".join(code for code, _ in _LANGUAGE_BUTTONS)
    application.add_handler(CallbackQueryHandler(language_button, pattern=rf"^{_LANGUAGE_DATA}(?:{codes})$"))
    application.add_handler(CommandHandler("stop", stop, filters=COMMAND_UPDATES))
    application.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migrated))


async def set_commands(application: Application) -> None:  # type: ignore[type-arg]
    """The command menu: Arabic for everyone by default, and for Arabic and English clients."""
    arabic = [BotCommand(name, ar) for name, ar, _ in COMMANDS]
    english = [BotCommand(name, en) for name, _, en in COMMANDS]
    await application.bot.set_my_commands(arabic)
    await application.bot.set_my_commands(arabic, language_code="ar")
    await application.bot.set_my_commands(english, language_code="en")
