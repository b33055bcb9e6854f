"""Counters in Django's cache that every worker shares, changed atomically on any backend.

Rate limits, circuit breakers and throttles count events in a window that opens with the first
event. Django's ``incr`` on Redis checks that the key exists and then increments it in a second
command: a key expiring in between is re-created by ``INCR`` without an expiry, so a sign-in
block would never lift. On Redis the increment therefore runs as one script that also gives the
counter its expiry; other backends (local memory, memcached) lock ``add`` and ``incr`` already.
"""

import contextlib
from typing import Any

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

# What the shared store raises when it cannot answer (Redis stopped, unreachable, timed out).
# Local memory never does.
SharedStateError = redis.exceptions.RedisError

# INCR, then an expiry for a counter that has none (just created, or left without one).
_INCREMENT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""

# DECR only an existing counter: a missing one must not come back without an expiry.
_DECREMENT_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""


def _redis_client(cache: RedisCache, key: str) -> Any:
    # Django exposes no atomic "increment or create"; its client gives the redis-py connection.
    return cache._cache.get_client(key, write=True)  # type: ignore[attr-defined]


def counter_increment(name: str, *, window_seconds: int) -> int:
    """Add one to the counter ``name`` and return its new value; a missing counter starts at 1
    and disappears ``window_seconds`` later."""
    cache = caches["default"]
    key = cache.make_and_validate_key(name)
    if isinstance(cache, RedisCache):
        client = _redis_client(cache, key)
        return int(client.eval(_INCREMENT_SCRIPT, 1, key, max(1, window_seconds)))
    while True:
        if cache.add(name, 1, timeout=window_seconds):
            return 1
        try:
            return int(cache.incr(name))
        except ValueError:
            # The window closed between the two calls: this event opens the next one.
            continue


def counter_decrement(name: str) -> None:
    """Take one back from the counter ``name``, if it still exists."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        key = cache.make_and_validate_key(name)
        _redis_client(cache, key).eval(_DECREMENT_SCRIPT, 1, key)
        return
    with contextlib.suppress(ValueError):
        cache.decr(name)


def counter_value(name: str) -> int:
    return int(caches["default"].get(name) or 0)
