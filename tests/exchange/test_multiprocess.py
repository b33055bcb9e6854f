"""The gateway served by two worker processes: revocation, expiry, rate limits and circuit breakers
hold for both workers at once.

Each test calls the real server (granian, two workers) on fresh connections, so that both workers
answer, and changes the database from another process (a management command), as an operator
or a second node would.
"""

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import redis

from dlnuf.sandbox.cases import sandbox_identities
from tests.live_stack import (
    PARALLEL_CALLS,
    Answer,
    Stack,
    descendants,
    fetch,
    redis_server,
    running_stack,
)

DATASET = "quotient-familial"
SCOPES = "cnaf_quotient_familial"
RECIPIENT = "13002526500013"
BREAKER_THRESHOLD = 4


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(scope="module")
def shared_stack(redis_url: str) -> Iterator[Stack]:
    settings = {
        "DLNUF_BREAKER_FAILURE_THRESHOLD": str(BREAKER_THRESHOLD),
        "DLNUF_BREAKER_RESET_SECONDS": "300",
    }
    with running_stack(redis_url=redis_url, settings=settings) as stack:
        yield stack


@pytest.fixture(scope="module")
def local_memory_stack() -> Iterator[Stack]:
    with running_stack(redis_url=None) as stack:
        yield stack


@pytest.fixture
def stack(shared_stack: Stack) -> Stack:
    # Breakers and counters of one test must not leak into the next.
    redis.Redis.from_url(shared_stack.redis_url or "").flushall()
    return shared_stack


@dataclass(frozen=True)
class Consumer:
    stack: Stack
    secret: str
    prefix: str

    def call(self, outcome: str = "found") -> Answer:
        identity = next(i for i in sandbox_identities(DATASET) if i.outcome == outcome)
        query = urllib.parse.urlencode(
            {**identity.params, "recipient": RECIPIENT, "context": "Cantine", "object": "d-1"},
            doseq=True,
        )
        return fetch(
            f"{self.stack.url}/api/v1/data/{DATASET}?{query}",
            headers={"Authorization": f"Bearer {self.secret}"},
        )

    def update_credential(self, assignment: str) -> None:
        """Change the credential in the database from another process."""
        self.stack.manage(
            "shell",
            "-c",
            "from django.utils import timezone; from datetime import timedelta; "
            "from dlnuf.habilitations.models import Credential; "
            f"Credential.objects.filter(prefix={self.prefix!r}).update({assignment})",
        )


def consumer_of(stack: Stack) -> Consumer:
    output = stack.manage(
        "issue_credential",
        "--siret",
        RECIPIENT,
        "--dataset",
        DATASET,
        "--scopes",
        SCOPES,
        "--environment",
        "production",
    )
    secret = output.strip().splitlines()[-1]
    return Consumer(stack, secret, secret[:16])


def code_of(answer: Answer) -> str:
    assert answer.headers["content-type"].startswith("application/problem+json"), answer
    return str(json.loads(answer.body)["code"])


def assert_both_workers_served(stack: Stack, answers: list[Answer]) -> None:
    """Both workers answered: with Redis, each holds its own connection to it; in local memory,
    each counts the credential's calls on its own, so the remaining allowance repeats."""
    if stack.redis_url:
        stack.assert_both_workers_use_redis()
    else:
        assert len(descendants(stack.server.pid)) == 2
        remaining = [answer.headers["ratelimit-remaining"] for answer in answers]
        assert len(set(remaining)) < len(remaining), remaining


@pytest.mark.parametrize("cache", ["redis", "local_memory"])
def test_revocation_and_expiry_hold_on_every_worker_at_once(
    cache: str, request: pytest.FixtureRequest
) -> None:
    stack: Stack = request.getfixturevalue("stack" if cache == "redis" else "local_memory_stack")
    consumer = consumer_of(stack)
    warm = [consumer.call() for _ in range(24)]
    assert [answer.status for answer in warm] == [200] * 24
    assert_both_workers_served(stack, warm)

    # Expiry written by another process (a rotation's grace period ending, a renewal cut
    # short) applies to the very next call of every worker.
    consumer.update_credential("expires_at=timezone.now() - timedelta(seconds=1)")
    expired = [consumer.call() for _ in range(12)]
    assert {(answer.status, code_of(answer)) for answer in expired} == {(401, "credential_expired")}
    consumer.update_credential("expires_at=timezone.now() + timedelta(days=30)")
    assert [consumer.call().status for _ in range(12)] == [200] * 12

    # Calls keep coming while another process revokes the credential.
    calls: list[tuple[float, Answer]] = []
    stop = threading.Event()

    def keep_calling() -> None:
        while not stop.is_set():
            started = time.monotonic()
            calls.append((started, consumer.call()))

    callers = [threading.Thread(target=keep_calling) for _ in range(4)]
    for caller in callers:
        caller.start()
    try:
        time.sleep(0.3)
        assert "révoqué" in stack.manage("revoke_credential", consumer.prefix)
        revoked_at = time.monotonic()
        time.sleep(0.5)
    finally:
        stop.set()
        for caller in callers:
            caller.join()
    afterwards = [answer for started, answer in calls if started > revoked_at]
    afterwards += [consumer.call() for _ in range(12)]
    assert {(answer.status, code_of(answer)) for answer in afterwards} == {
        (401, "credential_revoked")
    }
    assert any(answer.status == 200 for started, answer in calls if started < revoked_at)


def _wait_for_a_fresh_window(needed_seconds: float = 10) -> None:
    # The limit counts per fixed minute: keep the burst inside one window.
    left = 60 - time.time() % 60
    if left < needed_seconds:
        time.sleep(left + 0.05)


def test_the_rate_limit_is_shared_by_every_worker(stack: Stack) -> None:
    consumer = consumer_of(stack)
    limit = 10
    consumer.update_credential(f"rate_limit_per_minute={limit}")
    _wait_for_a_fresh_window()

    with ThreadPoolExecutor(max_workers=PARALLEL_CALLS) as pool:
        answers = list(pool.map(lambda _: consumer.call(), range(40)))

    assert sum(answer.status == 200 for answer in answers) == limit
    refused = [answer for answer in answers if answer.status != 200]
    assert {(answer.status, code_of(answer)) for answer in refused} == {(429, "rate_limited")}
    assert all(int(answer.headers["retry-after"]) >= 1 for answer in refused)
    assert_both_workers_served(stack, answers)


def test_failures_seen_by_both_workers_open_the_breaker_for_both(stack: Stack) -> None:
    consumer = consumer_of(stack)

    answers = [consumer.call("error") for _ in range(16)]

    codes = [code_of(answer) for answer in answers]
    assert codes[:BREAKER_THRESHOLD] == ["provider_error"] * BREAKER_THRESHOLD
    assert codes[BREAKER_THRESHOLD:] == ["circuit_open"] * (16 - BREAKER_THRESHOLD)
    # Calls that would succeed are held back too, on both workers, until the reset period ends.
    held = [consumer.call() for _ in range(12)]
    assert {(answer.status, code_of(answer)) for answer in held} == {(503, "circuit_open")}
    assert_both_workers_served(stack, answers + held)
