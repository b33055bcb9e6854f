"""Circuit breakers, one per connector and target (upstream or sandbox).

Closed: calls go through; each failure (timeout, connection error, 5xx, malformed answer) adds to
a count of consecutive failures that a success resets. After ``DLNUF_BREAKER_FAILURE_THRESHOLD``
consecutive failures the breaker opens: calls are refused at once for
``DLNUF_BREAKER_RESET_SECONDS``. Then it is half-open: exactly one trial call goes through (an
atomic ``cache.add`` elects it); its success closes the breaker, its failure opens it again.

The state lives in Django's cache, which production keeps in Redis (REDIS_URL), so that every
worker of every node shares it: failures counted by one worker open the breaker for all. Each
change is one atomic step (a counter increment, ``add`` to open or to elect the trial), so that
concurrent workers never lose a failure nor elect two trials.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from dlnuf.counters import counter_increment

# Keys outlive any reset period; a breaker untouched for a day starts afresh.
_STATE_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class BreakerPermit:
    """The right to make one call; ``trial`` marks the single call of a half-open breaker."""

    name: str
    trial: bool
    clean: bool


class CircuitOpen(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(retry_after)


def _keys(name: str) -> tuple[str, str, str]:
    base = f"dlnuf:breaker:{name}"
    return f"{base}:failures", f"{base}:opened_at", f"{base}:trial"


def breaker_permit(name: str, *, now: float | None = None) -> BreakerPermit:
    """Allow one call through the breaker ``name`` or raise CircuitOpen."""
    failures_key, opened_key, trial_key = _keys(name)
    state = cache.get_many([failures_key, opened_key])
    opened_at = state.get(opened_key)
    if opened_at is None:
        return BreakerPermit(name=name, trial=False, clean=not state.get(failures_key))
    moment = time.time() if now is None else now
    reset_seconds = float(settings.DLNUF_BREAKER_RESET_SECONDS)
    remaining = opened_at + reset_seconds - moment
    if remaining > 0:
        raise CircuitOpen(retry_after=max(1, int(remaining + 0.999)))
    # A trial that never reports (a killed worker) must not keep the breaker shut for ever: the
    # election expires after one more reset period.
    if cache.add(trial_key, True, timeout=max(1, int(reset_seconds)) + 60):
        return BreakerPermit(name=name, trial=True, clean=False)
    raise CircuitOpen(retry_after=max(1, int(reset_seconds)))


def breaker_success(permit: BreakerPermit) -> None:
    if permit.clean:
        return
    cache.delete_many(list(_keys(permit.name)))


def breaker_failure(permit: BreakerPermit, *, now: float | None = None) -> None:
    failures_key, opened_key, trial_key = _keys(permit.name)
    moment = time.time() if now is None else now
    if permit.trial:
        cache.set(opened_key, moment, timeout=_STATE_TTL_SECONDS)
        cache.delete(trial_key)
        return
    failures = counter_increment(failures_key, window_seconds=_STATE_TTL_SECONDS)
    if failures >= settings.DLNUF_BREAKER_FAILURE_THRESHOLD:
        # add(), not set(): the first worker to cross the threshold dates the opening.
        cache.add(opened_key, moment, timeout=_STATE_TTL_SECONDS)


def breaker_state(name: str, *, now: float | None = None) -> str:
    """``closed``, ``open`` or ``half_open``, for monitoring and tests."""
    opened_at = cache.get(_keys(name)[1])
    if opened_at is None:
        return "closed"
    moment = time.time() if now is None else now
    if opened_at + float(settings.DLNUF_BREAKER_RESET_SECONDS) > moment:
        return "open"
    return "half_open"
