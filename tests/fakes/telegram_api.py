"""A fake Telegram Bot API server on 127.0.0.1 that the real python-telegram-bot talks to unchanged.

Point PTB at it and everything (getMe, long-polling getUpdates, sendMessage, files...) goes over
real HTTP to this server::

    async with FakeTelegram(rate_limits=RateLimits.disabled()) as fake:
        app = fake.configure(ApplicationBuilder()).build()   # token, base_url, base_file_url
        app.add_handler(...)
        async with polling(app, fake):                        # from tests.fakes.telegram_plugin
            [reply] = await fake.converse(42, "/start")       # inject, wait for the bot's answer
            assert "أهلاً" in reply["plain_text"]

In pytest use the ``fake_telegram`` / ``fake_telegram_factory`` fixtures and the ``polling``
context manager from ``tests/fakes/telegram_plugin.py``.  For benchmarks in another thread use ``FakeTelegramThread``;
standalone: ``python -m tests.fakes.telegram_api --port 8081 [--limits telegram|none]``.

Construction
    ``FakeTelegram(*, token=DEFAULT_TOKEN, bot_username="akhbar_test_bot", rate_limits=RateLimits(),
    strict_chats=False, latency=0.0, host="127.0.0.1", port=0, clock=time.monotonic)``
    ``rate_limits``: Telegram-like limits by default (``RateLimits()``: 30 sends/s overall, per chat
    1/s with bursts of 3, per group 20/min; token buckets, see ``Limit``); ``RateLimits.disabled()``
    switches them off, e.g. ``RateLimits(global_limit=Limit(1000, 1.0), per_chat=None)`` scales them.
    ``strict_chats``: when True, sending to a chat the fake has not seen (via an injected update or
    ``add_chat``) gives 400 "Bad Request: chat not found".  ``latency`` delays every answer except
    getUpdates (to simulate the network in benchmarks).  Also an async context manager.

Properties
    ``base_url`` ("http://127.0.0.1:PORT/bot"), ``base_file_url`` ("http://127.0.0.1:PORT/file/bot"),
    ``token``, ``bot_user`` (the getMe dict; ``bot_user["username"]``), ``bot_id``, ``port``.
    ``configure(builder)`` sets token, base_url and base_file_url on a PTB ``ApplicationBuilder``.

Injecting updates (async; each returns the Update dict it queued; the bot receives it via getUpdates)
    ``user_message(chat_id, text, *, user_id=None, language_code="ar", chat_type=None,
    first_name="مستخدم", last_name=None, username=None, title=None, entities=None,
    reply_to_message_id=None)`` -- a ``message`` update (``channel_post`` when the chat is a channel).
    ``chat_type`` defaults to the registered type, else "private" for positive ids, "supergroup" for
    ids starting with -100 and "group" for other negative ids.  ``user_id`` defaults to ``chat_id`` in
    private chats and ``DEFAULT_USER_ID`` elsewhere.  Text starting with "/" gets a ``bot_command``
    entity covering "/cmd" or "/cmd@botname".
    ``callback_query(chat_id, message_id, data, *, user_id=None, language_code="ar")`` -- a button
    press on a message the bot sent (the message, with its current text and keyboard, is embedded).
    ``inline_query(query, *, user_id=DEFAULT_USER_ID, offset="", language_code="ar",
    chat_type="private")``.
    ``document(chat_id, filename, content, *, mime_type="application/octet-stream", caption=None,
    user_id=None, language_code="ar", chat_type=None)`` -- the file becomes downloadable via getFile.
    ``chat_member_update(chat_id, *, old_status, new_status, user_id=None, chat_type=None,
    title=None, language_code="ar")`` -- a ``my_chat_member`` update about the bot itself;
    shortcuts ``bot_added_to_group(chat_id, *, title="مجموعة", chat_type="group", user_id=None)``
    and ``user_blocked_bot(chat_id)`` (which also makes further sends fail with 403).
    ``inject_update(update_body)`` -- any raw update dict (``update_id`` is added).

Chat and file set-up (plain methods)
    ``add_chat(chat_id, chat_type=None, *, title=None, username=None, first_name=None) -> dict``,
    ``block_chat(chat_id, reason="blocked")`` (reasons: "blocked", "deactivated", "kicked"),
    ``unblock_chat(chat_id)``, ``migrate_chat(old_id, new_id)``, ``set_chat_admins(chat_id,
    user_ids, *, creator=None)``, ``set_member_status(chat_id, user_id, status)``,
    ``add_file(content, filename, *, mime_type="application/octet-stream") -> dict`` (file record).

Fault injection
    ``fail_next(method, times=1, *, error_code=500, description="Internal Server Error",
    parameters=None)`` and ``drop_next(method, times=1)`` (the TCP connection is closed with no
    answer, so PTB raises NetworkError).  ``method`` is the API name ("sendMessage") or "*".

Reading what the bot did
    ``sent_messages(chat_id=None, *, include_deleted=False) -> list[dict]``: every message the bot
    sent (text, document or photo), oldest first.  Each dict: ``chat_id, message_id, kind``
    ("text"/"document"/"photo"), ``text`` (exactly as sent, e.g. with HTML tags; the caption for
    files), ``plain_text`` (what the user sees: tags stripped, entities unescaped), ``entities``,
    ``parse_mode``, ``reply_markup`` (parsed dict or None), ``link_preview_options`` (dict or None),
    ``disable_web_page_preview`` (bool), ``disable_notification``, ``params`` (all request params),
    ``date``, ``time`` (clock), ``edits`` (list of {text, plain_text, parse_mode, reply_markup,
    time} states after each edit), ``deleted``, and ``file`` for documents/photos.  The top-level
    fields always show the current (edited) state.
    ``message(chat_id, message_id) -> dict | None``, ``last_message(chat_id) -> dict``.
    ``await wait_for_messages(chat_id=None, count=1, timeout=5.0, *, since=0) -> list[dict]``: waits
    until at least ``since + count`` messages were ever sent there (deleted ones included, so indexes
    stay stable) and returns ``sent_messages(chat_id, include_deleted=True)[since:]``.
    ``await converse(chat_id, text, *, count=1, timeout=5.0, **user_message_kwargs) -> list[dict]``:
    injects a user message and returns the bot's new messages in that chat once there are ``count``.
    ``await wait_for(method, predicate=None, timeout=5.0, *, since=0) -> dict``: the first call record
    of ``method`` (already made or future) whose params satisfy ``predicate(params)``.
    ``await wait_for_callback_answer(callback_query_id, timeout=5.0) -> dict`` and
    ``await wait_for_inline_answer(inline_query_id, timeout=5.0) -> dict``.
    ``calls(method=None) -> list[dict]``: call records ``{seq, method, params, time, status, ok,
    description, parameters, result}``, status being the HTTP status answered (0 for dropped
    connections), ``parameters`` the error's response parameters (e.g. {"retry_after": 3}), ``result``
    the successful answer.  Calls are recorded when answered; a waiting getUpdates is not in it yet.
    ``await wait_for_poller(timeout=5.0)``: until a getUpdates long poll is waiting (the bot is ready).
    ``answered_callback_queries``, ``answered_inline_queries`` (each: the answer params + ``time``),
    ``commands`` (``{(scope_key, language_code): [{"command", "description"}]}``; scope_key is "default",
    "all_private_chats", "chat:<id>", ...), ``commands_for(language_code="", scope="default")``,
    ``bot_texts`` (``{("description"|"short_description"|"name", language_code): text}`` from
    setMyDescription/setMyShortDescription/setMyName), ``documents_sent`` / ``photos_sent``
    (``{chat_id, message_id, file_name, mime_type, content, caption, file_id}``), ``chat_actions``
    (``{chat_id, action, time}``), ``webhook_url``, ``pending_updates()`` (injected, not yet
    confirmed by the bot), ``stats`` (a Counter: requests, ok, errors, messages_sent,
    messages_edited, messages_deleted, rate_limited (429), forbidden (403), bad_request (400),
    dropped, injected_failures, updates_injected, files_downloaded), ``reset_stats()``.

Methods served: getMe, getUpdates, sendMessage, editMessageText, editMessageReplyMarkup,
deleteMessage, sendDocument, sendPhoto, sendChatAction, answerCallbackQuery, answerInlineQuery,
set/get/deleteMyCommands, set/getMyDescription, set/getMyShortDescription, set/getMyName,
setWebhook, deleteWebhook, getWebhookInfo, getChat, getChatMember, getChatAdministrators, getFile
(+ download under base_file_url), setChatMenuButton, leaveChat, pin/unpinChatMessage, close,
logOut.  Any other method: 404 "Not Found", as Telegram answers.

Timeouts of the ``wait_*`` helpers raise ``TimeoutError`` describing what the bot did send.

Telegram behaviour copied: text limits (4096 UTF-16 units after entity parsing, captions 1024), a strict
HTML parser (supported tags only, balanced, "&" only as &lt; &gt; &amp; &quot; or numeric entities),
"message is not modified" on no-op edits, callback_data <= 64 bytes, at most 100 buttons in an inline
keyboard ("reply markup is too long"), rate limits (429 with
``parameters.retry_after``), blocked/deactivated/kicked chats (403), migrated groups (400 with
``parameters.migrate_to_chat_id``), one getUpdates at a time (an older waiting call gets 409), and
getUpdates refusing to work while a webhook is set (409).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import itertools
import json
import math
import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

DEFAULT_TOKEN = "123456789:AAFakeTokenForAkhbarTests_0123456789ab"
DEFAULT_USER_ID = 111111
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_KEYBOARD_BUTTONS = 100

T = TypeVar("T")
B = TypeVar("B")
JSON = dict[str, Any]


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """An error answer, turned into {"ok": false, ...} by the request handler."""

    def __init__(self, error_code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters


def bad_request(description: str, parameters: JSON | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {description}", parameters)


class EntityParseError(ValueError):
    """Raised by ``parse_html`` with Telegram's wording of the problem."""


