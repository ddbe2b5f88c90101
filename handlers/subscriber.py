"""/subscribe, /unsubscribe, /mysubs, /follow, /unfollow, /topics, /latest and their buttons.

Thin adapters over bot.subscribers.service: every change checks bot.subscribers.chat.may_change
first (a group's subscriptions belong to its administrators).
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.db.models import Story
from bot.delivery.format import listed_item, split_html
from bot.i18n import number
from bot.subscribers import cards, follow_checks, keyboards, prefs, service
from bot.subscribers.chat import (
    COMMAND_UPDATES,
    ChatContext,
    changing_chat,
    chat_context,
    edit,
    reply,
)
from bot.subscribers.service import SubscriptionError
from bot.subscribers.texts import answer, clip, join_names, rtl, say
from summarizer.normalize import normalize

ALL_WORDS = {normalize(w) for w in ("all", "الكل", "كل", "الجميع", "جميع")}


async def _changer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, news_here: bool = False
) -> ChatContext | None:
    """The chat's context, registered, when the sender may change it; None (after saying why) if not.
    `news_here`: the command sets the chat up (/subscribe, /follow), so in a forum its news moves to
    this topic; opening /unsubscribe or /unfollow in another topic must not carry the news there."""
    ctx = await changing_chat(update, context)
    if ctx is not None:
        await ctx.register(news_here=news_here)
    return ctx


async def _subscribed(ctx: ChatContext) -> keyboards.Subscribed:
    return {(s.kind, s.target) for s in await service.list_subscriptions(ctx.svc.db, ctx.chat_id)}


def _arg_text(context: ContextTypes.DEFAULT_TYPE) -> str:
    return " ".join(context.args or []).strip()


async def _described(ctx: ChatContext) -> list[service.SubscriptionItem]:
    """The chat's subscriptions, topics under their name in the chat's language (as /mysubs shows)."""
    items = await service.describe_subscriptions(ctx.svc.db, ctx.chat_id)
    if ctx.lang == "ar":
        return items
    topics = {t.name: t for t in await service.list_topics(ctx.svc.db)}
    return [
        replace(i, label=keyboards.topic_label(topics[i.target], ctx.lang))
        if i.kind == "topic" and i.target in topics
        else i
        for i in items
    ]


# ---------------------------------------------------------------- /subscribe


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = await _changer(update, context, news_here=True)
    if ctx is None:
        return
    db = ctx.svc.db
    feeds, topics = await service.list_feeds(db), await service.list_topics(db)
    wanted = _arg_text(context)
    if not wanted:
        if not feeds and not topics:
            await reply(update, say("no_feeds", ctx.lang))
            return
        markup = keyboards.subscribe_keyboard(feeds, topics, await _subscribed(ctx), 0, ctx.lang)
        await reply(update, say("subscribe_intro", ctx.lang), markup)
        return
    if normalize(wanted) in ALL_WORDS:
        if not feeds:
            await reply(update, say("no_feeds", ctx.lang))
            return
        await service.subscribe_all_feeds(db, ctx.chat_id)
        await reply(update, ctx.say("subscribed_all", total=number(len(feeds), ctx.lang)))
        return
    found = service.resolve_target(wanted, feeds, topics)
    if not found:
        await reply(update, say("target_not_found", ctx.lang, name=clip(wanted)))
        return
    if len(found) > 1:
        options = join_names([t.label for t in found[:8]], ctx.lang)
        await reply(update, say("target_ambiguous", ctx.lang, name=clip(wanted), options=options))
        return
    target = found[0]
    added = await service.subscribe(db, ctx.chat_id, target.kind, target.target, target.label)
    topic = next((t for t in topics if target.kind == "topic" and t.name == target.target), None)
    name = keyboards.topic_label(topic, ctx.lang) if topic else target.label
    await reply(update, ctx.say("subscribed" if added else "already_subscribed", name=name))


async def subscribe_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """sub:f:<id>:<page>, sub:t:<id>:<page>, sub:p:<page>, sub:x (see bot.subscribers.keyboards)."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    ctx = await _changer(update, context)
    if ctx is None:
        return
    parts = query.data.split(":")
    db = ctx.svc.db
    if parts[1] == "x":
        await query.answer()
        await edit(update, ctx.say("closed"))
        return
    feeds, topics = await service.list_feeds(db), await service.list_topics(db)
    notice: str | None = None
    try:
        if parts[1] == "p":
            page = int(parts[2])
        else:
            item_id, page = int(parts[2]), int(parts[3])
            if parts[1] == "f":
                feed = next((f for f in feeds if f.id == item_id), None)
                if feed is None:
                    raise LookupError
                kind, target, name, display = "feed", str(feed.id), feed.name, None
            else:
                topic = next((t for t in topics if t.id == item_id), None)
                if topic is None:
                    raise LookupError
                kind, target, display = "topic", topic.name, topic.name
                name = keyboards.topic_label(topic, ctx.lang)
            now_on = await service.toggle(db, ctx.chat_id, kind, target, display)
            if now_on:  # a page turn, or a subscription turned off, moves nothing
                await ctx.news_here()
            notice = answer("toggled_on" if now_on else "toggled_off", ctx.lang, name=name)
    except (LookupError, ValueError, IndexError):
        await query.answer(say("gone", ctx.lang), show_alert=True)
        page = 0
    else:
        await query.answer(notice)
    markup = keyboards.subscribe_keyboard(feeds, topics, await _subscribed(ctx), page, ctx.lang)
    # The text too, not only the keyboard: a list opened before a language switch would otherwise
    # keep its old heading above buttons in the new language.
    await edit(update, say("subscribe_intro", ctx.lang), markup)


