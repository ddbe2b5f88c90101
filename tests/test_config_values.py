"""config.toml values that started the bot and broke it quietly, a token written
into the file, and `akhbar digest` not polling the feeds the database has."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.config import ConfigError, parse_config
from bot.subscribers import prefs
from bot.subscribers.service import MAX_LATEST
from tests.fakes.feed_server import FeedServer, _ThreadHandle
from tests.helpers import USER_ID
from tests.test_subscriber_support import no_background_jobs

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'{body}\n[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "akhbar.sqlite3"}"\n', encoding="utf-8"
    )
    return path


def _refused(tmp_path: Path, body: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Runs `akhbar db upgrade` on a config; it must exit 2 and create nothing. Returns stderr."""
    config = _write(tmp_path, body)
    assert main(["--config", str(config), "db", "upgrade"]) == 2
    assert not (tmp_path / "akhbar.sqlite3").exists()
    return capsys.readouterr().err


# ------------------------------------------------------------------ digest times and time zone


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        (
            '["25:00"]',
            "delivery.digest_times[0]: '25:00' is not a time of day: use HH:MM, from 00:00 to 23:59",
        ),
        ('["08:00", "7:60"]', "delivery.digest_times[1]: '7:60' is not a time of day"),
        ('["noon"]', "delivery.digest_times[0]: 'noon' is not a time of day"),
        ('["8", "08:00"]', "delivery.digest_times[1]: 08:00 is listed twice"),
        ("[]", "delivery.digest_times: list at least one time"),
        (
            '["1", "2", "3", "4", "5", "6", "7"]',
            "delivery.digest_times: 7 times is more than a subscriber can choose in /settings",
        ),
    ],
)
def test_a_bad_digest_time_stops_the_start_naming_key_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], times: str, expected: str
) -> None:
    err = _refused(tmp_path, f"[delivery]\ndigest_times = {times}", capsys)
    assert expected in err


def test_an_unknown_time_zone_stops_the_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(tmp_path, '[delivery]\ndefault_timezone = "Mars/Olympus"', capsys)
    assert "delivery.default_timezone: 'Mars/Olympus' is not a time zone zoneinfo knows" in err


def test_config_accepts_the_times_and_zones_the_chat_accepts() -> None:
    delivery = parse_config(
        {"delivery": {"digest_times": ["20:00", "8", "٠٧:٣٠"], "default_timezone": "africa/cairo"}}
    ).delivery
    assert delivery.digest_times == ["07:30", "08:00", "20:00"]
    assert delivery.default_timezone == "Africa/Cairo"
    assert (
        parse_config({"delivery": {"default_timezone": "القاهرة"}}).delivery.default_timezone
        == "Africa/Cairo"
    )


async def test_a_new_subscriber_sees_the_config_times_and_zone_as_the_chat_writes_them(
    bot_factory: Any, fake_telegram: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_background_jobs(monkeypatch)
    async with bot_factory(delivery={"digest_times": ["20:00", "8"], "default_timezone": "africa/cairo"}):
        [screen] = await fake_telegram.converse(USER_ID, "/settings")
        text = screen["plain_text"]
        assert "أوقات الملخص: ٠٨:٠٠، ٢٠:٠٠" in text
        assert "المنطقة الزمنية: القاهرة" in text


# ------------------------------------------------------------------ a token in the file


def test_a_token_in_the_file_says_where_it_belongs_and_is_not_repeated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _refused(tmp_path, f'[telegram]\ntoken_env = "MY_BOT_TOKEN"\ntoken = "{TOKEN}"', capsys)
    assert "telegram.token: the bot token does not belong in the config file" in err
    assert "environment variable MY_BOT_TOKEN (named by [telegram] token_env)" in err
    assert "unknown key" not in err
    assert TOKEN not in err and TOKEN.split(":")[1] not in err


@pytest.mark.parametrize(
    "body",
    [f'token = "{TOKEN}"', f'[telegram]\nbot_token = "{TOKEN}"', f'[telegram]\nmy_key = "{TOKEN}"'],
    ids=["top level", "bot_token", "any key holding a token"],
)
def test_a_token_under_another_key_is_recognised_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str
) -> None:
    err = _refused(tmp_path, body, capsys)
    assert "the bot token does not belong in the config file" in err
    assert "environment variable TELEGRAM_BOT_TOKEN" in err
    assert TOKEN.split(":")[1] not in err


def test_a_token_written_as_token_env_is_not_repeated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _refused(tmp_path, f'[telegram]\ntoken_env = "{TOKEN}"', capsys)
    assert "telegram.token_env: this is a token itself, not the name of an environment variable" in err
    assert TOKEN.split(":")[1] not in err


def test_a_webhook_secret_in_the_file_names_its_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _refused(tmp_path, '[telegram.webhook]\nsecret_token = "s3cr3t-value"', capsys)
    assert (
        "telegram.webhook.secret_token: the webhook's secret token does not belong in the config file" in err
    )
    assert "TELEGRAM_WEBHOOK_SECRET" in err and "s3cr3t-value" not in err


