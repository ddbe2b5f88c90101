"""Admin commands: /addfeed /removefeed /pausefeed /resumefeed /feeds /feed /stats /broadcast /export
/audit, and .opml files sent by an admin. Thin adapters over bot.admin.

Every entry point goes through `admin_only`: anyone not in `[telegram] admins` gets a polite
refusal and nothing else happens (no database write, no fetch).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.admin import audit, broadcast, stats
from bot.admin.feeds import (
    SKIPPED,
    AddFeedResult,
    FeedActionResult,
    ImportReport,
    add_feed,
    clean_url,
    import_feeds,
    pause_feed,
    removal_preview,
    remove_feed,
    resume_feed,
)
from bot.admin.opml import MAX_OPML_BYTES, OpmlError, OpmlFeed, export_opml, parse_opml
from bot.admin.queries import FeedRow, feed_detail, list_feeds
from bot.clock import as_utc, utcnow
from bot.config import parse_duration
from bot.db.models import Feed, Subscriber
from bot.delivery import outbox
from bot.delivery.format import local_time, utf16_len, zone
from bot.feeds.health import FETCH_ERRORS, feed_move, fetch_error_html, fetch_error_text, move_texts
from bot.i18n import RLM, decimal, language_for, month_name, number, pager_row, text
from bot.services import Services, services
from bot.subscribers import notices
from bot.subscribers.chat import edit
from bot.subscribers.service import get_subscriber
from bot.subscribers.texts import clip
from handlers.admin_texts import TEXTS

log = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
COMMANDS = [
    "addfeed",
    "removefeed",
    "pausefeed",
    "resumefeed",
    "feeds",
    "feed",
    "stats",
    "broadcast",
    "export",
    "audit",
]
FEEDS_PER_PAGE = 8
AUDIT_PER_PAGE = 10
MAX_LISTED = 15
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_TAG = re.compile(r"<[^>]+>")
_OPEN_TAG = re.compile(r"<[^>]*$")
_LETTER = re.compile(r"[^\W\d_]")
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


# -- plumbing -----------------------------------------------------------------------------------


async def _reader(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[str, str]:
    """The chat's language and time zone as chosen with /language and /settings, which its story
    cards follow too; else the app's language and the config's default zone."""
    chat, svc = update.effective_chat, services(context)
    if chat is not None:
        subscriber = await get_subscriber(svc.db, chat.id)
        if subscriber is not None:
            lang = "en" if subscriber.language == "en" else "ar"
            return lang, subscriber.timezone or svc.config.delivery.default_timezone
    user_lang = language_for(update.effective_user.language_code if update.effective_user else None)
    return user_lang, svc.config.delivery.default_timezone


async def _lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    return (await _reader(update, context))[0]


def _t(lang: str, key: str, **values: object) -> str:
    return text(TEXTS, key, lang, **values)


def _rtl(message: str, lang: str) -> str:
    """In Arabic, a line whose first visible character is Latin or a digit gets an RLM so Telegram
    lays it out right-to-left (bot.i18n.rtl_line, but looking past leading HTML tags)."""
    if lang != "ar":
        return message
    lines = []
    for line in message.split("\n"):
        if line.startswith("<pre>"):
            # Technical detail in English (`_technical`): laid out left to right, as it is written.
            lines.append(line)
            continue
        visible = html.unescape(_TAG.sub("", line)).lstrip()
        # Telegram takes a paragraph's direction from its first letter (digits and symbols are weak).
        letter = _LETTER.search(visible)
        starts_latin = letter is not None and not _ARABIC.match(letter.group())
        if (starts_latin or (letter is None and visible[:1].isdigit())) and not line.startswith(RLM):
            line = RLM + line
        lines.append(line)
    return "\n".join(lines)


def _who(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return ""
    return user.full_name + (f" @{user.username}" if user.username else "")


def admin_only(handler: Handler) -> Handler:
    """Run the handler for admins; refuse politely, and do nothing else, for everyone else."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if services(context).is_admin(user.id if user else None):
            assert user is not None
            await _remember_language(context, user.id, user.language_code)
            await handler(update, context)
            return
        # Addressed to that person (an alert only they see, under a button in any chat): their app's language.
        lang = language_for(user.language_code if user else None)
        log.info("refused %s from non-admin %s", handler.__name__, user.id if user else None)
        if update.callback_query is not None:
            await update.callback_query.answer(_t(lang, "refused"), show_alert=True)
        elif update.effective_message is not None and _addressed_to_us(update):
            await update.effective_message.reply_text(_t(lang, "refused"))

    return wrapper


async def _remember_language(context: ContextTypes.DEFAULT_TYPE, admin_id: int, code: str | None) -> None:
    """The admin's app language, for the alerts the bot sends them unasked (bot.delivery.outbox):
    an admin who never sent /start has no Subscriber row to take it from. Bookkeeping only: a
    failure to store it is logged, and the command still runs."""
    if not code:  # Telegram did not say: keep what was seen before rather than assume Arabic
        return
    try:
        await outbox.remember_admin_language(services(context).db, admin_id, language_for(code))
    except SQLAlchemyError:
        log.exception("could not store admin %s's language", admin_id)