def _pressed(data: str) -> tuple[int | None, int] | None:
    """A /topics or /unsubscribe button: (the item's id, or None for a page turn; the page to
    redraw, 0 for a button drawn before these lists had pages); None for data that is neither."""
    parts = data.split(":")
    try:
        page = int(parts[2]) if len(parts) > 2 else 0
        return (None if parts[1] == "p" else int(parts[1])), page
    except (ValueError, IndexError):
        return None


# ---------------------------------------------------------------- /unsubscribe

_WORDS_ONLY = "unk"  # the callback prefix of /unfollow's list of followed words


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = await _changer(update, context)
    if ctx is None:
        return
    db = ctx.svc.db
    wanted = _arg_text(context)
    items = await _described(ctx)
    if not items:
        await reply(update, ctx.say("no_subscriptions"))
        return
    if not wanted:
        markup = keyboards.unsubscribe_keyboard(items, 0, ctx.lang)
        await reply(update, say("unsubscribe_intro", ctx.lang), markup)
        return
    if normalize(wanted) in ALL_WORDS:
        count = await service.unsubscribe_all(db, ctx.chat_id)
        await reply(update, ctx.say("unsubscribed_all", count=number(count, ctx.lang)))
        return
    hit = _followed_as(items, wanted)
    if hit is None:
        found = service.resolve_target(wanted, await service.list_feeds(db), await service.list_topics(db))
        mine = {(i.kind, i.target): i for i in items}
        hit = next((mine[(t.kind, t.target)] for t in found if (t.kind, t.target) in mine), None)
    if hit is None:
        await reply(update, say("not_subscribed", ctx.lang, name=clip(wanted)))
        return
    await service.unsubscribe(db, ctx.chat_id, hit.kind, hit.target)
    await reply(update, say("unsubscribed", ctx.lang, name=hit.label))


def _followed_as(items: list[service.SubscriptionItem], text: str) -> service.SubscriptionItem | None:
    """The followed word `text` names in any of its forms, as /unfollow and matching read it."""
    try:
        target = service.keyword_target(text)
    except SubscriptionError:
        return None
    return next(iter(service.same_keyword(items, target)), None)


