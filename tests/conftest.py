"""Shared test setup: the fake Telegram Bot API and the local feed server are pytest plugins."""

from __future__ import annotations

import importlib.util

pytest_plugins = [
    name
    for name in ("tests.fakes.telegram_plugin", "tests.fakes.feeds_plugin", "tests.helpers")
    if importlib.util.find_spec(name) is not None
]
