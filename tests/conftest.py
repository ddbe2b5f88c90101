"""Shared test setup: the fake Telegram Bot API and the local feed server are pytest plugins."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).parent
pytest_plugins = [
    "tests." + path.replace("/", ".")
    for path in ("fakes/telegram_plugin", "fakes/feeds_plugin", "helpers")
    if (_HERE / f"{path}.py").exists()
]