async def unsubscribe_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    ctx = await _changer(update, context)
    if ctx is None:
        return
    words_only = query.data.startswith(f"{_WORDS_ONLY}:")
    labels = {i.id: i.label for i in await _described(ctx)}
    pressed = _pressed(query.data)
    item_id, page = pressed or (None, 0)
    removed = None if item_id is None else await service.unsubscribe_id(ctx.svc.db, ctx.chat_id, item_id)
    items = [i for i in await _described(ctx) if i.kind == "keyword" or not words_only]
    if pressed is not None and item_id is None:
        await query.answer()
    elif removed is None:
        await query.answer(say("gone", ctx.lang), show_alert=True)
    else:
        label = labels.get(removed.id) or removed.display or removed.target
        # /unfollow's list says what /unfollow typed says; /unsubscribe's, what /unsubscribe does.
        said = "toggled_unfollowed" if words_only else "toggled_off"
        await query.answer(answer(said, ctx.lang, name=label))
    if not items:
        await edit(update, ctx.say("no_keywords" if words_only else "no_subscriptions"))
    else:
        prefix = _WORDS_ONLY if words_only else "uns"
        intro = say("unfollow_intro" if words_only else "unsubscribe_intro", ctx.lang)
        await edit(update, intro, keyboards.unsubscribe_keyboard(items, page, ctx.lang, prefix=prefix))


# ---------------------------------------------------------------- /mysubs


