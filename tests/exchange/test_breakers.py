"""Circuit breaker states, kept in the shared cache."""

import pytest

from dlnuf.exchange.breakers import (
    CircuitOpen,
    breaker_failure,
    breaker_permit,
    breaker_state,
    breaker_success,
)

NAME = "api-test:upstream"


@pytest.fixture(autouse=True)
def _thresholds(settings: object) -> None:
    settings.DLNUF_BREAKER_FAILURE_THRESHOLD = 3
    settings.DLNUF_BREAKER_RESET_SECONDS = 30


def fail(times: int, now: float = 1000.0) -> None:
    for _ in range(times):
        breaker_failure(breaker_permit(NAME, now=now), now=now)


def test_breaker_opens_after_the_threshold_of_consecutive_failures() -> None:
    fail(2)
    assert breaker_state(NAME, now=1000) == "closed"
    breaker_permit(NAME, now=1000)

    fail(1)

    assert breaker_state(NAME, now=1000) == "open"
    with pytest.raises(CircuitOpen) as refused:
        breaker_permit(NAME, now=1010)
    assert refused.value.retry_after == 20


def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    fail(2)
    breaker_success(breaker_permit(NAME, now=1000))
    fail(2)

    assert breaker_state(NAME, now=1000) == "closed"


def test_half_open_lets_exactly_one_trial_through_and_closes_on_success() -> None:
    fail(3)

    trial = breaker_permit(NAME, now=1031)
    assert trial.trial
    assert breaker_state(NAME, now=1031) == "half_open"
    with pytest.raises(CircuitOpen):
        breaker_permit(NAME, now=1031)

    breaker_success(trial)

    assert breaker_state(NAME, now=1032) == "closed"
    assert not breaker_permit(NAME, now=1032).trial


def test_a_failed_trial_opens_the_breaker_again_for_a_full_period() -> None:
    fail(3)

    trial = breaker_permit(NAME, now=1031)
    breaker_failure(trial, now=1031)

    assert breaker_state(NAME, now=1060) == "open"
    with pytest.raises(CircuitOpen):
        breaker_permit(NAME, now=1060)
    assert breaker_permit(NAME, now=1062).trial


def test_breakers_are_independent() -> None:
    fail(3)

    assert breaker_state("api-test:sandbox", now=1000) == "closed"
    breaker_permit("api-test:sandbox", now=1000)
