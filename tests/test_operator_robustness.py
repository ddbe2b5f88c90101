"""What an operator meets around `akhbar run`: a relative --config given to scripts/run.sh, a Bot API
not reachable yet at start, one database named two ways, its file deleted or replaced under the
running bot, and a database a newer release has migrated."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from telegram.error import InvalidToken, NetworkError, TimedOut

from bot import app as bot_app
from bot.cli import main
from bot.commands import run_cmd
from bot.db import instance_lock
from bot.db.database import Database
from bot.db.instance_lock import AnotherInstanceRunning, acquire
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram, FakeTelegramThread, RateLimits
from tests.fakes.telegram_plugin import FakeTelegramFactory
from tests.helpers import write_run_config

REPO = Path(__file__).resolve().parent.parent
TOKEN_ENV = "AKHBAR_OPS_TOKEN"
SECRET = DEFAULT_TOKEN.split(":", 1)[1]


# --- scripts/run.sh: a relative config path is where the operator typed it ------------------------


def _fake_repo(root: Path) -> Path:
    """A copy of scripts/run.sh in a repository whose venv is installed and whose `akhbar` only
    prints what it was given, one argument a line, then AKHBAR_CONFIG."""
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "run.sh", root / "scripts" / "run.sh")
    venv = root / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    (venv / "akhbar").write_text(
        '#!/bin/sh\nprintf "%s\\n" "$@"\nprintf "AKHBAR_CONFIG=%s\\n" "${AKHBAR_CONFIG:-}"\n',
        encoding="utf-8",
    )
    for program in ("python", "akhbar"):
        (venv / program).chmod(0o755)
    (root / "pyproject.toml").write_text("[project]\nname = 'fake'\n", encoding="utf-8")
    os.utime(root / "pyproject.toml", (1_000_000, 1_000_000))
    (root / ".venv" / ".installed").touch()  # newer than pyproject.toml: nothing to install
    return root / "scripts" / "run.sh"


def _run_sh(script: Path, cwd: Path, *args: str, env: dict[str, str] | None = None) -> list[str]:
    result = subprocess.run(
        [str(script), *args],
        cwd=cwd,
        env={"PATH": os.environ["PATH"], **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout.splitlines()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--config", "rel.toml"], ["--config", "{cwd}/rel.toml", "run"]),
        (["--config=rel.toml"], ["--config={cwd}/rel.toml", "run"]),
        (["--config", "conf/my.toml"], ["--config", "{cwd}/conf/my.toml", "run"]),
        (["--config", "/etc/akhbar.toml"], ["--config", "/etc/akhbar.toml", "run"]),  # kept as is
        ([], ["run"]),  # no --config: the repository's config.toml, as before
    ],
)
def test_run_sh_reads_a_relative_config_from_where_it_was_typed(
    tmp_path: Path, args: list[str], expected: list[str]
) -> None:
    script = _fake_repo(tmp_path / "repo")
    here = tmp_path / "ops"
    here.mkdir()
    printed = _run_sh(script, here, *args)
    assert printed[:-1] == [line.format(cwd=here) for line in expected]


def test_run_sh_reads_a_relative_akhbar_config_from_where_it_was_typed(tmp_path: Path) -> None:
    script = _fake_repo(tmp_path / "repo")
    here = tmp_path / "ops"
    here.mkdir()
    assert _run_sh(script, here, env={"AKHBAR_CONFIG": "my.toml"})[-1] == f"AKHBAR_CONFIG={here}/my.toml"
    assert _run_sh(script, here, env={"AKHBAR_CONFIG": "/srv/a.toml"})[-1] == "AKHBAR_CONFIG=/srv/a.toml"


# --- the Bot API not reachable at start: one line an attempt, tried again ---------------------------


class Attempts:
    """An attempt that fails with the given errors, one a call, then runs."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)


