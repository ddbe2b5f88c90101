"""pytest fixtures for the fake Telegram Bot API (loaded from tests/conftest.py via ``pytest_plugins``).

``fake_telegram``: a started ``FakeTelegram`` with rate limits off, stopped after the test.
``fake_telegram_factory``: ``await fake_telegram_factory(**kwargs)`` starts one with any
``FakeTelegram`` keyword (e.g. ``rate_limits=RateLimits()`` for Telegram's limits,
``strict_chats=True``); all are stopped after the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest_asyncio

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
