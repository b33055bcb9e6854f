"""Per-credential rate limits: a fixed one-minute window counted in the shared cache.

The counter is incremented atomically (Redis INCR when REDIS_URL is set, a locked increment in
local memory otherwise), so every worker sees the same count. Headers follow the IETF RateLimit
fields draft: ``RateLimit-Reset`` and ``Retry-After`` are seconds until the window ends.
"""

import math
import time
from dataclasses import dataclass

from django.core.cache import cache

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class RateLimitStatus:
    limit: int
    remaining: int
    reset_seconds: int
    exceeded: bool

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if self.exceeded:
            headers["Retry-After"] = str(self.reset_seconds)
        return headers


def rate_limit_hit(*, credential_id: int, limit: int, now: float | None = None) -> RateLimitStatus:
    """Count one call of this credential in the current window and say whether it is allowed."""
    moment = time.time() if now is None else now
    window = int(moment // WINDOW_SECONDS)
    key = f"dlnuf:ratelimit:{credential_id}:{window}"
    try:
        count = cache.incr(key)
    except ValueError:
        # First call of the window: add() is atomic, so of two racing workers one creates the
        # counter and the other increments it.
        count = 1 if cache.add(key, 1, timeout=WINDOW_SECONDS * 2) else cache.incr(key)
    reset = max(1, math.ceil((window + 1) * WINDOW_SECONDS - moment))
    return RateLimitStatus(
        limit=limit,
        remaining=max(0, limit - count),
        reset_seconds=reset,
        exceeded=count > limit,
    )