def test_an_unreachable_bot_api_is_tried_again_with_growing_waits_one_line_each() -> None:
    failures = [NetworkError("httpx.ConnectError: All connection attempts failed")] * 7
    attempt = Attempts(*failures, TimedOut())
    waits: list[float] = []
    out = io.StringIO()
    started = run_cmd.start_when_reachable(
        attempt,
        "https://api.telegram.org/bot",
        DEFAULT_TOKEN,
        wait=waits.append,
        out=out,
    )
    assert started and attempt.calls == 9
    assert waits == [2, 4, 8, 16, 32, 60, 60, 60]  # every minute at most
    lines = out.getvalue().splitlines()
    assert len(lines) == 8
    assert lines[0] == (
        "cannot reach the Telegram Bot API at https://api.telegram.org/bot "
        "(httpx.ConnectError: All connection attempts failed); trying again in 2 s"
    )
    assert lines[-1].startswith(
        "cannot reach the Telegram Bot API at https://api.telegram.org/bot (Timed out)"
    )


def test_the_reason_given_never_shows_the_token() -> None:
    attempt = Attempts(NetworkError(f"httpx.ConnectError: https://api.telegram.org/bot{DEFAULT_TOKEN}/getMe"))
    out = io.StringIO()
    assert run_cmd.start_when_reachable(
        attempt, "https://api.telegram.org/bot", DEFAULT_TOKEN, wait=lambda s: None, out=out
    )
    assert SECRET not in out.getvalue() and "/bot<token>/getMe" in out.getvalue()


def test_sigterm_while_waiting_ends_the_attempts() -> None:
    attempt = Attempts(*[NetworkError("down")] * 5)
    before = signal.getsignal(signal.SIGTERM)
    stopped = run_cmd.start_when_reachable(
        attempt, "u", DEFAULT_TOKEN, wait=lambda s: os.kill(os.getpid(), signal.SIGTERM), out=io.StringIO()
    )
    assert not stopped and attempt.calls == 1
    assert signal.getsignal(signal.SIGTERM) == before  # the process's own handling is back


def test_a_rejected_token_is_not_tried_again() -> None:
    attempt = Attempts(InvalidToken("rejected"))
    with pytest.raises(InvalidToken):
        run_cmd.start_when_reachable(attempt, "u", DEFAULT_TOKEN, wait=lambda s: None, out=io.StringIO())
    assert attempt.calls == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(tmp_path: Path, api_base_url: str) -> Path:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'akhbar.sqlite3'}"
    return write_run_config(
        tmp_path, token_env=TOKEN_ENV, api_base_url=api_base_url, database_url=database_url
    )


async def _start(config: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config),
        "run",
        env={**os.environ, TOKEN_ENV: DEFAULT_TOKEN},
        cwd=config.parent,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _read_until(proc: asyncio.subprocess.Process, text: str, seen: list[str]) -> None:
    """Reads the bot's stderr into `seen` until a line has `text` (fails if it exits first)."""
    assert proc.stderr is not None
    while True:
        line = (await asyncio.wait_for(proc.stderr.readline(), timeout=60)).decode(errors="replace")
        assert line, f"exited with {await proc.wait()} before saying {text!r}:\n" + "".join(seen)[-3000:]
        seen.append(line)
        if text in line:
            return


