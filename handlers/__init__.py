"""Telegram update handlers, registered in one place.

Each module exposes `register(application)` and may expose `async set_commands(application)`;
they are thin adapters over bot/'s services. Order matters: PTB tries handlers in order within a
group, so the catch-all text question handler (handlers.questions) comes after the commands.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from telegram.ext import Application

MODULES = [
    "handlers.throttle",
    "handlers.start",
    "handlers.subscriber",
    "handlers.settings",
    "handlers.forget",
    "handlers.story_buttons",
    "handlers.search",
    "handlers.inline",
    "handlers.admin",
    "handlers.questions",
    "handlers.errors",
]


def _modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in MODULES if importlib.util.find_spec(name) is not None]


def register_all(application: Application) -> None:  # type: ignore[type-arg]
    for module in _modules():
        module.register(application)


async def setup_commands(application: Application) -> None:  # type: ignore[type-arg]
    """setMyCommands in Arabic (default) and English, from every module that has commands."""
    for module in _modules():
        set_commands = getattr(module, "set_commands", None)
        if set_commands is not None:
            await set_commands(application)
