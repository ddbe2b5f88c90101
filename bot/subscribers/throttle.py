"""Per-user flood control: a token bucket per Telegram user.

Updates are handled eight at a time (bot.app, concurrent_updates), so one user (or a misbehaving
bot in a group) sending hundreds of messages a second would hold every slot and delay everyone
else's answers, and our replies to them would only pile into Telegram's 429s. A user may send a
burst of BURST updates and then about one a second; beyond that their updates are dropped until
the bucket refills, and they are told once a minute at most.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

BURST = 20
PER_SECOND = 1.0
NOTICE_EVERY = 60.0
_FORGET_AFTER = 600.0  # idle users' buckets are dropped: memory stays bounded


@dataclass
class _Bucket:
    tokens: float
    at: float
    noticed_at: float = float("-inf")


@dataclass
class Throttle:
    burst: int = BURST
    per_second: float = PER_SECOND
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[int, _Bucket] = field(default_factory=dict)

    def allow(self, user_id: int) -> bool:
        now = self.clock()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._forget_idle(now)
            bucket = self._buckets[user_id] = _Bucket(tokens=float(self.burst), at=now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.per_second)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return True
        return False

    def should_notice(self, user_id: int) -> bool:
        """Whether a user being dropped should hear why now (once a minute at most)."""
        bucket = self._buckets.get(user_id)
        now = self.clock()
        if bucket is None or now - bucket.noticed_at < NOTICE_EVERY:
            return False
        bucket.noticed_at = now
        return True

    def _forget_idle(self, now: float) -> None:
        for user_id in [u for u, b in self._buckets.items() if now - b.at > _FORGET_AFTER]:
            del self._buckets[user_id]
