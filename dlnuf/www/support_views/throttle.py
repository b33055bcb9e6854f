"""How many requests one client address may send through the public form, per hour.

Counted in Django's cache (shared by every worker when Redis is configured), in a window that
opens at the first submission. Requests recorded and submissions refused as robots both count;
a form shown again for a typing mistake does not.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60 * 60
_PREFIX = "dlnuf:support-form"


def _key(client_ip: str) -> str:
    # Hashed, so that addresses never appear in the cache's keys.
    return f"{_PREFIX}:{hashlib.sha256(client_ip.encode()).hexdigest()}"


def submissions_exhausted(*, client_ip: str) -> bool:
    return int(cache.get(_key(client_ip)) or 0) >= settings.DLNUF_SUPPORT_FORM_SUBMISSIONS_PER_HOUR


def submission_record(*, client_ip: str) -> None:
    key = _key(client_ip)
    if cache.add(key, 1, timeout=WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:
        # The window closed between the two calls: this submission opens a new one.
        cache.set(key, 1, timeout=WINDOW_SECONDS)
