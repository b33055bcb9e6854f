"""How many requests one client address may send through the public form, per hour.

Counted in Django's cache (Redis in production, shared by every worker), in a window that opens
at the first submission. A submission takes its place in the count before it is processed, by
one atomic increment, so that a burst of parallel submissions cannot all slip under the limit.
Requests recorded and submissions refused as robots both count; a form shown again for a typing
mistake gives its place back.
"""

import hashlib

from django.conf import settings

from dlnuf.counters import counter_decrement, counter_increment

WINDOW_SECONDS = 60 * 60
_PREFIX = "dlnuf:support-form"


def _key(client_ip: str) -> str:
    # Hashed, so that addresses never appear in the cache's keys.
    return f"{_PREFIX}:{hashlib.sha256(client_ip.encode()).hexdigest()}"


def submission_take(*, client_ip: str) -> bool:
    """Count one submission from this address; False when it goes beyond the hourly limit."""
    count = counter_increment(_key(client_ip), window_seconds=WINDOW_SECONDS)
    return count <= settings.DLNUF_SUPPORT_FORM_SUBMISSIONS_PER_HOUR


def submission_give_back(*, client_ip: str) -> None:
    counter_decrement(_key(client_ip))
