"""Requests counted in a moving window by the `limits` library (exact: no burst at a window edge)."""

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class RateLimitStatus:
    """One counted request: whether it is allowed and where its window stands."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds when the oldest counted request leaves the window

    @property
    def retry_after(self) -> int:
        """Whole seconds until a request is allowed again (at least 1)."""
        return max(1, math.ceil(self.reset_at - time.time()))


class RequestLimiter:
    def __init__(self, storage: Storage):
        self._limiter = MovingWindowRateLimiter(storage)

    def hit(self, rate: str | RateLimitItem, *identifiers: str) -> RateLimitStatus:
        """Count one request of `identifiers` against `rate` ("60/minute") unless it is used up."""
        item = parse(rate) if isinstance(rate, str) else rate
        allowed = self._limiter.hit(item, *identifiers)
        reset_at, remaining = self._limiter.get_window_stats(item, *identifiers)
        return RateLimitStatus(allowed, item.amount, max(0, remaining), reset_at)