def _addressed_to_us(update: Update) -> bool:
    """In a group, a bare "/stats" is sent to every bot there and may be another bot's command;
    a member is told "admins only" when they named this bot ("/stats@bot"), or in private."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or chat.type == "private" or message is None:
        return True
    command = (message.text or "").split(maxsplit=1)
    return bool(command) and "@" in command[0]


async def _reply(update: Update, message: str, lang: str, **kwargs: object) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _rtl(message, lang),
        link_preview_options=_NO_PREVIEW,
        **kwargs,  # type: ignore[arg-type]
    )


async def _typing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat is not None:
        # A cosmetic signal: never let it stop the command.
        with contextlib.suppress(BadRequest, Forbidden):
            await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)


def _when(value: datetime | None, tz: str, lang: str, empty: str = "never") -> str:
    """As the story cards write a time (bot.delivery.format.local_time): '١٤:٣٠' today, '٥ مارس ١٤:٣٠'
    on another day, Arabic-Indic digits in Arabic, in the reader's own zone (`_reader`). A feed's last
    success or a log line may be from an earlier year, which a card never is, so then the year is
    written too."""
    if value is None:
        return _t(lang, empty)
    now = utcnow()
    local = as_utc(value).astimezone(zone(tz))
    if local.year == now.astimezone(zone(tz)).year:
        return local_time(value, lang=lang, tz=tz, now=now)
    day = f"{number(local.day, lang)} {month_name(local.month, lang)} {number(local.year, lang)}"
    return f"{day} {number(f'{local:%H:%M}', lang)}"


def _duration(seconds: float, lang: str) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        key, n = "dur_hours", seconds / 3600
    elif seconds >= 120 or seconds == 60:
        key, n = "dur_minutes", seconds / 60
    else:
        key, n = "dur_seconds", seconds
    template = TEXTS[key][lang]
    if lang == "ar":
        one, two, few, many = template.split("|")
        whole = n == int(n)
        template = one if n == 1 else two if n == 2 else few if whole and 3 <= n <= 10 else many
    return template.format(n=decimal(n, lang))


def _e(value: object) -> str:
    return html.escape(str(value), quote=False)


async def _reschedule(context: ContextTypes.DEFAULT_TYPE) -> None:
    from bot.feeds import scheduler

    await scheduler.reschedule(context.application)


async def _wake_sender(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Outbox writes already notify the sender; waking it as well costs nothing and is the contract."""
    from bot.delivery import service

    wake = getattr(service, "wake", None)
    if wake is not None:
        result = wake(context.application)
        if inspect.isawaitable(result):
            await result


def _fetcher(svc: Services):  # type: ignore[no-untyped-def]
    from bot.feeds.fetcher import Fetcher

    return Fetcher(svc.config.fetch)


# -- /addfeed -----------------------------------------------------------------------------------


@admin_only
async def addfeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang, svc = await _lang(update, context), services(context)
    args = list(context.args or [])
    if not args:
        await _reply(update, _t(lang, "addfeed_usage"), lang)
        return
    url, rest = _url_first(args)
    interval: float | None = None
    spelled = _spelled_interval(rest)
    if spelled is not None:
        interval, rest = spelled
    elif rest:
        try:
            interval = parse_duration(rest[0])
            rest = rest[1:]
        except ValueError:
            # Not a duration: the words are the name. A lone number-like word that fails is a typo
            # ("-5", "10x"), not a feed's name.
            if re.fullmatch(r"[-+]?[\d.٫]+[a-zA-Z]*", rest[0]):
                await _reply(update, _t(lang, "add_bad_interval", value=_e(clip(rest[0]))), lang)
                return
    if interval is not None and not 0 < interval <= MAX_INTERVAL:
        await _reply(update, _t(lang, "add_bad_interval", value=_e(clip(" ".join(args[1:3])))), lang)
        return
    name = " ".join(rest) or None
    await _typing(update, context)
    async with _fetcher(svc) as fetcher:
        result = await add_feed(
            svc.db,
            svc.config,
            fetcher,
            url,
            interval=interval,
            name=name,
            origin="chat",
            actor=update.effective_user.id if update.effective_user else 0,
            by=_who(update),
        )
    if result.ok:
        await _reschedule(context)
    await _reply(update, _render_add(result, lang, svc, typed=url), lang)


# An interval written out: "١٠ دقائق", "10 minutes", "ساعتين". Without this, "/addfeed URL ١٠ دقائق"
# read "١٠" as ten seconds and named the feed «دقائق».
_UNITS = {
    1.0: ("ثانية", "ثواني", "ثوان", "ثوانٍ", "second", "seconds", "sec", "secs"),
    60.0: ("دقيقة", "دقيقه", "دقائق", "د", "minute", "minutes", "min", "mins"),
    3600.0: ("ساعة", "ساعه", "ساعات", "hour", "hours"),
    86400.0: ("يوم", "أيام", "ايام", "day", "days"),
}
_UNIT_SECONDS = {word: seconds for seconds, words in _UNITS.items() for word in words}
_DUALS = {
    "ثانيتين": 2.0,
    "ثانيتان": 2.0,
    "دقيقتين": 120.0,
    "دقيقتان": 120.0,
    "ساعتين": 7200.0,
    "ساعتان": 7200.0,
    "يومين": 172800.0,
    "يومان": 172800.0,
}


# A feed checked less than once a week is not followed; a typo such as 365d is refused rather than kept.
MAX_INTERVAL = 7 * 86400.0


