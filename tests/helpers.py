"""Fixtures shared by the end-to-end tests: a test config, a database, the running bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config, parse_config
from bot.db.database import Database, open_database

ADMIN_ID = 1000
USER_ID = 2000


def make_config(tmp_path: Path, *, base_url: str = "http://127.0.0.1:9/bot", **sections: Any) -> Config:
    """A config for tests: SQLite in tmp_path, loopback feeds allowed, polls every second."""
    raw: dict[str, Any] = {
        "telegram": {"api_base_url": base_url, "admins": [ADMIN_ID]},
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'akhbar.sqlite3'}"},
        "fetch": {
            "min_interval": 1,
            "allow_private_addresses": True,
            "connect_timeout": 2,
            "read_timeout": 5,
        },
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return parse_config(raw, source="test config")


def write_run_config(folder: Path, *, token_env: str, api_base_url: str, database_url: str) -> Path:
    """A config.toml for `akhbar run` in a child process: the token from `token_env`, a short poll."""
    config = folder / "config.toml"
    config.write_text(
        f"""
[telegram]
token_env = "{token_env}"
api_base_url = "{api_base_url}"
poll_timeout = 1
[database]
url = "{database_url}"
""",
        encoding="utf-8",
    )
    return config


@pytest.fixture
def config_factory(tmp_path: Path) -> Callable[..., Config]:
    def factory(**sections: Any) -> Config:
        return make_config(tmp_path, **sections)

    return factory


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def bot_factory(config_factory: Callable[..., Config], fake_telegram: Any) -> Callable[..., Any]:
    """`async with bot_factory(feeds=[...]) as app:` runs the real Application against the fake API
    (on the database config_factory gives: SQLite here, PostgreSQL in tests/test_postgres.py)."""
    from bot.app import build_application, running

    def factory(**sections: Any) -> Any:
        sections.setdefault("telegram", {})
        sections["telegram"] = {
            "api_base_url": fake_telegram.base_url,
            "api_base_file_url": fake_telegram.base_file_url,
            "admins": [ADMIN_ID],
            **sections["telegram"],
        }
        config = config_factory(**sections)
        return running(build_application(config, fake_telegram.token))

    return factory


def as_anonymous_admin(chat: dict[str, Any], text: str) -> dict[str, Any]:
    """A command an admin sent as the group itself: Telegram's one GroupAnonymousBot account."""
    return {
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": chat,
            "from": {
                "id": 1087968824,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            },
            "sender_chat": chat,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        }
    }


async def remove_feed_confirmed(
    fake: Any, ref: str, *, chat_id: int = ADMIN_ID, choice: str = "yes", lang: str = "ar"
) -> tuple[str, str]:
    """/removefeed REF as an admin, then the choice pressed on its question ("yes", "pause", "no"):
    (the question's text, the message's text once the bot has answered the press)."""
    [question] = await fake.converse(chat_id, f"/removefeed {ref}", language_code=lang, timeout=10)
    asked = str(question["plain_text"])  # the fake edits its record of the message in place
    buttons = [b for row in (question.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
    data = next(
        (b["callback_data"] for b in buttons if b["callback_data"].startswith(f"adm:rm:{choice}:")), None
    )
    if data is None:  # not a question (an unknown feed, a usage line): nothing to press
        return asked, asked
    calls = len(fake.calls())
    update = await fake.callback_query(chat_id, question["message_id"], data, language_code=lang)
    await fake.wait_for_callback_answer(update["callback_query"]["id"])
    await fake.wait_for("editMessageText", since=calls, timeout=10)
    return asked, fake.message(chat_id, question["message_id"])["plain_text"]
