"""/settings: instant or digest, digest times, time zone, sentences, quiet hours, link previews.

Buttons for everything (bot.subscribers.settings_view) and a typed form for what buttons cannot
offer: `/settings timezone Africa/Cairo`, `/settings quiet 23:00-07:00` (Arabic names work too:
`/settings المنطقة Africa/Cairo`, `/settings الهدوء 23:00-07:00`). Bad input changes nothing.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.db.models import Subscriber
from bot.subscribers import prefs, service
from bot.subscribers.chat import (
    COMMAND_UPDATES,
    ChatContext,
    changing_chat,
    edit,
    reply,
)
from bot.subscribers.settings_view import main_keyboard, section_keyboard, settings_text
from bot.subscribers.texts import clip, say


async def _changer(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[ChatContext, Subscriber] | None:
    ctx = await changing_chat(update, context)
    return None if ctx is None else (ctx, await ctx.register())


async def settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await _changer(update, context)
    if found is None:
        return
    ctx, sub = found
    if context.args:
        change = prefs.parse_setting(context.args)
        if change.error:
            await reply(update, say(f"settings_{change.error}", ctx.lang, value=clip(change.value)))
            return
        before = sub.mode
        sub = await service.update_settings(ctx.svc.db, ctx.chat_id, config=ctx.svc.config, **change.changes)
        # Typing digest times switches a reader of instant news to digests: said, not only shown.
        saved = (
            "settings_saved_to_digest" if before != "digest" and sub.mode == "digest" else "settings_saved"
        )
        text = ctx.say(saved) + "\n\n" + _screen(ctx, sub)
        await reply(update, text, main_keyboard(sub, ctx.lang))
        return
    await reply(update, _screen(ctx, sub), main_keyboard(sub, ctx.lang))


def _screen(ctx: ChatContext, sub: Subscriber) -> str:
    """The settings as they stand; for a chat that /stop-ped, with the reminder that they apply
    once it comes back (the settings screen alone would read as if news were on its way)."""
    return settings_text(sub, ctx.lang) + ctx.stopped_note()


def _change_from_button(parts: list[str]) -> dict[str, object] | None:
    """The settings a button stores; None for a button that is not (or no longer) valid."""
    kind, value = parts[1], parts[2] if len(parts) > 2 else ""
    if kind == "mode" and value in ("instant", "digest"):
        return {"mode": value}
    if kind == "dt" and value.isdigit() and int(value) < len(prefs.DIGEST_PRESETS):
        return {"mode": "digest", "digest_times": list(prefs.DIGEST_PRESETS[int(value)])}
    if kind == "tz":
        zone = prefs.parse_timezone(":".join(parts[2:]))
        return {"timezone": zone} if zone else None
    if kind == "sent":
        count = prefs.parse_sentences(value)
        return {"sentences": count} if count else None
    if kind == "q":
        if value == "off":
            return {"quiet_start": None, "quiet_end": None}
        if value.isdigit() and int(value) < len(prefs.QUIET_PRESETS):
            start, end = prefs.QUIET_PRESETS[int(value)]
            return {"quiet_start": start, "quiet_end": end}
        return None
    if kind == "prev" and value in ("on", "off"):
        return {"link_preview": value == "on"}
    if kind == "group" and value in ("on", "off"):
        return {"group_events": value == "on"}
    return None


async def settings_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    found = await _changer(update, context)
    if found is None:
        return
    ctx, sub = found
    parts = query.data.split(":")
    # The screen's text is written again with its keyboard: a screen left open while the reader
    # changed language (or a setting, from /settings typed) would otherwise mix the two.
    if len(parts) >= 3 and parts[1] == "m":
        markup = section_keyboard(parts[2], sub, ctx.lang)
        await query.answer()
        await edit(update, _screen(ctx, sub), markup or main_keyboard(sub, ctx.lang))
        return
    if parts[1:2] == ["b"]:
        await query.answer()
        await edit(update, _screen(ctx, sub), main_keyboard(sub, ctx.lang))
        return
    changes = _change_from_button(parts)
    if changes is None:
        await query.answer(say("gone", ctx.lang), show_alert=True)
        return
    sub = await service.update_settings(ctx.svc.db, ctx.chat_id, config=ctx.svc.config, **changes)
    await query.answer(say("settings_saved", ctx.lang))
    await edit(update, _screen(ctx, sub), main_keyboard(sub, ctx.lang))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("settings", settings, filters=COMMAND_UPDATES))
    application.add_handler(CallbackQueryHandler(settings_button, pattern=r"^set:"))
