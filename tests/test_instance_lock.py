"""One running bot per database: a second `akhbar run` on the same database is refused, clearly."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from bot.cli import main
from bot.db.database import Database
from bot.db.instance_lock import AnotherInstanceRunning, acquire
from tests.fakes.feed_server import _ThreadHandle
from tests.fakes.telegram_api import FakeTelegram
from tests.test_digest_cmd import server
from tests.test_digest_cmd import write_config as write_digest_config
from tests.test_run_e2e import start_run, write_config

__all__ = ["server"]  # a fixture, used by name


async def test_a_second_lock_on_the_same_database_is_refused_until_the_first_is_released(
    db: Database,
) -> None:
    other = Database(db.url)
    try:
        first = await acquire(db)
        with pytest.raises(AnotherInstanceRunning, match="is in use by"):
            await acquire(other)
        await first.release()
        second = await acquire(other)  # the first bot stopped: the next one may start
        await second.release()
    finally:
        await other.close()


async def test_a_lock_is_per_database(tmp_path: Path) -> None:
    one = Database(f"sqlite+aiosqlite:///{tmp_path / 'one.sqlite3'}")
    two = Database(f"sqlite+aiosqlite:///{tmp_path / 'two.sqlite3'}")
    try:
        locks = [await acquire(one), await acquire(two)]
        for lock in locks:
            await lock.release()
    finally:
        await one.close()
        await two.close()


async def test_a_second_akhbar_run_on_the_same_database_exits_with_a_message_and_the_first_goes_on(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    config = write_config(tmp_path, fake_telegram, "poll_timeout = 1")
    first = await start_run(config, fake_telegram, stderr=asyncio.subprocess.PIPE)
    try:
        await fake_telegram.wait_for("getUpdates", timeout=60)
        second = await start_run(config, fake_telegram, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(second.communicate(), timeout=60)
        assert second.returncode == 3, (out + err).decode(errors="replace")[-2000:]
        message = err.decode()
        assert f"in use by `akhbar run` (process {first.pid})" in message
        assert str(tmp_path / "akhbar.sqlite3") in message
        assert "Traceback" not in message
        [reply] = await fake_telegram.converse(4242, "/start", timeout=30, language_code="ar")
        assert "/subscribe" in reply["plain_text"]  # the running bot was not disturbed
    finally:
        first.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(first.communicate(), timeout=30)
    assert first.returncode == 0, (out + err).decode(errors="replace")[-2000:]


def test_digest_will_not_poll_a_running_bots_database_but_can_use_a_throwaway_one(
    server: _ThreadHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The bot sends only the stories its own polls store: a digest polling its database would keep
    # these stories from the bot's subscribers for good.
    fs = server.server
    feed = server.call(fs.add_feed, "arabiya", fs.stories[:2])
    config = write_digest_config(tmp_path, [("العربية", feed)])
    bot_db = Database(f"sqlite+aiosqlite:///{tmp_path / 'digest.sqlite3'}")
    lock = asyncio.run(acquire(bot_db))  # what a running `akhbar run` holds
    try:
        assert main(["digest", "--config", str(config), "--no-progress"]) == 3
        err = capsys.readouterr().err
        assert f"in use by `akhbar run` (process {os.getpid()})" in err
        assert "--temp-db" in err and "Traceback" not in err

        assert main(["digest", "--config", str(config), "--no-progress", "--temp-db"]) == 0
        assert fs.stories[0].title in capsys.readouterr().out
    finally:
        asyncio.run(lock.release())
        asyncio.run(bot_db.close())
    # Once the bot has stopped, the digest polls the database: nothing was taken from it before.
    assert main(["digest", "--config", str(config), "--no-progress"]) == 0
    assert "2 new stories from 1 feed" in capsys.readouterr().out


def test_db_upgrade_waits_for_the_running_bot_to_stop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'akhbar.sqlite3'}"
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    bot_db = Database(url)
    lock = asyncio.run(acquire(bot_db))  # what a running `akhbar run` holds
    try:
        assert main(["db", "upgrade", "--config", str(config)]) == 3
        err = capsys.readouterr().err
        assert f"in use by `akhbar run` (process {os.getpid()})" in err and "Traceback" not in err
        assert main(["db", "current", "--config", str(config)]) == 0  # reading is fine
        assert "no database yet" in capsys.readouterr().out  # and nothing was migrated (or created)
    finally:
        asyncio.run(lock.release())
        asyncio.run(bot_db.close())
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    versions = Path(__file__).resolve().parents[1] / "bot" / "db" / "migrations" / "versions"
    newest_search = max(path.name[: len("search_0000")] for path in versions.glob("search_0*.py"))
    assert newest_search in capsys.readouterr().out  # migrated to the last revision


async def test_a_bot_whose_lock_another_bot_took_stops_itself() -> None:
    from types import SimpleNamespace

    from bot import app as bot_app

    class Lost:
        async def keep(self) -> None:
            raise AnotherInstanceRunning("the database is in use by another Akhbar process")

    stopped: list[bool] = []
    application = SimpleNamespace(bot_data={bot_app._LOCK: Lost()}, stop_running=lambda: stopped.append(True))
    await bot_app._keep_lock(SimpleNamespace(application=application))  # type: ignore[arg-type]
    assert stopped == [True]
    assert "in use by another" in application.bot_data[bot_app._LOCK_LOST]  # `akhbar run` exits 3