# ------------------------------------------------------------------ other values that broke quietly


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # New subscribers got min(sentences, 5) and /settings offers 1-5.
        (
            {"summary": {"sentences": prefs.MAX_SENTENCES + 1}},
            f"summary.sentences: {prefs.MAX_SENTENCES + 1} is more than subscribers can choose",
        ),
        # /latest shows at most MAX_LATEST.
        (
            {"delivery": {"latest_default": MAX_LATEST + 1}},
            "delivery.latest_default: Input should be less than",
        ),
        ({"telegram": {"admins": [1000, -5]}}, "telegram.admins[1]: -5 is not a Telegram user id"),
        ({"telegram": {"token_env": ""}}, "telegram.token_env: must be the name of an environment variable"),
        ({"telegram": {"mode": "webhook"}}, "telegram.webhook.webhook_url: required when mode is 'webhook'"),
        (
            {"telegram": {"mode": "webhook", "webhook": {"webhook_url": "http://bot.example.org/hook"}}},
            "telegram.webhook.webhook_url: Telegram delivers webhooks to https:// URLs only",
        ),
        (
            {"telegram": {"poll_timeout": -1}},
            "telegram.poll_timeout: Input should be greater than or equal to 0",
        ),
        ({"fetch": {"read_timeout": 0}}, "fetch.read_timeout: Input should be greater than 0"),
        ({"fetch": {"connect_timeout": float("inf")}}, "fetch.connect_timeout: inf is not a duration"),
        ({"fetch": {"max_backoff": -60}}, "fetch.max_backoff: Input should be greater than 0"),
        # Backoff doubles up to the cap: an infinite cap overflows the next poll's date.
        ({"fetch": {"max_backoff": float("inf")}}, "fetch.max_backoff: inf is not a duration"),
        ({"feeds": [{"url": "https://a.org/rss", "name": "   "}]}, "feeds[0].name: must not be blank"),
        (
            {"feeds": [{"url": "https://a.org/rss", "name": "a", "language": "arabic"}]},
            "feeds[0].language: 'arabic' is not a language code",
        ),
        (
            {"topics": [{"name": "سوريا", "keywords": ["سوريا", "في"]}]},
            "topics[0].keywords[1]: 'في' has no word a story could match",
        ),
    ],
)
def test_values_that_would_break_the_bot_quietly_are_refused(raw: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, source="cfg.toml")
    assert str(info.value).startswith("cfg.toml: ")
    assert expected in str(info.value)


# ------------------------------------------------------------------ akhbar digest and the database's feeds


@pytest.fixture
def server() -> Iterator[_ThreadHandle]:
    # In a thread of its own: the commands run their own event loop (asyncio.run).
    handle = FeedServer.start_in_thread()
    try:
        yield handle
    finally:
        handle.stop()


def _digest_config(tmp_path: Path, feeds: Sequence[tuple[str, str]] = ()) -> Path:
    body = '[fetch]\nmin_interval = "1s"\nallow_private_addresses = true\nread_timeout = 2\n'
    for name, url in feeds:
        body += f'[[feeds]]\nname = "{name}"\nurl = "{url}"\n'
    return _write(tmp_path, body)


def test_digest_polls_the_feeds_added_from_the_cli_and_not_the_paused_ones(
    server: _ThreadHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fs = server.server
    s = fs.stories
    from_config = server.call(fs.add_feed, "config", s[:2])
    added = server.call(fs.add_feed, "added", s[2:4])
    paused = server.call(fs.add_feed, "paused", s[4:5])
    config = str(_digest_config(tmp_path, [("من الإعدادات", from_config)]))
    assert main(["--config", config, "feeds", "add", added, "--name", "مضافة"]) == 0
    assert main(["--config", config, "feeds", "add", paused, "--name", "موقوفة"]) == 0
    assert main(["--config", config, "feeds", "pause", "موقوفة"]) == 0
    capsys.readouterr()

    assert main(["--config", config, "digest", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "══ من الإعدادات — 2 new ══" in out
    assert "══ مضافة — 2 new ══" in out
    assert s[4].title not in out
    assert "4 new stories from 2 feeds." in out


def test_digest_on_a_database_with_only_cli_feeds(
    server: _ThreadHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fs = server.server
    url = server.call(fs.add_feed, "only", fs.stories[:3])
    config = str(_digest_config(tmp_path))
    assert main(["--config", config, "feeds", "add", url, "--name", "مضافة"]) == 0
    capsys.readouterr()

    assert main(["--config", config, "digest", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert "No feeds" not in captured.err
    for story in fs.stories[:3]:
        assert story.title in captured.out
    assert "3 new stories from 1 feed." in captured.out

    # A throwaway database starts empty: it can only have config.toml's feeds, and says so.
    assert main(["--config", config, "digest", "--no-progress", "--temp-db"]) == 1
    captured = capsys.readouterr()
    assert "No feeds in the config file: --temp-db polls only its [[feeds]] entries" in captured.err
    assert "run `akhbar digest` without --temp-db" in captured.err

    assert main(["--config", config, "feeds", "pause", "مضافة"]) == 0
    capsys.readouterr()
    assert main(["--config", config, "digest", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "No active feeds: the database's one feed is paused" in err
    assert "akhbar feeds resume ID" in err


def test_digest_with_no_feeds_anywhere_says_how_to_add_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(_digest_config(tmp_path)), "digest", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "No feeds to poll: add [[feeds]] entries to the config file" in err
    assert "`akhbar feeds add URL`" in err
