"""FranceConnect, the State's sign-in for people (OpenID Connect, authorization code flow).

Configured by environment variables (``DLNUF_FRANCECONNECT_*``): the issuer and the client's id
and secret are enough, the endpoints come from the issuer's discovery document (fetched once,
then cached). Each sign-in carries a fresh state, nonce and PKCE (S256) verifier, kept by the
caller between the two legs. The ID token's signature is checked against the provider's published
keys (RS256 or ES256), with its issuer, audience, expiry and nonce; the identity comes from the
userinfo endpoint (plain JSON or a signed JWT, as FranceConnect v2 answers), which must be about
the ID token's subject.

A person signed in this way is not a portal user: the caller turns the identity into journal
subject keys (``dlnuf.people.identity``) and keeps only those.
"""

import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
import jwt
from django.conf import settings
from django.core.cache import cache

from dlnuf.oidc import end_session_url

logger = logging.getLogger(__name__)

# The algorithms FranceConnect signs with; "none" and symmetric ones are never accepted.
SIGNING_ALGORITHMS = ("RS256", "ES256")
_DISCOVERED = {
    "authorization": "authorization_endpoint",
    "token": "token_endpoint",
    "userinfo": "userinfo_endpoint",
    "jwks": "jwks_uri",
}


class FranceConnectUnavailable(Exception):
    """The provider cannot be reached or answers with an unusable document."""


class FranceConnectRefused(Exception):
    """The provider's answer fails a check (token, signature, nonce, subject): no sign-in."""


@dataclass(frozen=True)
class FranceConnectEndpoints:
    authorization: str
    token: str
    userinfo: str
    jwks: str
    end_session: str
    signing_algorithms: tuple[str, ...]
    # Whether the token endpoint wants the client's secret in the form rather than in a header.
    secret_in_form: bool


