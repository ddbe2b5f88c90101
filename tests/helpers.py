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
