"""Telegram update handlers, registered in one place.

Each module exposes `register(application)`; they are thin adapters over bot/'s services.
"""

from __future__ import annotations

from telegram.ext import Application

from handlers import errors, start


def register_all(application: Application) -> None:  # type: ignore[type-arg]
    start.register(application)
    errors.register(application)


async def setup_commands(application: Application) -> None:  # type: ignore[type-arg]
    """setMyCommands in Arabic (default) and English."""
    await start.set_commands(application)
