"""ProConnect, the State's sign-in for public agents (OpenID Connect, authorization code flow).

Configured by environment variables: the issuer and the client's id and secret are enough; the
endpoints are read from the issuer's discovery document (fetched once, then cached) unless given
one by one. Every ID token is checked against the provider's published keys (JWKS): algorithm,
signature, issuer, audience, expiry and the nonce of the session; PKCE and the state are handled
by the sign-in views (mozilla-django-oidc).
"""

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from dlnuf.oidc import end_session_url
from dlnuf.organisations.models import User
from dlnuf.organisations.services import (
    ProConnectAccountConflict,
    ProConnectIdentity,
    user_sync_from_proconnect,
)

logger = logging.getLogger(__name__)


class ProConnectUnavailable(Exception):
    """The provider's configuration cannot be obtained (network, or an inconsistent document)."""


@dataclass(frozen=True)
class ProConnectEndpoints:
    authorization: str
    token: str
    userinfo: str
    jwks: str
    end_session: str


def proconnect_enabled() -> bool:
    return bool(
        settings.PROCONNECT_ISSUER and settings.OIDC_RP_CLIENT_ID and settings.OIDC_RP_CLIENT_SECRET
    )


def _get(url: str, *, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.get(
        url,
        headers=headers,
        timeout=settings.OIDC_TIMEOUT,
        verify=settings.OIDC_VERIFY_SSL,
        proxies=settings.OIDC_PROXY,
    )
    response.raise_for_status()
    return response


def _discovery_cache_key() -> str:
    return (
        "dlnuf:proconnect:discovery:"
        + hashlib.sha256(settings.PROCONNECT_ISSUER.encode()).hexdigest()
    )


_DISCOVERED = {
    "authorization": "authorization_endpoint",
    "token": "token_endpoint",
    "userinfo": "userinfo_endpoint",
    "jwks": "jwks_uri",
}


def _discovery_document() -> dict[str, Any]:
    key = _discovery_cache_key()
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    issuer = settings.PROCONNECT_ISSUER
    try:
        document = _get(f"{issuer}/.well-known/openid-configuration").json()
    except (requests.RequestException, ValueError) as error:
        raise ProConnectUnavailable(f"discovery document unavailable: {error}") from error
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
        # OpenID Connect Discovery 1.0, section 4.3: the document must name the same issuer.
        raise ProConnectUnavailable("the discovery document names another issuer")
    missing = [name for name in _DISCOVERED.values() if not document.get(name)]
    if missing:
        raise ProConnectUnavailable("the discovery document lacks " + ", ".join(missing))
    cache.set(key, document, settings.PROCONNECT_DISCOVERY_CACHE_SECONDS)
    return document


def proconnect_endpoints() -> ProConnectEndpoints:
    """The provider's endpoints: those set explicitly, the others from discovery."""
    explicit = {
        "authorization": settings.PROCONNECT_AUTHORIZATION_ENDPOINT,
        "token": settings.PROCONNECT_TOKEN_ENDPOINT,
        "userinfo": settings.PROCONNECT_USERINFO_ENDPOINT,
        "jwks": settings.PROCONNECT_JWKS_ENDPOINT,
    }
    end_session = settings.PROCONNECT_END_SESSION_ENDPOINT
    if all(explicit.values()):
        return ProConnectEndpoints(**explicit, end_session=end_session)
    document = _discovery_document()
    values = {name: url or document[_DISCOVERED[name]] for name, url in explicit.items()}
    return ProConnectEndpoints(
        **values, end_session=end_session or document.get("end_session_endpoint", "")
    )


def proconnect_logout_url(*, id_token: str, post_logout_redirect_uri: str) -> str | None:
    """Where to send a person signing out, so that their ProConnect session ends too."""
    if not proconnect_enabled():
        return None
    try:
        end_session = proconnect_endpoints().end_session
    except ProConnectUnavailable as error:
        logger.warning("ProConnect sign-out skipped: %s", error)
        return None
    if not end_session:
        return None
    return end_session_url(
        end_session, id_token=id_token, post_logout_redirect_uri=post_logout_redirect_uri
    )


def _claim(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value.strip():
        raise SuspiciousOperation(f"ProConnect did not send the {name!r} claim")
    return value.strip()


def identity_from_claims(claims: dict[str, Any]) -> ProConnectIdentity:
    given_name = claims.get("given_name")
    usual_name = claims.get("usual_name")
    return ProConnectIdentity(
        sub=_claim(claims, "sub"),
        email=_claim(claims, "email"),
        given_name=given_name.strip() if isinstance(given_name, str) else "",
        usual_name=usual_name.strip() if isinstance(usual_name, str) else "",
        siret=_claim(claims, "siret").replace(" ", ""),
    )


class ProConnectBackend(OIDCAuthenticationBackend):
    """Signs in the agent ProConnect vouches for, and ties them to the organisation of their SIRET.

    Called by Django for every sign-in; it only acts on the ProConnect callback (which passes a
    ``nonce``), and answers None on any failure so that the callback shows one clear message.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The parent constructor demands every endpoint up front; here they are looked up when a
        # ProConnect sign-in actually happens, so an unconfigured deployment keeps working.
        ModelBackend.__init__(self, *args, **kwargs)
        self.UserModel = User
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if request is None or "nonce" not in kwargs or not proconnect_enabled():
            return None
        try:
            endpoints = proconnect_endpoints()
            self.OIDC_OP_TOKEN_ENDPOINT = endpoints.token
            self.OIDC_OP_USER_ENDPOINT = endpoints.userinfo
            self.OIDC_OP_JWKS_ENDPOINT = endpoints.jwks
            user = super().authenticate(request, **kwargs)
        except (
            SuspiciousOperation,
            ProConnectUnavailable,
            requests.RequestException,
            jwt.PyJWTError,
            ValueError,
        ) as error:
            logger.warning("ProConnect sign-in refused: %s", error)
            return None
        return user if isinstance(user, User) else None

    def _signing_key(self, token: str) -> jwt.PyJWK:
        header = jwt.get_unverified_header(token)
        algorithm = header.get("alg")
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(
                f"token signed with {algorithm!r}, expected the configured one"
            )
        keys = [
            key
            for key in _get(self.OIDC_OP_JWKS_ENDPOINT).json().get("keys", [])
            if key.get("use", "sig") == "sig" and key.get("alg", algorithm) == algorithm
        ]
        if "kid" in header:
            keys = [key for key in keys if key.get("kid") == header["kid"]]
        if len(keys) != 1:
            raise SuspiciousOperation("no single published key matches the token")
        return jwt.PyJWK(keys[0], algorithm=algorithm)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The ID token's claims, once signature, issuer, audience, expiry and nonce are checked."""
        if not isinstance(token, str):
            raise SuspiciousOperation("no ID token in the token response")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=self._signing_key(token),
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.PROCONNECT_ISSUER,
                leeway=settings.PROCONNECT_CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise SuspiciousOperation(f"ID token refused: {error}") from error
        nonce = kwargs.get("nonce")
        if not nonce or claims.get("nonce") != nonce:
            raise SuspiciousOperation("the ID token's nonce is not the one of this sign-in")
        return claims

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        response = _get(
            self.OIDC_OP_USER_ENDPOINT, headers={"Authorization": f"Bearer {access_token}"}
        )
        if response.headers.get("content-type", "").lower().startswith("application/jwt"):
            # ProConnect signs its userinfo answer with the same keys as its ID tokens.
            token = response.text
            try:
                claims = jwt.decode(
                    token,
                    key=self._signing_key(token),
                    algorithms=[self.OIDC_RP_SIGN_ALGO],
                    options={"verify_aud": False, "verify_iss": False},
                    leeway=settings.PROCONNECT_CLOCK_SKEW_SECONDS,
                )
            except jwt.PyJWTError as error:
                raise SuspiciousOperation(f"userinfo refused: {error}") from error
            if "iss" in claims and claims["iss"] != settings.PROCONNECT_ISSUER:
                raise SuspiciousOperation("userinfo from another issuer")
            audience = claims.get("aud", self.OIDC_RP_CLIENT_ID)
            if self.OIDC_RP_CLIENT_ID not in (
                [audience] if isinstance(audience, str) else audience
            ):
                raise SuspiciousOperation("userinfo meant for another client")
        else:
            claims = response.json()
        if not isinstance(claims, dict) or claims.get("sub") != payload.get("sub"):
            # OpenID Connect Core 1.0, section 5.3.2: userinfo must be about the ID token's subject.
            raise SuspiciousOperation("userinfo is about another subject than the ID token")
        return claims

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        identity = identity_from_claims(self.get_userinfo(access_token, id_token, payload))
        try:
            return user_sync_from_proconnect(identity=identity)
        except ValidationError as error:
            raise SuspiciousOperation(f"unusable ProConnect claims: {error.messages}") from error
        except ProConnectAccountConflict as error:
            raise SuspiciousOperation(
                "the address belongs to an account tied to another ProConnect identity"
            ) from error
