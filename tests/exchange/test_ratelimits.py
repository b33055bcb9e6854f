"""Per-credential rate limits in a fixed one-minute window."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.cache import caches

from dlnuf.exchange.ratelimits import rate_limit_hit
from tests.live_stack import redis_as_cache, redis_server


def test_calls_are_counted_until_the_limit_then_refused() -> None:
    statuses = [rate_limit_hit(credential_id=7, limit=3, now=6000.0 + i) for i in range(4)]

    assert [s.remaining for s in statuses] == [2, 1, 0, 0]
    assert [s.exceeded for s in statuses] == [False, False, False, True]
    assert statuses[3].reset_seconds == 57
    assert statuses[3].headers() == {
        "RateLimit-Limit": "3",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "57",
        "Retry-After": "57",
    }
    assert "Retry-After" not in statuses[0].headers()


def test_a_new_window_starts_afresh() -> None:
    for i in range(3):
        rate_limit_hit(credential_id=7, limit=3, now=6000.0 + i)

    next_window = rate_limit_hit(credential_id=7, limit=3, now=6060.5)

    assert not next_window.exceeded
    assert next_window.remaining == 2
    assert next_window.reset_seconds == 60


def test_each_credential_has_its_own_count() -> None:
    rate_limit_hit(credential_id=1, limit=1, now=6000.0)

    assert not rate_limit_hit(credential_id=2, limit=1, now=6000.0).exceeded
    assert rate_limit_hit(credential_id=1, limit=1, now=6000.0).exceeded


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def test_on_redis_parallel_calls_get_exactly_the_limit(settings: Any, redis_url: str) -> None:
    with redis_as_cache(settings, redis_url), ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(lambda _: rate_limit_hit(credential_id=7, limit=25, now=6000.0), range(80))
        )

    assert sum(not status.exceeded for status in statuses) == 25


def test_on_redis_a_window_counter_left_without_expiry_gets_one(
    settings: Any, redis_url: str
) -> None:
    with redis_as_cache(settings, redis_url) as client:
        key = caches["default"].make_and_validate_key("dlnuf:ratelimit:7:100")
        # What INCR leaves when the key expires between Django's EXISTS and its INCR.
        client.set(key, 2)

        assert rate_limit_hit(credential_id=7, limit=3, now=6000.0).remaining == 0

        assert 0 < client.ttl(key) <= 120
