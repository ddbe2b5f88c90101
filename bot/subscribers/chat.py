"""Who is talking and in which chat: language, registration and the group/channel admin rule.

In a private chat the user owns their subscriptions. In a group only the group's administrators
(creator or administrator, or an anonymous admin posting as the group) change them. In a channel
every post comes from an administrator, so a command posted in the channel is trusted; a button
pressed under a channel message is checked like a group's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Chat, ChatMember, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes, filters

from bot.db.models import Subscriber
from bot.i18n import Lang, language_for
from bot.services import Services, services
from bot.subscribers import service
from bot.subscribers.texts import TEXTS, say

log = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMember.OWNER, ChatMember.ADMINISTRATOR})


@dataclass
class ChatContext:
    svc: Services
    chat_id: int
    chat_type: str
    title: str | None
    user_id: int | None
    lang: Lang
    subscriber: Subscriber | None
    # The forum topic the update came from (None: General, or not a forum).
    thread_id: int | None = None
    changing: bool = False  # the sender may change the chat (changing_chat said so)

    @property
    def private(self) -> bool:
        return self.chat_type == Chat.PRIVATE

    def say(self, key: str, /, **values: object) -> str:
        """The catalog text in the chat's language, in a group's own words where it has them."""
        return say(self.key(key), self.lang, **values)

    def key(self, key: str) -> str:
        """The catalog key in a group's own words where it has them (the chat is its members, not
        one reader), and a channel's where they differ again (its readers cannot write to the bot):
        for a text said in another language than the chat's, e.g. the one just chosen."""
        if self.private:
            return key
        for own in (f"{key}.{self.chat_type}", f"{key}.group"):
            if own in TEXTS:
                return own
        return key

    async def register(self, *, news_here: bool = False, resume: bool = False) -> Subscriber:
        """The chat's subscriber row, created or re-activated (commands that change things).
        `news_here`: the command sets up what the chat follows, so in a forum its news goes to this
        topic from now on (/settings or /language looked at in another topic move nothing).
        A chat that /stop-ped stays stopped unless `resume` (/start): changing a setting or closing
        a menu asks for no news. Turning a subscription on does (service._subscribe)."""
        self.subscriber = await service.ensure_subscriber(
            self.svc.db, self.svc.config, self.chat_id, self.chat_type, self.lang, self.title, resume=resume
        )
        if news_here:
            await self.news_here()
        self.lang = _lang(self.subscriber.language)
        return self.subscriber

    async def news_here(self) -> None:
        """In a forum, the chat's news goes to this topic from now on: the admins just set up what
        it follows from here (/subscribe, /follow, a subscription turned on). Looking at a list or
        removing something from another topic moves nothing. Call after register()."""
        sub = self.subscriber
        if sub is not None and self.changing and not self.private and sub.thread_id != self.thread_id:
            self.subscriber = await service.set_thread(self.svc.db, self.chat_id, self.thread_id)

    @property
    def stopped(self) -> bool:
        """The chat /stop-ped and has not come back: nothing is sent to it."""
        return service.is_stopped(self.subscriber)

    def stopped_note(self, lang: str | None = None) -> str:
        """A reminder, after a change a stopped chat made, that it still gets nothing ("" if it
        is not stopped); in `lang` when the reply is said in another (the language just chosen)."""
        if not self.stopped:
            return ""
        return "\n\n" + say(self.key("stopped_note"), lang or self.lang)

    @property
    def tz(self) -> str:
        if self.subscriber is not None:
            return self.subscriber.timezone
        return self.svc.config.delivery.default_timezone

    @property
    def sentences(self) -> int:
        if self.subscriber is not None:
            return self.subscriber.sentences
        return self.svc.config.summary.sentences


def _lang(value: str) -> Lang:
    return "en" if value == "en" else "ar"


def chat_title(chat: Chat) -> str | None:
    if chat.title:
        return chat.title
    name = " ".join(p for p in (chat.first_name, chat.last_name) if p)
    return name or chat.username


async def chat_context(update: Update, context: ContextTypes.DEFAULT_TYPE) -> ChatContext | None:
    chat = update.effective_chat
    if chat is None:
        return None
    svc = services(context)
    subscriber = await service.get_subscriber(svc.db, chat.id)
    user = update.effective_user
    if subscriber is not None:
        lang = _lang(subscriber.language)
    else:
        lang = language_for(user.language_code if user else None)
    return ChatContext(
        svc=svc,
        chat_id=chat.id,
        chat_type=chat.type,
        title=chat_title(chat),
        user_id=user.id if user else None,
        lang=lang,
        subscriber=subscriber,
        thread_id=_topic(update),
    )


def _topic(update: Update) -> int | None:
    """The forum topic a message (or the message under a pressed button) is in."""
    message = update.effective_message
    if message is None or not getattr(message.chat, "is_forum", False) or not message.is_topic_message:
        return None
    return message.message_thread_id


async def may_change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the sender may change this chat's subscriptions and settings."""
    chat = update.effective_chat
    if chat is None:
        return False
    if chat.type == Chat.PRIVATE:
        return True
    if update.callback_query is None:
        if chat.type == Chat.CHANNEL:
            return True
        message = update.effective_message
        # An anonymous group admin posts as the group itself.
        if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
            return True
    user = update.effective_user
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError:
        log.warning("could not check admin status of %s in %s", user.id, chat.id, exc_info=True)
        return False
    return member.status in ADMIN_STATUSES


# Commands are answered in private chats and groups (messages) and in channels (channel posts);
# an edited message does not run a command a second time. Telegram copies every channel post into
# the channel's discussion group (an automatic forward): the channel's /help, or the bot's own
# post, is not a command said in the group, and was answered already in the channel.
COMMAND_UPDATES = (
    filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
) & ~filters.IS_AUTOMATIC_FORWARD


async def changing_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> ChatContext | None:
    """The chat's context when the sender may change the chat; None, after telling them why, if not
    (a group member: as an alert on a button, else as a reply)."""
    ctx = await chat_context(update, context)
    if ctx is None:
        return None
    if not await may_change(update, context):
        if update.callback_query is not None:
            # An alert only the presser sees: in their app's language, as admin_only's refusal is
            # (the group's own language is for what the whole chat reads).
            user = update.effective_user
            alert_lang = language_for(user.language_code if user else None)
            await update.callback_query.answer(say("not_admin", alert_lang), show_alert=True)
        else:
            await reply(update, say("not_admin", ctx.lang))
        return None
    ctx.changing = True
    return ctx


async def reply(
    update: Update, text_html: str, markup: InlineKeyboardMarkup | None = None, *, preview: bool = False
) -> None:
    message, chat = update.effective_message, update.effective_chat
    if message is None:
        return
    chat_type = chat.type if chat is not None else Chat.PRIVATE
    await message.reply_text(
        text_html,
        reply_markup=markup,
        link_preview_options=LinkPreviewOptions(is_disabled=not preview),
        do_quote=chat_type != Chat.PRIVATE,
        # A channel's admin setting it up (a menu, the settings) must not ping every reader.
        disable_notification=chat_type == Chat.CHANNEL,
    )


async def edit(
    update: Update, text_html: str | None = None, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the message a button sits under; pressing a button that changes nothing is fine."""
    query = update.callback_query
    if query is None:
        return
    try:
        if text_html is None:
            await query.edit_message_reply_markup(reply_markup=markup)
        else:
            await query.edit_message_text(
                text_html, reply_markup=markup, link_preview_options=LinkPreviewOptions(is_disabled=True)
            )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
