"""ID token checks beyond the signature: issuer, audience, expiry, nonce (the end-to-end flow is
in tests/www/test_oidc.py)."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import SuspiciousOperation

from dlnuf.organisations.proconnect import ProConnectBackend, identity_from_claims

ISSUER = "https://proconnect.exemple.gouv.fr/api/v2"
CLIENT_ID = "guichet-dlnuf"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def backend(settings, monkeypatch):
    settings.PROCONNECT_ISSUER = ISSUER
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    verifier = ProConnectBackend()
    public = jwt.PyJWK.from_dict(
        {**jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "alg": "RS256"}
    )
    monkeypatch.setattr(verifier, "_signing_key", lambda token: public)
    return verifier


def _token(**changes):
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "agent-1",
        "iat": now,
        "exp": now + 60,
        "nonce": "le-nonce",
    }
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, KEY, algorithm="RS256")


def test_a_good_token_passes(backend):
    assert backend.verify_token(_token(), nonce="le-nonce")["sub"] == "agent-1"


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://autre-fournisseur.example"},
        {"aud": "un-autre-service"},
        {"aud": None},
        {"exp": int(time.time()) - 3600},
        {"exp": None},
        {"iat": None},
        {"sub": None},
        {"nonce": "un-autre"},
        {"nonce": None},
    ],
)
def test_a_token_failing_one_check_is_refused(backend, changes):
    with pytest.raises(SuspiciousOperation):
        backend.verify_token(_token(**changes), nonce="le-nonce")


def test_a_token_is_refused_when_the_session_has_no_nonce(backend):
    with pytest.raises(SuspiciousOperation):
        backend.verify_token(_token(nonce=None), nonce=None)


def test_claims_become_an_identity():
    identity = identity_from_claims(
        {
            "sub": "agent-1",
            "email": " a@lyon.fr ",
            "given_name": "Camille",
            "usual_name": "Rivière",
            "siret": "216 901 231 00011",
        }
    )
    assert (identity.email, identity.siret, identity.usual_name) == (
        "a@lyon.fr",
        "21690123100011",
        "Rivière",
    )
    with pytest.raises(SuspiciousOperation):
        identity_from_claims({"sub": "agent-1", "email": "a@lyon.fr"})


def test_the_backend_ignores_other_sign_ins(rf, settings):
    settings.PROCONNECT_ISSUER = ISSUER
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    request = rf.post("/connexion/")
    assert ProConnectBackend().authenticate(request, username="a@b.fr", password="x") is None
