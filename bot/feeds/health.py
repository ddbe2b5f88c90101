"""Feed health: when to poll next, errors and backoff, pausing a feed that keeps failing.

The next poll is the feed's interval (never below fetch.min_interval) after this one, stretched by
whatever the server asked for: Cache-Control max-age, Retry-After and the RSS <ttl> are lower
bounds (each capped at fetch.max_backoff, so a server cannot silence a feed for a year). After an
error the wait doubles with each consecutive failure, up to fetch.max_backoff. After
fetch.pause_after_failures failures in a row, or at the first HTTP 410 Gone, the feed's status
becomes "failing" (it stops being polled) and the admins are told, in Arabic and English.
"""

from __future__ import annotations

import html
import importlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.clock import as_utc, utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed
from bot.feeds.models import FeedAlias, FeedPollState
from bot.i18n import Catalog, ar_digits, clip, decimal, number
from bot.i18n import text as i18n_text

log = logging.getLogger(__name__)

ACTIVE = "active"
PAUSED = "paused"
FAILING = "failing"


def base_interval(feed_interval: float, config: Config) -> float:
    return max(float(feed_interval or 0), config.fetch.min_interval)


def success_delay(
    feed_interval: float,
    config: Config,
    *,
    max_age: float | None = None,
    retry_after: float | None = None,
    ttl: float | None = None,
) -> float:
    """Seconds until the next poll after a successful one."""
    delay = base_interval(feed_interval, config)
    for floor in (max_age, retry_after, ttl):
        if floor:
            delay = max(delay, min(float(floor), config.fetch.max_backoff))
    return delay


def failure_delay(
    feed_interval: float, config: Config, consecutive_errors: int, *, retry_after: float | None = None
) -> float:
    """Seconds until the next try after the n-th failure in a row: interval x 2^n, capped."""
    base = base_interval(feed_interval, config)
    cap = max(config.fetch.max_backoff, base)
    delay = min(cap, base * (2 ** min(max(consecutive_errors, 1), 40)))
    if retry_after:
        delay = max(delay, min(float(retry_after), cap))
    return delay


@dataclass(frozen=True)
class Failure:
    paused: bool
    consecutive_errors: int
    next_check_at: datetime | None


async def record_failure(
    db: Database,
    config: Config,
    feed_id: int,
    reason: str,
    *,
    retry_after: float | None = None,
    gone: bool = False,
    now: datetime | None = None,
) -> Failure:
    """Count a failed poll; back off; pause the feed and alert the admins after too many in a row,
    or at once when the server said the feed is `gone` (HTTP 410: removed for good, on purpose)."""
    now = now or utcnow()
    paused = False
    async with db.write() as session:
        feed = await session.get(Feed, feed_id)
        if feed is None:
            return Failure(paused=False, consecutive_errors=0, next_check_at=None)
        errors = (feed.consecutive_errors or 0) + 1
        next_at: datetime | None = now + timedelta(
            seconds=failure_delay(feed.interval, config, errors, retry_after=retry_after)
        )
        status = feed.status
        if (gone or errors >= config.fetch.pause_after_failures) and feed.status == ACTIVE:
            status, paused, next_at = FAILING, True, None
        await session.execute(
            update(Feed)
            .where(Feed.id == feed_id)
            .values(
                consecutive_errors=errors,
                last_error=reason[:2000],
                last_error_at=now,
                last_checked_at=now,
                next_check_at=next_at,
                status=status,
            )
        )
        name, last_success = feed.name, feed.last_success_at
    if paused:
        log.warning("feed %r paused itself after %d failures: %s", name, errors, reason)
        await alert_admins_paused(db, config, feed_id, name, errors, reason, now, last_success)
    else:
        log.info("feed %r failed (%d in a row): %s", name, errors, reason)
    return Failure(paused=paused, consecutive_errors=errors, next_check_at=next_at)


async def alert_admins_paused(
    db: Database,
    config: Config,
    feed_id: int,
    name: str,
    errors: int,
    reason: str,
    now: datetime,
    last_success: datetime | None = None,
) -> None:
    def in_zone(tz: str) -> tuple[str, str]:  # the last success in each admin's own time, as /feed says it
        return paused_alert_texts(name, errors, reason, feed_id, last_success, tz, now)

    text_ar, text_en = in_zone(config.delivery.default_timezone)
    key = f"feed-paused:{feed_id}:{int(now.timestamp())}"
    await _alert_admins(db, config, key, text_ar, text_en, name, in_zone=in_zone)


