"""Where the poller's CPU-bound work runs: parsing feeds, cleaning, summarising, fingerprints.

Never on the event loop (a 50-item feed would stall every chat handler while it parses). By default
in a worker thread; with `fetch.parse_processes = N` (N > 0) in a pool of N worker processes, which
lets a many-feed instance use more than one core (the GIL keeps threads to one). The functions sent
to the pool are plain module-level functions whose arguments and results pickle.
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

R = TypeVar("R")

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def _warm_up() -> None:
    # Import the worker's code and load the summarizer's model once per worker, instead of in
    # the first poll it serves.
    import summarizer
    from bot.feeds import work  # noqa: F401

    summarizer.summarize("هذا نص قصير للتجربة. وهذه جملة ثانية.", sentences=1)


def _executor(processes: int) -> ProcessPoolExecutor | None:
    global _pool, _pool_size
    if processes <= 0:
        return None
    with _lock:
        if _pool is None or _pool_size != processes:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            # spawn, not fork: the bot process has threads (aiosqlite, the JobQueue) by now.
            _pool = ProcessPoolExecutor(
                max_workers=processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_warm_up,
            )
            _pool_size = processes
        return _pool


async def run(processes: int, fn: Callable[..., R], *args: Any) -> R:
    """fn(*args) in the process pool (processes > 0) or a worker thread."""
    pool = _executor(processes)
    if pool is None:
        return await asyncio.to_thread(fn, *args)
    return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)


def shutdown() -> None:
    global _pool, _pool_size
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
        _pool, _pool_size = None, 0


atexit.register(shutdown)
