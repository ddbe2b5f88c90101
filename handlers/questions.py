"""Plain-text topic questions in private chats: "ما الجديد عن سوريا؟" or just "سوريا"; the answer
to a command the bot does not have, and to a private message that is not text (a sticker, a photo).

The answer is the most relevant recent stories as story cards (through the search index), or a
clear "nothing found" with a suggestion (a question of only function words, «في من على», is asked
for a word instead). In groups plain text is left alone, as people talk to each other there, unless
it mentions the bot ("@akhbar_bot سوريا") or replies to what the bot said (not to a story card):
that is addressed to it. The mention is no part of the question, in a private chat too. Channels
are left alone. Registered last among the message handlers, after every command.
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.subscribers import questions, service
from bot.subscribers.chat import chat_context, reply
from bot.subscribers.texts import say
from handlers.search import PREFIX as SEARCH_PREFIX
from handlers.subscriber import send_cards

ANSWER_SIZE = 3


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    ctx = await chat_context(update, context)
    if ctx is None:
        return
    # "@akhbar_bot سوريا" addresses the bot, in a group or (typed out of habit) in its own chat.
    text = " ".join(_mention(context.bot.username).sub(" ", message.text).split())
    if not any(char.isalnum() for char in text):
        # "😀🔥" or "؟؟" has nothing to search for: "no news about «😀🔥»" would read as a failed search.
        await reply(update, say("no_words", ctx.lang))
        return
    if len(text) > questions.MAX_QUESTION_CHARS:
        await reply(update, say("question_too_long", ctx.lang))
        return
    if questions.is_greeting(text):
        await reply(update, say("thanks" if questions.is_thanks(text) else "greeting", ctx.lang))
        return
    await context.bot.send_chat_action(ctx.chat_id, ChatAction.TYPING)
    answer = await questions.find(ctx.svc.db, text, chat_id=ctx.chat_id, limit=ANSWER_SIZE)
    if not answer.searchable:
        # «في من على»: only words search skips; "no news about «على»" would read as a failed search.
        await reply(update, say("no_words", ctx.lang))
        return
    if not answer.stories:
        if answer.topic:
            await reply(update, say("question_none", ctx.lang, topic=answer.topic))
        else:
            # As /latest says it: with subscriptions, "no stories" would be untrue, only theirs are quiet.
            subscribed = bool(await service.list_subscriptions(ctx.svc.db, ctx.chat_id))
            await reply(update, ctx.say("latest_none_subscribed" if subscribed else "latest_none"))
        return
    if answer.topic:
        await reply(update, say("question_header", ctx.lang, topic=answer.topic))
    else:
        await reply(update, say("question_latest", ctx.lang))
    await send_cards(update, ctx, answer.stories)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command no handler took: in a private chat, silence looks like a bot that is down."""
    ctx = await chat_context(update, context)
    if ctx is None:
        return
    await reply(update, say("unknown_command", ctx.lang))


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A sticker, photo, voice note, file… in a private chat: unanswered, the user cannot tell
    whether the bot saw it, so they hear what it does read."""
    ctx = await chat_context(update, context)
    if ctx is None:
        return
    await reply(update, say("text_only", ctx.lang))


def _mention(username: str | None) -> re.Pattern[str]:
    # Usernames are case-insensitive and made of Latin letters, digits and "_" (so "@akhbar_botسوريا"
    # still mentions the bot, as Telegram reads it); "@akhbar_bot_fan" and "me@akhbar_bot" do not.
    # A vocative «يا» before it ("ما الجديد عن غزة يا @akhbar_bot") addresses the bot too.
    return re.compile(
        rf"(?:(?<!\w)يا\s+)?(?<![\w@])@{re.escape(username or '')}(?![A-Za-z0-9_])", re.IGNORECASE
    )


class _MentionsTheBot(filters.MessageFilter):
    """A group message with "@<the bot's username>" in it. The username is only known once the
    bot has started, so it is read from the message's bot rather than fixed at registration."""

    def filter(self, message: Message) -> bool:
        username = message.get_bot().username
        return bool(username and message.text and _mention(username).search(message.text))


class _AnswersTheBot(filters.MessageFilter):
    """A reply to something the bot said in conversation ("nothing found, try another word", a
    page of /search results: «وإيران؟»): with privacy mode Telegram delivers it without a mention,
    and the member is answering the bot. A reply to a story card (its buttons are "more" and the
    source's link) is the members talking about the news, not to the bot; so is a reply to a menu.
    So is a comment under a channel post in its discussion group, even a post the bot wrote: the
    comment replies to Telegram's copy of it, whose author is the channel (every comment there
    would otherwise be a question)."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        return bool(
            replied is not None
            and replied.from_user is not None
            and replied.from_user.id == message.get_bot().id
            and _conversational(replied.reply_markup)
        )


def _conversational(markup: InlineKeyboardMarkup | None) -> bool:
    """Whether a bot message with these buttons is part of a conversation: none at all, or only
    the page buttons of search results."""
    if markup is None:
        return True
    buttons = [button for row in markup.inline_keyboard for button in row]
    return all(
        isinstance(b.callback_data, str) and b.callback_data.startswith(SEARCH_PREFIX) for b in buttons
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    private_messages = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    # Telegram's copy of a channel post in its discussion group is the channel speaking, not a
    # member asking, though it may mention the bot (the channel's copy of the bot's own /help).
    group_mentions = (
        filters.ChatType.GROUPS
        & filters.UpdateType.MESSAGE
        & ~filters.IS_AUTOMATIC_FORWARD
        & (_MentionsTheBot() | _AnswersTheBot())
    )
    # A message sent "via" an inline bot is a result the user picked (one of our story cards posted
    # in this chat, say), not a question to answer.
    application.add_handler(
        MessageHandler(
            (private_messages | group_mentions) & filters.TEXT & ~filters.COMMAND & ~filters.VIA_BOT,
            question,
        )
    )
    # Registered after every module's commands, so only commands nobody handles get here. In groups
    # a command may be meant for another bot, so it is left alone there.
    application.add_handler(MessageHandler(private_messages & filters.COMMAND, unknown_command))
    # Everything else a person sends in a private chat: after every other handler (an admin's OPML
    # upload is taken by handlers.admin, registered earlier). Service messages (a pin, an
    # auto-delete timer) are not something the user sent to the bot, so they get no answer.
    application.add_handler(
        MessageHandler(
            private_messages & ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL, not_text
        )
    )