async def _stop(proc: asyncio.subprocess.Process, seen: list[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, rest = await asyncio.wait_for(proc.communicate(), timeout=30)
    return "".join(seen) + rest.decode(errors="replace")


async def test_akhbar_run_waits_for_a_bot_api_that_comes_up_later(
    tmp_path: Path, fake_telegram_factory: FakeTelegramFactory
) -> None:
    port = _free_port()  # nothing listens there yet: the network is not up
    proc = await _start(_config(tmp_path, f"http://127.0.0.1:{port}/bot"))
    seen: list[str] = []
    try:
        await _read_until(proc, "cannot reach the Telegram Bot API", seen)
        assert f"at http://127.0.0.1:{port}/bot (" in seen[-1] and "trying again in 2 s" in seen[-1]
        fake = await fake_telegram_factory(rate_limits=RateLimits.disabled(), port=port)
        await fake.wait_for("getUpdates", timeout=60)
        [reply] = await fake.converse(4242, "/start", timeout=30, language_code="ar")
        assert "/subscribe" in reply["plain_text"]
    finally:
        told = await _stop(proc, seen)
    assert proc.returncode == 0, told[-3000:]
    assert "Traceback" not in told and SECRET not in told


async def test_akhbar_run_stopped_while_waiting_for_the_bot_api_exits_at_once_and_plainly(
    tmp_path: Path,
) -> None:
    proc = await _start(_config(tmp_path, f"http://127.0.0.1:{_free_port()}/bot"))
    seen: list[str] = []
    try:
        await _read_until(proc, "cannot reach the Telegram Bot API", seen)
    finally:
        told = await _stop(proc, seen)  # within the 30 s _stop allows, not after the whole wait
    assert proc.returncode == 0, told[-3000:]
    assert told.rstrip().endswith("stopped before the Telegram Bot API could be reached")
    assert "Traceback" not in told and SECRET not in told


async def test_a_network_failure_later_in_start_up_releases_the_database_before_trying_again(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    # setMyCommands comes after the bot has locked and migrated its database: the next attempt
    # is refused as "another instance" if the first left its lock behind.
    fake_telegram.drop_next("setMyCommands")
    proc = await _start(_config(tmp_path, fake_telegram.base_url))
    seen: list[str] = []
    try:
        await _read_until(proc, "cannot reach the Telegram Bot API", seen)
        await fake_telegram.wait_for("getUpdates", timeout=60)
        [reply] = await fake_telegram.converse(4242, "/start", timeout=30, language_code="ar")
        assert "/subscribe" in reply["plain_text"]
    finally:
        told = await _stop(proc, seen)
    assert proc.returncode == 0, told[-3000:]
    assert "Traceback" not in told


# --- one database, one lock, however its path is spelled --------------------------------------------


def _sqlite_file(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS t (x)")
    connection.close()
    return path


@pytest.mark.parametrize("spelling", ["symlink", "linked folder"])
async def test_one_database_named_another_way_is_still_refused_to_a_second_bot(
    tmp_path: Path, spelling: str
) -> None:
    (tmp_path / "data").mkdir()
    real = _sqlite_file(tmp_path / "data" / "x.sqlite3")
    if spelling == "symlink":
        other = tmp_path / "alias.sqlite3"
        other.symlink_to(real)
    else:
        (tmp_path / "linked").symlink_to(tmp_path / "data")
        other = tmp_path / "linked" / "x.sqlite3"
    first, second = Database(f"sqlite+aiosqlite:///{real}"), Database(f"sqlite+aiosqlite:///{other}")
    try:
        lock = await acquire(first)
        with pytest.raises(AnotherInstanceRunning, match=f"the database {other} is in use by `akhbar run`"):
            await acquire(second)
        await lock.release()
        await (await acquire(second)).release()  # free again once the first bot stopped
    finally:
        await first.close()
        await second.close()


# --- the database file deleted or replaced under the running bot ------------------------------------


async def _locked(path: Path) -> tuple[Database, instance_lock.InstanceLock]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    return db, await acquire(db)


async def test_a_database_file_deleted_under_the_bot_stops_it(tmp_path: Path) -> None:
    path = _sqlite_file(tmp_path / "x.sqlite3")
    db, lock = await _locked(path)
    try:
        await lock.keep()  # nothing happened yet
        for file in tmp_path.glob("x.sqlite3*"):  # rm x.sqlite3*: the lock file goes too
            file.unlink()
        with pytest.raises(instance_lock.DatabaseFileChanged, match=f"{path} was deleted while the bot ran"):
            await lock.keep()
    finally:
        await lock.release()
        await db.close()


async def test_a_database_file_replaced_under_the_bot_stops_it(tmp_path: Path) -> None:
    path = _sqlite_file(tmp_path / "x.sqlite3")
    db, lock = await _locked(path)
    try:
        os.replace(_sqlite_file(tmp_path / "restored.sqlite3"), path)  # a backup moved over it
        with pytest.raises(instance_lock.DatabaseFileChanged, match="was replaced by another file"):
            await lock.keep()
    finally:
        await lock.release()
        await db.close()


async def test_a_new_database_is_watched_once_it_exists(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    db, lock = await _locked(path)  # a first start: migrations create the file after the lock
    try:
        _sqlite_file(path)
        lock.remember_database()
        path.unlink()
        with pytest.raises(instance_lock.DatabaseFileChanged, match="was deleted"):
            await lock.keep()
    finally:
        await lock.release()
        await db.close()


async def test_a_lock_file_deleted_under_the_bot_is_taken_again(tmp_path: Path) -> None:
    path = _sqlite_file(tmp_path / "x.sqlite3")
    db, lock = await _locked(path)
    other = Database(f"sqlite+aiosqlite:///{path}")
    try:
        (tmp_path / "x.sqlite3.lock").unlink()
        await lock.keep()
        with pytest.raises(
            AnotherInstanceRunning, match=f"in use by `akhbar run` \\(process {os.getpid()}\\)"
        ):
            await acquire(other)  # a second bot is still refused
    finally:
        await lock.release()
        await db.close()
        await other.close()


async def test_the_bots_periodic_check_stops_it_when_its_database_file_is_deleted(tmp_path: Path) -> None:
    path = _sqlite_file(tmp_path / "x.sqlite3")
    db, lock = await _locked(path)
    stopped: list[bool] = []
    application = SimpleNamespace(bot_data={bot_app._LOCK: lock}, stop_running=lambda: stopped.append(True))
    try:
        path.unlink()
        await bot_app._keep_lock(SimpleNamespace(application=application))  # type: ignore[arg-type]
    finally:
        await lock.release()
        await db.close()
    assert stopped == [True]
    assert "was deleted" in application.bot_data[bot_app._LOCK_LOST]


def test_akhbar_run_exits_4_with_one_line_when_its_database_file_is_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bot_app, "LOCK_CHECK_EVERY", 0.2)
    monkeypatch.setattr("bot.logging_setup.setup_logging", lambda level: None)  # pytest's logging stays
    monkeypatch.setenv(TOKEN_ENV, DEFAULT_TOKEN)
    returned = threading.Event()
    with FakeTelegramThread(rate_limits=RateLimits.disabled()) as telegram:
        config = _config(tmp_path, telegram.fake.base_url)

        def delete_the_database() -> None:
            telegram.run(telegram.fake.wait_for("getUpdates", timeout=60), timeout=70)
            for file in tmp_path.glob("akhbar.sqlite3*"):
                file.unlink()
            if not returned.wait(60):  # the bot went on: stop it, for the test to fail, not hang
                os.kill(os.getpid(), signal.SIGTERM)

        deleter = threading.Thread(target=delete_the_database, daemon=True)
        deleter.start()
        try:
            code = main(["--config", str(config), "run"])
        finally:
            returned.set()
            deleter.join(10)
    told = capsys.readouterr().err
    assert code == 4, told
    assert told.count("\n") == 1 and "akhbar.sqlite3 was deleted while the bot ran" in told
    assert "backup" in told and "Traceback" not in told


# --- a database a newer release migrated -------------------------------------------------------------


def _newer_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = _config(tmp_path, "http://127.0.0.1:9/bot")  # never reached
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    with sqlite3.connect(tmp_path / "akhbar.sqlite3") as connection:
        connection.execute(
            "UPDATE alembic_version SET version_num = '9999_future' "
            "WHERE rowid = (SELECT min(rowid) FROM alembic_version)"
        )
    connection.close()
    monkeypatch.setattr("bot.logging_setup.setup_logging", lambda level: None)
    monkeypatch.setenv(TOKEN_ENV, DEFAULT_TOKEN)
    return config


@pytest.mark.parametrize("command", [["run"], ["db", "upgrade"]])
def test_a_database_from_a_newer_release_is_named_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    config = _newer_database(tmp_path, monkeypatch)
    capsys.readouterr()
    assert main(["--config", str(config), *command]) == 2
    told = capsys.readouterr().err
    assert told.count("\n") == 1, told
    assert "upgraded by a newer Akhbar (revision 9999_future" in told
    assert "run that version, or restore a backup" in told and "Traceback" not in told