async def mysubs(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = await chat_context(update, context)
    if ctx is None:
        return
    items = await service.describe_subscriptions(ctx.svc.db, ctx.chat_id)
    if not items or ctx.subscriber is None or not ctx.subscriber.active:
        await reply(update, ctx.say("no_subscriptions"))
        return
    lines = [ctx.say("mysubs_header")]
    for kind, heading in (
        ("feed", "mysubs_feeds"),
        ("topic", "mysubs_topics"),
        ("keyword", "mysubs_keywords"),
    ):
        labels = [i.label for i in items if i.kind == kind]
        if kind == "topic":
            topics = {t.name: t for t in await service.list_topics(ctx.svc.db)}
            labels = [keyboards.topic_label(topics[n], ctx.lang) if n in topics else n for n in labels]
        # A source that is not being fetched says so: its news stopped, and the reader should know why.
        paused = [say("mysubs_paused", ctx.lang) if i.paused else "" for i in items if i.kind == kind]
        if labels:
            lines += ["", say(heading, ctx.lang)]
            lines += [
                rtl("• " + html.escape(label, quote=False) + note, ctx.lang)
                for label, note in zip(labels, paused, strict=True)
            ]
    sub = ctx.subscriber
    lines.append("")
    if sub.mode == "digest":
        sep = "، " if ctx.lang == "ar" else ", "
        times = sep.join(number(t, ctx.lang) for t in sub.digest_times)
        zone = prefs.timezone_label(ctx.tz, ctx.lang)  # 08:00 means nothing without where
        lines.append(say("mysubs_digest", ctx.lang, times=times, zone=html.escape(zone)))
    else:
        lines.append(say("mysubs_instant", ctx.lang))
    # A chat may follow hundreds of sources ("/subscribe الكل"): as many messages as the list needs.
    for part in split_html("\n".join(lines)):
        await reply(update, part)


# ---------------------------------------------------------------- /follow, /unfollow


# What separates several words typed to /follow or /unfollow at once: «النفط، الذهب» is two words,
# not one phrase with a comma. A comma between digits is a number's (5,000).
_SEPARATORS = re.compile(r"[،؛;]|,(?!\d)|(?<!\d),")


def _keywords_in(text: str) -> list[str]:
    """The words typed, each once, in the order typed."""
    parts = (" ".join(part.split()) for part in _SEPARATORS.split(text))
    return list(dict.fromkeys(part for part in parts if part))


async def follow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = await _changer(update, context, news_here=True)
    if ctx is None:
        return
    keywords = _keywords_in(_arg_text(context))
    if not keywords:
        await reply(update, say("follow_usage", ctx.lang))
        return
    said: list[str] = []
    # No more than a chat may follow: past that every word would only repeat the limit.
    for keyword in keywords[: service.MAX_KEYWORDS]:
        lines, full = await _follow_one(ctx, keyword)
        said += lines
        if full:
            break
    for part in split_html("\n\n".join(said)):
        await reply(update, part)


async def _follow_one(ctx: ChatContext, keyword: str) -> tuple[list[str], bool]:
    """What following one word says; and whether the chat is at its limit (the rest would fail)."""
    try:
        done = await service.follow(ctx.svc.db, ctx.chat_id, keyword)
    except SubscriptionError as exc:
        # The limits it names are counts, written in the reply's digits like every other count.
        values = {k: number(v, ctx.lang) if isinstance(v, int) else v for k, v in exc.values.items()}
        error = say(exc.code, ctx.lang, **{"keyword": clip(keyword), **values})
        return [error], exc.code == "too_many_keywords"
    # Another form of a word already followed is named as the chat follows it (and /mysubs lists it).
    said = [ctx.say("followed" if done.added else "already_following", keyword=done.keyword)]
    # Said of what the reader typed as several words: "MBS" is matched as «محمد بن سلمان», one name.
    if done.added and len(done.keyword.split()) > 1 and follow_checks.is_phrase(done.keyword):
        said.append(ctx.say("follow_phrase", keyword=done.keyword))
    return said + await _follow_warnings(ctx, done.keyword), False


async def _follow_warnings(ctx: ChatContext, keyword: str) -> list[str]:
    """What the reader should know about the word they follow, in the same reply: a Latin word
    Arabic news does not write («Facebook»), a word in so much of the news that it floods them."""
    notes = []
    latin = follow_checks.unread_latin(keyword)
    if latin:
        notes.append(ctx.say("follow_latin", words=join_names(latin, ctx.lang)))
    flood = await follow_checks.flood(ctx.svc.db, keyword)
    if flood is not None:
        share, per_day = number(flood.share, ctx.lang), number(flood.per_day, ctx.lang)
        notes.append(ctx.say("follow_flood", keyword=keyword, share=share, per_day=per_day))
    return notes


async def unfollow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = await _changer(update, context)
    if ctx is None:
        return
    keyword = " ".join(_arg_text(context).split())
    if not keyword:
        words = [i for i in await _described(ctx) if i.kind == "keyword"]
        if words:  # the words to choose from, rather than a usage line to type one
            markup = keyboards.unsubscribe_keyboard(words, 0, ctx.lang, prefix=_WORDS_ONLY)
            await reply(update, say("unfollow_intro", ctx.lang), markup)
        else:
            await reply(update, say("unfollow_usage", ctx.lang))
        return
    for part in split_html("\n".join(await _unfollow_typed(ctx, keyword))):
        await reply(update, part)


async def _unfollow_typed(ctx: ChatContext, keyword: str) -> list[str]:
    """Stop following what was typed; a line for each word stopped, and one for those not followed."""
    # The whole text first: a phrase followed with its comma before /follow split on commas.
    removed = await service.unfollow(ctx.svc.db, ctx.chat_id, keyword)
    # Named as the chat followed it: «مدرسة» typed here may stop «المدرسة».
    said = [say("unfollowed", ctx.lang, keyword=_names(removed, ctx.lang))] if removed else []
    missing: list[str] = []
    parts = [] if removed else [p for p in _keywords_in(keyword) if p != keyword]
    for part in parts[: service.MAX_KEYWORDS]:
        removed = await service.unfollow(ctx.svc.db, ctx.chat_id, part)
        if removed:
            said.append(say("unfollowed", ctx.lang, keyword=_names(removed, ctx.lang)))
        else:
            missing.append(clip(part))
    if not said and not missing:
        missing.append(clip(keyword))
    if missing:
        said.append(await _not_following(ctx, _names(missing, ctx.lang)))
    return said


async def _not_following(ctx: ChatContext, keyword: str) -> str:
    followed = [
        i.label for i in await service.describe_subscriptions(ctx.svc.db, ctx.chat_id) if i.kind == "keyword"
    ]
    if followed:
        return say("not_following", ctx.lang, keyword=keyword, keywords=join_names(followed, ctx.lang))
    return say("not_following_any", ctx.lang, keyword=keyword)


def _names(words: list[str], lang: str) -> str:
    """One word as it is (the template quotes it); several, older forms of one, listed."""
    if len(words) == 1:
        return words[0]
    return ("»، «" if lang == "ar" else "», «").join(words)


# ---------------------------------------------------------------- /topics


async def topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = await chat_context(update, context)
    if ctx is None:
        return
    items = await service.list_topics(ctx.svc.db)
    if not items:
        await reply(update, say("topics_none", ctx.lang))
        return
    markup = keyboards.topics_keyboard(items, await _subscribed(ctx), 0, ctx.lang)
    await reply(update, say("topics_header", ctx.lang), markup)


async def topic_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    ctx = await _changer(update, context)
    if ctx is None:
        return
    items = await service.list_topics(ctx.svc.db)
    pressed = _pressed(query.data)
    item_id, page = pressed or (None, 0)
    topic = next((t for t in items if t.id == item_id), None)
    if pressed is None or (item_id is not None and topic is None):
        await query.answer(say("gone", ctx.lang), show_alert=True)
        return
    if topic is None:  # a page turn
        await query.answer()
    else:
        now_on = await service.toggle(ctx.svc.db, ctx.chat_id, "topic", topic.name, topic.name)
        if now_on:
            await ctx.news_here()
        name = keyboards.topic_label(topic, ctx.lang)
        await query.answer(answer("toggled_on" if now_on else "toggled_off", ctx.lang, name=name))
    markup = keyboards.topics_keyboard(items, await _subscribed(ctx), page, ctx.lang)
    await edit(update, say("topics_header", ctx.lang), markup)


# ---------------------------------------------------------------- /latest


async def latest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = await chat_context(update, context)
    if ctx is None:
        return
    count = ctx.svc.config.delivery.latest_default
    if context.args:
        raw = normalize(context.args[0])
        if not raw.isdigit() or not 1 <= int(raw) <= service.MAX_LATEST:
            await reply(update, say("latest_usage", ctx.lang, max=number(service.MAX_LATEST, ctx.lang)))
            return
        count = int(raw)
    stories = await service.latest_stories(ctx.svc.db, ctx.chat_id, count)
    if not stories:
        subscribed = bool(await service.list_subscriptions(ctx.svc.db, ctx.chat_id))
        await reply(update, ctx.say("latest_none_subscribed" if subscribed else "latest_none"))
        return
    await send_cards(update, ctx, stories)


async def send_cards(update: Update, ctx: ChatContext, stories: list[Story]) -> None:
    """One story card per message, newest first, in the chat's language, time zone and length.

    In a group, several stories are one list, as a digest shows them: any member may ask, and a
    card each would spend the group's 20 messages a minute (and its members' patience) on one
    question, delaying the news itself."""
    if not ctx.private and len(stories) > 1:
        listing = "\n\n".join(listed_item(story, lang=ctx.lang, tz=ctx.tz) for story in stories)
        for part in split_html(listing):
            await reply(update, part)
        return
    preview = bool(ctx.subscriber and ctx.subscriber.link_preview)
    max_chars = ctx.svc.config.summary.max_chars
    for story in stories:
        text_html, buttons = cards.render(
            story, lang=ctx.lang, tz=ctx.tz, sentences=ctx.sentences, max_chars=max_chars
        )
        await reply(update, text_html, buttons, preview=preview)


def register(application: Application) -> None:  # type: ignore[type-arg]
    for name, callback in (
        ("subscribe", subscribe),
        ("unsubscribe", unsubscribe),
        ("mysubs", mysubs),
        ("follow", follow),
        ("unfollow", unfollow),
        ("topics", topics),
        ("latest", latest),
    ):
        application.add_handler(CommandHandler(name, callback, filters=COMMAND_UPDATES))
    application.add_handler(CallbackQueryHandler(subscribe_button, pattern=r"^sub:"))
    application.add_handler(CallbackQueryHandler(unsubscribe_button, pattern=r"^un[sk]:"))
    application.add_handler(CallbackQueryHandler(topic_button, pattern=r"^top:"))
