"""Signing in with a local account, with attempts limited per address and per client.

Attempts are counted in Django's cache (Redis in production, shared by every worker), in a window
that opens at the first attempt and lasts ``DLNUF_LOGIN_WINDOW_SECONDS``. Each attempt is counted
BEFORE the password is checked, by one atomic increment, and is refused without looking at the
password when the count goes above ``DLNUF_LOGIN_ATTEMPTS_PER_WINDOW`` for the address or
``DLNUF_LOGIN_ATTEMPTS_PER_CLIENT`` for the client: however many attempts arrive at once, at most
that many passwords are checked per window. A success clears the address's counter and gives its
attempt back to the client's, without clearing the latter: that would let someone who holds one
account try passwords on all the others.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from dlnuf.counters import counter_decrement, counter_increment, counter_value
from dlnuf.organisations.models import User

_PREFIX = "dlnuf:sign-in-attempts"


class SignInRefused(Exception):
    """Wrong address or password, or an inactive account: the same answer for all three."""


class SignInThrottled(Exception):
    """Too many failures: no attempt is checked before ``retry_at``."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(f"sign-in blocked until {retry_at.isoformat()}")
        self.retry_at = retry_at


@dataclass(frozen=True)
class _Counter:
    count_key: str
    started_key: str
    limit: int


def _counter(kind: str, value: str, limit: int) -> _Counter:
    # Hashed, so that addresses never appear in the cache's keys.
    digest = hashlib.sha256(value.encode()).hexdigest()
    return _Counter(f"{_PREFIX}:{kind}:{digest}", f"{_PREFIX}:{kind}:{digest}:since", limit)


def _normalised(email: str) -> str:
    return email.strip().lower()


def _counters(*, email: str, client_ip: str) -> list[_Counter]:
    return [
        _counter("email", _normalised(email), settings.DLNUF_LOGIN_ATTEMPTS_PER_WINDOW),
        _counter("client", client_ip, settings.DLNUF_LOGIN_ATTEMPTS_PER_CLIENT),
    ]


def _retry_at(counter: _Counter) -> datetime:
    window = timedelta(seconds=settings.DLNUF_LOGIN_WINDOW_SECONDS)
    since = cache.get(counter.started_key)
    if since is None:
        return timezone.now() + window
    return datetime.fromtimestamp(since, tz=timezone.get_current_timezone()) + window


def sign_in_blocked_until(*, email: str, client_ip: str) -> datetime | None:
    """When attempts for this address or from this client are used up: until when."""
    blocked = [
        _retry_at(counter)
        for counter in _counters(email=email, client_ip=client_ip)
        if counter_value(counter.count_key) >= counter.limit
    ]
    return max(blocked, default=None)


def _attempt_take(counter: _Counter) -> bool:
    """Count one attempt; False when it goes beyond the limit and must not be checked."""
    window = settings.DLNUF_LOGIN_WINDOW_SECONDS
    # Dated before the count exists, so that the block's end is known to whoever sees it.
    cache.add(counter.started_key, timezone.now().timestamp(), timeout=window)
    return counter_increment(counter.count_key, window_seconds=window) <= counter.limit


def sign_in_with_password(
    *, request: HttpRequest | None, email: str, password: str, client_ip: str
) -> User:
    """The account these credentials open; raises SignInThrottled or SignInRefused.

    A blocked attempt is refused before the password is looked at, so that guessing goes no
    faster whatever the answer would have been.
    """
    address, client = _counters(email=email, client_ip=client_ip)
    if not _attempt_take(address):
        raise SignInThrottled(_retry_at(address))
    if not _attempt_take(client):
        # Not checked, so it must not use up one of the address's attempts either.
        counter_decrement(address.count_key)
        raise SignInThrottled(_retry_at(client))
    user = authenticate(request, username=email, password=password)
    if not isinstance(user, User):
        raise SignInRefused
    cache.delete_many([address.count_key, address.started_key])
    counter_decrement(client.count_key)
    return user
