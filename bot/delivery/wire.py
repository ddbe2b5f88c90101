"""Whether a message's request has left for Telegram: what a clean stop needs to know.

The sender's client goes through PTB's AIORateLimiter, which holds a request back (its overall and
per-group limits) and waits out a 429 inside the call before trying again. A stop that cancels such
a call mid-wait used to leave its row "sending", so the next start marked it uncertain and never
sent it, though nothing had reached Telegram. `WireRequest` notes, for the task sending, when a
request goes out and when Telegram refused it (429: nothing delivered); the sender puts back what
was never on the wire.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from telegram.request import HTTPXRequest

_ON_WIRE: ContextVar[list[bool] | None] = ContextVar("akhbar_on_wire", default=None)


class WireRequest(HTTPXRequest):
    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        flag = _ON_WIRE.get()
        if flag is not None:
            flag[0] = True  # from here on it may have been delivered, whatever happens next
        code, payload = await super().do_request(*args, **kwargs)
        if flag is not None and code == 429:
            flag[0] = False  # refused by flood control: nothing was delivered
        return code, payload


@contextmanager
def watching() -> Iterator[list[bool]]:
    """[True] while this task's request may have reached Telegram; [False] before any left, or
    after Telegram refused it with a 429."""
    flag = [False]
    token = _ON_WIRE.set(flag)
    try:
        yield flag
    finally:
        _ON_WIRE.reset(token)
