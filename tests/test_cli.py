"""The `akhbar` command line: help for every subcommand, and `run` without a token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import COMMANDS, main
from tests.helpers import make_config


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert f"akhbar {command}" in capsys.readouterr().out


def _write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[telegram]\ntoken_env = "AKHBAR_TEST_TOKEN"\n[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/a.sqlite3"\n'
        + extra,
        encoding="utf-8",
    )
    return path


TOKEN = "123456789:" + "A" * 35  # shaped like a real one; Telegram is never reached with it


def _akhbar_run(config: Path, env: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    """`akhbar run` in a process of its own, with only these variables set."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "run"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), **env},
        cwd=home,
    )


def test_run_without_a_token_says_how_to_get_one(tmp_path: Path) -> None:
    path = _write_config(tmp_path)
    result = _akhbar_run(path, {}, tmp_path)
    assert result.returncode == 2
    assert "@BotFather" in result.stderr
    assert "AKHBAR_TEST_TOKEN" in result.stderr
    # Commands an operator of a fresh checkout can type: `akhbar` alone is not on their PATH.
    assert "./scripts/run.sh" in result.stderr and ".venv/bin/akhbar digest" in result.stderr
    assert not (tmp_path / "a.sqlite3").exists()


@pytest.mark.parametrize("secret", [None, "", "has spaces and ; other things"])
def test_a_webhook_without_a_proper_secret_does_not_start(tmp_path: Path, secret: str | None) -> None:
    # Without it the listener would take updates from anyone who finds its address.
    path = _write_config(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            '[telegram]\ntoken_env = "AKHBAR_TEST_TOKEN"\n',
            '[telegram]\ntoken_env = "AKHBAR_TEST_TOKEN"\nmode = "webhook"\n'
            '[telegram.webhook]\nwebhook_url = "https://bot.example.org/telegram"\n'
            'secret_token_env = "AKHBAR_TEST_SECRET"\n',
        ),
        encoding="utf-8",
    )
    env = {"AKHBAR_TEST_TOKEN": TOKEN, **({"AKHBAR_TEST_SECRET": secret} if secret is not None else {})}
    result = _akhbar_run(path, env, tmp_path)
    assert result.returncode == 2
    assert "AKHBAR_TEST_SECRET" in result.stderr and "403" in result.stderr
    assert "has spaces" not in result.stderr  # a secret is never echoed
    assert not (tmp_path / "a.sqlite3").exists()


@pytest.mark.parametrize(
    ("url", "shown", "heading"),
    [
        # nothing listens
        (
            "postgresql+asyncpg://akhbar:s3cretpw@127.0.0.1:1/akhbar",
            "127.0.0.1:1",
            "Cannot reach the database",
        ),
        # under a file, not a folder
        ("sqlite+aiosqlite:///{tmp}/a-file/a.sqlite3", "a-file/a.sqlite3", "Cannot open the database file"),
    ],
)
def test_a_database_it_cannot_reach_is_named_in_one_message(
    tmp_path: Path, url: str, shown: str, heading: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    path = _write_config(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            f'url = "sqlite+aiosqlite:///{tmp_path}/a.sqlite3"', f'url = "{url.format(tmp=tmp_path)}"'
        ),
        encoding="utf-8",
    )
    result = _akhbar_run(path, {"AKHBAR_TEST_TOKEN": TOKEN}, tmp_path)
    assert result.returncode == 2
    assert heading in result.stderr and shown in result.stderr
    assert "Traceback" not in result.stderr and "s3cretpw" not in result.stderr


@pytest.mark.parametrize(
    "command", [["db", "upgrade"], ["db", "current"], ["search", "سوريا"], ["feeds", "list"]]
)
def test_every_command_names_a_database_it_cannot_reach_in_one_message(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write_config(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            f'url = "sqlite+aiosqlite:///{tmp_path}/a.sqlite3"',
            'url = "postgresql+asyncpg://akhbar:s3cretpw@127.0.0.1:1/akhbar"',
        ),
        encoding="utf-8",
    )
    assert main(["--config", str(path), *command]) == 2
    told = capsys.readouterr().err
    assert "Cannot reach the database" in told and "127.0.0.1:1" in told and str(path) in told
    assert "s3cretpw" not in told


def test_db_upgrade_creates_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_config(tmp_path)
    assert main(["--config", str(path), "db", "upgrade"]) == 0
    assert "0001" in capsys.readouterr().out
    assert (tmp_path / "a.sqlite3").exists()


