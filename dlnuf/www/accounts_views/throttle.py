"""Hourly limits on the public account forms (forgotten password, account request).

Counted in Django's cache (Redis in production, shared by every worker) by one atomic increment
before the form is processed, so that a burst of parallel submissions cannot all slip under the
limit. Values are hashed: neither addresses nor IPs appear in the cache's keys.
"""

import hashlib

from dlnuf.counters import counter_increment

WINDOW_SECONDS = 60 * 60


def hourly_take(kind: str, value: str, limit: int) -> bool:
    """Count one submission for ``value``; False when it goes beyond ``limit`` this hour."""
    digest = hashlib.sha256(value.encode()).hexdigest()
    key = f"dlnuf:account-forms:{kind}:{digest}"
    return counter_increment(key, window_seconds=WINDOW_SECONDS) <= limit
