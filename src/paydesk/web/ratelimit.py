"""Per-client token buckets for the checkout endpoints.

Every checkout reserves stock for half an hour and opens a Stripe session, so an anonymous
client that may call it without limit can hold the whole stock. The buckets live in this
process: behind a load balancer each instance limits on its own, which still bounds a client to
(instances x rate). The client is `request.client.host`, which uvicorn's proxy-header handling
already sets from X-Forwarded-For when the proxy is trusted (FORWARDED_ALLOW_IPS).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

# Enough for every client of a busy shop at once; beyond it the least recently seen go first.
MAX_CLIENTS = 10_000


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many checkouts from this address: try again in {retry_after} s"
        )
        self.message = str(self)
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucket:
    """`burst` requests at once, then `per_minute` more each minute, per key. Thread-safe."""

    def __init__(
        self, burst: int, per_minute: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take a token for `key`: 0.0 when granted, else the seconds until one is free."""
        return self._visit(key, take=True)

    def wait(self, key: str) -> float:
        """Seconds until `key` has a token (0.0 now), taking none: for limits that charge
        only failures (admin sign-in), checked before the attempt."""
        return self._visit(key, take=False)

    def _visit(self, key: str, take: bool) -> float:
        now = self.clock()
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            self._buckets[key] = bucket
            if len(self._buckets) > MAX_CLIENTS:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1:
                bucket.tokens -= 1 if take else 0
                return 0.0
            if self.rate <= 0:
                return math.inf
            return (1 - bucket.tokens) / self.rate


def limit_checkouts(request: Request) -> None:
    """Dependency of the checkout routes: raises RateLimited (429) when the client is over."""
    bucket: TokenBucket | None = getattr(request.app.state, "checkout_limiter", None)
    if bucket is None:
        return
    wait = bucket.take(request.client.host if request.client else "unknown")
    if wait > 0:
        raise RateLimited(max(1, math.ceil(min(wait, 24 * 3600))))