async def test_db_backup_copies_a_live_database_consistently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import func, select

    from bot.db.database import open_database
    from bot.db.models import Story

    path = _write_config(tmp_path)
    db = await open_database(f"sqlite+aiosqlite:///{tmp_path}/a.sqlite3")
    try:
        # The bot is running: its last writes may still be in the WAL, not in the main file.
        async with db.write() as session:
            for i in range(3):
                session.add(Story(entry_key=f"k{i}", title=f"خبر {i}", source="test"))
        target = tmp_path / "backups" / "akhbar.sqlite3"
        assert main(["--config", str(path), "db", "backup", str(target)]) == 0
        assert "backup written" in capsys.readouterr().out
        copy = await open_database(f"sqlite+aiosqlite:///{target}")
        try:
            async with copy.read() as session:
                assert await session.scalar(select(func.count()).select_from(Story)) == 3
        finally:
            await copy.close()
        # A place it cannot write says so, leaving nothing behind.
        assert main(["--config", str(path), "db", "backup", "/proc/no-such-dir/akhbar.sqlite3"]) == 1
        assert "could not write /proc/no-such-dir/akhbar.sqlite3" in capsys.readouterr().err
        # An existing file is never overwritten.
        assert main(["--config", str(path), "db", "backup", str(target)]) == 2
        assert "exists" in capsys.readouterr().err
    finally:
        await db.close()


def test_db_backup_of_postgresql_points_to_pg_dump(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[database]\nurl = "postgresql+asyncpg://akhbar@localhost/akhbar"\n', encoding="utf-8")
    assert main(["--config", str(path), "db", "backup", str(tmp_path / "x")]) == 2
    assert "pg_dump" in capsys.readouterr().err


def test_logging_never_shows_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from bot.logging_setup import setup_logging

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        setup_logging("INFO")
        logging.getLogger("telegram.test").info(
            "POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe"
        )
        try:
            raise ValueError("The token `123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw` was rejected")
        except ValueError:
            logging.getLogger("telegram.ext").exception("bootstrap failed")  # a traceback quotes it
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in err
    assert "POST https://api.telegram.org/bot<token>/getMe" in err
    assert "The token `<token>` was rejected" in err


def test_make_config_helper_is_valid(tmp_path: Path) -> None:
    assert make_config(tmp_path).fetch.allow_private_addresses is True


def test_output_piped_into_a_reader_that_stops_early_ends_without_a_traceback(tmp_path: Path) -> None:
    """`akhbar search … | head`: head exits after its lines, and the rest of the output met a closed
    pipe; Python printed a BrokenPipeError traceback under the answer."""
    story = Path(__file__).parent / "fixtures" / "summarizer" / "seed_alaraby_2024.txt"
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is already gone: the first write fails, whatever the timing
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "summarize", str(story)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr
    assert done.returncode == 141


@pytest.mark.parametrize(
    "argv",
    [
        ["--config", "{path}", "feeds", "list"],
        ["feeds", "--config", "{path}", "list"],
        ["feeds", "list", "--config", "{path}"],  # refused before: "unrecognized arguments"
        ["db", "current", "--config", "{path}"],
    ],
)
def test_config_may_be_given_before_or_after_the_action(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write_config(tmp_path)
    assert main([arg.format(path=path) for arg in argv]) == 0
    assert "error" not in capsys.readouterr().err


def test_db_current_on_a_database_not_yet_created_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A look at the revision created an empty SQLite file (and its folder) where none was."""
    path = tmp_path / "config.toml"
    path.write_text('[database]\nurl = "sqlite+aiosqlite:///state/a.sqlite3"\n', encoding="utf-8")
    assert main(["--config", str(path), "db", "current"]) == 0
    assert "no database yet" in capsys.readouterr().out
    assert not (tmp_path / "state").exists()
    assert main(["--config", str(path), "db", "upgrade"]) == 0
    assert main(["--config", str(path), "db", "current"]) == 0
    assert "database at revision:" in capsys.readouterr().out


def test_db_current_or_upgrade_with_a_stray_word_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write_config(tmp_path)
    assert main(["--config", str(path), "db", "current", "extra"]) == 2
    assert "takes no argument" in capsys.readouterr().err
    assert not (tmp_path / "a.sqlite3").exists()
