"""pytest fixtures for the fake Telegram Bot API (loaded from tests/conftest.py via ``pytest_plugins``).

``fake_telegram``: a started ``FakeTelegram`` with rate limits off, stopped after the test.
``fake_telegram_factory``: ``await fake_telegram_factory(**kwargs)`` starts one with any
``FakeTelegram`` keyword (e.g. ``rate_limits=RateLimits()`` for Telegram's limits,
``strict_chats=True``); all are stopped after the test.
``polling(app, fake)``: async context manager running a PTB ``Application`` with long polling
against the fake; on entry the bot is ready for updates, on exit it has stopped cleanly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest_asyncio
from telegram.ext import Application

from tests.fakes.telegram_api import FakeTelegram, RateLimits

FakeTelegramFactory = Callable[..., Awaitable[FakeTelegram]]


@pytest_asyncio.fixture
async def fake_telegram_factory() -> AsyncIterator[FakeTelegramFactory]:
    started: list[FakeTelegram] = []

    async def make(**kwargs: Any) -> FakeTelegram:
        fake = await FakeTelegram(**kwargs).start()
        started.append(fake)
        return fake

    yield make
    for fake in started:
        await fake.stop()


@pytest_asyncio.fixture
async def fake_telegram(fake_telegram_factory: FakeTelegramFactory) -> FakeTelegram:
    return await fake_telegram_factory(rate_limits=RateLimits.disabled())


@asynccontextmanager
async def polling(
    app: Application,  # type: ignore[type-arg]
    fake: FakeTelegram,
    *,
    timeout: int = 1,
    **start_polling_kwargs: Any,
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Initialise, start and long-poll ``app``; stop everything on exit (even after a failure)."""
    async with app:
        await app.start()
        assert app.updater is not None, "build the Application with an Updater to poll"
        await app.updater.start_polling(poll_interval=0, timeout=timeout, **start_polling_kwargs)
        try:
            await fake.wait_for_poller()
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
