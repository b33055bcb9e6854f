"""Shared counters: exact under concurrency and always expiring, in local memory and on Redis."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.cache import caches

from dlnuf.counters import counter_decrement, counter_increment, counter_value
from tests.live_stack import redis_as_cache, redis_server


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(params=["local_memory", "redis"])
def backend(request: pytest.FixtureRequest, settings: Any) -> Iterator[redis.Redis | None]:
    if request.param == "local_memory":
        yield None
        return
    with redis_as_cache(settings, request.getfixturevalue("redis_url")) as client:
        yield client


def _raw_key(name: str) -> str:
    return caches["default"].make_and_validate_key(name)


def test_parallel_increments_are_all_counted_and_each_sees_its_own_value(
    backend: redis.Redis | None,
) -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def count(times: int) -> None:
        for _ in range(times):
            value = counter_increment("parallel", window_seconds=60)
            with lock:
                seen.append(value)

    threads = [threading.Thread(target=count, args=(50,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(seen) == list(range(1, 401))
    assert counter_value("parallel") == 400


def test_a_decrement_gives_one_back_and_never_revives_a_missing_counter(
    backend: redis.Redis | None,
) -> None:
    counter_increment("returned", window_seconds=60)
    counter_increment("returned", window_seconds=60)
    counter_decrement("returned")
    assert counter_value("returned") == 1

    counter_decrement("absent")

    assert caches["default"].get("absent") is None


@pytest.fixture
def redis_cache(settings: Any, redis_url: str) -> Iterator[redis.Redis]:
    with redis_as_cache(settings, redis_url) as client:
        yield client


def test_redis_counters_expire_with_their_window(redis_cache: redis.Redis) -> None:
    counter_increment("windowed", window_seconds=90)
    counter_increment("windowed", window_seconds=90)

    assert 0 < redis_cache.ttl(_raw_key("windowed")) <= 90


def test_a_redis_counter_left_without_expiry_gets_one_back(redis_cache: redis.Redis) -> None:
    # What INCR leaves when the key expires between Django's EXISTS and its INCR.
    redis_cache.set(_raw_key("orphan"), 7)

    assert counter_increment("orphan", window_seconds=30) == 8

    assert 0 < redis_cache.ttl(_raw_key("orphan")) <= 30