# --------------------------------------------------------------------------- HTML entities

_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_START_TAG = re.compile(
    r"<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z][a-zA-Z0-9_-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*(/?)>"
)
_END_TAG = re.compile(r"</\s*([a-zA-Z][a-zA-Z0-9-]*)\s*>")
_ATTR = re.compile(r"([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")
_HTML_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (astral characters count twice)."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


@dataclass
class _OpenTag:
    name: str
    entity: JSON | None
    start: int


def parse_html(text: str) -> tuple[str, list[JSON]]:
    """Parse Telegram-HTML into (plain text, entities) or raise ``EntityParseError``.

    Stricter than a browser on purpose, like Telegram: unknown tags, unbalanced tags and a bare "&"
    are errors, so the bot must escape whatever it did not write itself.
    """
    out: list[str] = []
    pos16 = 0
    stack: list[_OpenTag] = []
    entities: list[JSON] = []
    i = 0
    n = len(text)
    while i < n:
        lt = text.find("<", i)
        amp = text.find("&", i)
        nxt = min(x for x in (lt, amp, n) if x >= 0)
        if nxt > i:
            chunk = text[i:nxt]
            out.append(chunk)
            pos16 += utf16_len(chunk)
            i = nxt
            continue
        if text[i] == "&":
            m = _HTML_ENTITY.match(text, i)
            if not m:
                raise EntityParseError(
                    f'Character "&" must be escaped as "&amp;" (byte offset {_byte_offset(text, i)})'
                )
            body = m.group(1)
            if body.startswith("#"):
                code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
                if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise EntityParseError(f"Invalid numeric entity at byte offset {_byte_offset(text, i)}")
                ch = chr(code)
            else:
                ch = html.unescape(m.group(0))
            out.append(ch)
            pos16 += utf16_len(ch)
            i = m.end()
            continue
        # text[i] == "<"
        at = _byte_offset(text, i)
        if text.startswith("</", i):
            m = _END_TAG.match(text, i)
            if not m:
                raise EntityParseError(f"Unclosed end tag at byte offset {at}")
            name = m.group(1).lower()
            if not stack:
                raise EntityParseError(f'Unexpected end tag "{name}" at byte offset {at}')
            top = stack.pop()
            if top.name != name:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {at}, expected "</{top.name}>", found "</{name}>"'
                )
            if top.entity is not None and pos16 > top.start:
                top.entity["length"] = pos16 - top.start
                entities.append(top.entity)
            i = m.end()
            continue
        m = _START_TAG.match(text, i)
        if not m:
            if text.find(">", i) < 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {at}")
            raise EntityParseError(f"Unsupported start tag at byte offset {at}")
        name = m.group(1).lower()
        if name not in _TAG_ENTITY:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {at}')
        if m.group(3):
            raise EntityParseError(f'Tag "{name}" must not be self-closing (byte offset {at})')
        attrs = {
            a.group(1).lower(): html.unescape((a.group(2) or "").strip("\"'"))
            for a in _ATTR.finditer(m.group(2))
        }
        new: JSON = {"type": _TAG_ENTITY[name], "offset": pos16}
        entity: JSON | None = new
        if name == "a":
            if "href" not in attrs:
                entity = None
            else:
                new["url"] = attrs["href"]
        elif name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        elif name == "tg-emoji":
            if "emoji-id" not in attrs:
                raise EntityParseError(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {at}')
            new["custom_emoji_id"] = attrs["emoji-id"]
        elif name == "blockquote" and "expandable" in attrs:
            new["type"] = "expandable_blockquote"
        elif name == "code" and stack and stack[-1].name == "pre" and (pre := stack[-1].entity) is not None:
            # <pre><code class="language-x"> is one pre entity with a language, not two entities.
            language = attrs.get("class", "")
            if language.startswith("language-"):
                pre["language"] = language.removeprefix("language-")
            entity = None
        stack.append(_OpenTag(name, entity, pos16))
        i = m.end()
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def render_text(text: str, parse_mode: str | None) -> tuple[str, list[JSON]]:
    """What the user would see for ``text`` sent with ``parse_mode`` (raises ApiError on bad markup)."""
    if parse_mode and parse_mode.upper() == "HTML":
        try:
            return parse_html(text)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
    # Markdown modes are not used by Akhbar; their text is kept as is.
    return text, []


# --------------------------------------------------------------------------- rate limits


@dataclass(frozen=True)
class Limit:
    """``max_calls`` per ``period`` seconds, as a token bucket holding up to ``burst`` calls.

    A bucket, not a sliding window: like Telegram it forgives short bursts but not a sustained rate
    above the limit, and a client pacing itself with PTB's AIORateLimiter (itself a bucket with the
    same numbers) is never refused.  ``burst`` defaults to ``max_calls``.
    """

    max_calls: int
    period: float
    burst: int | None = None


SEND_METHODS = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "sendmediagroup",
        "sendaudio",
        "sendvideo",
        "sendanimation",
        "sendvoice",
        "sendsticker",
        "copymessage",
        "forwardmessage",
    }
)


