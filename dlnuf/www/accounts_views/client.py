from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or the one the trusted reverse proxies recorded.

    Each of the ``DLNUF_TRUSTED_PROXY_COUNT`` proxies appends the address it received the request
    from to X-Forwarded-For; entries further left come from the client and cannot be trusted.
    """
    proxies = settings.DLNUF_TRUSTED_PROXY_COUNT
    remote = str(request.META.get("REMOTE_ADDR", ""))
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]
