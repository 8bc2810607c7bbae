"""Rate limits per client address: a sliding window of recent attempts.

Where the attempts are counted is plugged in by the server (`use_store`):
on PostgreSQL every process counts in the database (`DatabaseStore`), or in
Redis when `REDIS_URL` is set (`RedisStore`), so N processes allow an address
the limit once, not N times; SQLite's single process counts in memory. A
store that cannot be reached lets the attempt through and logs it: a broken
counter must not lock everyone out.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any, Protocol

from tortoise.functions import Count, Min

from models import RateLimitHit

__all__ = [
    "RateLimited", "Throttle", "HitStore", "MemoryStore", "DatabaseStore", "RedisStore", "use_store",
    "LOGINS", "LOGIN_FAILURES", "BAD_CREDENTIALS", "REGISTRATIONS", "CODE_GUESSES_PER_CART", "CODE_GUESSES_PER_CLIENT", "login_key",
]

log = logging.getLogger("shopgraph.throttle")
REDIS_TIMEOUT = 1.0  # seconds for one Redis call, connecting included


class RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Too many attempts. Try again in {int(retry_after) + 1} seconds.")
        self.retry_after = retry_after


class HitStore(Protocol):
    async def hits(self, bucket: str, since: float) -> tuple[int, float | None]:
        """(attempts after `since`, the oldest of them)."""

    async def add(self, bucket: str, at: float, window: float) -> None: ...


class MemoryStore:
    """This process's own counts."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, bucket: str, since: float) -> deque[float]:
        hits = self._hits[bucket]
        while hits and hits[0] <= since:
            hits.popleft()
        return hits

    async def hits(self, bucket: str, since: float) -> tuple[int, float | None]:
        hits = self._recent(bucket, since)
        return len(hits), hits[0] if hits else None

    async def add(self, bucket: str, at: float, window: float) -> None:
        self._recent(bucket, at - window).append(at)
        if len(self._hits) > 100_000:  # forget idle addresses rather than grow without end
            for idle in [b for b, h in self._hits.items() if not h or h[-1] <= at - window]:
                del self._hits[idle]

    def reset(self) -> None:
        self._hits.clear()


class DatabaseStore:
    """Counts in the `rate_limit_hit` table, which every process shares (PostgreSQL)."""

    async def hits(self, bucket: str, since: float) -> tuple[int, float | None]:
        row = await RateLimitHit.filter(bucket=bucket, hit_at__gt=since).annotate(
            n=Count("id"), oldest=Min("hit_at")).first().values("n", "oldest")
        return (int(row["n"]), row["oldest"]) if row else (0, None)

    async def add(self, bucket: str, at: float, window: float) -> None:
        await RateLimitHit.filter(bucket=bucket, hit_at__lte=at - window).delete()
        await RateLimitHit.create(bucket=bucket, hit_at=at)


class RedisStore:
    """Counts in a Redis sorted set per address, which every process shares."""

    def __init__(self, url: str, namespace: str) -> None:
        import redis.asyncio as redis

        # Every call has a deadline: a count runs while a cart's row is locked, and a Redis that
        # stops answering must cost a checked attempt a second, never the lock.
        self._redis: Any = redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
        self._prefix = f"shopgraph:{namespace}:ratelimit:"

    async def hits(self, bucket: str, since: float) -> tuple[int, float | None]:
        key = self._prefix + bucket
        async with self._redis.pipeline(transaction=True) as pipe:
            _, count, oldest = await (pipe.zremrangebyscore(key, "-inf", since).zcard(key)
                                      .zrange(key, 0, 0, withscores=True).execute())
        return int(count), (oldest[0][1] if oldest else None)

    async def add(self, bucket: str, at: float, window: float) -> None:
        key = self._prefix + bucket
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.zadd(key, {f"{at}:{uuid.uuid4().hex[:8]}": at}).expire(key, int(window) + 1).execute()

    async def aclose(self) -> None:
        await self._redis.aclose()


_memory = MemoryStore()
_store: HitStore = _memory


def use_store(store: HitStore | None) -> None:
    """Where every limit counts from now on (None: this process's memory)."""
    global _store
    _store = store or _memory


@dataclass
class Throttle:
    name: str
    limit: int
    window: float  # seconds

    def _bucket(self, address: str) -> str:
        return f"{self.name}:{address}"

    async def check(self, address: str, now: float | None = None, tries: int = 1) -> None:
        """Raises RateLimited while `address` has not `tries` attempts left."""
        now = time.time() if now is None else now
        try:
            count, oldest = await _store.hits(self._bucket(address), now - self.window)
        except Exception:  # an unreachable counter lets the attempt through
            log.exception("rate limit %s could not be checked", self.name)
            return
        if count + tries > self.limit:
            raise RateLimited((oldest or now) + self.window - now)

    async def record(self, address: str, now: float | None = None, tries: int = 1) -> None:
        """Counts `tries` attempts from `address`."""
        now = time.time() if now is None else now
        try:
            for _ in range(tries):
                await _store.add(self._bucket(address), now, self.window)
        except Exception:
            log.exception("rate limit %s could not count an attempt", self.name)

    def reset(self) -> None:
        """Forgets this process's counts (tests)."""
        _memory.reset()


def login_key(address: str, email: str) -> str:
    """One client address guessing one account: the bucket of `LOGINS`.

    The account is a hash of its lower-cased email, so the counter names no
    email in the store. Guessing one account from one address never locks out
    the owner signing in from elsewhere, nor other accounts from that address.
    """
    account = hashlib.sha256(email.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{address}:{account}"


# Failed sign-ins per (address, account), and per address whatever the account (so
# trying one password on many accounts, or many made-up emails, each costing a password
# hash, is bounded too); refused tokens and API keys per address (valid ones always
# pass); registrations, every attempt, per address.
LOGINS = Throttle("logins", limit=10, window=60.0)
LOGIN_FAILURES = Throttle("login_failures", limit=30, window=60.0)
BAD_CREDENTIALS = Throttle("bad_credentials", limit=20, window=60.0)
REGISTRATIONS = Throttle("registrations", limit=10, window=60.0)
# Discount codes the shop does not have, per cart and per client address (known codes are free).
CODE_GUESSES_PER_CART = Throttle("code_guesses_cart", limit=10, window=3600.0)
CODE_GUESSES_PER_CLIENT = Throttle("code_guesses_client", limit=30, window=3600.0)
