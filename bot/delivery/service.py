"""Placeholder until the delivery work lands: sends nothing."""

from __future__ import annotations

from typing import Any


async def start(application: Any) -> None:
    return None


async def stop(application: Any) -> None:
    return None
