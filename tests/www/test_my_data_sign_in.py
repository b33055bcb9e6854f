"""« Mes données » sign-in, end to end: FranceConnect against an OpenID provider on loopback,
the demonstration people, and sign-out.

The provider is ``oidc-provider-mock`` behind the same PKCE-enforcing layer as the ProConnect
tests, extended the way FranceConnect differs: it announces ES256 as well as RS256 and the
``client_secret_post`` method, and its published keys (JWKS) can hold one more key, held by the
test, to sign ID tokens whose every claim the test chooses (another audience, an old expiry…):
each check of the portal is then exercised alone, with a signature that is otherwise valid.
"""

import base64
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from dlnuf.catalogue.services import catalogue_load
from dlnuf.journal.subjects import subject_key
from dlnuf.people.demo import DEMO_PEOPLE
from dlnuf.people.identity import pivot_from_claims, subject_keys_for_pivot
from tests.www.oidc_providers import (
    FRANCECONNECT_CLAIMS,
    FRANCECONNECT_CLIENT_ID,
    FRANCECONNECT_CLIENT_SECRET,
    FRANCECONNECT_SUB,
    Provider,
    s256,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]

TEST_KEY_ID = "cle-du-test"
# The README's curl example, as the gateway keys it.
README_SUBJECT = {
    "nomNaissance": "LEFEBVRE",
    "prenoms": ["ALEXIS", "GÉRÔME", "JEAN-PHILIPPE"],
    "sexeEtatCivil": "F",
    "anneeDateNaissance": "1982",
    "moisDateNaissance": "12",
    "jourDateNaissance": "27",
    "codeCogInseeCommuneNaissance": "08480",
    "codeCogInseePaysNaissance": "99100",
}
VIEWER_KEY = "dlnuf_people_viewer"


def _start(client: Client) -> str:
    response = client.get(reverse("www:my_data_franceconnect_start"))
    assert response.status_code == 302, response.content
    return str(response.url)


def _consent(authorization_url: str, sub: str = FRANCECONNECT_SUB) -> str:
    response = httpx.post(authorization_url, data={"sub": sub})
    assert response.status_code == 302, response.text
    return response.headers["location"]


def _back(client: Client, callback_url: str) -> Any:
    parts = urlsplit(callback_url)
    assert parts.path == reverse("www:my_data_franceconnect_callback")
    return client.get(f"{parts.path}?{parts.query}")


def _viewer(client: Client) -> dict[str, Any] | None:
    viewer: dict[str, Any] | None = client.session.get(VIEWER_KEY)
    return viewer


def _assert_not_signed_in(client: Client, response: Any, status: int, text: str) -> None:
    assert response.status_code == status
    page = response.content.decode().replace("&#x27;", "'")
    assert text in page
    assert _viewer(client) is None


# --- the whole journey ------------------------------------------------------------------------


def test_a_person_signs_in_with_franceconnect_and_gets_only_their_keys(
    client: Client, franceconnect: Provider
) -> None:
    authorization = _start(client)
    params = dict(parse_qsl(urlsplit(authorization).query))
    assert authorization.startswith(f"{franceconnect.issuer}/oauth2/authorize?")
    assert params["client_id"] == FRANCECONNECT_CLIENT_ID
    assert params["response_type"] == "code"
    assert params["scope"] == (
        "openid given_name family_name birthdate gender birthplace birthcountry preferred_username"
    )
    assert params["acr_values"] == "eidas1"
    assert params["redirect_uri"] == (
        django_settings.DLNUF_SITE_URL + reverse("www:my_data_franceconnect_callback")
    )
    assert params["code_challenge_method"] == "S256"
    assert len(params["state"]) >= 32
    assert len(params["nonce"]) >= 32
    key_before = client.session.session_key

    response = _back(client, _consent(authorization))

    assert response.status_code == 302
    assert response.url == reverse("www:my_data")
    assert client.session.session_key != key_before
    viewer = _viewer(client)
    assert viewer is not None
    assert viewer["display_name"] == "Alexis Gérôme Jean-Philippe LEFEBVRE"
    assert viewer["signed_in_with"] == "franceconnect"
    assert viewer["subject_keys"] == list(
        subject_keys_for_pivot(pivot_from_claims(FRANCECONNECT_CLAIMS))
    )
    # The README's example call is among the accesses found; a namesake born a day later is not.
    assert subject_key(README_SUBJECT) in viewer["subject_keys"]
    namesake = {**README_SUBJECT, "jourDateNaissance": "28"}
    assert subject_key(namesake) not in viewer["subject_keys"]
    # Nothing of the identity itself stays in the session.
    stored = json.dumps(dict(client.session.items()), ensure_ascii=False)
    assert "LEFEBVRE" not in stored.upper().replace(viewer["display_name"].upper(), "")
    assert "1982" not in stored
    [token_request] = franceconnect.layer.token_requests
    assert s256(token_request["code_verifier"]) == params["code_challenge"]
    assert token_request["client_secret"] == FRANCECONNECT_CLIENT_SECRET
    assert franceconnect.layer.token_authorizations == [""]