def _spelled_interval(words: list[str]) -> tuple[float, list[str]] | None:
    """(seconds, the words after it) when the words start with an interval written out: «١٠ دقائق»,
    «ساعتين», «كل ساعة» / "every hour" (a unit alone is one of it)."""
    if words and words[0].casefold() in ("كل", "every"):
        words = words[1:]
    if words and words[0] in _DUALS:
        return _DUALS[words[0]], words[1:]
    if words and words[0].casefold() in _UNIT_SECONDS:
        return _UNIT_SECONDS[words[0].casefold()], words[1:]
    if len(words) >= 2 and words[1].casefold() in _UNIT_SECONDS:
        try:
            amount = float(words[0].replace("٫", "."))
        except ValueError:
            return None
        return amount * _UNIT_SECONDS[words[1].casefold()], words[2:]
    return None


def _url_first(args: list[str]) -> tuple[str, list[str]]:
    """The link and the words after it. An admin who writes the name first ("/addfeed BBC عربي
    https://…") means the link that follows: the words before it join the name."""
    if clean_url(args[0]) is None:
        for i, arg in enumerate(args[1:], 1):
            if "://" in arg and clean_url(arg) is not None:
                return arg, args[i + 1 :] + args[:i]
    return args[0], args[1:]


def _render_add(result: AddFeedResult, lang: str, svc: Services, *, typed: str) -> str:
    if result.ok:
        lines = [
            _t(
                lang,
                "added",
                name=_e(result.name),
                id=result.feed_id,
                interval=_duration(result.interval or 0, lang),
                entries=number(result.entries, lang),
            )
        ]
        if result.discovered_from:
            lines.append(
                _t(lang, "added_discovered", page=_e(result.discovered_from)) + "\n" + _e(result.url)
            )
        if result.interval_floored:
            lines.append(_t(lang, "added_floored", interval=_duration(svc.config.fetch.min_interval, lang)))
        if result.malformed:
            # Items after the fault may never be read: the admin should know before relying on it.
            lines.append(
                _t(
                    lang,
                    "added_malformed",
                    entries=number(result.entries, lang),
                    detail=_technical(result.malformed, lang, limit=200),
                )
            )
        return "\n\n".join(lines)
    if result.code == "invalid_url":
        return _t(lang, "add_invalid_url", url=_e(clip(typed)))
    if result.code == "duplicate_url":
        told = _t(lang, "add_duplicate_url", existing=_e(result.existing), id=result.feed_id)
        # An admin replacing a feed that paused itself must learn that it is that one, paused.
        return told + (
            "\n" + _t(lang, "add_duplicate_paused", id=result.feed_id) if result.existing_paused else ""
        )
    if result.code == "duplicate_name":
        return _t(lang, "add_duplicate_name", name=_e(result.existing), id=result.feed_id)
    if result.code == "empty":
        return _t(lang, "add_empty")
    if result.code == "not_feed":
        message = _t(lang, "add_not_feed", reason=_e(_not_feed_words(result.detail, lang)))
        if _is_html_page(result.detail, lang):  # the words say it all
            return message
        # A broken document: where the parser stopped is what the admin tells the outlet.
        return message + "\n" + _technical(result.detail, lang)
    link = _e(result.url or "")
    if result.code == "discovered_not_feed":
        detail = f"{link}\n{fetch_error_html(result.reason, lang)}" if result.reason else link
        return _t(lang, "add_discovered_not_feed", detail=detail)
    # A fetch that failed: in the words /feed and the admins' alert use for the same reason.
    discovered = result.code.startswith("discovered_")
    reason = result.reason if discovered else result.detail
    said = fetch_error_text(reason, lang)
    if said is None:
        detail = fetch_error_html(reason, lang)
        if discovered:
            return _t(lang, "add_discovered_unreachable", detail=f"{link}\n{detail}")
        return _t(lang, "add_unreachable", detail=detail)
    if discovered:
        return _t(lang, "add_discovered_failed", reason=_e(said), link=link)
    return _t(lang, "add_fetch_failed", reason=_e(said))


def _not_feed_words(reason: str, lang: str) -> str:
    """Why a fetched link gave no feed, in the words /feed, the import report and the alert use; for
    an HTML page (/addfeed and an import look for a feed link in it first) that it names none."""
    said = fetch_error_text(reason, lang) or text(FETCH_ERRORS, "unknown", lang)
    return said + _t(lang, "no_feed_link") if _is_html_page(reason, lang) else said


def _is_html_page(reason: str, lang: str) -> bool:
    return fetch_error_text(reason, lang) == text(FETCH_ERRORS, "html_page", lang)


def _technical(detail: str, lang: str, *, limit: int = 500) -> str:
    """The fetcher's or the parser's own reason (English) as a block of its own under a label, not
    a phrase of the reply: in an Arabic reply, English text laid out right to left among Arabic
    words reads garbled (its punctuation and parentheses move), and is no sentence of it."""
    block = f"<pre><code>{_e(clip(detail, limit))}</code></pre>"
    return _t(lang, "technical_detail", detail=block)


# -- /removefeed /pausefeed /resumefeed ---------------------------------------------------------


def _feed_action(command: str, action: Callable[..., Awaitable[FeedActionResult]]) -> Handler:
    @admin_only
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        lang, svc = await _lang(update, context), services(context)
        ref = " ".join(context.args or [])
        if not ref:
            await _reply(update, _t(lang, "ref_usage", command=command), lang)
            return
        result = await action(
            svc.db, ref, actor=update.effective_user.id if update.effective_user else 0, by=_who(update)
        )
        if result.code == "not_found":
            await _reply(update, _t(lang, "not_found", ref=_e(clip(ref))), lang)
            return
        await _reply(update, await _acted(context, lang, result), lang)

    handler.__name__ = command
    return handler