async def alert_admins_moved(
    db: Database, config: Config, feed_id: int, name: str, old: str, new: str
) -> None:
    """A feed's URL followed its permanent redirect: admins should know (config.toml may name the
    old address, and the outlet may have moved it somewhere unexpected)."""
    safe, old_url, new_url = html.escape(name), html.escape(old), html.escape(new)
    text_ar = (
        f"↪️ انتقلت تغذية «{safe}» نهائيًا إلى عنوان جديد، وصارت تُجلب منه:\n{new_url}\n"
        f"العنوان السابق: {old_url}\n"
        "إن كانت مذكورة في ملف الإعداد فاكتب فيه العنوان الجديد."
    )
    text_en = (
        f"↪️ Feed “{safe}” moved permanently and is now fetched from its new address:\n{new_url}\n"
        f"Previous address: {old_url}\n"
        "If config.toml names it, write the new address there."
    )
    key = f"feed-moved:{feed_id}:{int(utcnow().timestamp())}"
    await _alert_admins(db, config, key, text_ar, text_en, name)


async def _alert_admins(
    db: Database,
    config: Config,
    key: str,
    text_ar: str,
    text_en: str,
    feed: str,
    *,
    in_zone: Callable[[str], tuple[str, str]] | None = None,
) -> None:
    """Queue an alert about a feed for the admins; a failure to queue is logged, never raised: the
    feed's state is already stored and shows in /feed either way."""
    try:
        outbox = importlib.import_module("bot.delivery.outbox")
    except ModuleNotFoundError:
        # The delivery package's outbox has not landed: nothing else can carry the message.
        log.error("cannot alert admins (bot.delivery.outbox missing): %s about feed %r", key, feed)
        return
    try:
        await outbox.enqueue_admin_alert(db, config, key, text_ar, text_en, in_zone=in_zone)
    except Exception:
        log.exception("could not queue the admin alert %s about feed %r", key, feed)


def paused_alert_texts(
    name: str,
    errors: int,
    reason: str,
    feed_id: int,
    last_success: datetime | None,
    tz: str,
    now: datetime,
) -> tuple[str, str]:
    """The admin alert (Telegram HTML): which feed (its number, and the command that brings it
    back), why, and since when it has not worked (ten failures with backoff may span days). The
    Arabic text words the error as /addfeed and /feed do (`fetch_error_text`), with no English in
    it; the English one gives the error as it is. The count comes after «عددها:» (any number reads
    right there)."""
    from bot.delivery.format import local_time

    safe = html.escape(name)
    after_ar = (
        "بعد محاولة فاشلة واحدة" if errors == 1 else f"بعد محاولات فاشلة متتالية (عددها: {ar_digits(errors)})"
    )
    after_en = "after one failure" if errors == 1 else f"after {errors} failures in a row"
    if last_success is None:
        since_ar, since_en = "لم ينجح جلبه ولا مرة بعد.", "It has never been fetched successfully."
    else:
        since_ar = f"آخر جلب ناجح: {local_time(last_success, lang='ar', tz=tz, now=now)}."
        since_en = f"Last successful fetch: {local_time(last_success, lang='en', tz=tz, now=now)}."
    text_ar = (
        f"أُوقف المصدر «{safe}» (رقم {feed_id}) {after_ar}.\n"
        f"آخر خطأ: {html.escape(error_text_ar(reason))}\n"
        f"{since_ar}\n"
        f"لن تُجلب أخباره حتى يُستأنف: /resumefeed {feed_id}"
    )
    text_en = (
        f"Feed “{safe}” (#{feed_id}) was paused {after_en}.\n"
        f"Last error: {html.escape(reason)}\n"
        f"{since_en}\n"
        f"It will not be polled until resumed: /resumefeed {feed_id}"
    )
    return text_ar, text_en


