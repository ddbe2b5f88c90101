"""config.toml: loading and validation.

Validation names the bad key and why; the CLI turns a ConfigError into exit code 2 before anything
starts, so a typo never half-starts the bot.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.search.analyzer import query_groups
from bot.subscribers import prefs

DEFAULT_CONFIG = Path("config.toml")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,4})?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# What @BotFather hands out: "123456789:AA..." (the bot's id, a colon, a 35-character secret).
_TOKEN_LIKE = re.compile(r"^\s*\d{5,}:[A-Za-z0-9_-]{20,}\s*$")
# Keys people write a token or secret under, when it belongs in an environment variable.
_SECRET_KEYS = {
    "token",
    "bot_token",
    "telegram_token",
    "api_token",
    "secret",
    "secret_token",
    "webhook_secret",
}


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file, the key and the reason."""


def parse_duration(value: Any) -> float:
    """Seconds from 90, 90.5, "90s", "10m", "1h" or "1d"."""
    if isinstance(value, bool):
        raise ValueError("expected seconds or a duration such as '90s', '10m', '1h'")
    if isinstance(value, int | float):
        # TOML has inf and nan: an infinite interval or history would overflow the scheduler's dates.
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a duration: use a finite number of seconds")
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _UNITS[match.group(2)]
    raise ValueError(f"{value!r} is not a duration: use seconds or '90s', '10m', '1h', '1d'")


Duration = Annotated[float, BeforeValidator(parse_duration)]


def _http_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


HttpUrl = Annotated[str, BeforeValidator(lambda v: _http_url(v) if isinstance(v, str) else v)]


def _env_name(value: str) -> str:
    # The value is never quoted back: people paste the secret itself here.
    if _TOKEN_LIKE.match(value):
        raise ValueError(
            "this is a token itself, not the name of an environment variable: put the token in an "
            "environment variable and write that variable's name here (e.g. TELEGRAM_BOT_TOKEN)"
        )
    if not _ENV_NAME.match(value):
        raise ValueError(
            "must be the name of an environment variable (letters, digits and _), e.g. TELEGRAM_BOT_TOKEN"
        )
    return value


EnvName = Annotated[str, AfterValidator(_env_name)]


def _nonblank(value: str) -> str:
    # A name of spaces shows as nothing on a button or a card.
    if not value.strip():
        raise ValueError("must not be blank")
    return value