async def _acted(context: ContextTypes.DEFAULT_TYPE, lang: str, result: FeedActionResult) -> str:
    """What a feed action did, for the admin; a removed feed's followers are told, as it happens."""
    svc = services(context)
    if result.ok:
        await _reschedule(context)
    message = _t(
        lang,
        result.code,
        name=_e(result.name),
        id=result.feed_id,
        subs=number(result.subscriptions_removed, lang),
    )
    if result.code == "removed" and result.feed_id is not None:
        # Its subscriptions went with it: the chats that followed it would otherwise find it
        # silently missing from /mysubs.
        told = await notices.tell_feed_removed(svc.db, result.feed_id, result.name or "", result.followers)
        if told:
            message += "\n" + _t(lang, "removed_told", count=number(told, lang))
    if result.code == "removed" and result.origin == "config":
        message += "\n\n" + _t(lang, "removed_config")
    return message


@admin_only
async def removefeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Asks first: removing ends every subscription to the feed and tells its readers, with no
    undo, and one mistyped number would do it to the wrong feed. A feed config.toml names comes
    back (without its readers) at the next restart: pausing it is offered first."""
    lang, svc = await _lang(update, context), services(context)
    ref = " ".join(context.args or [])
    if not ref:
        await _reply(update, _t(lang, "ref_usage", command="removefeed"), lang)
        return
    found = await removal_preview(svc.db, ref)
    if found.code == "not_found" or found.feed_id is None:
        await _reply(update, _t(lang, "not_found", ref=_e(clip(ref))), lang)
        return
    feed_id = found.feed_id
    message = _t(
        lang, "remove_ask", name=_e(found.name), id=feed_id, count=number(len(found.followers), lang)
    )
    choices = [InlineKeyboardButton(_t(lang, "remove_yes"), callback_data=f"adm:rm:yes:{feed_id}")]
    if found.origin == "config":
        message += "\n\n" + _t(lang, "remove_ask_config")
        choices.insert(
            0, InlineKeyboardButton(_t(lang, "remove_pause"), callback_data=f"adm:rm:pause:{feed_id}")
        )
    choices.append(InlineKeyboardButton(_t(lang, "remove_no"), callback_data=f"adm:rm:no:{feed_id}"))
    await _reply(update, message, lang, reply_markup=InlineKeyboardMarkup([[c] for c in choices]))


async def _removal_decision(
    update: Update, context: ContextTypes.DEFAULT_TYPE, decision: str, feed_id: int
) -> None:
    query = update.callback_query
    assert query is not None
    user = update.effective_user
    svc = services(context)
    if not svc.is_admin(user.id if user else None):
        await query.answer(_t(language_for(user.language_code if user else None), "refused"), show_alert=True)
        return
    lang = await _lang(update, context)
    actor, by = user.id if user else 0, _who(update)
    if decision == "no":
        message = _t(lang, "remove_kept")
    else:
        action = remove_feed if decision == "yes" else pause_feed
        result = await action(svc.db, str(feed_id), actor=actor, by=by)
        # Removed meanwhile (another admin, a second tap): said so, nothing done twice.
        message = (
            _t(lang, "not_found", ref=feed_id)
            if result.code == "not_found"
            else await _acted(context, lang, result)
        )
    await query.answer()
    await edit(update, message)  # a second tap finds it already answered: "not modified" is fine


pausefeed = _feed_action("pausefeed", pause_feed)
resumefeed = _feed_action("resumefeed", resume_feed)


# -- /feeds /feed -------------------------------------------------------------------------------


async def _feeds_page(
    svc: Services, lang: str, tz: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    result = await list_feeds(svc.db, page=page, per_page=FEEDS_PER_PAGE)
    if not result.rows:
        return _t(lang, "feeds_empty"), None
    parts = [
        _t(
            lang,
            "feeds_header",
            total=number(result.total, lang),
            page=number(result.page + 1, lang),
            pages=number(result.pages, lang),
        )
    ]
    for row in result.rows:
        parts.append(
            _t(
                lang,
                "feeds_row",
                name=_e(row.name),
                id=row.id,
                status=_status(row.status, row.consecutive_errors, row.last_success_at is None, lang),
                last_success=_when(row.last_success_at, tz, lang),
                errors=number(row.consecutive_errors, lang),
                per_day=_per_day(row, lang),
                subs=number(row.subscribers, lang),
            )
        )
    parts.append(_t(lang, "feeds_footer"))
    return _rtl("\n\n".join(parts), lang), _pager("feeds", result.page, result.pages, lang)


def _per_day(row: FeedRow, lang: str) -> str:
    return _t(lang, "per_day_new") if row.new else decimal(row.items_per_day, lang)


def _pager(listing: str, page: int, pages: int, lang: str) -> InlineKeyboardMarkup | None:
    """/feeds' and /audit's page buttons ("adm:<listing>:<page>"), laid out as every pager is."""
    previous = f"adm:{listing}:{page - 1}" if page > 0 else None
    following = f"adm:{listing}:{page + 1}" if page + 1 < pages else None
    buttons = pager_row(lang, previous, following)
    return InlineKeyboardMarkup([buttons]) if buttons else None


ERRING_AFTER = 2


def _status(status: str, errors: int, never_worked: bool, lang: str) -> str:
    # An active feed whose last polls failed is not "working": the admin scanning /feeds for
    # trouble must see it without opening each one (it is paused only after many failures). One
    # failure alone is usually a passing timeout, gone at the next poll; not for a feed that has
    # never worked (a new one whose first poll failed).
    if status == "active" and (errors >= ERRING_AFTER or (errors and never_worked)):
        return _t(lang, "status_erring")
    key = f"status_{status}"
    return _t(lang, key) if key in TEXTS else _e(status)


@admin_only
async def feeds(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    (lang, tz), svc = await _reader(update, context), services(context)
    page = 0
    if context.args and context.args[0].isdigit():
        page = int(context.args[0]) - 1
    message, markup = await _feeds_page(svc, lang, tz, page)
    await _reply(update, message, lang, reply_markup=markup)


@admin_only
async def feed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    (lang, tz), svc = await _reader(update, context), services(context)
    ref = " ".join(context.args or [])
    if not ref:
        await _reply(update, _t(lang, "feed_usage"), lang)
        return
    detail = await feed_detail(svc.db, ref)
    if detail is None:
        await _reply(update, _t(lang, "not_found", ref=_e(clip(ref))), lang)
        return
    row = detail.row
    origin_key = f"origin_{row.origin}"
    parts = [
        _t(
            lang,
            "feed_detail",
            name=_e(row.name),
            id=row.id,
            status=_status(row.status, row.consecutive_errors, row.last_success_at is None, lang),
            url=_e(row.url),
            origin=_t(lang, origin_key) if origin_key in TEXTS else _e(row.origin),
            interval=_duration(detail.interval, lang),
            last_checked=_when(detail.last_checked_at, tz, lang, "not_yet"),
            last_success=_when(row.last_success_at, tz, lang),
            errors=number(row.consecutive_errors, lang),
            per_day=_per_day(row, lang),
            subs=number(row.subscribers, lang),
            stories=number(detail.stories_total, lang),
        )
    ]
    move = await feed_move(svc.db, row.id)  # moved for good (301/308), or being redirected so
    if move is not None:
        parts.extend(move_texts(move, lang, _when(move.moved_at, tz, lang)))
    if detail.last_error:
        parts.append(
            _t(
                lang,
                "feed_last_error",
                when=_when(detail.last_error_at, tz, lang, "not_yet"),
                reason=_error_reason(detail.last_error, lang),
                detail=_technical(detail.last_error, lang),
            )
        )
    else:
        parts.append(_t(lang, "feed_no_error"))
    if detail.latest_titles:
        parts.append(
            _t(lang, "feed_latest") + "\n" + "\n".join(f"• {_e(t[:150])}" for t in detail.latest_titles)
        )
    await _reply(update, "\n\n".join(parts), lang)


def _error_reason(error: str, lang: str) -> str:
    """The last error in words (the raw error is shown under them, as technical detail)."""
    return _e(fetch_error_text(error, lang) or text(FETCH_ERRORS, "unknown", lang))


# -- /stats -------------------------------------------------------------------------------------


@admin_only
async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    (lang, tz), svc = await _reader(update, context), services(context)
    assert update.effective_message is not None
    await _typing(update, context)
    # "Today" is the admin's own day, as the times in their other replies are.
    figures = await stats.collect(svc.db, timezone=tz)
    # Drawing takes a few hundred milliseconds of CPU: keep it off the event loop.
    png = await asyncio.to_thread(stats.render_chart, figures, lang)
    caption = _t(
        lang,
        "stats",
        active=number(figures.subscribers_active, lang),
        blocked=number(figures.subscribers_blocked, lang),
        stopped=number(figures.subscribers_stopped, lang),
        feeds_active=number(figures.feeds_active, lang),
        feeds_paused=number(figures.feeds_paused, lang),
        feeds_failing=number(figures.feeds_failing, lang),
        stories_today=number(figures.today.stories, lang),
        stories_avg=decimal(figures.average("stories"), lang),
        sent_today=number(figures.today.deliveries, lang),
        sent_avg=decimal(figures.average("deliveries"), lang),
        failed_today=number(figures.today.failures, lang),
        failed_total=number(sum(d.failures for d in figures.days), lang),
        queue=number(figures.queue, lang),
        days=number(len(figures.days), lang),
    )
    await update.effective_message.reply_photo(
        photo=InputFile(png, filename="stats.png"), caption=_rtl(caption, lang)
    )


# -- /broadcast ---------------------------------------------------------------------------------

_BROADCAST_PREFIX = re.compile(r"^\s*/broadcast(?:@\w+)?\s*", re.IGNORECASE)


@admin_only
async def broadcast_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang, svc = await _lang(update, context), services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    # text_html keeps the admin's formatting (bold, links) as Telegram HTML, already escaped.
    body = _BROADCAST_PREFIX.sub("", message.text_html or "", count=1).strip()
    if not body:
        await _reply(update, _t(lang, "broadcast_usage"), lang)
        return
    # Measured as written, as Telegram measures a message (after its HTML is read): every "&" or
    # link counts once, not as "&amp;" or a whole <a href="…"> tag.
    length = utf16_len(_BROADCAST_PREFIX.sub("", message.text or "", count=1).strip())
    if length > broadcast.MAX_BROADCAST_CHARS:
        await _reply(
            update,
            _t(
                lang,
                "broadcast_too_long",
                length=number(length, lang),
                limit=number(broadcast.MAX_BROADCAST_CHARS, lang),
            ),
            lang,
        )
        return
    async with svc.db.read() as session:
        count = int(
            await session.scalar(
                select(func.count()).select_from(Subscriber).where(Subscriber.active.is_(True))
            )
            or 0
        )
    if count == 0:
        await _reply(update, _t(lang, "broadcast_nobody"), lang)
        return
    draft_id = await broadcast.create_draft(svc.db, update.effective_user.id, body, by=_who(update))
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_t(lang, "broadcast_confirm"), callback_data=f"adm:bc:ok:{draft_id}"),
                InlineKeyboardButton(_t(lang, "broadcast_cancel"), callback_data=f"adm:bc:no:{draft_id}"),
            ]
        ]
    )
    await message.reply_text(
        _t(lang, "broadcast_preview", count=number(count, lang), text=body),
        reply_markup=markup,
        link_preview_options=_NO_PREVIEW,
    )


async def _broadcast_decision(
    update: Update, context: ContextTypes.DEFAULT_TYPE, decision: str, draft_id: int
) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    lang, svc = await _lang(update, context), services(context)
    admin_id = update.effective_user.id
    if decision == "ok":
        outcome = await broadcast.confirm(svc.db, draft_id, admin_id, by=_who(update))
        if outcome.code == "sent":
            await _wake_sender(context)
    else:
        outcome = await broadcast.cancel(svc.db, draft_id, admin_id, by=_who(update))
    if outcome.code in ("sent", "cancelled"):
        from bot.admin.models import Broadcast

        async with svc.db.read() as session:
            draft = await session.get(Broadcast, draft_id)
        body = draft.text_html if draft else ""
        await query.edit_message_text(
            _t(lang, f"broadcast_{outcome.code}", count=number(outcome.recipients, lang), text=body),
            reply_markup=None,
            link_preview_options=_NO_PREVIEW,
        )
        await query.answer()
        return
    await query.answer(_t(lang, f"broadcast_{outcome.code}"), show_alert=True)


# -- OPML: /export and .opml documents ----------------------------------------------------------


@admin_only
async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    (lang, tz), svc = await _reader(update, context), services(context)
    assert update.effective_message is not None
    async with svc.db.read() as session:
        all_feeds = list((await session.scalars(select(Feed).order_by(Feed.id))).all())
    data = export_opml(all_feeds)
    stamp = utcnow().astimezone(zone(tz)).strftime("%Y%m%d")
    await update.effective_message.reply_document(
        document=InputFile(data, filename=f"akhbar-feeds-{stamp}.opml"),
        caption=_rtl(_t(lang, "export_caption", count=number(len(all_feeds), lang)), lang),
    )
    await audit.record_now(
        svc.db,
        update.effective_user.id if update.effective_user else 0,
        "feeds.export",
        feeds=len(all_feeds),
        by=_who(update),
    )


@admin_only
async def opml_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang, svc = await _lang(update, context), services(context)
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    if document.file_size and document.file_size > MAX_OPML_BYTES:
        too_large = OpmlError("too_large", "", count=document.file_size, limit=MAX_OPML_BYTES)
        await _reply(update, _opml_refusal(too_large, lang), lang)
        return
    telegram_file = await context.bot.get_file(document.file_id)
    data = bytes(await telegram_file.download_as_bytearray())
    try:
        items = parse_opml(data)
    except OpmlError as exc:
        await _reply(update, _opml_refusal(exc, lang), lang)
        return
    started = await message.reply_text(
        _rtl(_t(lang, "import_started", count=number(len(items), lang)), lang),
        link_preview_options=_NO_PREVIEW,
    )
    async with _fetcher(svc) as fetcher:
        report = await import_feeds(
            svc.db,
            svc.config,
            fetcher,
            items,
            origin="opml",
            actor=update.effective_user.id if update.effective_user else 0,
            by=_who(update),
            progress=_import_progress(started, lang),
        )
    if report.added:
        await _reschedule(context)
    for part in _packed(_import_report(items, report, lang)):
        await _reply(update, part, lang)


def _opml_refusal(exc: OpmlError, lang: str) -> str:
    """Why the file is refused, with the limit it passed (and for too many feeds, how many it has)."""
    key = "opml_feed_file_link" if exc.code == "feed_file" and exc.link else f"opml_{exc.code}"
    reason = _t(
        lang,
        key,
        count=number(exc.count, lang),
        limit=number(exc.limit, lang),
        size=decimal(exc.limit / 1024 / 1024, lang),
        link=_e(exc.link),
    )
    return _t(lang, "import_bad_file", reason=reason)


def _import_report(items: list[OpmlFeed], report: ImportReport, lang: str) -> list[str]:
    """The summary, then a section per outcome with a line per entry: every entry of the file is
    accounted for, each refused or skipped one with its own reason."""
    summary = "import_report_skipped" if report.skipped else "import_report"
    parts = [
        _t(
            lang,
            summary,
            added=number(len(report.added), lang),
            duplicates=number(len(report.duplicates), lang),
            failed=number(len(report.failed), lang),
            skipped=number(len(report.skipped), lang),
        )
    ]
    pairs = list(zip(items, report.results, strict=True))
    sections = (
        ("import_added", report.added, _added_line),
        ("import_existing", report.duplicates, _existing_line),
        ("import_failed", report.failed, _refused_line),
        ("import_skipped", report.skipped, _refused_line),
    )
    for heading, results, line in sections:
        # By identity: two entries refused alike are equal results, and each is listed.
        wanted = {id(r) for r in results}
        lines = [f"• {line(item, r, lang)}" for item, r in pairs if id(r) in wanted]
        if lines:
            parts.append(_t(lang, heading) + "\n" + _listing(lines, lang))
    return parts


def _added_line(item: OpmlFeed, result: AddFeedResult, lang: str) -> str:
    line = f"{_e(result.name)} ({result.feed_id})"
    return line + _t(lang, "import_added_paused") if item.paused else line


def _existing_line(item: OpmlFeed, result: AddFeedResult, lang: str) -> str:
    line = _t(
        lang,
        "import_existing_line",
        entry=_entry_label(item, lang),
        existing=_e(result.existing),
        id=result.feed_id,
    )
    return line + _t(lang, "import_existing_paused") if result.existing_paused else line


def _refused_line(item: OpmlFeed, result: AddFeedResult, lang: str) -> str:
    return f"{_entry_label(item, lang)} — {_import_reason(result, lang)}"


def _entry_label(item: OpmlFeed, lang: str) -> str:
    """The entry as the file names it: its title and its address as written (either may be missing)."""
    title, url = _e(clip(item.title or "", 60)), _e(clip(item.url, 100))
    if title and url:
        return f"{title} ({url})"
    return title or url or _t(lang, "import_untitled")


def _import_reason(result: AddFeedResult, lang: str) -> str:
    """One line of why: not /addfeed's whole answer, which repeats the link and shows its usage."""
    code = result.code
    if code.startswith(SKIPPED):
        return _t(lang, f"import_why_{code.removeprefix(SKIPPED)}", first=_e(clip(result.existing or "", 80)))
    if code.startswith("discovered_"):
        return _t(lang, "import_why_discovered", link=_e(clip(result.url or "", 100)))
    if code == "invalid_url":
        return _t(lang, "import_why_invalid")
    if code == "not_feed":
        return _e(_not_feed_words(result.detail, lang))
    # A fetch or a parse that failed: in the words /addfeed, /feed and the admins' alert use.
    said = fetch_error_text(result.detail, lang)
    if said is not None or not result.detail:
        return _e(said or text(FETCH_ERRORS, "unknown", lang))
    return _t(lang, "import_why_failed", why=fetch_error_html(result.detail, lang, limit=120))


