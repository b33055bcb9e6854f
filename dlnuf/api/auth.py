"""The one authentication of the API: a Bearer credential, judged by the exchange's own rules."""

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from dlnuf.exchange.errors import ExchangeRefused
from dlnuf.exchange.services import credential_authenticate
from dlnuf.habilitations.selectors import Grant

BEARER_CHALLENGE = 'Bearer realm="dlnuf"'
INVALID_TOKEN_CHALLENGE = 'Bearer realm="dlnuf", error="invalid_token"'  # noqa: S105 (a challenge, not a secret)


class BearerCredential(HttpBearer):
    """Hands the Bearer credential on. The exchange judges it itself, since it journals what
    follows; other operations call ``grant_of`` to tell unknown, expired and revoked apart."""

    def authenticate(self, request: HttpRequest, token: str) -> str | None:
        return token or None


def grant_of(request: HttpRequest) -> Grant:
    """The grant behind the request's credential, or ExchangeRefused: a 401 problem, or 503
    ``journal_unavailable`` when the database cannot be read."""
    return credential_authenticate(secret=str(getattr(request, "auth", "")), now=timezone.now())


def challenge_for(refusal: ExchangeRefused) -> dict[str, str]:
    return {"WWW-Authenticate": INVALID_TOKEN_CHALLENGE} if refusal.status == 401 else {}
