"""config.toml: loading and validation.

Validation names the bad key and why; the CLI turns a ConfigError into exit code 2 before anything
starts, so a typo never half-starts the bot.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_CONFIG = Path("config.toml")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file, the key and the reason."""


def parse_duration(value: Any) -> float:
    """Seconds from 90, 90.5, "90s", "10m", "1h" or "1d"."""
    if isinstance(value, bool):
        raise ValueError("expected seconds or a duration such as '90s', '10m', '1h'")
    if isinstance(value, int | float):
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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookConfig(_Strict):
    listen: str = "127.0.0.1"
    port: int = Field(8443, ge=1, le=65535)
    url_path: str = "telegram"
    webhook_url: HttpUrl | None = None
    secret_token_env: str = "TELEGRAM_WEBHOOK_SECRET"


class TelegramConfig(_Strict):
    token_env: str = "TELEGRAM_BOT_TOKEN"
    api_base_url: HttpUrl = "https://api.telegram.org/bot"
    api_base_file_url: HttpUrl | None = None
    admins: list[int] = Field(default_factory=list)
    mode: Literal["polling", "webhook"] = "polling"
    webhook: WebhookConfig = Field(default_factory=WebhookConfig)
    # Telegram's own guidance: 30 messages/s overall, 20/min per group, about 1/s per chat.
    max_messages_per_second: float = Field(30.0, gt=0)
    max_messages_per_chat_per_second: float = Field(1.0, gt=0)
    max_messages_per_group_per_minute: float = Field(20.0, gt=0)
    poll_timeout: Duration = 10.0

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
    # are kept. At least 15 days: /stats draws the last 14, and cards are edited for 48 hours.
    keep_history: Duration = Field(30 * 86400.0, ge=15 * 86400.0)

    @field_validator("url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB")
        return value


class FetchConfig(_Strict):
    connect_timeout: Duration = 10.0
    read_timeout: Duration = 30.0
    max_body_bytes: int = Field(10 * 1024 * 1024, gt=0)
    user_agent: str = "Akhbar/0.1 (+https://github.com/akhbar-bot/akhbar; Arabic news summaries bot)"
    concurrency: int = Field(10, ge=1, le=200)
    per_host_concurrency: int = Field(2, ge=1, le=50)
    max_redirects: int = Field(5, ge=0, le=20)
    min_interval: Duration = Field(60.0, gt=0)
    max_backoff: Duration = 86400.0
    allow_private_addresses: bool = False
    pause_after_failures: int = Field(10, ge=1)
    full_text_min_words: int = Field(60, ge=0)
    # Parsing and summarising new items: 0 = a worker thread; N > 0 = a pool of N processes.
    parse_processes: int = Field(0, ge=0, le=32)


class SummaryConfig(_Strict):
    sentences: int = Field(3, ge=1, le=20)
    max_chars: int = Field(1200, ge=100, le=4000)


class DeliveryConfig(_Strict):
    default_mode: Literal["instant", "digest"] = "instant"
    digest_times: list[str] = Field(default_factory=lambda: ["08:00", "20:00"])
    default_timezone: str = "Asia/Riyadh"
    max_retries: int = Field(8, ge=0)
    failure_alert_threshold: int = Field(50, ge=1)
    latest_default: int = Field(5, ge=1, le=20)
    # A digest shows at most this many stories and says how many more were left out.
    digest_max_stories: int = Field(30, ge=1, le=100)


class FeedConfig(_Strict):
    url: HttpUrl
    name: str = Field(min_length=1)
    interval: Duration = 600.0
    topics: list[str] = Field(default_factory=list)
    full_text: bool = False
    language: str = "ar"


class TopicConfig(_Strict):
    name: str = Field(min_length=1)
    keywords: list[str] = Field(min_length=1)
    name_en: str | None = None


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
        return self

    def token(self) -> str | None:
        return os.environ.get(self.telegram.token_env) or None


def _describe(error: ValidationError) -> str:
    lines = []
    for err in error.errors():
        loc = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in err["loc"]).replace(".[", "[")
        kind = err["type"]
        if kind == "extra_forbidden":
            why = "unknown key (check the spelling; see config.toml for the keys that exist)"
        elif kind == "missing":
            why = "required key is missing"
        else:
            why = err["msg"].removeprefix("Value error, ")
        lines.append(f"{loc}: {why}" if loc else why)
    return "; ".join(lines)


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
    return parse_config(raw, source=str(file))


def parse_config(raw: dict[str, Any], *, source: str = "config") -> Config:
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe(exc)}") from None
