"""`akhbar run` on an SQLite database it cannot use: a file or folder it may not write, a damaged
file, a migration that fails. Each is a short message that names the cause and what to do, and exit
code 2, never a traceback.

The tests run as root, which writes through chmod 444: a read-only file is simulated by SQLite's
`mode=ro`, which fails a write the same way, and the real thing by a child process that drops
root's permission override (setpriv), when the machine allows it."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands import run_cmd
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramThread, RateLimits
from tests.helpers import write_run_config

TOKEN_ENV = "AKHBAR_DB_TOKEN"
DROP_OVERRIDE = [
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search,-fowner",
    "--inh-caps=-dac_override,-dac_read_search,-fowner",
]


def _config(tmp_path: Path, url: str, api_base_url: str = "http://127.0.0.1:9/bot") -> Path:
    return write_run_config(tmp_path, token_env=TOKEN_ENV, api_base_url=api_base_url, database_url=url)


def _sqlite(path: Path | str) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _made_database(tmp_path: Path) -> Path:
    """A database `akhbar db upgrade` made and closed (no -wal or -shm left beside it)."""
    path = tmp_path / "data" / "akhbar.sqlite3"
    assert main(["--config", str(_config(tmp_path, _sqlite(path))), "db", "upgrade"]) == 0
    return path


RunBot = Callable[[Path, str], tuple[int, str]]  # (folder for config.toml, database url) -> (code, stderr)


@pytest.fixture
def run_bot(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunBot:
    """`akhbar run` in this process against a fake Bot API, so that without the start-up check a
    run that gets past it ends (in the failure being tested) instead of waiting for Telegram."""
    monkeypatch.setattr("bot.logging_setup.setup_logging", lambda level: None)  # pytest's logging stays
    monkeypatch.setenv(TOKEN_ENV, DEFAULT_TOKEN)

    def run(tmp_path: Path, url: str) -> tuple[int, str]:
        with FakeTelegramThread(rate_limits=RateLimits.disabled()) as telegram:
            config = _config(tmp_path, url, telegram.fake.base_url)
            capsys.readouterr()
            code = main(["--config", str(config), "run"])
        return code, capsys.readouterr().err

    return run


def _short_and_plain(told: str) -> None:
    assert "Traceback" not in told and told.count("\n") <= 8, told
    assert "database server" not in told  # SQLite has none


# --- a file the bot may read but not write ---------------------------------------------------------


def test_a_read_only_database_file_is_refused_at_start_with_what_to_do(
    tmp_path: Path, run_bot: RunBot
) -> None:
    path = _made_database(tmp_path)
    before = path.read_bytes()
    code, told = run_bot(tmp_path, _sqlite(f"file:{path}?mode=ro&uri=true"))
    assert code == 2, told
    _short_and_plain(told)
    assert told.startswith(f"Cannot write to the database file {path}:\n")
    assert "attempt to write a readonly database" in told
    assert f"its folder {path.parent}" in told and "akhbar.sqlite3-wal" in told
    assert path.read_bytes() == before  # the check changed nothing


def _without_root_override() -> list[str]:
    """A command prefix under which this machine's permissions apply to the child, or a skip."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root, and no setpriv to drop root's permission override")
    probe = subprocess.run([*DROP_OVERRIDE, "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"setpriv cannot drop capabilities here: {probe.stderr.decode(errors='replace')}")
    return DROP_OVERRIDE


@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_real_read_only_file_or_folder_is_refused_at_start(tmp_path: Path, read_only: str) -> None:
    prefix = _without_root_override()
    path = _made_database(tmp_path)
    tmp_path.chmod(0o755)  # the child, without root's override, must reach the folder
    target = path if read_only == "file" else path.parent
    target.chmod(0o444 if read_only == "file" else 0o555)
    try:
        with FakeTelegramThread(rate_limits=RateLimits.disabled()) as telegram:
            config = _config(tmp_path, _sqlite(path), telegram.fake.base_url)
            result = subprocess.run(
                [*prefix, sys.executable, "-m", "bot", "--config", str(config), "run"],
                capture_output=True,
                text=True,
                timeout=30,  # a few seconds when refused; a bot that started runs on
                env={**os.environ, TOKEN_ENV: DEFAULT_TOKEN},
                cwd=tmp_path,
            )
    finally:
        target.chmod(0o755 if read_only == "folder" else 0o644)
    told = result.stderr
    assert result.returncode == 2, told[-3000:]
    _short_and_plain(told)
    assert f"the database file {path}:" in told and "readonly database" in told
    assert "must be able to write to the file and to its folder" in told


def test_a_folder_that_cannot_be_made_is_named_as_a_file_problem(tmp_path: Path, run_bot: RunBot) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    path = tmp_path / "a-file" / "akhbar.sqlite3"
    code, told = run_bot(tmp_path, _sqlite(path))
    assert code == 2, told
    _short_and_plain(told)
    assert told.startswith(f"Cannot open the database file {path}:\n")


# --- a damaged file ----------------------------------------------------------------------------------


def _garbage(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "akhbar.sqlite3"
    path.parent.mkdir()
    path.write_bytes(b"this is not a database at all\n" * 200)
    return path


def _truncated(tmp_path: Path) -> Path:
    path = _made_database(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize(
    ("damage", "said"),
    [(_garbage, "file is not a database"), (_truncated, "database disk image is malformed")],
)
def test_a_damaged_database_file_says_to_restore_a_backup(
    tmp_path: Path, run_bot: RunBot, damage: Callable[[Path], Path], said: str
) -> None:
    path = damage(tmp_path)
    before = path.read_bytes()
    code, told = run_bot(tmp_path, _sqlite(path))
    assert code == 2, told
    _short_and_plain(told)
    assert told.startswith(f"The database file {path} is damaged:\n") and said in told
    assert "akhbar db backup" in told and "move it aside" in told and "akhbar.sqlite3-wal" in told
    assert path.read_bytes() == before


# --- a migration that fails --------------------------------------------------------------------------


def test_a_failing_migration_ends_in_a_short_message_with_its_cause(
    tmp_path: Path, run_bot: RunBot, caplog: pytest.LogCaptureFixture
) -> None:
    # Left half-built by a first start that was stopped: a table there, no Alembic revision.
    path = tmp_path / "akhbar.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE article_cache (x)")
    connection.close()
    with caplog.at_level(logging.DEBUG, logger="bot.app"):
        code, told = run_bot(tmp_path, _sqlite(path))
    assert code == 2, told
    _short_and_plain(told)
    assert told.startswith("Could not bring the database ") and "the bot did not start" in told
    assert "table article_cache already exists" in told
    assert "move " in told and "start again" in told and "--log-level DEBUG" in told
    # The whole error is kept, at DEBUG, once.
    [logged] = [r for r in caplog.records if r.exc_info and r.name == "bot.app"]
    assert logged.levelno == logging.DEBUG
    # The lock was given back: nothing holds the database after the failed start.
    assert not (tmp_path / "akhbar.sqlite3.lock").exists() or _lock_is_free(tmp_path / "akhbar.sqlite3.lock")


def _lock_is_free(lock: Path) -> bool:
    import fcntl

    with lock.open("a") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(file, fcntl.LOCK_UN)
    return True


# --- a good database ---------------------------------------------------------------------------------


def test_the_write_check_leaves_a_good_database_as_it_was(tmp_path: Path) -> None:
    path = _made_database(tmp_path)
    with sqlite3.connect(path) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall()
    connection.close()
    assert asyncio.run(run_cmd.database_problem(_sqlite(path))) is None
    assert asyncio.run(run_cmd.database_message(_sqlite(path), "config.toml")) is None
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall() == tables
    connection.close()


def test_a_missing_postgresql_driver_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # It said «Cannot reach the database … and that the database server is running».
    for name in [m for m in sys.modules if m == "asyncpg" or m.startswith("asyncpg.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # what an import of a missing package meets
    message = asyncio.run(run_cmd.database_message("postgresql+asyncpg://akhbar@db.example/news", "pg.toml"))
    assert message is not None
    assert "driver (asyncpg) is not installed" in message and ".[postgres]" in message
    assert "server is running" not in message