def test_the_client_secret_goes_in_a_basic_header_unless_the_form_is_announced(
    client: Client, franceconnect: Provider
) -> None:
    franceconnect.layer.secret_post_announced = False

    assert _back(client, _consent(_start(client))).status_code == 302

    [token_request] = franceconnect.layer.token_requests
    assert "client_secret" not in token_request
    expected = base64.b64encode(
        f"{FRANCECONNECT_CLIENT_ID}:{FRANCECONNECT_CLIENT_SECRET}".encode()
    ).decode()
    assert franceconnect.layer.token_authorizations == [f"Basic {expected}"]


def test_signing_out_ends_the_franceconnect_session_too(
    client: Client, franceconnect: Provider
) -> None:
    _back(client, _consent(_start(client)))
    id_token = franceconnect.layer.issued_id_tokens[-1]

    response = client.post(reverse("www:my_data_sign_out"))

    assert _viewer(client) is None
    assert response.status_code == 302
    assert response.url.startswith(f"{franceconnect.issuer}/oauth2/end_session?")
    query = dict(parse_qsl(urlsplit(response.url).query))
    assert query["id_token_hint"] == id_token
    assert query["post_logout_redirect_uri"] == (
        django_settings.DLNUF_SITE_URL + reverse("www:my_data_sign_in")
    )
    assert client.get(reverse("www:my_data_sign_out")).status_code == 405


def test_an_es256_id_token_from_a_published_key_is_accepted(
    client: Client, franceconnect: Provider
) -> None:
    forge = _forger(franceconnect)

    response = _back(client, _consent(_start(client)))

    assert response.status_code == 302, response.content
    assert _viewer(client) is not None
    assert forge.count == 1


# --- what must be refused, with no session opened --------------------------------------------


def test_a_refused_consent_opens_no_session(client: Client, franceconnect: Provider) -> None:
    response = httpx.post(_start(client), data={"action": "deny"})
    assert response.status_code == 302

    answer = _back(client, response.headers["location"])

    _assert_not_signed_in(client, answer, 200, "Vous avez annulé la connexion sur FranceConnect")
    assert franceconnect.layer.token_requests == []


def test_a_wrong_state_or_a_replay_is_refused(client: Client, franceconnect: Provider) -> None:
    callback = urlsplit(_consent(_start(client)))
    query = dict(parse_qsl(callback.query))
    query["state"] = query["state"][:-1] + ("A" if query["state"][-1] != "A" else "B")

    wrong = client.get(f"{callback.path}?{urlencode(query)}")

    _assert_not_signed_in(client, wrong, 400, "ne correspond à aucune connexion en cours")
    assert franceconnect.layer.token_requests == []

    good = _consent(_start(client))
    assert _back(client, good).status_code == 302
    client.post(reverse("www:my_data_sign_out"))
    replay = _back(client, good)
    _assert_not_signed_in(client, replay, 400, "ne correspond à aucune connexion en cours")
    assert len(franceconnect.layer.token_requests) == 1


def test_a_callback_in_another_browser_is_refused(client: Client, franceconnect: Provider) -> None:
    callback = _consent(_start(client))
    other_browser = Client()

    response = _back(other_browser, callback)

    _assert_not_signed_in(other_browser, response, 400, "Cette connexion n'est plus valable")