# Telegram refuses a message over 4096 characters: a long report goes in several.
_MESSAGE_ROOM = 4000


def _packed(parts: list[str]) -> list[str]:
    """The report's parts in as few messages as they fit in, split between sections, or between
    the lines of a section too long for one (each line's tags open and close on it)."""
    pieces = [piece for part in parts for piece in _joined(part.split("\n"), "\n")]
    return _joined(pieces, "\n\n")


def _joined(texts: list[str], separator: str) -> list[str]:
    """The texts joined by `separator` into as few pieces as fit in a message."""
    pieces: list[str] = []
    for one in texts:
        if pieces and len(pieces[-1]) + len(separator) + len(one) <= _MESSAGE_ROOM:
            pieces[-1] += separator + one
        else:
            pieces.append(one)
    return pieces


# A long import (hundreds of feeds, each fetched to check it) shows how far it is, by editing its
# "checking…" message at each tenth: ten edits at most, well within Telegram's limits.
_PROGRESS_STEPS = 10
_PROGRESS_MIN_FEEDS = 20


def _import_progress(started: Message, lang: str) -> Callable[[int, int], Awaitable[None]]:
    shown = 0

    async def report(done: int, total: int) -> None:
        nonlocal shown
        step = done * _PROGRESS_STEPS // total
        if total < _PROGRESS_MIN_FEEDS or done == total or step <= shown:
            return
        shown = step
        with contextlib.suppress(BadRequest, Forbidden):
            await started.edit_text(
                _rtl(_t(lang, "import_progress", done=number(done, lang), count=number(total, lang)), lang),
                link_preview_options=_NO_PREVIEW,
            )

    return report