@dataclass(frozen=True)
class RateLimits:
    """Telegram's flood limits for sending; ``None`` switches one off.

    ``global_limit`` counts all sends of the bot, ``per_chat`` sends into one chat, ``per_group`` sends
    into one group/supergroup/channel (negative or "@name" chat ids).  Only calls that succeed count.
    ``retry_after`` fixes the value of ``parameters.retry_after``; by default it is the whole seconds
    until the call would be accepted (at least 1).  ``methods`` are lower-case API method names that
    count.  Per chat Telegram asks for one message a second but "may allow short bursts": 3 here.
    """

    global_limit: Limit | None = Limit(30, 1.0)
    per_chat: Limit | None = Limit(1, 1.0, burst=3)
    per_group: Limit | None = Limit(20, 60.0)
    retry_after: int | None = None
    methods: frozenset[str] = SEND_METHODS

    @classmethod
    def disabled(cls) -> RateLimits:
        return cls(global_limit=None, per_chat=None, per_group=None)

    @property
    def enabled(self) -> bool:
        return any((self.global_limit, self.per_chat, self.per_group))


# Slack of 50 ms worth of calls (at least half a call), so that jitter between a well-paced client's
# limiter and our clock (connection-pool queueing, scheduling) does not turn into 429s.
_JITTER_SECONDS = 0.05


class _Bucket:
    __slots__ = ("capacity", "level", "rate", "slack", "stamp")

    def __init__(self, limit: Limit) -> None:
        self.capacity = float(limit.burst or limit.max_calls)
        self.rate = limit.max_calls / limit.period
        self.slack = max(0.5, self.rate * _JITTER_SECONDS)
        self.level = 0.0
        self.stamp: float | None = None

    def wait_time(self, now: float) -> float:
        """0 if one more call fits now, else the seconds until it would fit."""
        if self.stamp is not None:
            self.level = max(0.0, self.level - max(0.0, now - self.stamp) * self.rate)
        self.stamp = now
        if self.level + 1 <= self.capacity + self.slack:
            return 0.0
        return (self.level + 1 - self.capacity) / self.rate


# --------------------------------------------------------------------------- request parsing

# Form values are JSON-encoded by PTB except plain strings; these are always strings.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "data",
        "query",
        "callback_query_id",
        "inline_query_id",
        "next_offset",
        "file_id",
        "action",
        "inline_message_id",
        "url",
        "secret_token",
        "language_code",
        "title",
        "description",
        "business_connection_id",
        "message_effect_id",
        "custom_title",
        "emoji",
        "ip_address",
        "short_description",
        "name",
        "filename",
    }
)


