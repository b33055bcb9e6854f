"""Signing in with a local account, with failed attempts limited per address and per client.

Failures are counted in Django's cache (shared by every worker when Redis is configured), in a
window that opens at the first failure and lasts ``DLNUF_LOGIN_WINDOW_SECONDS``. Once an address
has used up ``DLNUF_LOGIN_ATTEMPTS_PER_WINDOW`` failures, or a client address
``DLNUF_LOGIN_ATTEMPTS_PER_CLIENT``, further attempts are refused without looking at the
password until the window closes. A success clears the address's counter only: clearing the
client's as well would let someone who holds one account try passwords on all the others.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from dlnuf.organisations.models import User

_PREFIX = "dlnuf:sign-in-failures"


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


def sign_in_blocked_until(*, email: str, client_ip: str) -> datetime | None:
    """When attempts for this address or from this client are used up: until when."""
    window = timedelta(seconds=settings.DLNUF_LOGIN_WINDOW_SECONDS)
    blocked_until: datetime | None = None
    for counter in _counters(email=email, client_ip=client_ip):
        if (cache.get(counter.count_key) or 0) < counter.limit:
            continue
        since = cache.get(counter.started_key)
        until = (
            datetime.fromtimestamp(since, tz=timezone.get_current_timezone()) + window
            if since is not None
            else timezone.now() + window
        )
        if blocked_until is None or until > blocked_until:
            blocked_until = until
    return blocked_until


def sign_in_failure_record(*, email: str, client_ip: str) -> None:
    window = settings.DLNUF_LOGIN_WINDOW_SECONDS
    now = timezone.now().timestamp()
    for counter in _counters(email=email, client_ip=client_ip):
        cache.add(counter.started_key, now, timeout=window)
        if cache.add(counter.count_key, 1, timeout=window):
            continue
        try:
            cache.incr(counter.count_key)
        except ValueError:
            # The window closed between the two calls: this failure opens a new one.
            cache.set(counter.count_key, 1, timeout=window)
            cache.set(counter.started_key, now, timeout=window)


def sign_in_success_record(*, email: str) -> None:
    counter = _counter("email", _normalised(email), settings.DLNUF_LOGIN_ATTEMPTS_PER_WINDOW)
    cache.delete_many([counter.count_key, counter.started_key])


def sign_in_with_password(
    *, request: HttpRequest | None, email: str, password: str, client_ip: str
) -> User:
    """The account these credentials open; raises SignInThrottled or SignInRefused.

    A blocked attempt is refused before the password is looked at, so that guessing goes no
    faster whatever the answer would have been.
    """
    blocked_until = sign_in_blocked_until(email=email, client_ip=client_ip)
    if blocked_until is not None:
        raise SignInThrottled(blocked_until)
    user = authenticate(request, username=email, password=password)
    if not isinstance(user, User):
        sign_in_failure_record(email=email, client_ip=client_ip)
        raise SignInRefused
    sign_in_success_record(email=email)
    return user
