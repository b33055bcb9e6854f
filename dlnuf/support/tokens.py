"""Signed links that let a requester follow their request without an account.

The signature covers the request's primary key and its ``follow_key``, with the project's secret
key: a link cannot be forged nor moved to another request, and changing ``follow_key`` revokes
every link sent before.
"""

from django.core import signing

from dlnuf.support.models import SupportRequest

FOLLOW_SALT = "dlnuf.support.follow"


def follow_token(request: SupportRequest) -> str:
    return signing.dumps({"r": request.pk, "k": request.follow_key}, salt=FOLLOW_SALT)


def request_from_follow_token(token: str) -> SupportRequest | None:
    """The request the token was made for, or None when it is forged, altered or revoked."""
    try:
        payload = signing.loads(token, salt=FOLLOW_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("r"), int):
        return None
    request = SupportRequest.objects.filter(pk=payload["r"]).first()
    if request is None or request.follow_key != payload.get("k"):
        return None
    return request