# Why a fetch or a parse failed, put into words in one place: /addfeed's answer, /feed, an OPML
# import's report and the admins' alert all say it the same way. The reason is the English one
# bot.feeds.fetcher and bot.feeds.parser give (a feed's last_error). Each row: its pattern (the
# first that matches wins, so the specific come before the general), the code an /addfeed result
# carries (bot.admin.feeds.classify_fetch_error), and its words in FETCH_ERRORS. Named groups carry
# the detail into the words: the status code, the size limit, the seconds waited.
_REASONS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(p, re.IGNORECASE), code, key)
    for p, code, key in (
        # The parser's reasons and the bot's own, by their first words: a host may be named
        # feeds.example.com, or a failure "timeout" may be inside them.
        (r"^not a feed: got an HTML page", "not_feed", "html_page"),
        (r"^not a feed: empty body|^the server answered with an empty page", "empty", "empty"),
        (r"^not a feed", "not_feed", "not_feed"),
        (r"^removed from config\.toml", "config_removed", "config_removed"),
        (r"^internal error", "unreachable", "internal"),
        (r"^HTTP protocol error", "unreachable", "protocol"),
        (r"^invalid URL", "unreachable", "invalid_url"),
        (r"^unsupported URL scheme", "unreachable", "scheme"),
        (r"^URL has no host", "unreachable", "no_host"),
        (r"private address refused", "private", "private"),
        (r"^HTTP (?P<status>410)\b", "http_status", "gone"),
        (r"^HTTP (?P<status>\d{3})\b(?: (?P<phrase>.+))?", "http_status", "http_status"),
        # Our resolver's words, or the system's passed through by httpx when the private-address
        # guard is off (glibc, then macOS/BSD wording).
        (
            r"resolve|name or service not known|nodename nor servname|temporary failure in name "
            r"resolution|no address associated with hostname|getaddrinfo failed",
            "dns",
            "dns",
        ),
        (r"timed out after (?P<seconds>\d+(?:\.\d+)?) ?s\b", "timeout", "timeout_after"),
        (r"timed out|timeout", "timeout", "timeout"),
        (r"larger than (?P<size>\d+(?:\.\d+)? (?:MB|KB|bytes))", "too_large", "too_large_limit"),
        (r"larger than|too large", "too_large", "too_large"),
        (r"redirect loop", "redirects", "redirect_loop"),
        (r"too many redirects \(more than (?P<limit>\d+)\)", "redirects", "redirects_limit"),
        (r"redirect", "redirects", "redirects"),
        (r"could not connect: .*(?:\bssl\b|\btls\b|certificate)", "unreachable", "tls"),
        (r"connection refused", "unreachable", "refused"),
        (r"could not connect", "unreachable", "connect"),
        (r"closed before the body was complete", "unreachable", "closed"),
        # The encoding's name stays as the server wrote it: it is what the admin looks up.
        (r"content encoding (?P<encoding>[^)]+)\)", "unreachable", "encoding"),
        (r"decompress", "unreachable", "decompress"),
        (r"^network error", "unreachable", "network"),
    )
]

