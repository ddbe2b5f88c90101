"""`akhbar run`, the real process, against the fake Bot API: it answers /start and stops cleanly."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import httpx

from tests.fakes.telegram_api import FakeTelegram

ARABIC = re.compile(r"[\u0600-\u06FF]")
TOKEN_ENV = "AKHBAR_E2E_TOKEN"


def write_config(tmp_path: Path, fake_telegram: FakeTelegram, telegram: str = "", more: str = "") -> Path:
    """A config.toml for `akhbar run` against the fake Bot API, on an SQLite file in tmp_path;
    `telegram` adds lines to [telegram], `more` adds sections."""
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[telegram]
token_env = "{TOKEN_ENV}"
api_base_url = "{fake_telegram.base_url}"
api_base_file_url = "{fake_telegram.base_file_url}"
{telegram}
{more}
[database]
url = "sqlite+aiosqlite:///{tmp_path / "akhbar.sqlite3"}"
""",
        encoding="utf-8",
    )
    return config


async def start_run(
    config: Path, fake_telegram: FakeTelegram, *args: str, env: dict[str, str] | None = None, stderr: int
) -> asyncio.subprocess.Process:
    """`python -m bot --config CONFIG run ARGS` with the fake's token in the environment."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config),
        "run",
        *args,
        env={**os.environ, TOKEN_ENV: fake_telegram.token, **(env or {})},
        cwd=config.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )


async def test_akhbar_run_answers_start_and_never_prints_the_token(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    config = write_config(tmp_path, fake_telegram, "admins = [1000]\npoll_timeout = 1")
    proc = await start_run(config, fake_telegram, "--log-level", "DEBUG", stderr=asyncio.subprocess.STDOUT)
    # Read the log as it is written: a DEBUG log fills the pipe's 64 KB long before the end, and a
    # process whose log nobody reads blocks on its next line (every thread, on the handler's lock).
    assert proc.stdout is not None
    reading = asyncio.create_task(proc.stdout.read())
    output = b""
    try:
        await fake_telegram.wait_for("getUpdates", timeout=60)
        [reply] = await fake_telegram.converse(4242, "/start", timeout=30, language_code="ar")
        assert ARABIC.search(reply["plain_text"])
        assert "/subscribe" in reply["plain_text"]
        [reply_en] = await fake_telegram.converse(4343, "/start", timeout=30, language_code="en")
        assert not ARABIC.search(reply_en["plain_text"])
        assert (tmp_path / "akhbar.sqlite3").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        output = await asyncio.wait_for(reading, timeout=30)
        await asyncio.wait_for(proc.wait(), timeout=30)
    assert proc.returncode == 0, output.decode(errors="replace")[-2000:]
    secret = fake_telegram.token.split(":", 1)[1]
    assert secret not in output.decode(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_akhbar_run_in_webhook_mode_answers_updates_posted_with_the_secret(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    # Telegram posts updates to the public HTTPS URL; a reverse proxy in front hands them to the
    # bot's plain-HTTP listener, which is what this test plays.
    port = _free_port()
    config = write_config(
        tmp_path,
        fake_telegram,
        'mode = "webhook"',
        f"""[telegram.webhook]
listen = "127.0.0.1"
port = {port}
url_path = "hook"
webhook_url = "https://bot.example.org/hook"
secret_token_env = "AKHBAR_E2E_SECRET"
""",
    )
    proc = await start_run(
        config, fake_telegram, env={"AKHBAR_E2E_SECRET": "s3cret-Token_1"}, stderr=asyncio.subprocess.STDOUT
    )
    output = b""
    try:
        hooked = await fake_telegram.wait_for("setWebhook", timeout=60)
        assert hooked["params"]["url"] == "https://bot.example.org/hook"
        assert hooked["params"]["secret_token"] == "s3cret-Token_1"
        update = await fake_telegram.user_message(4242, "/start", language_code="ar")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            refused = await client.post(
                "/hook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            )
            assert refused.status_code == 403
            accepted = await client.post(
                "/hook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"}
            )
            assert accepted.status_code == 200
        [reply] = await fake_telegram.wait_for_messages(4242, timeout=30)
        assert ARABIC.search(reply["plain_text"])
        assert "/subscribe" in reply["plain_text"]
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, output.decode(errors="replace")[-2000:]
    assert len(fake_telegram.sent_messages(4242)) == 1  # the refused post was not acted on


async def test_a_token_telegram_rejects_gets_a_clear_message_and_is_not_printed(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    wrong = "123456789:AAwrongTokenThatTelegramRejects_987654"
    config = write_config(tmp_path, fake_telegram)
    proc = await start_run(config, fake_telegram, env={TOKEN_ENV: wrong}, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    text = output.decode(errors="replace")
    assert proc.returncode == 2, text[-2000:]
    assert f"Telegram rejected the bot token in {TOKEN_ENV}" in text and "@BotFather" in text
    assert text.rstrip().endswith("cut short or revoked.")  # the last word is ours, not a traceback
    assert wrong.split(":", 1)[1] not in text  # nor in python-telegram-bot's logged traceback


async def test_a_token_revoked_while_running_stops_the_bot_with_the_same_clear_message(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    """The token is revoked at @BotFather while `akhbar run` runs: it used to go on polling feeds
    with its updates stopped and every queued card failing; now it stops, exit code 2, one message."""
    config = write_config(tmp_path, fake_telegram, "poll_timeout = 1")
    proc = await start_run(config, fake_telegram, stderr=asyncio.subprocess.STDOUT)
    token = fake_telegram.token
    try:
        await fake_telegram.wait_for("getUpdates", timeout=60)
        fake_telegram.token = "123456789:AAanotherTokenAfterRevocation_0000000"
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text = output.decode(errors="replace")
    assert proc.returncode == 2, text[-2000:]
    assert f"Telegram rejected the bot token in {TOKEN_ENV}" in text
    assert "Traceback" not in text and "Task was destroyed" not in text
    assert token.split(":", 1)[1] not in text