def test_an_id_token_with_another_nonce_is_refused(client: Client, franceconnect: Provider) -> None:
    authorization = _start(client)
    params = dict(parse_qsl(urlsplit(authorization).query))
    tampered = {**params, "nonce": "un-autre-nonce-que-celui-de-la-session-0001"}
    url = authorization.split("?")[0] + "?" + urlencode(tampered)

    response = _back(client, _consent(url))

    _assert_not_signed_in(client, response, 403, "n'a pas passé nos vérifications")
    assert len(franceconnect.layer.token_requests) == 1


def test_a_tampered_id_token_is_refused(client: Client, franceconnect: Provider) -> None:
    def tamper(token: str) -> str:
        header, _payload, signature = token.split(".")
        claims = jwt.decode(token, options={"verify_signature": False})
        claims["sub"] = "quelqu-un-d-autre"
        forged = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
        return f"{header}.{forged}.{signature}"

    franceconnect.layer.rewrite_id_token = tamper

    response = _back(client, _consent(_start(client)))

    _assert_not_signed_in(client, response, 403, "n'a pas passé nos vérifications")


def test_an_id_token_signed_with_an_unpublished_key_is_refused(
    client: Client, franceconnect: Provider
) -> None:
    intruder = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    franceconnect.layer.rewrite_id_token = lambda token: jwt.encode(
        jwt.decode(token, options={"verify_signature": False}), intruder, algorithm="RS256"
    )

    response = _back(client, _consent(_start(client)))

    _assert_not_signed_in(client, response, 403, "n'a pas passé nos vérifications")


@pytest.mark.parametrize(
    "change",
    [
        {"aud": "un-autre-client"},
        {"iss": "https://fournisseur.example"},
        {"exp": 1_000_000_000},
        {"nonce": "pas-celui-de-cette-connexion"},
    ],
    ids=["audience", "issuer", "expired", "nonce"],
)
def test_an_id_token_failing_one_check_is_refused(
    client: Client, franceconnect: Provider, change: dict[str, Any]
) -> None:
    _forger(franceconnect, change)

    response = _back(client, _consent(_start(client)))

    _assert_not_signed_in(client, response, 403, "n'a pas passé nos vérifications")


def test_an_incomplete_identity_is_refused(client: Client, franceconnect: Provider) -> None:
    franceconnect.add_user(
        FRANCECONNECT_SUB,
        {key: value for key, value in FRANCECONNECT_CLAIMS.items() if key != "gender"},
    )

    response = _back(client, _consent(_start(client)))

    _assert_not_signed_in(client, response, 403, "FranceConnect n'a pas transmis toute votre")


def test_a_provider_down_opens_no_session(client: Client, franceconnect: Provider) -> None:
    callback = _consent(_start(client))
    franceconnect.stop()

    response = _back(client, callback)

    _assert_not_signed_in(client, response, 503, "FranceConnect ne répond pas pour le moment")
    # The start page, once the cached discovery document is gone, says so too.
    cache.clear()
    _assert_not_signed_in(
        client,
        client.get(reverse("www:my_data_franceconnect_start")),
        503,
        "FranceConnect ne répond pas pour le moment",
    )


def test_without_configuration_franceconnect_is_not_offered(client: Client) -> None:
    page = client.get(reverse("www:my_data_sign_in")).content.decode()
    assert "fr-connect" not in page
    assert "pas encore proposée sur ce guichet" in page
    response = client.get(reverse("www:my_data_franceconnect_start"))
    _assert_not_signed_in(client, response, 404, "FranceConnect n'est pas activé sur ce guichet")


def test_the_choice_page_offers_every_way_in(client: Client, franceconnect: Provider) -> None:
    page = client.get(reverse("www:my_data_sign_in")).content.decode()
    assert 'class="fr-connect"' in page
    assert reverse("www:my_data_franceconnect_start") in page
    assert f"{reverse('www:login')}?next={reverse('www:my_data')}" in page
    assert reverse("www:my_data_demo_sign_in") in page
    # It says which accesses an identity cannot find, before anyone signs in.
    assert "Statut demandeur d'emploi : consultations faites avec « Identifiant France" in (
        page.replace("&#x27;", "'")
    )