async def _document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An .opml/.xml file: an import when an admin sends it. In a group, a member sharing some XML
    file sent no command: answering "admins only" there is noise, so it is left alone. In private
    the sender is told that importing a file is for admins (not "this command": they sent none)."""
    chat, user = update.effective_chat, update.effective_user
    if not services(context).is_admin(user.id if user else None):
        if (chat is None or chat.type == "private") and update.effective_message is not None:
            log.info("refused an OPML file from non-admin %s", user.id if user else None)
            lang = language_for(user.language_code if user else None)
            await update.effective_message.reply_text(_t(lang, "refused_file"))
        return
    await opml_document(update, context)


def _listing(lines: list[str], lang: str) -> str:
    shown = lines[:MAX_LISTED]
    if len(lines) > MAX_LISTED:
        shown.append(_t(lang, "and_more", count=number(len(lines) - MAX_LISTED, lang)))
    return "\n".join(shown)


# -- /audit -------------------------------------------------------------------------------------


async def _audit_page(
    svc: Services, lang: str, tz: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    result = await audit.list_entries(svc.db, page=page, per_page=AUDIT_PER_PAGE)
    if not result.entries:
        return _t(lang, "audit_empty"), None
    parts = [_t(lang, "audit_header", page=number(result.page + 1, lang), pages=number(result.pages, lang))]
    for entry in result.entries:
        parts.append(_describe_entry(entry, tz, lang))
    return _rtl("\n\n".join(parts), lang), _pager("audit", result.page, result.pages, lang)


def _describe_entry(entry: audit.AuditEntry, tz: str, lang: str) -> str:
    data = entry.data
    by = str(data.get("by") or "")
    if entry.admin_id == audit.CLI_ACTOR:
        who = _t(lang, "who_cli", name=_e(by.removeprefix("cli:") or "?"))
    else:
        who = _t(lang, "who_admin", name=_e(f"{by} ({entry.admin_id})" if by else entry.admin_id))
    action_key = f"act_{entry.action}"
    action = _t(lang, action_key) if action_key in TEXTS else _e(entry.action)
    details: list[str] = []
    if "name" in data:
        details.append(f"<b>{_e(data['name'])}</b>" + (f" ({data['feed_id']})" if "feed_id" in data else ""))
    if "url" in data:
        details.append(_e(data["url"]))
    if entry.action == "feeds.import":
        details.append(
            _t(
                lang,
                "audit_import_skipped" if data.get("skipped") else "audit_import",
                added=number(data.get("added", 0), lang),
                duplicates=number(data.get("duplicates", 0), lang),
                refused=number(data.get("refused", 0), lang),
                skipped=number(data.get("skipped", 0), lang),
            )
        )
    if "feeds" in data:
        details.append(_t(lang, "audit_feeds", count=number(data["feeds"], lang)))
    if "recipients" in data:
        details.append(_t(lang, "audit_recipients", count=number(data["recipients"], lang)))
    if "text" in data:
        # The stored HTML may end inside a tag (it was cut at 300 characters): drop tags, whole or
        # cut, then cut the visible text and escape it, so no cut lands inside "&amp;" or a tag.
        visible = html.unescape(_OPEN_TAG.sub("", _TAG.sub("", str(data["text"]))))
        preview = " ".join(visible.split())
        details.append("«" + _e(preview[:80]) + ("…" if len(preview) > 80 else "") + "»")
    head = f"• {_when(entry.created_at, tz, lang)} — {who}: {action}"
    return head + ("\n" + " · ".join(details) if details else "")


@admin_only
async def audit_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    (lang, tz), svc = await _reader(update, context), services(context)
    page = int(context.args[0]) - 1 if context.args and context.args[0].isdigit() else 0
    message, markup = await _audit_page(svc, lang, tz, page)
    await _reply(update, message, lang, reply_markup=markup)


# -- buttons ------------------------------------------------------------------------------------


@admin_only
async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    (lang, tz), svc = await _reader(update, context), services(context)
    parts = (query.data or "").split(":")
    if len(parts) == 4 and parts[1] == "bc" and parts[3].isdigit():
        await _broadcast_decision(update, context, parts[2], int(parts[3]))
        return
    if len(parts) == 4 and parts[1] == "rm" and parts[2] in ("yes", "pause", "no") and parts[3].isdigit():
        await _removal_decision(update, context, parts[2], int(parts[3]))
        return
    if len(parts) == 3 and parts[1] in ("feeds", "audit") and parts[2].isdigit():
        render = _feeds_page if parts[1] == "feeds" else _audit_page
        message, markup = await render(svc, lang, tz, int(parts[2]))
        try:
            await query.edit_message_text(message, reply_markup=markup, link_preview_options=_NO_PREVIEW)
        except BadRequest as exc:  # "message is not modified": a double tap on the same page
            if "not modified" not in str(exc).lower():
                raise
        await query.answer()
        return
    await query.answer()


# -- wiring -------------------------------------------------------------------------------------


def register(application: Application) -> None:  # type: ignore[type-arg]
    handlers: dict[str, Handler] = {
        "addfeed": addfeed,
        "removefeed": removefeed,
        "pausefeed": pausefeed,
        "resumefeed": resumefeed,
        "feeds": feeds,
        "feed": feed,
        "stats": stats_command,
        "broadcast": broadcast_command,
        "export": export,
        "audit": audit_command,
    }
    # New messages only: editing an old "/pausefeed 1" or an OPML upload's caption must not run it
    # again (the subscriber commands ignore edits the same way, bot.subscribers.chat.COMMAND_UPDATES).
    for command in COMMANDS:
        application.add_handler(
            CommandHandler(command, handlers[command], filters=filters.UpdateType.MESSAGE)
        )
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^adm:"))
    opml_files = filters.Document.FileExtension("opml") | filters.Document.FileExtension("xml")
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & opml_files, _document))


async def set_commands(application: Application) -> None:  # type: ignore[type-arg]
    """Each admin's private chat gets the subscriber commands plus the admin ones.

    A chat scope replaces the default list rather than adding to it, so the default (subscriber)
    commands, already set by the modules registered before this one, are read back and repeated.
    """
    bot = application.bot
    admins = services(application).config.telegram.admins
    if not admins:
        return
    for language in ("", "en"):
        lang = "en" if language == "en" else "ar"
        base = list(await bot.get_my_commands(language_code=language or None))
        own = [BotCommand(c, _t(lang, f"cmd_{c}")) for c in COMMANDS]
        names = {c.command for c in base}
        commands = base + [c for c in own if c.command not in names]
        for admin_id in admins:
            try:
                await bot.set_my_commands(
                    commands[:100], scope=BotCommandScopeChat(admin_id), language_code=language or None
                )
            except (BadRequest, Forbidden) as exc:
                # The admin has not opened a private chat with the bot yet; the menu comes next start.
                log.warning("could not set admin commands for %s: %s", admin_id, exc)