NonBlank = Annotated[str, AfterValidator(_nonblank)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookConfig(_Strict):
    listen: str = "127.0.0.1"
    port: int = Field(8443, ge=1, le=65535)
    url_path: str = "telegram"
    webhook_url: HttpUrl | None = None
    secret_token_env: EnvName = "TELEGRAM_WEBHOOK_SECRET"

    @field_validator("webhook_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and urlparse(value).scheme != "https":
            raise ValueError("Telegram delivers webhooks to https:// URLs only")
        return value


class TelegramConfig(_Strict):
    token_env: EnvName = "TELEGRAM_BOT_TOKEN"
    api_base_url: HttpUrl = "https://api.telegram.org/bot"
    api_base_file_url: HttpUrl | None = None
    admins: list[int] = Field(default_factory=list)
    mode: Literal["polling", "webhook"] = "polling"
    webhook: WebhookConfig = Field(default_factory=WebhookConfig)
    # Telegram's own guidance: 30 messages/s overall, 20/min per group, about 1/s per chat.
    max_messages_per_second: float = Field(30.0, gt=0)
    max_messages_per_chat_per_second: float = Field(1.0, gt=0)
    max_messages_per_group_per_minute: float = Field(20.0, gt=0)
    poll_timeout: Duration = Field(10.0, ge=0)

    @field_validator("admins")
    @classmethod
    def _user_ids(cls, value: list[int]) -> list[int]:
        # Commands come from users, whose ids are positive; a group's (negative) id never matches.
        for i, user_id in enumerate(value):
            if user_id <= 0:
                raise ValueError(f"[{i}]: {user_id} is not a Telegram user id (ask @userinfobot for yours)")
        return value

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> TelegramConfig:
        # Without it python-telegram-bot registers https://<listen>:<port>/..., which Telegram
        # cannot reach: the bot would start and never hear from anyone.
        if self.mode == "webhook" and not self.webhook.webhook_url:
            raise ValueError(
                "webhook.webhook_url: required when mode is 'webhook' "
                "(the public https:// URL Telegram posts updates to)"
            )
        return self

    @property
    def file_url(self) -> str:
        if self.api_base_file_url:
            return self.api_base_file_url
        return self.api_base_url.rstrip("/").removesuffix("/bot") + "/file/bot"


class DatabaseConfig(_Strict):
    url: str = "sqlite+aiosqlite:///data/akhbar.sqlite3"
    echo: bool = False
    # The record of messages sent (the outbox: a card per story per chat), fetched article pages
    # and kept search queries older than this are deleted once a day (bot.db.retention); stories
    # are kept. At least 15 days: /stats draws the last 14, and cards are edited for 47 hours.
    keep_history: Duration = 30 * 86400.0
    # Stories first seen longer ago than this are deleted with the history (bot.db.retention), so
    # a busy instance's database and search index stop growing; 0 keeps them forever. They are
    # what /search and /latest read, so it is off unless the operator sets it.
    keep_stories: Duration = 0.0

    @field_validator("url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB")
        if (
            value.startswith("postgresql")
            and "@" in value.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[0]
        ):
            # "user:top@secret@host": the host would read "secret@host", and the message naming it
            # would show half the password. Nothing of the URL is repeated here.
            raise ValueError(
                "a character of the user name or password needs percent-encoding: write @ as %40 "
                "(also : as %3A, / as %2F, # as %23, % as %25)"
            )
        return value

    @field_validator("keep_history")
    @classmethod
    def _long_enough(cls, value: float) -> float:
        # Said in days: the bound in seconds (1296000) read as a typo of the operator's "14d".
        if value < 15 * 86400:
            raise ValueError('must be at least 15 days ("15d"): /stats draws the last 14 days')
        return value

    @model_validator(mode="after")
    def _stories_outlive_history(self) -> DatabaseConfig:
        # A story must outlive the records of its cards (corrections and /stats read them with
        # it). Said in days, as keep_history's bound is.
        stories, floor = self.keep_stories, max(self.keep_history, 86400.0)
        if stories < 0 or 0 < stories < floor:
            raise ValueError(
                f"keep_stories: {_days(stories)} is less than keep_history ({_days(floor)}): "
                f'set at least "{_days(floor, unit="d")}", or 0 to keep stories forever'
            )
        return self


def _days(seconds: float, *, unit: str = " days") -> str:
    """A duration as the operator writes it: 30 days, 0.5 days, "30d" (a bound rounded up, so the
    value it suggests is enough)."""
    return f"{math.ceil(seconds / 864) / 100:g}{unit}"


class FetchConfig(_Strict):
    connect_timeout: Duration = Field(10.0, gt=0)
    read_timeout: Duration = Field(30.0, gt=0)
    max_body_bytes: int = Field(10 * 1024 * 1024, gt=0)
    user_agent: str = "Akhbar/0.1 (+https://github.com/akhbar-bot/akhbar; Arabic news summaries bot)"
    concurrency: int = Field(10, ge=1, le=200)
    per_host_concurrency: int = Field(2, ge=1, le=50)
    max_redirects: int = Field(5, ge=0, le=20)
    min_interval: Duration = Field(60.0, gt=0)
    max_backoff: Duration = Field(86400.0, gt=0)
    allow_private_addresses: bool = False
    pause_after_failures: int = Field(10, ge=1)
    full_text_min_words: int = Field(60, ge=0)
    # Parsing and summarising new items: 0 = a worker thread; N > 0 = a pool of N processes.
    parse_processes: int = Field(0, ge=0, le=32)


class SummaryConfig(_Strict):
    sentences: int = Field(3, ge=1)
    max_chars: int = Field(1200, ge=100, le=4000)

    @field_validator("sentences")
    @classmethod
    def _within_settings(cls, value: int) -> int:
        # New subscribers start at min(sentences, MAX_SENTENCES): a larger default would be cut.
        if value > prefs.MAX_SENTENCES:
            raise ValueError(
                f"{value} is more than subscribers can choose in /settings "
                f"({prefs.MIN_SENTENCES}-{prefs.MAX_SENTENCES})"
            )
        return value


class DeliveryConfig(_Strict):
    default_mode: Literal["instant", "digest"] = "instant"
    digest_times: list[str] = Field(default_factory=lambda: ["08:00", "20:00"])
    default_timezone: str = "Asia/Riyadh"
    max_retries: int = Field(8, ge=0)
    failure_alert_threshold: int = Field(50, ge=1)
    # /latest never shows more than prefs.MAX_LATEST, so a larger default would be cut.
    latest_default: int = Field(5, ge=1, le=prefs.MAX_LATEST)
    # A digest shows at most this many stories and says how many more were left out.
    digest_max_stories: int = Field(30, ge=1, le=100)
    # A new story dated more than this before the newest story of its feed is old news found late
    # (a feed back after an outage or a pause, an old item put back in a feed): stored for search,
    # /latest and the digest of its period, never sent as a card (bot.delivery.routing). 0: off.
    max_story_age: Duration = 6 * 3600.0

    # Read as a subscriber's typed /settings are (bot.subscribers.prefs), so config.toml accepts
    # what the chat accepts ("8" is 08:00) and stores what the chat would store.
    @field_validator("digest_times")
    @classmethod
    def _times_of_day(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError('list at least one time, e.g. ["08:00", "20:00"]')
        seen: set[str] = set()
        for i, raw in enumerate(value):
            moment = prefs.parse_time(raw)
            if moment is None:
                raise ValueError(f"[{i}]: {raw!r} is not a time of day: use HH:MM, from 00:00 to 23:59")
            if moment in seen:
                raise ValueError(f"[{i}]: {moment} is listed twice")
            seen.add(moment)
        times = prefs.parse_times(value)
        if times is None:
            raise ValueError(f"{len(value)} times is more than a subscriber can choose in /settings")
        return times

    @field_validator("max_story_age")
    @classmethod
    def _news_window(cls, value: float) -> float:
        # Shorter than an hour, a feed's own stories listed a little out of order would be held
        # back as old news; and "6m" (minutes) is then caught as the typo of "6h" it likely is.
        if value < 0:
            raise ValueError('must not be negative: use a duration such as "6h", or 0 (off)')
        if 0 < value < 3600:
            raise ValueError(
                f'{value / 60:g} minutes is too short: use at least "1h", or 0 to send every new '
                "story as a card however old its date"
            )
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        canonical = prefs.parse_timezone(value)
        if canonical is None:
            raise ValueError(
                f"{value!r} is not a time zone zoneinfo knows: use an IANA name such as "
                "Asia/Riyadh, Africa/Cairo or Europe/London"
            )
        return canonical


class FeedConfig(_Strict):
    # Lengths are the database columns' (bot.db.models.Feed): PostgreSQL refuses longer values at start.
    url: HttpUrl = Field(max_length=2048)
    name: NonBlank = Field(min_length=1, max_length=200)
    interval: Duration = 600.0
    topics: list[NonBlank] = Field(default_factory=list)
    full_text: bool = False
    language: str = "ar"

    @field_validator("language")
    @classmethod
    def _language_code(cls, value: str) -> str:
        # Stored in an 8-character column and written to OPML exports as xml:lang.
        if not _LANGUAGE.match(value):
            raise ValueError(f"{value!r} is not a language code: use one such as 'ar', 'en' or 'ar-EG'")
        return value


class TopicConfig(_Strict):
    name: NonBlank = Field(min_length=1, max_length=200)
    keywords: list[str] = Field(min_length=1)
    name_en: NonBlank | None = Field(None, max_length=200)

    @field_validator("keywords")
    @classmethod
    def _searchable(cls, value: list[str]) -> list[str]:
        # A keyword of only stop words or punctuation matches no story (bot.search.analyzer.matches).
        for i, keyword in enumerate(value):
            if not query_groups(keyword):
                raise ValueError(f"[{i}]: {keyword!r} has no word a story could match")
        return value


class Config(_Strict):
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    fetch: FetchConfig = Field(default_factory=FetchConfig)
    summary: SummaryConfig = Field(default_factory=SummaryConfig)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    feeds: list[FeedConfig] = Field(default_factory=list)
    topics: list[TopicConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        floor = self.fetch.min_interval
        for i, feed in enumerate(self.feeds):
            if feed.interval < floor:
                raise ValueError(
                    f"feeds[{i}].interval: {feed.interval:g}s is below fetch.min_interval ({floor:g}s)"
                )
        for kind, names in (
            ("feeds", [f.name for f in self.feeds]),
            ("topics", [t.name for t in self.topics]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{kind}: duplicate name {dupes[0]!r}")
        urls = [f.url for f in self.feeds]
        dupes = sorted({u for u in urls if urls.count(u) > 1})
        if dupes:
            raise ValueError(f"feeds: duplicate url {dupes[0]!r}")
        # A tag naming no topic puts the feed's stories in a topic nobody can subscribe to: a typo
        # ("Economy" for «اقتصاد») would silently do nothing.
        known = {t.name for t in self.topics}
        for i, feed in enumerate(self.feeds):
            for j, tag in enumerate(feed.topics):
                if tag not in known:
                    defined = ", ".join(repr(n) for n in sorted(known)) or "none"
                    raise ValueError(
                        f"feeds[{i}].topics[{j}]: {tag!r} is not the name of a [[topics]] entry "
                        f"(defined: {defined})"
                    )
        return self

    def token(self) -> str | None:
        return os.environ.get(self.telegram.token_env) or None


# A validator's message may start with the part of the key it is about ("[2]: ...",
# "webhook.webhook_url: ..."); that part joins the key rather than the reason.
_SUBKEY = re.compile(r"^((?:\[\d+\])+|[a-z_]+(?:\.[a-z_]+)*(?:\[\d+\])*): ")


def _describe(error: ValidationError, raw: dict[str, Any]) -> str:
    lines = []
    for err in error.errors():
        loc = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in err["loc"]).replace(".[", "[")
        kind = err["type"]
        if kind == "extra_forbidden":
            why = _secret_in_file(err["loc"], raw) or (
                "unknown key (check the spelling; see config.toml for the keys that exist)"
            )
        elif kind == "missing":
            why = "required key is missing"
        else:
            why = err["msg"].removeprefix("Value error, ")
            sub = _SUBKEY.match(why)
            if sub:
                part = sub.group(1)
                loc = f"{loc}{part}" if part.startswith("[") or not loc else f"{loc}.{part}"
                why = why[sub.end() :]
        lines.append(f"{loc}: {why}" if loc else why)
    return "; ".join(lines)


def _secret_in_file(loc: tuple[int | str, ...], raw: dict[str, Any]) -> str | None:
    """For a token or secret written into the file: where it belongs instead (never its value)."""
    # Only where a Telegram secret could be meant: a feed's "token" is some other site's business.
    if len(loc) > 1 and loc[0] != "telegram":
        return None
    # By its name, or by its value: a misspelt token_env ("tokenenv") is just a typo.
    value: Any = raw
    for part in loc:
        value = value.get(part) if isinstance(value, dict) else None
    named = str(loc[-1]).lower().replace("-", "_") in _SECRET_KEYS
    if not named and not (isinstance(value, str) and _TOKEN_LIKE.match(value)):
        return None
    telegram = _table(raw, "telegram")
    if tuple(loc[:2]) == ("telegram", "webhook"):
        what, setting = "the webhook's secret token", "[telegram.webhook] secret_token_env"
        env = _table(telegram, "webhook").get("secret_token_env")
        default = WebhookConfig.model_fields["secret_token_env"].default
    else:
        what, setting = "the bot token", "[telegram] token_env"
        env = telegram.get("token_env")
        default = TelegramConfig.model_fields["token_env"].default
    if not (isinstance(env, str) and _ENV_NAME.match(env) and not _TOKEN_LIKE.match(env)):
        env = default
    return (
        f"{what} does not belong in the config file: delete this line and put it in the "
        f"environment variable {env} (named by {setting})"
    )


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, dict) else {}


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get("AKHBAR_CONFIG")
    return Path(env) if env else DEFAULT_CONFIG


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the config; every problem becomes a ConfigError naming the file and key."""
    file = config_path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: config file not found (use --config PATH or AKHBAR_CONFIG)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not UTF-8 text") from None
    return _sqlite_beside(parse_config(raw, source=str(file)), file.parent)


def _sqlite_beside(config: Config, folder: Path) -> Config:
    """A relative SQLite path names a file beside the config, wherever the command is typed:
    `./scripts/run.sh --config ~/akhbar/config.toml` (which runs from the checkout) and `akhbar
    --config config.toml feeds add …` typed in ~/akhbar then open one database, not two."""
    from sqlalchemy.engine import make_url

    from bot.db.database import in_memory

    if not config.database.url.startswith("sqlite") or in_memory(config.database.url):
        return config
    url = make_url(config.database.url)
    path = url.database or ""
    if path.startswith("file:") or os.path.isabs(path):
        return config
    anchored = url.set(database=os.path.join(os.path.abspath(folder), path))
    database = config.database.model_copy(update={"url": anchored.render_as_string(hide_password=False)})
    return config.model_copy(update={"database": database})


def parse_config(raw: dict[str, Any], *, source: str = "config") -> Config:
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe(exc, raw)}") from None