FETCH_ERRORS: Catalog = {
    "html_page": {
        "ar": "الرابط يعيد صفحة ويب لا خلاصة أخبار",
        "en": "the link gives a web page, not a news feed",
    },
    "empty": {"ar": "ردّ الخادم بصفحة فارغة", "en": "the server answered with an empty page"},
    "not_feed": {"ar": "الرد ليس خلاصة أخبار صالحة", "en": "the response is not a valid news feed"},
    "config_removed": {"ar": "حُذف من ملف الإعدادات", "en": "removed from config.toml"},
    "internal": {
        "ar": "خطأ داخلي في البوت أثناء قراءة الخلاصة",
        "en": "an internal error in the bot while reading the feed",
    },
    "protocol": {"ar": "ردّ الخادم ردًّا غير سليم", "en": "the server's answer was malformed"},
    "invalid_url": {"ar": "الرابط غير صالح", "en": "the link is not valid"},
    "scheme": {
        "ar": "يؤدي الرابط إلى عنوان ليس على الويب",
        "en": "the link leads to an address that is not on the web",
    },
    "no_host": {"ar": "الرابط لا يذكر اسم موقع", "en": "the link names no host"},
    "private": {
        "ar": "يشير الرابط إلى عنوان داخلي أو خاص في الشبكة، والإعدادات تمنع جلب مثل هذه العناوين",
        "en": "the link points to a private or internal network address, which the settings forbid",
    },
    "gone": {
        "ar": "أعلن الخادم أن الخلاصة أُزيلت نهائيًا (الرمز {status})",
        "en": "the server says the feed is gone for good ({status})",
    },
    # The code stays in Latin digits in Arabic too: it is what the admin looks up.
    "http_status": {"ar": "ردّ الخادم برمز الخطأ {status}", "en": "the server answered {status}{phrase}"},
    "dns": {"ar": "اسم النطاق غير موجود", "en": "the host name was not found"},
    "timeout_after": {
        "ar": "انتهت مهلة الانتظار ({seconds}) ولم يُجب الخادم",
        "en": "the server did not answer within {seconds}",
    },
    "timeout": {"ar": "انتهت مهلة الانتظار ولم يُجب الخادم", "en": "the server did not answer in time"},
    "too_large_limit": {
        "ar": "حجم الرد أكبر من الحد المسموح ({size})",
        "en": "the response is larger than the {size} allowed",
    },
    "too_large": {"ar": "حجم الرد أكبر من الحد المسموح", "en": "the response is larger than allowed"},
    "redirect_loop": {"ar": "إعادات توجيه تدور في حلقة لا تنتهي", "en": "a redirect loop"},
    "redirects_limit": {
        "ar": "إعادات توجيه كثيرة جدًا (أكثر من {limit})",
        "en": "too many redirects (more than {limit})",
    },
    "redirects": {"ar": "إعادات توجيه كثيرة جدًا", "en": "too many redirects"},
    "tls": {
        "ar": "تعذّر الاتصال الآمن بالخادم (شهادته غير صالحة أو تشفيره غير مدعوم)",
        "en": "could not connect securely to the server (its certificate is not valid, or its "
        "encryption is not supported)",
    },
    "refused": {
        "ar": "تعذّر الاتصال بالخادم (رفض الخادم الاتصال)",
        "en": "could not connect to the server (connection refused)",
    },
    "connect": {"ar": "تعذّر الاتصال بالخادم", "en": "could not connect to the server"},
    "closed": {
        "ar": "انقطع الاتصال قبل اكتمال الرد",
        "en": "the connection closed before the response was complete",
    },
    "encoding": {
        "ar": "تعذّر فك ضغط الرد: ترميز الضغط {encoding} غير مدعوم",
        "en": "could not decompress the response: its {encoding} encoding is not supported",
    },
    "decompress": {"ar": "تعذّر فك ضغط الرد", "en": "could not decompress the response"},
    "network": {"ar": "خطأ في الشبكة", "en": "a network error"},
    "unknown": {
        "ar": "خطأ غير متوقع أثناء جلب الخلاصة",
        "en": "an unexpected error while fetching the feed",
    },
}

_AR_UNITS = {"MB": "ميغابايت", "KB": "كيلوبايت", "bytes": "بايت"}


def _match(reason: str) -> tuple[re.Match[str], str, str] | None:
    for pattern, code, key in _REASONS:
        found = pattern.search(reason)
        if found:
            return found, code, key
    return None


def fetch_error_code(reason: str) -> tuple[str, int | None]:
    """The code of a failed fetch's reason ("http_status", "dns", "timeout" …; "unreachable" for
    the rest) and its HTTP status, if any."""
    matched = _match(reason)
    if matched is None:
        return "unreachable", None
    found, code, _ = matched
    status = found.groupdict().get("status")
    return code, int(status) if status else None


def fetch_error_text(reason: str, lang: str) -> str | None:
    """Why a fetch or a parse failed, in the reader's words (plain text); None for a reason this
    has no words for (show the reason itself, as code)."""
    matched = _match(reason)
    if matched is None:
        return None
    found, _, key = matched
    values = {name: _detail(name, value or "", lang) for name, value in found.groupdict().items()}
    return i18n_text(FETCH_ERRORS, key, lang, **values) if values else i18n_text(FETCH_ERRORS, key, lang)


