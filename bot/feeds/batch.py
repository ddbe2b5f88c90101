"""Group commit for the poller's small database chores.

Hundreds of feeds polled together each need "read my row" before fetching and, when the answer
is 304, "write my new check times" after. One SQLite round trip per feed costs more CPU than the
HTTP request itself, so concurrent requests are coalesced: every caller still awaits its own
result (a write is committed before its caller goes on), but the callers that arrive while one
batch is being served share the next one: one SELECT ... IN (...), one executemany UPDATE.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from bot.db.database import Database

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    """`await c.submit(item)` -> that item's result from `run(batch_of_items)`."""

    def __init__(self, run: Callable[[list[T]], Awaitable[Sequence[R]]]) -> None:
        self._run = run
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future))
        if not self._scheduled:
            self._scheduled = True
            # Give the other tasks that are ready now a turn to join this batch.
            loop.call_soon(self._start)
        return await future

    def _start(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._flush(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _flush(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._run([item for item, _ in batch])
        except BaseException as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)


_registry: weakref.WeakKeyDictionary[Database, dict[str, tuple[asyncio.AbstractEventLoop, Any]]] = (
    weakref.WeakKeyDictionary()
)


def coalescer(db: Database, name: str, factory: Callable[[], Coalescer[Any, Any]]) -> Coalescer[Any, Any]:
    """The coalescer `name` for this database on the running event loop (one per loop: futures
    belong to a loop)."""
    loop = asyncio.get_running_loop()
    per_db = _registry.setdefault(db, {})
    entry = per_db.get(name)
    if entry is None or entry[0] is not loop:
        entry = per_db[name] = (loop, factory())
    return entry[1]  # type: ignore[no-any-return]
