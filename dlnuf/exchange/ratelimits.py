"""Per-credential rate limits: a fixed one-minute window counted in the shared cache.

The counter is incremented atomically in one step (a script on Redis, which production requires,
a locked increment in local memory), so that every worker sees the same count and exactly
``limit`` calls go through in a window however many arrive at once. Headers follow the IETF
RateLimit fields draft: ``RateLimit-Reset`` and ``Retry-After`` are seconds until the window ends.
"""

import math
import time
from dataclasses import dataclass

from dlnuf.counters import counter_increment

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
    # The key names its window; the expiry only has to outlast what remains of that window.
    count = counter_increment(key, window_seconds=WINDOW_SECONDS * 2)
    reset = max(1, math.ceil((window + 1) * WINDOW_SECONDS - moment))
    return RateLimitStatus(
        limit=limit,
        remaining=max(0, limit - count),
        reset_seconds=reset,
        exceeded=count > limit,
    )