# --- the demonstration people ------------------------------------------------------------------


def _csrf_token(page: str) -> str:
    marker = 'name="csrfmiddlewaretoken" value="'
    return page.split(marker, 1)[1].split('"', 1)[0]


def test_a_demo_person_is_chosen_with_a_form(db: None) -> None:
    catalogue_load()
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(reverse("www:my_data_demo_sign_in")).content.decode()
    for person in DEMO_PEOPLE:
        assert f'value="{person.slug}"' in page
    assert browser.post(reverse("www:my_data_demo_sign_in"), {"person": "x"}).status_code == 403

    refused = browser.post(
        reverse("www:my_data_demo_sign_in"),
        {"person": "quelqu-un", "csrfmiddlewaretoken": _csrf_token(page)},
    )
    assert refused.status_code == 400
    assert "Choisissez une des personnes de démonstration" in refused.content.decode()

    chosen = DEMO_PEOPLE[1]
    response = browser.post(
        reverse("www:my_data_demo_sign_in"),
        {"person": chosen.slug, "csrfmiddlewaretoken": _csrf_token(page)},
    )

    assert response.status_code == 302
    assert response.url == reverse("www:my_data")
    viewer = _viewer(browser)
    assert viewer is not None
    assert viewer["signed_in_with"] == "demo"
    assert viewer["subject_keys"] == list(subject_keys_for_pivot(chosen.pivot))
    others = {
        key
        for person in DEMO_PEOPLE
        if person != chosen
        for key in subject_keys_for_pivot(person.pivot)
    }
    assert not others & set(viewer["subject_keys"])


def test_the_demo_chooser_can_be_switched_off(client: Client, settings: Any) -> None:
    settings.DLNUF_DEMO_PEOPLE = False
    assert client.get(reverse("www:my_data_demo_sign_in")).status_code == 404
    page = client.get(reverse("www:my_data_sign_in")).content.decode()
    assert reverse("www:my_data_demo_sign_in") not in page


def _settings_value(name: str, environment: dict[str, str]) -> str:
    code = f"import config.settings as s; print(s.{name})"
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DLNUF_", "DJANGO_")) and key != "DEBUG"
    }
    result = subprocess.run(  # noqa: S603 - this interpreter, importing the project's settings
        [sys.executable, "-c", code],
        env={**base, **environment},
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.BASE_DIR,
    )
    return result.stdout.strip()


def test_the_demo_chooser_is_off_in_production_unless_asked_for(tmp_path: Path) -> None:
    production = {
        "DLNUF_ENVIRONMENT": "production",
        "SECRET_KEY": "s" * 50,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'absente.sqlite3'}",
        "ALLOWED_HOSTS": "guichet.example.gouv.fr",
        "DLNUF_JOURNAL_SIGNING_KEY": "11" * 32,
        "DLNUF_JOURNAL_SUBJECT_SECRET": "22" * 32,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    assert _settings_value("DLNUF_DEMO_PEOPLE", production) == "False"
    assert _settings_value("DLNUF_DEMO_PEOPLE", {**production, "DLNUF_DEMO_PEOPLE": "1"}) == "True"
    assert _settings_value("DLNUF_DEMO_PEOPLE", {"DLNUF_VAR_DIR": str(tmp_path)}) == "True"


# --- a key of the test's, published in the provider's JWKS ---------------------------------------


@dataclass
class _Forger:
    count: int = 0


def _forger(provider: Provider, change: dict[str, Any] | None = None) -> _Forger:
    """Re-sign every ID token with an ES256 key published beside the provider's, after
    applying ``change`` to its claims."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    provider.layer.test_keys.append({**public, "kid": TEST_KEY_ID, "use": "sig", "alg": "ES256"})
    forger = _Forger()

    def rewrite(token: str) -> str:
        forger.count += 1
        claims = {**jwt.decode(token, options={"verify_signature": False}), **(change or {})}
        return jwt.encode(claims, key, algorithm="ES256", headers={"kid": TEST_KEY_ID})

    provider.layer.rewrite_id_token = rewrite
    return forger