@dataclass(frozen=True)
class AuthorizationStart:
    """Where to send the person, and what the callback needs to check the answer."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class FranceConnectIdentity:
    claims: dict[str, Any]
    # Kept to end the FranceConnect session at sign-out (``id_token_hint``).
    id_token: str


def franceconnect_enabled() -> bool:
    return bool(
        settings.DLNUF_FRANCECONNECT_ISSUER
        and settings.DLNUF_FRANCECONNECT_CLIENT_ID
        and settings.DLNUF_FRANCECONNECT_CLIENT_SECRET
    )


def _http() -> httpx.Client:
    return httpx.Client(timeout=settings.DLNUF_FRANCECONNECT_TIMEOUT_SECONDS)


def _discovery_cache_key() -> str:
    issuer = settings.DLNUF_FRANCECONNECT_ISSUER.encode()
    return "dlnuf:franceconnect:discovery:" + hashlib.sha256(issuer).hexdigest()


def _discovery_document() -> dict[str, Any]:
    key = _discovery_cache_key()
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    issuer = settings.DLNUF_FRANCECONNECT_ISSUER
    try:
        with _http() as http:
            response = http.get(f"{issuer}/.well-known/openid-configuration")
            response.raise_for_status()
            document = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise FranceConnectUnavailable(f"discovery document unavailable: {error}") from error
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
        # OpenID Connect Discovery 1.0, section 4.3: the document must name the same issuer.
        raise FranceConnectUnavailable("the discovery document names another issuer")
    missing = [name for name in _DISCOVERED.values() if not document.get(name)]
    if missing:
        raise FranceConnectUnavailable("the discovery document lacks " + ", ".join(missing))
    cache.set(key, document, settings.DLNUF_FRANCECONNECT_DISCOVERY_CACHE_SECONDS)
    return document


def franceconnect_endpoints() -> FranceConnectEndpoints:
    document = _discovery_document()
    announced = document.get("id_token_signing_alg_values_supported") or list(SIGNING_ALGORITHMS)
    algorithms = tuple(name for name in SIGNING_ALGORITHMS if name in announced)
    if not algorithms:
        raise FranceConnectUnavailable("the provider signs with no algorithm accepted here")
    methods = document.get("token_endpoint_auth_methods_supported") or []
    return FranceConnectEndpoints(
        **{name: str(document[field]) for name, field in _DISCOVERED.items()},
        end_session=str(document.get("end_session_endpoint") or ""),
        signing_algorithms=algorithms,
        secret_in_form="client_secret_post" in methods,
    )


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def franceconnect_authorization(*, redirect_uri: str) -> AuthorizationStart:
    """The authorization request, with a fresh state, nonce and PKCE verifier."""
    endpoint = franceconnect_endpoints().authorization
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.DLNUF_FRANCECONNECT_CLIENT_ID,
            "redirect_uri": redirect_uri,
            "scope": settings.DLNUF_FRANCECONNECT_SCOPES,
            "acr_values": settings.DLNUF_FRANCECONNECT_ACR_VALUES,
            "state": state,
            "nonce": nonce,
            "code_challenge": _s256(verifier),
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in endpoint else "?"
    return AuthorizationStart(
        url=f"{endpoint}{separator}{query}", state=state, nonce=nonce, code_verifier=verifier
    )


def _signing_key(token: str, endpoints: FranceConnectEndpoints) -> tuple[jwt.PyJWK, str]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise FranceConnectRefused(f"unreadable token: {error}") from error
    algorithm = header.get("alg")
    if algorithm not in endpoints.signing_algorithms:
        raise FranceConnectRefused(f"token signed with {algorithm!r}")
    try:
        with _http() as http:
            response = http.get(endpoints.jwks)
            response.raise_for_status()
            published = response.json().get("keys", [])
    except (httpx.HTTPError, ValueError, AttributeError) as error:
        raise FranceConnectUnavailable(f"keys unavailable: {error}") from error
    keys = [
        key
        for key in published
        if isinstance(key, dict)
        and key.get("use", "sig") == "sig"
        and key.get("alg", algorithm) == algorithm
        and ("kid" not in header or key.get("kid") == header["kid"])
    ]
    if len(keys) != 1:
        raise FranceConnectRefused("no single published key matches the token")
    try:
        return jwt.PyJWK(keys[0], algorithm=algorithm), algorithm
    except jwt.PyJWTError as error:
        raise FranceConnectRefused(f"unusable published key: {error}") from error


def _checked_id_token(
    token: object, *, nonce: str, endpoints: FranceConnectEndpoints
) -> dict[str, Any]:
    if not isinstance(token, str):
        raise FranceConnectRefused("no ID token in the token response")
    key, algorithm = _signing_key(token, endpoints)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=[algorithm],
            audience=settings.DLNUF_FRANCECONNECT_CLIENT_ID,
            issuer=settings.DLNUF_FRANCECONNECT_ISSUER,
            leeway=settings.DLNUF_FRANCECONNECT_CLOCK_SKEW_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise FranceConnectRefused(f"ID token refused: {error}") from error
    if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise FranceConnectRefused("the ID token's nonce is not the one of this sign-in")
    return claims


def _userinfo(
    access_token: str, *, subject: str, endpoints: FranceConnectEndpoints
) -> dict[str, Any]:
    try:
        with _http() as http:
            response = http.get(
                endpoints.userinfo, headers={"Authorization": f"Bearer {access_token}"}
            )
            response.raise_for_status()
    except httpx.HTTPError as error:
        raise FranceConnectUnavailable(f"userinfo unavailable: {error}") from error
    if response.headers.get("content-type", "").lower().startswith("application/jwt"):
        token = response.text
        key, algorithm = _signing_key(token, endpoints)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                leeway=settings.DLNUF_FRANCECONNECT_CLOCK_SKEW_SECONDS,
                # Audience and issuer are optional in a userinfo JWT; checked below when given.
                options={"verify_aud": False, "verify_iss": False},
            )
        except jwt.PyJWTError as error:
            raise FranceConnectRefused(f"userinfo refused: {error}") from error
        if claims.get("iss", settings.DLNUF_FRANCECONNECT_ISSUER) != (
            settings.DLNUF_FRANCECONNECT_ISSUER
        ):
            raise FranceConnectRefused("userinfo from another issuer")
        audience = claims.get("aud", settings.DLNUF_FRANCECONNECT_CLIENT_ID)
        if settings.DLNUF_FRANCECONNECT_CLIENT_ID not in (
            [audience] if isinstance(audience, str) else audience
        ):
            raise FranceConnectRefused("userinfo meant for another client")
    else:
        try:
            claims = response.json()
        except ValueError as error:
            raise FranceConnectRefused("userinfo is not JSON") from error
    if not isinstance(claims, dict) or claims.get("sub") != subject:
        # OpenID Connect Core 1.0, section 5.3.2: userinfo must be about the ID token's subject.
        raise FranceConnectRefused("userinfo is about another subject than the ID token")
    return claims


def franceconnect_identity(
    *, code: str, redirect_uri: str, code_verifier: str, nonce: str
) -> FranceConnectIdentity:
    """Exchange the authorization code and return the identity FranceConnect vouches for.

    Raises FranceConnectUnavailable (provider down) or FranceConnectRefused (a failed check)."""
    endpoints = franceconnect_endpoints()
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
        "client_id": settings.DLNUF_FRANCECONNECT_CLIENT_ID,
    }
    headers: dict[str, str] = {}
    if endpoints.secret_in_form:
        form["client_secret"] = settings.DLNUF_FRANCECONNECT_CLIENT_SECRET
    else:
        # RFC 6749, section 2.3.1: both are form-encoded before being joined and encoded.
        pair = (
            f"{quote_plus(settings.DLNUF_FRANCECONNECT_CLIENT_ID)}:"
            f"{quote_plus(settings.DLNUF_FRANCECONNECT_CLIENT_SECRET)}"
        )
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    try:
        with _http() as http:
            response = http.post(endpoints.token, data=form, headers=headers)
    except httpx.HTTPError as error:
        raise FranceConnectUnavailable(f"token endpoint unavailable: {error}") from error
    if response.status_code >= 500:
        raise FranceConnectUnavailable(f"token endpoint answered {response.status_code}")
    try:
        tokens = response.json()
    except ValueError as error:
        raise FranceConnectRefused("the token response is not JSON") from error
    if response.status_code != 200 or not isinstance(tokens, dict):
        raise FranceConnectRefused(f"token request refused: {response.status_code}")
    id_claims = _checked_id_token(tokens.get("id_token"), nonce=nonce, endpoints=endpoints)
    access_token = tokens.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise FranceConnectRefused("no access token in the token response")
    claims = _userinfo(access_token, subject=str(id_claims["sub"]), endpoints=endpoints)
    return FranceConnectIdentity(claims=claims, id_token=tokens["id_token"])


def franceconnect_logout_url(*, id_token: str, post_logout_redirect_uri: str) -> str | None:
    """Where to send a person signing out so that their FranceConnect session ends too."""
    if not franceconnect_enabled() or not id_token:
        return None
    try:
        end_session = franceconnect_endpoints().end_session
    except FranceConnectUnavailable as error:
        logger.warning("FranceConnect sign-out skipped: %s", error)
        return None
    if not end_session:
        return None
    return end_session_url(
        end_session, id_token=id_token, post_logout_redirect_uri=post_logout_redirect_uri
    )
