"""config.toml validation: every mistake is named, with its key and reason, and nothing starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, load_config, parse_config

REPO = Path(__file__).resolve().parents[1]


def test_shipped_config_is_valid_and_lists_arabic_outlets() -> None:
    config = load_config(REPO / "config.toml")
    names = " ".join(f.name for f in config.feeds)
    for outlet in ("BBC", "فرانس 24", "سكاي نيوز", "RT", "الجزيرة"):
        assert outlet in names
    assert config.telegram.token_env == "TELEGRAM_BOT_TOKEN"
    # The shipped data/akhbar.sqlite3 is the checkout's, beside config.toml.
    assert config.database.url == f"sqlite+aiosqlite:///{REPO / 'data' / 'akhbar.sqlite3'}"
    assert config.fetch.min_interval == 60
    assert config.fetch.allow_private_addresses is False
    assert all(t.keywords for t in config.topics)
    # Every feed's topic tag names a topic a reader can subscribe to.
    assert {tag for f in config.feeds for tag in f.topics} <= {t.name for t in config.topics}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"telegram": {"tokenenv": "X"}}, "telegram.tokenenv: unknown key"),
        ({"telgram": {}}, "telgram: unknown key"),
        ({"telegram": {"admins": "12345"}}, "telegram.admins: Input should be a valid list"),
        ({"telegram": {"admins": ["alice"]}}, "telegram.admins[0]: Input should be a valid integer"),
        ({"telegram": {"mode": "push"}}, "telegram.mode: Input should be 'polling' or 'webhook'"),
        (
            {"telegram": {"api_base_url": "api.telegram.org"}},
            "telegram.api_base_url: 'api.telegram.org' is not",
        ),
        ({"database": {"url": "mysql://x"}}, "database.url: use sqlite+aiosqlite"),
        ({"fetch": {"read_timeout": "soon"}}, "fetch.read_timeout: 'soon' is not a duration"),
        ({"fetch": {"concurrency": 0}}, "fetch.concurrency: Input should be greater than or equal to 1"),
        ({"feeds": [{"name": "x"}]}, "feeds[0].url: required key is missing"),
        (
            {"feeds": [{"url": "ftp://example.org/rss", "name": "x"}]},
            "feeds[0].url: 'ftp://example.org/rss' is not",
        ),
        (
            {"feeds": [{"url": "https://example.org/rss", "name": "x", "interval": "30s"}]},
            "feeds[0].interval: 30s is below fetch.min_interval (60s)",
        ),
        (
            {"feeds": [{"url": "https://a.org/rss", "name": "x"}, {"url": "https://b.org/rss", "name": "x"}]},
            "feeds: duplicate name 'x'",
        ),
        ({"topics": [{"name": "t", "keywords": []}]}, "topics[0].keywords: List should have at least 1 item"),
        (
            {
                "feeds": [{"url": "https://a.org/rss", "name": "a", "topics": ["اقتصاد", "Sport"]}],
                "topics": [{"name": "اقتصاد", "keywords": ["نفط"]}, {"name": "رياضة", "keywords": ["دوري"]}],
            },
            "feeds[0].topics[1]: 'Sport' is not the name of a [[topics]] entry (defined: 'اقتصاد', 'رياضة')",
        ),
        ({"summary": {"sentences": 0}}, "summary.sentences: Input should be greater than or equal to 1"),
    ],
)
def test_each_bad_config_names_the_key_and_why(raw: dict, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, source="cfg.toml")
    assert str(info.value).startswith("cfg.toml: ")
    assert expected in str(info.value)


def test_durations_accept_units() -> None:
    config = parse_config(
        {
            "feeds": [
                {"url": "https://a.org/rss", "name": "a", "interval": "90s"},
                {"url": "https://b.org/rss", "name": "b", "interval": "10m"},
                {"url": "https://c.org/rss", "name": "c", "interval": "1h"},
                {"url": "https://d.org/rss", "name": "d", "interval": 120},
            ]
        }
    )
    assert [f.interval for f in config.feeds] == [90, 600, 3600, 120]


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[telegram\nadmins = [1]", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_cli_exits_2_and_starts_nothing_on_a_bad_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[database]\nurl = "sqlite+aiosqlite:///%s"\n[fetch]\nmin_intervall = 5\n' % (tmp_path / "db.sqlite3")
    )
    assert main(["--config", str(bad), "db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert "fetch.min_intervall: unknown key" in err
    assert not (tmp_path / "db.sqlite3").exists()


def test_akhbar_config_environment_variable_chooses_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "env.toml"
    bad.write_text("[telegram]\nadmins = 5\n")
    monkeypatch.setenv("AKHBAR_CONFIG", str(bad))
    assert main(["db", "current"]) == 2
    assert f"{bad}: telegram.admins" in capsys.readouterr().err


def test_a_relative_sqlite_path_is_beside_the_config_wherever_the_command_is_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run.sh runs the bot from the checkout, and `akhbar --config config.toml feeds add …` was typed
    in the operator's folder: the relative data/akhbar.sqlite3 named two files, so a feed added
    from the command line never reached the running bot."""
    from bot.config import load_config

    ops = tmp_path / "ops"
    ops.mkdir()
    (ops / "config.toml").write_text('[database]\nurl = "sqlite+aiosqlite:///data/akhbar.sqlite3"\n', "utf-8")
    elsewhere = tmp_path / "checkout"
    elsewhere.mkdir()
    urls = []
    for cwd in (ops, elsewhere):
        monkeypatch.chdir(cwd)
        urls.append(load_config(ops / "config.toml").database.url)
        monkeypatch.chdir(elsewhere)
        urls.append(load_config(Path("..") / "ops" / "config.toml").database.url)
    assert set(urls) == {f"sqlite+aiosqlite:///{ops / 'data' / 'akhbar.sqlite3'}"}
    # An absolute path, and PostgreSQL, are as written.
    (ops / "config.toml").write_text('[database]\nurl = "sqlite+aiosqlite:////srv/a.sqlite3"\n', "utf-8")
    assert load_config(ops / "config.toml").database.url == "sqlite+aiosqlite:////srv/a.sqlite3"
    (ops / "config.toml").write_text('[database]\nurl = "postgresql+asyncpg://akhbar@db/akhbar"\n', "utf-8")
    assert load_config(ops / "config.toml").database.url == "postgresql+asyncpg://akhbar@db/akhbar"


def test_a_password_with_an_unencoded_at_sign_is_refused_without_showing_it() -> None:
    # Read as the host "secret@db.example", the connection error named half the password.
    with pytest.raises(ConfigError) as info:
        parse_config({"database": {"url": "postgresql+asyncpg://akhbar:top@secret@db.example/news"}})
    assert "write @ as %40" in str(info.value)
    assert "secret" not in str(info.value) and "top" not in str(info.value)
    encoded = parse_config({"database": {"url": "postgresql+asyncpg://akhbar:top%40secret@db.example/news"}})
    assert encoded.database.url.endswith("@db.example/news")