def _detail(name: str, value: str, lang: str) -> str:
    """A detail of the reason as the reader's language writes it (a status code stays as it is)."""
    if name == "phrase":  # the status's English phrase, "Not Found": the English text's only
        return f" {value}" if value and lang != "ar" else ""
    if name == "seconds":
        return _seconds(float(value), lang)
    if name == "size" and lang == "ar":
        amount, unit = value.split(" ", 1)
        return f"{decimal(float(amount), lang)} {_AR_UNITS.get(unit, unit)}"
    if name == "limit":
        return number(value, lang)
    return value


def _seconds(n: float, lang: str) -> str:
    if lang != "ar":
        return f"{n:g} s"
    # Arabic counted nouns: 1 / 2 / 3-10 / 11+ (and any fraction) take different forms.
    if n == 1:
        return "ثانية واحدة"
    if n == 2:
        return "ثانيتين"
    if n == int(n) and 3 <= n <= 10:
        return f"{decimal(n, lang)} ثوانٍ"
    return f"{decimal(n, lang)} ثانية"


def fetch_error_html(reason: str, lang: str, *, limit: int = 300) -> str:
    """Why a fetch failed, as Telegram HTML: the words for it, or else the server's or the
    parser's own, quoted as code (a message to look up, not a label)."""
    said = fetch_error_text(reason, lang)
    if said is not None:
        return html.escape(said, quote=False)
    return f"<code>{html.escape(clip(reason, limit), quote=False)}</code>"


def error_text_ar(reason: str) -> str:
    """An Arabic rendering of a fetch/parse error reason (no English words in Arabic messages)."""
    return fetch_error_text(reason, "ar") or i18n_text(FETCH_ERRORS, "unknown", "ar")


def _aware(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


@dataclass(frozen=True)
class FeedMove:
    """Where a feed moved from (a permanent redirect followed), and a move in progress."""

    moved_from: str | None  # its URL before the last move
    moved_at: datetime | None
    moving_to: str | None  # a permanent redirect seen on `seen` polls in a row, not yet followed
    seen: int
    needed: int  # polls in a row before the URL follows (poller.MOVE_AFTER)


async def feed_move(db: Database, feed_id: int) -> FeedMove | None:
    """The feed's move, for /feed; None when it never moved and is not moving."""
    from bot.feeds.poller import MOVE_AFTER  # the poller imports this module

    async with db.read() as session:
        alias = (
            await session.execute(
                select(FeedAlias.url, FeedAlias.moved_at)
                .where(FeedAlias.feed_id == feed_id)
                .order_by(FeedAlias.moved_at.desc())
                .limit(1)
            )
        ).first()
        state = (
            await session.execute(
                select(FeedPollState.moved_to, FeedPollState.moved_count).where(
                    FeedPollState.feed_id == feed_id
                )
            )
        ).first()
    moving_to, seen = (state[0], state[1] or 0) if state is not None and state[0] else (None, 0)
    if alias is None and moving_to is None:
        return None
    return FeedMove(
        moved_from=alias[0] if alias else None,
        moved_at=_aware(alias[1]) if alias else None,
        moving_to=moving_to,
        seen=seen,
        needed=MOVE_AFTER,
    )


MOVE_TEXTS: Catalog = {
    "moved_from": {
        "ar": "↪️ نُقلت التغذية نهائيًا من {url} ({when})، وتُجلب الآن من عنوانها الجديد.",
        "en": "↪️ Moved permanently from {url} ({when}); it is now fetched from its new address.",
    },
    "moving_to": {
        "ar": "↪️ يحوّل الخادم التغذية تحويلًا دائمًا إلى {url} (في {seen} من {needed} فحوص متتالية قبل اعتماد العنوان الجديد).",
        "en": "↪️ The server redirects this feed permanently to {url} ({seen} of {needed} polls in a row before the new address is adopted).",
    },
}


def move_texts(move: FeedMove, lang: str, when: str) -> list[str]:
    """/feed's lines about a move (Telegram HTML); `when` is moved_at as the reader reads times."""
    lines = []
    if move.moved_from:
        lines.append(i18n_text(MOVE_TEXTS, "moved_from", lang, url=html.escape(move.moved_from), when=when))
    if move.moving_to:
        lines.append(
            i18n_text(
                MOVE_TEXTS,
                "moving_to",
                lang,
                url=html.escape(move.moving_to),
                seen=number(move.seen, lang),
                needed=number(move.needed, lang),
            )
        )
    return lines