def _coerce(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _chat_key(chat_id: Any) -> int | str:
    if isinstance(chat_id, bool) or chat_id is None or chat_id == "":
        raise bad_request("chat_id is empty")
    if isinstance(chat_id, int):
        return chat_id
    if isinstance(chat_id, str):
        if re.fullmatch(r"-?\d+", chat_id):
            return int(chat_id)
        return chat_id
    raise bad_request("chat not found")


def _is_group(chat_id: int | str) -> bool:
    return isinstance(chat_id, str) or chat_id < 0


def _int_param(params: JSON, name: str, default: int | None = None) -> int | None:
    value = params.get(name, default)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_BLOCK_REASONS = {
    "blocked": "Forbidden: bot was blocked by the user",
    "deactivated": "Forbidden: user is deactivated",
    "kicked": "Forbidden: bot was kicked from the group chat",
}
_DEFAULT_UPDATE_TYPES_EXCLUDED = {"chat_member", "message_reaction", "message_reaction_count"}


@dataclass
class _Fault:
    error_code: int = 500
    description: str = "Internal Server Error"
    parameters: JSON | None = None
    drop: bool = False


@dataclass
class _Upload:
    filename: str
    content_type: str
    content: bytes


# --------------------------------------------------------------------------- the server


@dataclass
class _State:
    """Everything mutable, so ``FakeTelegram`` stays readable."""

    updates: list[JSON] = field(default_factory=list)
    next_update_id: int = 100_000
    message_ids: dict[int | str, int] = field(default_factory=dict)
    messages: list[JSON] = field(default_factory=list)
    messages_by_chat: dict[int | str, list[JSON]] = field(default_factory=dict)
    message_index: dict[tuple[int | str, int], JSON] = field(default_factory=dict)
    chats: dict[int | str, JSON] = field(default_factory=dict)
    users: dict[int, JSON] = field(default_factory=dict)
    blocked: dict[int | str, str] = field(default_factory=dict)
    migrated: dict[int | str, int] = field(default_factory=dict)
    admins: dict[int | str, list[int]] = field(default_factory=dict)
    creators: dict[int | str, int] = field(default_factory=dict)
    member_status: dict[tuple[int | str, int], str] = field(default_factory=dict)
    files: dict[str, JSON] = field(default_factory=dict)
    files_by_path: dict[str, JSON] = field(default_factory=dict)
    pending_callbacks: set[str] = field(default_factory=set)
    pending_inline: set[str] = field(default_factory=set)
    faults: dict[str, deque[_Fault]] = field(default_factory=dict)


class FakeTelegram:
    """The fake Bot API server; see the module docstring for the full interface."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "akhbar_test_bot",
        rate_limits: RateLimits | None = None,
        strict_chats: bool = False,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "أخبار",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.rate_limits = rate_limits if rate_limits is not None else RateLimits()
        self.strict_chats = strict_chats
        self.latency = latency
        self.host = host
        self.port = port
        self.clock = clock

        self._s = _State()
        self._calls: list[JSON] = []
        self._seq = itertools.count(1)
        self.answered_callback_queries: list[JSON] = []
        self.answered_inline_queries: list[JSON] = []
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.documents_sent: list[JSON] = []
        self.photos_sent: list[JSON] = []
        self.chat_actions: list[JSON] = []
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.webhook_url = ""
        self.stats: Counter[str] = Counter()
        self._allowed_updates: set[str] | None = None
        self._poll_generation = 0
        self._polls_waiting = 0
        self._global_bucket: _Bucket | None = None
        self._chat_buckets: dict[int | str, _Bucket] = {}
        self._group_buckets: dict[int | str, _Bucket] = {}
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._file_counter = itertools.count(1)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024, handler_args={"handler_cancellation": True})
        app.router.add_route("*", r"/bot{token:[^/]+}/{method:[^/]*}", self._handle_api)
        app.router.add_get(r"/file/bot{token:[^/]+}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None)
        assert sockets
        self.port = sockets[0].getsockname()[1]
        self._closing = False
        return self

    async def stop(self) -> None:
        """Release waiting long polls at once, then close the listener."""
        self._closing = True
        self._bump()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def configure(self, builder: B) -> B:
        """Point a PTB ``ApplicationBuilder`` at this server: ``fake.configure(ApplicationBuilder()).build()``."""
        return builder.token(self.token).base_url(self.base_url).base_file_url(self.base_file_url)  # type: ignore[no-any-return,attr-defined]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    # ------------------------------------------------------------------ change notification

    def _bump(self) -> None:
        # Swap in a fresh Event and set the old one: every waiter re-checks its condition.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _wait_until(self, check: Callable[[], T | None], timeout: float, what: Callable[[], str]) -> T:
        try:
            async with asyncio.timeout(timeout):
                while True:
                    changed = self._changed
                    result = check()
                    if result is not None:
                        return result
                    await changed.wait()
        except TimeoutError:
            raise TimeoutError(f"fake Telegram: timed out after {timeout}s waiting for {what()}") from None

    # ------------------------------------------------------------------ set-up helpers

    def _new_message_id(self, chat_id: int | str) -> int:
        mid = self._s.message_ids.get(chat_id, 0) + 1
        self._s.message_ids[chat_id] = mid
        return mid

    def _infer_type(self, chat_id: int | str) -> str:
        if isinstance(chat_id, str):
            return "channel"
        if chat_id > 0:
            return "private"
        return "supergroup" if str(chat_id).startswith("-100") else "group"

    def add_chat(
        self,
        chat_id: int | str,
        chat_type: str | None = None,
        *,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
    ) -> JSON:
        """Register (or update) a chat; returns its Chat dict."""
        chat = self._s.chats.get(chat_id)
        if chat is None or (chat_type and chat["type"] != chat_type):
            kind = chat_type or (chat["type"] if chat else self._infer_type(chat_id))
            chat = {"id": chat_id, "type": kind}
            if kind == "private":
                chat["first_name"] = first_name or "مستخدم"
            else:
                chat["title"] = title or ("قناة" if kind == "channel" else "مجموعة")
            self._s.chats[chat_id] = chat
        if title and chat["type"] != "private":
            chat["title"] = title
        if first_name and chat["type"] == "private":
            chat["first_name"] = first_name
        if username:
            chat["username"] = username
        return chat

    def _chat(self, chat_id: int | str) -> JSON:
        chat = self._s.chats.get(chat_id)
        if chat is not None:
            return chat
        if isinstance(chat_id, str):
            for candidate in self._s.chats.values():
                if "@" + str(candidate.get("username", "")) == chat_id:
                    return candidate
        if self.strict_chats:
            raise bad_request("chat not found")
        return self.add_chat(chat_id)

    def _user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        user = self._s.users.setdefault(user_id, {"id": user_id, "is_bot": False, "first_name": "مستخدم"})
        if first_name:
            user["first_name"] = first_name
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def block_chat(self, chat_id: int | str, reason: str = "blocked") -> None:
        """Make every later call into this chat fail with 403 (reason: blocked/deactivated/kicked)."""
        if reason not in _BLOCK_REASONS:
            raise ValueError(f"unknown block reason {reason!r}; use one of {sorted(_BLOCK_REASONS)}")
        self._s.blocked[chat_id] = reason

    def unblock_chat(self, chat_id: int | str) -> None:
        self._s.blocked.pop(chat_id, None)

    def migrate_chat(self, old_id: int | str, new_id: int) -> None:
        """The group ``old_id`` became supergroup ``new_id``: calls into old_id fail with 400."""
        self._s.migrated[old_id] = new_id
        self.add_chat(new_id, "supergroup", title=self._s.chats.get(old_id, {}).get("title"))

    def set_chat_admins(
        self, chat_id: int | str, user_ids: Iterable[int], *, creator: int | None = None
    ) -> None:
        """Who getChatMember/getChatAdministrators report as administrators (and the owner)."""
        self._s.admins[chat_id] = list(user_ids)
        if creator is not None:
            self._s.creators[chat_id] = creator

    def set_member_status(self, chat_id: int | str, user_id: int, status: str) -> None:
        """Override getChatMember's status: creator, administrator, member, left or kicked."""
        self._s.member_status[(chat_id, user_id)] = status

    def add_file(self, content: bytes, filename: str, *, mime_type: str = "application/octet-stream") -> JSON:
        """Store a file the bot can fetch with getFile + download; returns the file record."""
        n = next(self._file_counter)
        suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        record: JSON = {
            "file_id": f"BQAC{n:06d}{secrets.token_hex(8)}",
            "file_unique_id": f"AgAD{n:06d}",
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(content),
            "file_path": f"documents/file_{n}.{suffix}",
            "content": content,
        }
        self._s.files[record["file_id"]] = record
        self._s.files_by_path[record["file_path"]] = record
        return record

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        times: int = 1,
        *,
        error_code: int = 500,
        description: str = "Internal Server Error",
        parameters: JSON | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` ("*" = any but getUpdates) answer this error."""
        faults = self._s.faults.setdefault(method.lower(), deque())
        faults.extend(_Fault(error_code, description, parameters) for _ in range(times))

    def drop_next(self, method: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` get their connection closed without an answer."""
        faults = self._s.faults.setdefault(method.lower(), deque())
        faults.extend(_Fault(drop=True) for _ in range(times))

    def _take_fault(self, method: str) -> _Fault | None:
        for key in (method, "*"):
            if key == "*" and method == "getupdates":
                continue
            queue = self._s.faults.get(key)
            if queue:
                return queue.popleft()
        return None

    # ------------------------------------------------------------------ injecting updates

    async def inject_update(self, body: JSON) -> JSON:
        """Queue a raw update (``update_id`` is assigned) for the bot's next getUpdates."""
        update = {"update_id": self._s.next_update_id, **body}
        self._s.next_update_id += 1
        self._s.updates.append(update)
        self.stats["updates_injected"] += 1
        self._bump()
        return update

    def _default_user_id(self, chat_id: int | str, chat_type: str) -> int:
        if chat_type == "private" and isinstance(chat_id, int):
            return chat_id
        return DEFAULT_USER_ID

    async def user_message(
        self,
        chat_id: int | str,
        text: str,
        *,
        user_id: int | None = None,
        language_code: str | None = "ar",
        chat_type: str | None = None,
        first_name: str = "مستخدم",
        last_name: str | None = None,
        username: str | None = None,
        title: str | None = None,
        entities: list[JSON] | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """A text message from a user (or a channel post) arriving in ``chat_id``."""
        message = self._incoming_message(
            chat_id,
            user_id=user_id,
            language_code=language_code,
            chat_type=chat_type,
            first_name=first_name,
            last_name=last_name,
            username=username,
            title=title,
        )
        message["text"] = text
        if entities is None:
            entities = []
            if text.startswith("/"):
                command = re.split(r"\s", text, maxsplit=1)[0]
                entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        if entities:
            message["entities"] = entities
        if reply_to_message_id is not None:
            replied = self._s.message_index.get((message["chat"]["id"], reply_to_message_id))
            if replied is not None:
                message["reply_to_message"] = self._message_json(replied)
        return await self._inject_message(message)

    async def document(
        self,
        chat_id: int | str,
        filename: str,
        content: bytes,
        *,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        user_id: int | None = None,
        language_code: str | None = "ar",
        chat_type: str | None = None,
    ) -> JSON:
        """A user sends a file (e.g. an .opml export); the bot can download it via getFile."""
        record = self.add_file(content, filename, mime_type=mime_type)
        message = self._incoming_message(
            chat_id, user_id=user_id, language_code=language_code, chat_type=chat_type
        )
        message["document"] = {
            k: record[k] for k in ("file_id", "file_unique_id", "file_name", "mime_type", "file_size")
        }
        if caption is not None:
            message["caption"] = caption
        return await self._inject_message(message)

    def _incoming_message(
        self,
        chat_id: int | str,
        *,
        user_id: int | None,
        language_code: str | None,
        chat_type: str | None,
        first_name: str = "مستخدم",
        last_name: str | None = None,
        username: str | None = None,
        title: str | None = None,
    ) -> JSON:
        chat = self.add_chat(chat_id, chat_type, title=title, first_name=first_name)
        kind = chat["type"]
        message: JSON = {
            "message_id": self._new_message_id(chat_id),
            "date": int(time.time()),
            "chat": dict(chat),
        }
        if kind == "channel":
            message["sender_chat"] = dict(chat)
        else:
            uid = user_id if user_id is not None else self._default_user_id(chat_id, kind)
            message["from"] = dict(
                self._user(
                    uid,
                    first_name=first_name,
                    last_name=last_name,
                    username=username,
                    language_code=language_code,
                )
            )
            if language_code is None:
                message["from"].pop("language_code", None)
        return message

    async def _inject_message(self, message: JSON) -> JSON:
        key = "channel_post" if message["chat"]["type"] == "channel" else "message"
        return await self.inject_update({key: message})

    async def callback_query(
        self,
        chat_id: int | str,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        language_code: str | None = "ar",
    ) -> JSON:
        """A user presses an inline button carrying ``data`` under the bot's message ``message_id``."""
        chat = self._chat(chat_id)
        uid = user_id if user_id is not None else self._default_user_id(chat_id, chat["type"])
        record = self._s.message_index.get((chat_id, message_id))
        if record is not None:
            message = self._message_json(record)
        else:
            message = {"message_id": message_id, "date": 0, "chat": dict(chat)}
        query_id = f"{secrets.randbits(60)}"
        self._s.pending_callbacks.add(query_id)
        query: JSON = {
            "id": query_id,
            "from": dict(self._user(uid, language_code=language_code)),
            "chat_instance": str(abs(hash((chat_id, self.bot_id)))),
            "data": data,
            "message": message,
        }
        return await self.inject_update({"callback_query": query})

    async def inline_query(
        self,
        query: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        offset: str = "",
        language_code: str | None = "ar",
        chat_type: str | None = "private",
    ) -> JSON:
        """A user types ``@bot query`` somewhere."""
        query_id = f"{secrets.randbits(60)}"
        self._s.pending_inline.add(query_id)
        body: JSON = {
            "id": query_id,
            "from": dict(self._user(user_id, language_code=language_code)),
            "query": query,
            "offset": offset,
        }
        if chat_type:
            body["chat_type"] = chat_type
        return await self.inject_update({"inline_query": body})

    async def chat_member_update(
        self,
        chat_id: int | str,
        *,
        old_status: str,
        new_status: str,
        user_id: int | None = None,
        chat_type: str | None = None,
        title: str | None = None,
        language_code: str | None = "ar",
    ) -> JSON:
        """A ``my_chat_member`` update: the bot's own membership in ``chat_id`` changed."""
        chat = self.add_chat(chat_id, chat_type, title=title)
        uid = user_id if user_id is not None else self._default_user_id(chat_id, chat["type"])

        def member(status: str) -> JSON:
            return self._member_json(chat_id, self.bot_user, status)

        body = {
            "chat": dict(chat),
            "from": dict(self._user(uid, language_code=language_code)),
            "date": int(time.time()),
            "old_chat_member": member(old_status),
            "new_chat_member": member(new_status),
        }
        return await self.inject_update({"my_chat_member": body})

    async def bot_added_to_group(
        self, chat_id: int, *, title: str = "مجموعة", chat_type: str = "group", user_id: int | None = None
    ) -> JSON:
        self.unblock_chat(chat_id)
        return await self.chat_member_update(
            chat_id, old_status="left", new_status="member", user_id=user_id, chat_type=chat_type, title=title
        )

    async def user_blocked_bot(self, chat_id: int) -> JSON:
        """The user blocks the bot: the my_chat_member update, and 403 on later sends."""
        self.block_chat(chat_id, "blocked")
        return await self.chat_member_update(
            chat_id, old_status="member", new_status="kicked", chat_type="private"
        )

    # ------------------------------------------------------------------ reading

    def sent_messages(self, chat_id: int | str | None = None, *, include_deleted: bool = False) -> list[JSON]:
        source = self._s.messages if chat_id is None else self._s.messages_by_chat.get(chat_id, [])
        if include_deleted:
            return list(source)
        return [m for m in source if not m["deleted"]]

    def message(self, chat_id: int | str, message_id: int) -> JSON | None:
        return self._s.message_index.get((chat_id, message_id))

    def last_message(self, chat_id: int | str) -> JSON:
        messages = self.sent_messages(chat_id)
        if not messages:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}")
        return messages[-1]

    def calls(self, method: str | None = None) -> list[JSON]:
        if method is None:
            return list(self._calls)
        wanted = method.lower()
        return [c for c in self._calls if c["method"].lower() == wanted]

    def commands_for(self, language_code: str = "", scope: str = "default") -> list[JSON]:
        return self.commands.get((scope, language_code), [])

    def reset_stats(self) -> None:
        self.stats.clear()

    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by the bot (via a later getUpdates offset)."""
        return list(self._s.updates)

    def _describe_sent(self, chat_id: int | str | None) -> str:
        sent = self.sent_messages(chat_id)
        errors = [f"{c['method']}→{c['status']} {c['description']}" for c in self._calls if not c["ok"]][-5:]
        texts = [m["plain_text"][:80] for m in sent[-5:]]
        return f"(sent so far to {chat_id!r}: {len(sent)} messages, last: {texts}; recent errors: {errors})"

    async def wait_for_messages(
        self, chat_id: int | str | None = None, count: int = 1, timeout: float = 5.0, *, since: int = 0
    ) -> list[JSON]:
        # Counts every message ever sent (deleted ones too) so that ``since`` indexes stay stable.
        def check() -> list[JSON] | None:
            sent = self._s.messages if chat_id is None else self._s.messages_by_chat.get(chat_id, [])
            return list(sent[since:]) if len(sent) >= since + count else None

        return await self._wait_until(
            check,
            timeout,
            lambda: f"{since + count} messages to chat {chat_id} {self._describe_sent(chat_id)}",
        )

    async def converse(
        self, chat_id: int | str, text: str, *, count: int = 1, timeout: float = 5.0, **kwargs: Any
    ) -> list[JSON]:
        """Send ``text`` as the user and return the bot's next ``count`` (or more) messages there."""
        since = len(self.sent_messages(chat_id, include_deleted=True))
        await self.user_message(chat_id, text, **kwargs)
        return await self.wait_for_messages(chat_id, count, timeout, since=since)

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[JSON], bool] | None = None,
        timeout: float = 5.0,
        *,
        since: int = 0,
    ) -> JSON:
        wanted = method.lower()
        scanned = 0

        def check() -> JSON | None:
            nonlocal scanned
            calls = self._calls
            start, scanned = scanned, len(calls)
            for call in itertools.islice(calls, start, None):
                if (
                    call["seq"] > since
                    and call["method"].lower() == wanted
                    and (predicate is None or predicate(call["params"]))
                ):
                    return call
            return None

        return await self._wait_until(check, timeout, lambda: f"a {method} call {self._describe_sent(None)}")

    async def wait_for_poller(self, timeout: float = 5.0) -> None:
        """Wait until a getUpdates long poll is parked here (the bot is ready to receive updates)."""
        await self._wait_until(
            lambda: True if self._polls_waiting else None, timeout, lambda: "a waiting getUpdates call"
        )

    async def wait_for_callback_answer(self, callback_query_id: str, timeout: float = 5.0) -> JSON:
        def check() -> JSON | None:
            return next(
                (a for a in self.answered_callback_queries if a["callback_query_id"] == callback_query_id),
                None,
            )

        return await self._wait_until(check, timeout, lambda: f"answerCallbackQuery({callback_query_id})")

    async def wait_for_inline_answer(self, inline_query_id: str, timeout: float = 5.0) -> JSON:
        def check() -> JSON | None:
            return next(
                (a for a in self.answered_inline_queries if a["inline_query_id"] == inline_query_id), None
            )

        return await self._wait_until(check, timeout, lambda: f"answerInlineQuery({inline_query_id})")

    # ------------------------------------------------------------------ HTTP handlers

    async def _read_params(self, request: web.Request) -> tuple[JSON, dict[str, _Upload]]:
        params: JSON = {name: _coerce(name, value) for name, value in request.query.items()}
        uploads: dict[str, _Upload] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[name] = _Upload(
                            value.filename or name,
                            value.content_type or "application/octet-stream",
                            value.file.read(),
                        )
                    elif isinstance(value, str):
                        params[name] = _coerce(name, value)
                    else:  # bytes
                        params[name] = _coerce(name, bytes(value).decode())
                for name, upload in uploads.items():
                    # Call records show what was uploaded without keeping the bytes twice.
                    params.setdefault(name, f"<upload {upload.filename!r}, {len(upload.content)} bytes>")
        return params, uploads

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        record = self._s.files_by_path.get(request.match_info["path"])
        if record is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        self.stats["files_downloaded"] += 1
        return web.Response(body=record["content"], content_type=record["mime_type"])

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        key = method.lower()
        self.stats["requests"] += 1
        if request.match_info["token"] != self.token:
            return self._error_response(None, method, {}, ApiError(401, "Unauthorized"))
        try:
            params, uploads = await self._read_params(request)
        except (ValueError, UnicodeDecodeError):
            return self._error_response(None, method, {}, bad_request("can't parse request body"))
        if key != "getupdates":
            fault = self._take_fault(key)
            if fault is not None:
                self.stats["injected_failures"] += 1
                if fault.drop:
                    self._record(method, params, 0, False, "connection dropped")
                    self.stats["dropped"] += 1
                    self.stats["errors"] += 1
                    if request.transport is not None:
                        request.transport.abort()
                    # The transport is gone, so this answer is never written; aiohttp drops it quietly.
                    return web.Response(status=500)
                return self._error_response(
                    None, method, params, ApiError(fault.error_code, fault.description, fault.parameters)
                )
            if self.latency:
                await asyncio.sleep(self.latency)
        handler = _HANDLERS.get(key)
        if handler is None:
            return self._error_response(None, method, params, ApiError(404, "Not Found"))
        try:
            result = handler(self, params, uploads)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as exc:
            return self._error_response(None, method, params, exc)
        self.stats["ok"] += 1
        self._record(method, params, 200, True, "", result=result)
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    def _error_response(self, _: None, method: str, params: JSON, exc: ApiError) -> web.Response:
        self.stats["errors"] += 1
        named = {429: "rate_limited", 403: "forbidden", 400: "bad_request"}.get(exc.error_code)
        if named:
            self.stats[named] += 1
        self._record(method, params, exc.error_code, False, exc.description, exc.parameters)
        body: JSON = {"ok": False, "error_code": exc.error_code, "description": exc.description}
        if exc.parameters:
            body["parameters"] = exc.parameters
        return web.json_response(body, status=exc.error_code, dumps=_dumps)

    def _record(
        self,
        method: str,
        params: JSON,
        status: int,
        ok: bool,
        description: str,
        parameters: JSON | None = None,
        result: Any = None,
    ) -> None:
        self._calls.append(
            {
                "seq": next(self._seq),
                "method": method,
                "params": params,
                "time": self.clock(),
                "status": status,
                "ok": ok,
                "description": description,
                "parameters": parameters,
                "result": result,
            }
        )
        self._bump()

    # ------------------------------------------------------------------ shared checks

    def _target_chat(self, params: JSON) -> tuple[int | str, JSON]:
        """Resolve chat_id and apply the blocked/migrated/strict rules Telegram applies to any call."""
        chat_id = _chat_key(params.get("chat_id"))
        if chat_id in self._s.migrated:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._s.migrated[chat_id]},
            )
        chat = self._chat(chat_id)
        reason = self._s.blocked.get(chat_id)
        if reason is not None:
            description = _BLOCK_REASONS[reason]
            if reason == "kicked" and chat["type"] in ("supergroup", "channel"):
                description = "Forbidden: bot was kicked from the supergroup chat"
            raise ApiError(403, description)
        return chat["id"], chat

    def _check_rate(self, method: str, chat_id: int | str) -> None:
        limits = self.rate_limits
        if not limits.enabled or method not in limits.methods:
            return
        now = self.clock()
        buckets: list[_Bucket] = []
        if limits.global_limit:
            if self._global_bucket is None:
                self._global_bucket = _Bucket(limits.global_limit)
            buckets.append(self._global_bucket)
        if limits.per_chat:
            buckets.append(self._chat_buckets.setdefault(chat_id, _Bucket(limits.per_chat)))
        if limits.per_group and _is_group(chat_id):
            buckets.append(self._group_buckets.setdefault(chat_id, _Bucket(limits.per_group)))
        wait = max(b.wait_time(now) for b in buckets)
        if wait > 0:
            retry_after = limits.retry_after if limits.retry_after is not None else max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        for bucket in buckets:
            bucket.level += 1

    def _message_json(self, record: JSON) -> JSON:
        chat = self._s.chats.get(record["chat_id"]) or {"id": record["chat_id"], "type": "private"}
        message: JSON = {
            "message_id": record["message_id"],
            "from": dict(self.bot_user),
            "chat": dict(chat),
            "date": record["date"],
        }
        if record["edits"]:
            message["edit_date"] = int(time.time())
        if record["kind"] == "text":
            message["text"] = record["plain_text"]
            if record["entities"]:
                message["entities"] = record["entities"]
            if record["link_preview_options"]:
                message["link_preview_options"] = record["link_preview_options"]
        else:
            file = record["file"]
            if record["kind"] == "document":
                message["document"] = {
                    k: file[k] for k in ("file_id", "file_unique_id", "file_name", "mime_type", "file_size")
                }
            else:
                message["photo"] = [
                    {
                        "file_id": file["file_id"],
                        "file_unique_id": file["file_unique_id"],
                        "width": 320,
                        "height": 240,
                        "file_size": file["file_size"],
                    }
                ]
            if record["text"] is not None:
                message["caption"] = record["plain_text"]
                if record["entities"]:
                    message["caption_entities"] = record["entities"]
        markup = record["reply_markup"]
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _store_message(
        self, chat_id: int | str, kind: str, params: JSON, text: str | None, plain: str, entities: list[JSON]
    ) -> JSON:
        lpo = params.get("link_preview_options")
        record: JSON = {
            "chat_id": chat_id,
            "message_id": self._new_message_id(chat_id),
            "kind": kind,
            "text": text,
            "plain_text": plain,
            "entities": entities,
            "parse_mode": params.get("parse_mode"),
            "reply_markup": params.get("reply_markup"),
            "link_preview_options": lpo if isinstance(lpo, dict) else None,
            "disable_web_page_preview": bool(
                params.get("disable_web_page_preview") or (isinstance(lpo, dict) and lpo.get("is_disabled"))
            ),
            "disable_notification": bool(params.get("disable_notification")),
            "params": params,
            "date": int(time.time()),
            "time": self.clock(),
            "edits": [],
            "deleted": False,
            "file": None,
        }
        self._s.messages.append(record)
        self._s.messages_by_chat.setdefault(chat_id, []).append(record)
        self._s.message_index[(chat_id, record["message_id"])] = record
        self.stats["messages_sent"] += 1
        return record

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if sum(len(row) for row in markup.get("inline_keyboard", [])) > MAX_KEYBOARD_BUTTONS:
            raise bad_request("reply markup is too long")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not str(button.get("text", "")).strip():
                    raise bad_request("BUTTON_TEXT_EMPTY")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")

    def _render(self, text: Any, parse_mode: Any, *, caption: bool) -> tuple[str, list[JSON]]:
        plain, entities = render_text(str(text), parse_mode if isinstance(parse_mode, str) else None)
        limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
        if utf16_len(plain) > limit:
            raise bad_request("message caption is too long" if caption else "message is too long")
        if not caption and not plain.strip():
            raise bad_request("message text is empty")
        return plain, entities

    def _find_message(self, params: JSON, missing: str) -> JSON | None:
        if params.get("inline_message_id"):
            return None
        chat_id, _ = self._target_chat(params)
        message_id = _int_param(params, "message_id")
        record = self._s.message_index.get((chat_id, message_id or 0))
        if record is None or record["deleted"]:
            raise bad_request(missing)
        return record

    # ------------------------------------------------------------------ API methods

    def api_getme(self, params: JSON, uploads: dict[str, _Upload]) -> JSON:
        return dict(self.bot_user)

    async def api_getupdates(self, params: JSON, uploads: dict[str, _Upload]) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        offset = _int_param(params, "offset", 0) or 0
        limit = min(max(_int_param(params, "limit", 100) or 100, 1), 100)
        timeout = max(_int_param(params, "timeout", 0) or 0, 0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = set(allowed) or None
        self._poll_generation += 1
        generation = self._poll_generation
        self._bump()  # an older waiting getUpdates must notice it was superseded
        self._confirm(offset)
        deadline = time.monotonic() + timeout  # real time even when rate limits use a fake clock
        self._polls_waiting += 1
        self._bump()
        try:
            while True:
                changed = self._changed
                self._drop_unwanted()
                if self._s.updates or timeout == 0 or self._closing:
                    return self._s.updates[:limit]
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await changed.wait()
        finally:
            self._polls_waiting -= 1

    def _confirm(self, offset: int) -> None:
        updates = self._s.updates
        if offset > 0:
            self._s.updates = [u for u in updates if u["update_id"] >= offset]
        elif offset < 0:
            self._s.updates = updates[offset:]

    def _drop_unwanted(self) -> None:
        allowed = self._allowed_updates

        def wanted(update: JSON) -> bool:
            kind = next(k for k in update if k != "update_id")
            return kind in allowed if allowed is not None else kind not in _DEFAULT_UPDATE_TYPES_EXCLUDED

        self._s.updates = [u for u in self._s.updates if wanted(u)]

    def api_sendmessage(self, params: JSON, uploads: dict[str, _Upload]) -> JSON:
        chat_id, _ = self._target_chat(params)
        if "text" not in params:
            raise bad_request("message text is empty")
        text = str(params["text"])
        plain, entities = self._render(text, params.get("parse_mode"), caption=False)
        if params.get("entities") and not params.get("parse_mode"):
            entities = params["entities"]
        self._check_markup(params.get("reply_markup"))
        self._check_rate("sendmessage", chat_id)
        record = self._store_message(chat_id, "text", params, text, plain, entities)
        return self._message_json(record)

    def _send_file(self, kind: str, params: JSON, uploads: dict[str, _Upload]) -> JSON:
        chat_id, _ = self._target_chat(params)
        field_name = "document" if kind == "document" else "photo"
        upload = uploads.get(field_name)
        value = params.get(field_name)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
        if upload is not None:
            file = self.add_file(upload.content, upload.filename, mime_type=upload.content_type)
        elif isinstance(value, str) and value in self._s.files:
            file = self._s.files[value]
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            file = self.add_file(b"", value.rsplit("/", 1)[-1] or "file")
        else:
            raise bad_request(f"there is no {field_name} in the request")
        caption = params.get("caption")
        plain, entities = "", []  # type: tuple[str, list[JSON]]
        if caption is not None:
            plain, entities = self._render(caption, params.get("parse_mode"), caption=True)
        self._check_markup(params.get("reply_markup"))
        self._check_rate("send" + kind, chat_id)
        record = self._store_message(
            chat_id, kind, params, None if caption is None else str(caption), plain, entities
        )
        record["file"] = file
        entry = {
            "chat_id": chat_id,
            "message_id": record["message_id"],
            "file_name": file["file_name"],
            "mime_type": file["mime_type"],
            "content": file["content"],
            "caption": caption,
            "file_id": file["file_id"],
        }
        (self.documents_sent if kind == "document" else self.photos_sent).append(entry)
        return self._message_json(record)

    def api_senddocument(self, params: JSON, uploads: dict[str, _Upload]) -> JSON:
        return self._send_file("document", params, uploads)

    def api_sendphoto(self, params: JSON, uploads: dict[str, _Upload]) -> JSON:
        return self._send_file("photo", params, uploads)

    def api_editmessagetext(self, params: JSON, uploads: dict[str, _Upload]) -> JSON | bool:
        if "text" not in params:
            raise bad_request("message text is empty")
        text = str(params["text"])
        plain, entities = self._render(text, params.get("parse_mode"), caption=False)
        self._check_markup(params.get("reply_markup"))
        record = self._find_message(params, "message to edit not found")
        if record is None:
            return True  # inline message: nothing stored to compare with
        if record["kind"] != "text":
            raise bad_request("there is no text in the message to edit")
        markup = params.get("reply_markup")
        if (
            plain == record["plain_text"]
            and entities == record["entities"]
            and markup == record["reply_markup"]
        ):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
            )
        lpo = params.get("link_preview_options")
        record.update(
            text=text,
            plain_text=plain,
            entities=entities,
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            link_preview_options=lpo if isinstance(lpo, dict) else None,
        )
        self._note_edit(record)
        return self._message_json(record)

    def api_editmessagereplymarkup(self, params: JSON, uploads: dict[str, _Upload]) -> JSON | bool:
        self._check_markup(params.get("reply_markup"))
        record = self._find_message(params, "message to edit not found")
        if record is None:
            return True
        markup = params.get("reply_markup")
        if markup == record["reply_markup"] or (not markup and not record["reply_markup"]):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
            )
        record["reply_markup"] = markup
        self._note_edit(record)
        return self._message_json(record)

    def _note_edit(self, record: JSON) -> None:
        record["edits"].append(
            {
                "text": record["text"],
                "plain_text": record["plain_text"],
                "parse_mode": record["parse_mode"],
                "reply_markup": record["reply_markup"],
                "time": self.clock(),
            }
        )
        self.stats["messages_edited"] += 1

    def api_deletemessage(self, params: JSON, uploads: dict[str, _Upload]) -> bool:
        record = self._find_message(params, "message to delete not found")
        if record is not None:
            record["deleted"] = True
            self.stats["messages_deleted"] += 1
        return True

    def api_answercallbackquery(self, params: JSON, uploads: dict[str, _Upload]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._s.pending_callbacks:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self._s.pending_callbacks.discard(query_id)
        self.answered_callback_queries.append({**params, "callback_query_id": query_id, "time": self.clock()})
        return True

    def api_answerinlinequery(self, params: JSON, uploads: dict[str, _Upload]) -> bool:
        query_id = str(params.get("inline_query_id", ""))
        if query_id not in self._s.pending_inline:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        results = params.get("results")
        if not isinstance(results, list):
            raise bad_request("can't parse inline query results")
        if len(results) > 50:
            raise bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            rid = str(result.get("id", ""))
            if not 1 <= len(rid.encode()) <= 64:
                raise bad_request("RESULT_ID_INVALID")
            if rid in seen:
                raise bad_request("RESULT_ID_DUPLICATE")
            seen.add(rid)
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                self._render(content["message_text"], content.get("parse_mode"), caption=False)
            self._check_markup(result.get("reply_markup"))
        if len(str(params.get("next_offset", "")).encode()) > 64:
            raise bad_request("NEXT_OFFSET_INVALID")
        self._s.pending_inline.discard(query_id)
        self.answered_inline_queries.append({**params, "inline_query_id": query_id, "time": self.clock()})
        return True

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if not isinstance(scope, dict):
            return "default"
        key = str(scope.get("type", "default"))
        for part in ("chat_id", "user_id"):
            if part in scope:
                key += f":{scope[part]}"
        return key

    def api_setmycommands(self, params: JSON, uploads: dict[str, _Upload]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not _COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise bad_request("command description is empty")
        language = str(params.get("language_code") or "")
        self.commands[(self._scope_key(params.get("scope")), language)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def api_getmycommands(self, params: JSON, uploads: dict[str, _Upload]) -> list[JSON]:
        language = str(params.get("language_code") or "")
        return self.commands.get((self._scope_key(params.get("scope")), language), [])

    def api_deletemycommands(self, params: JSON, uploads: dict[str, _Upload]) -> bool:
        language = str(params.get("language_code") or "")
        self.commands.pop((self._scope_key(params.get("scope")), language), None)
        return True

    def api_deletewebhook(self, params: JSON, uploads: dict[str, _Upload]) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._s.updates.clear()
        return True

    def api_setwebhook(self, params: JSON, uploads: dict[str, _Upload]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        if params.get("drop_pending_updates"):
            self._s.updates.clear()
        self._bump()
        return True

    def api_getwebhookinfo(self, params: JSON, uploads: dict[str, _Upload]) -> JSON:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._s.updates),
        }

    def api_sendchataction(self, params: JSON, uploads: dict[str, _Upload]) -> bool:
        chat_id, _ = self._target_chat(params)
        self.chat_actions.append({"chat_id": chat_id, "action": params.get("action"), "time": self.clock()})
        return True

    def _member_status(self, chat_id: int | str, user_id: int) -> str:
        explicit = self._s.member_status.get((chat_id, user_id))
        if explicit:
            return explicit
        if self._s.creators.get(chat_id) == user_id:
            return "creator"
        if user_id in self._s.admins.get(chat_id, []):
            return "administrator"
        return "member"

    def _member_json(self, chat_id: int | str, user: JSON, status: str) -> JSON:
        member: JSON = {"status": status, "user": dict(user)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_pin_messages=True,
            )
        elif status == "kicked":
            member["until_date"] = 0
        elif status == "restricted":  # muted: a member who may send nothing
            rights = (
                "change_info invite_users pin_messages send_messages send_polls send_other_messages"
                " add_web_page_previews manage_topics send_audios send_documents send_photos send_videos"
                " send_video_notes send_voice_notes edit_tag react_to_messages"
            )
            member.update({f"can_{right}": False for right in rights.split()}, is_member=True, until_date=0)
        return member

    def _user_json(self, user_id: int) -> JSON:
        if user_id == self.bot_id:
            return dict(self.bot_user)
        return dict(self._s.users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "مستخدم"})

    def api_getchatmember(self, params: JSON, uploads: dict[str, _Upload]) -> JSON:
        chat_id, _ = self._target_chat(params)
        user_id = _int_param(params, "user_id")
        if user_id is None:
            raise bad_request("user not found")
        return self._member_json(chat_id, self._user_json(user_id), self._member_status(chat_id, user_id))

    def api_getchatadministrators(self, params: JSON, uploads: dict[str, _Upload]) -> list[JSON]:
        chat_id, chat = self._target_chat(params)
        if chat["type"] == "private":
            raise bad_request("there are no administrators in the private chat")
        members = []
        creator = self._s.creators.get(chat_id)
        if creator is not None:
            members.append(self._member_json(chat_id, self._user_json(creator), "creator"))
        for uid in self._s.admins.get(chat_id, []):
            if uid != creator:
                members.append(self._member_json(chat_id, self._user_json(uid), "administrator"))
        return members

    def api_getchat(self, params: JSON, uploads: dict[str, _Upload]) -> JSON:
        _, chat = self._target_chat(params)
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def api_getfile(self, params: JSON, uploads: dict[str, _Upload]) -> JSON:
        record = self._s.files.get(str(params.get("file_id", "")))
        if record is None:
            raise bad_request("invalid file_id")
        return {k: record[k] for k in ("file_id", "file_unique_id", "file_size", "file_path")}

    def _bot_text(self, kind: str, params: JSON, *, limit: int, set_: bool) -> Any:
        language = str(params.get("language_code") or "")
        if not set_:
            return {kind: self.bot_texts.get((kind, language), "")}
        value = str(params.get(kind) or "")
        if len(value) > limit:
            raise bad_request(f"{kind} is too long")
        self.bot_texts[(kind, language)] = value
        return True

    def api_setmydescription(self, params: JSON, uploads: dict[str, _Upload]) -> Any:
        return self._bot_text("description", params, limit=512, set_=True)

    def api_getmydescription(self, params: JSON, uploads: dict[str, _Upload]) -> Any:
        return self._bot_text("description", params, limit=512, set_=False)

    def api_setmyshortdescription(self, params: JSON, uploads: dict[str, _Upload]) -> Any:
        return self._bot_text("short_description", params, limit=120, set_=True)

    def api_getmyshortdescription(self, params: JSON, uploads: dict[str, _Upload]) -> Any:
        return self._bot_text("short_description", params, limit=120, set_=False)

    def api_setmyname(self, params: JSON, uploads: dict[str, _Upload]) -> Any:
        return self._bot_text("name", params, limit=64, set_=True)

    def api_getmyname(self, params: JSON, uploads: dict[str, _Upload]) -> Any:
        return self._bot_text("name", params, limit=64, set_=False)

    def _chat_only(self, params: JSON, uploads: dict[str, _Upload]) -> bool:
        self._target_chat(params)
        return True

    def api_setchatmenubutton(self, params: JSON, uploads: dict[str, _Upload]) -> bool:
        return True

    # Accepted and recorded (see ``calls``) but without state of their own.
    api_leavechat = _chat_only
    api_pinchatmessage = _chat_only
    api_unpinchatmessage = _chat_only

    def api_close(self, params: JSON, uploads: dict[str, _Upload]) -> bool:
        return True

    def api_logout(self, params: JSON, uploads: dict[str, _Upload]) -> bool:
        return True


_Handler = Callable[[FakeTelegram, JSON, dict[str, _Upload]], Any | Awaitable[Any]]
_HANDLERS: dict[str, _Handler] = {
    name.removeprefix("api_"): getattr(FakeTelegram, name)
    for name in dir(FakeTelegram)
    if name.startswith("api_")
}


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


# --------------------------------------------------------------------------- running in a thread


class FakeTelegramThread:
    """Runs a ``FakeTelegram`` on its own event loop in a daemon thread (for benchmarks).

    ``with FakeTelegramThread(rate_limits=RateLimits()) as t:`` -- then use ``t.fake.base_url`` etc.,
    and ``t.run(t.fake.user_message(1, "/start"))`` to call the async API from the caller's thread.
    Reading counters (``t.fake.stats``) from the caller's thread is fine once the bot is idle.
    """

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-telegram", daemon=True)
        self._fake: FakeTelegram | None = None

    @property
    def fake(self) -> FakeTelegram:
        assert self._fake is not None, "FakeTelegramThread is not started"
        return self._fake

    def run(self, coro: Awaitable[T], timeout: float | None = 30.0) -> T:
        async def wrapper() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrapper(), self.loop).result(timeout)

    def start(self) -> FakeTelegram:
        self._thread.start()

        async def make() -> FakeTelegram:
            return await FakeTelegram(**self._kwargs).start()

        self._fake = self.run(make())
        return self._fake

    def stop(self) -> None:
        if self._fake is not None:
            self.run(self._fake.stop())
            self._fake = None
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    def __enter__(self) -> FakeTelegramThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m tests.fakes.telegram_api --port 8081``: serve until interrupted."""
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server for local runs")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--limits", choices=("telegram", "none"), default="telegram")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    args = parser.parse_args(argv)

    async def serve() -> None:
        limits = RateLimits() if args.limits == "telegram" else RateLimits.disabled()
        fake = FakeTelegram(
            token=args.token, host=args.host, port=args.port, rate_limits=limits, latency=args.latency
        )
        await fake.start()
        print(f"fake Telegram listening: base_url={fake.base_url} token={fake.token}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await fake.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
