"""Rate limits per client address: a sliding window of recent attempts, in memory.

Each server process keeps its own window, so with N processes an address gets
at most N times the limit: enough to stop guessing passwords or keys.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

__all__ = ["RateLimited", "Throttle", "LOGINS", "BAD_CREDENTIALS"]


class RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Too many attempts. Try again in {int(retry_after) + 1} seconds.")
        self.retry_after = retry_after


@dataclass
class Throttle:
    limit: int
    window: float  # seconds
    _hits: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def _recent(self, address: str, now: float) -> deque[float]:
        hits = self._hits[address]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def check(self, address: str, now: float | None = None) -> None:
        """Raises RateLimited while `address` has used up its attempts."""
        now = time.monotonic() if now is None else now
        hits = self._recent(address, now)
        if len(hits) >= self.limit:
            raise RateLimited(hits[0] + self.window - now)

    def record(self, address: str, now: float | None = None) -> None:
        """Counts one attempt from `address`."""
        now = time.monotonic() if now is None else now
        self._recent(address, now).append(now)
        if len(self._hits) > 100_000:  # forget idle addresses rather than grow without end
            for idle in [a for a, h in self._hits.items() if not h or h[-1] <= now - self.window]:
                del self._hits[idle]

    def reset(self) -> None:
        self._hits.clear()


# Every login attempt counts; for tokens and API keys, only the ones refused.
LOGINS = Throttle(limit=10, window=60.0)
BAD_CREDENTIALS = Throttle(limit=20, window=60.0)
