"""ProConnect sign-in, end to end, against an OpenID provider started on loopback by the tests.

The provider is ``oidc-provider-mock`` (a real authorization server: it signs its ID tokens with
its own RSA key and publishes it in its JWKS). In front of it, ``ProConnectLike`` adds what
ProConnect does and the mock does not: it enforces PKCE (RFC 7636, S256) and names a scope per
claim (``given_name`` …). It can also tamper with the token endpoint's answer, to play the attacks
the portal must refuse.

The flow is the one a browser follows: the portal's start page redirects to the provider, the
person signs in there (the mock's form, posted over HTTP), the provider redirects back to the
portal's callback, which exchanges the code, checks the ID token and opens the session.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from dlnuf.organisations.models import (
    InvitationState,
    Membership,
    Organisation,
    Role,
    RoleChange,
    User,
)
from dlnuf.organisations.services import invitation_create, membership_grant
from tests.exchange.factories import ProviderFactory
from tests.organisations.factories import UserFactory
from tests.www.oidc_providers import ProConnectLike, Provider, provider_on_loopback, s256

pytestmark = [
    pytest.mark.django_db,
    # The provider's library uses deprecated parts of authlib; that is its business.
    pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]

CLIENT_ID = "guichet-dlnuf"
CLIENT_SECRET = "secret-du-client-de-test"
SIRET_LYON = "21690123100011"
AGENT = {
    "email": "Camille.Riviere@lyon.fr",
    "given_name": "Camille",
    "usual_name": "Rivière",
    "siret": SIRET_LYON,
}


@pytest.fixture
def provider() -> Iterator[Provider]:
    with provider_on_loopback(ProConnectLike) as started:
        yield started


@pytest.fixture
def proconnect(settings, provider: Provider) -> Provider:
    settings.PROCONNECT_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    provider.add_user("agent-lyon-1", AGENT)
    return provider


@dataclass
class Authorization:
    url: str
    params: dict[str, str]


def _start(client: Any, next_url: str = "") -> Authorization:
    """The portal's start page: where it sends the browser, and with what."""
    query = f"?next={next_url}" if next_url else ""
    response = client.get(reverse("www:proconnect_start") + query)
    assert response.status_code == 302, response.content
    return Authorization(response.url, dict(parse_qsl(urlsplit(response.url).query)))


def _consent(authorization_url: str, sub: str = "agent-lyon-1") -> str:
    """The person signs in at the provider; the provider answers with the redirect back."""
    response = httpx.post(authorization_url, data={"sub": sub})
    assert response.status_code == 302, response.text
    return response.headers["location"]


def _back_to_portal(client: Any, callback_url: str) -> Any:
    parts = urlsplit(callback_url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://testserver"
    return client.get(f"{parts.path}?{parts.query}")


def _signed_in_user(client: Any) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def _message_after(client: Any, response: Any) -> str:
    return client.get(response.url).content.decode().replace("&#x27;", "'")


# --- the whole journey ------------------------------------------------------------------------


def test_a_public_agent_signs_in_with_proconnect(client, proconnect):
    authorization = _start(client, next_url="/mon-compte/")

    assert authorization.url.startswith(f"{proconnect.issuer}/oauth2/authorize?")
    params = authorization.params
    assert params["client_id"] == CLIENT_ID
    assert params["response_type"] == "code"
    assert params["scope"] == "openid email given_name usual_name siret"
    assert params["redirect_uri"] == "http://testserver/oidc/retour/"
    assert params["code_challenge_method"] == "S256"
    assert len(params["state"]) >= 32
    assert len(params["nonce"]) >= 32

    response = _back_to_portal(client, _consent(authorization.url))

    assert response.status_code == 302
    assert response.url == "/mon-compte/"
    user = _signed_in_user(client)
    assert user is not None
    assert (user.email, user.first_name, user.last_name) == (
        "camille.riviere@lyon.fr",
        "Camille",
        "Rivière",
    )
    assert user.proconnect_sub == "agent-lyon-1"
    assert not user.has_usable_password()
    organisation = Organisation.objects.get(siret=SIRET_LYON)
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.organisation) == (Role.APPLICANT, organisation)
    change = RoleChange.objects.get(user=user)
    assert change.changed_by is None
    assert SIRET_LYON in change.comment
    # The code was exchanged with the verifier matching the challenge, and the client's secret.
    [token_request] = proconnect.layer.token_requests
    assert s256(token_request["code_verifier"]) == params["code_challenge"]
    assert token_request["client_secret"] == CLIENT_SECRET
    account = client.get("/mon-compte/").content.decode()
    assert "Vous êtes connecté avec ProConnect." in account
    assert SIRET_LYON in account


def test_a_second_sign_in_updates_the_same_account(client, proconnect):
    _back_to_portal(client, _consent(_start(client).url))
    first = _signed_in_user(client)
    client.logout()
    proconnect.add_user(
        "agent-lyon-1",
        {**AGENT, "email": "camille.riviere@mairie-lyon.fr", "usual_name": "Rivière-Martin"},
    )

    _back_to_portal(client, _consent(_start(client).url))

    again = _signed_in_user(client)
    assert again == first
    assert again is not None
    assert (again.email, again.last_name) == ("camille.riviere@mairie-lyon.fr", "Rivière-Martin")
    assert Membership.objects.filter(user=again).count() == 1
    assert User.objects.count() == 1
    # The discovery document was fetched once and then read from the cache.
    assert proconnect.layer.discovery_requests == 1


def test_an_existing_local_account_keeps_its_roles(client, proconnect):
    local = UserFactory(email="camille.riviere@lyon.fr")
    cnaf = ProviderFactory(slug="cnaf-msa")
    membership_grant(user=local, role=Role.REPORTER, provider=cnaf, granted_by=None)

    _back_to_portal(client, _consent(_start(client).url))

    assert _signed_in_user(client) == local
    roles = set(Membership.objects.filter(user=local).values_list("role", flat=True))
    assert roles == {"reporter", "applicant"}
    local.refresh_from_db()
    assert local.proconnect_sub == "agent-lyon-1"
    assert local.has_usable_password()


def test_an_agent_of_an_unknown_organisation_creates_it(client, proconnect):
    proconnect.add_user(
        "agent-dinum", {**AGENT, "email": "a@numerique.gouv.fr", "siret": "13002526500013"}
    )
    _back_to_portal(client, _consent(_start(client).url, sub="agent-dinum"))
    user = _signed_in_user(client)
    assert user is not None
    assert list(
        Organisation.objects.filter(memberships__user=user).values_list("siret", flat=True)
    ) == ["13002526500013"]


def test_signing_out_ends_the_proconnect_session_too(client, proconnect):
    _back_to_portal(client, _consent(_start(client).url))
    id_token = proconnect.layer.issued_id_tokens[-1]

    response = client.post("/deconnexion/")

    assert _signed_in_user(client) is None
    assert response.url.startswith(f"{proconnect.issuer}/oauth2/end_session?")
    query = dict(parse_qsl(urlsplit(response.url).query))
    assert query["id_token_hint"] == id_token
    assert query["post_logout_redirect_uri"] == "http://testserver/"
    assert query["state"]
    assert httpx.get(response.url).status_code == 200


# --- what must be refused ---------------------------------------------------------------------


def _assert_refused(client: Any, response: Any) -> None:
    assert response.status_code == 302
    assert response.url == "/connexion/"
    assert _signed_in_user(client) is None
    assert "La connexion avec ProConnect n'a pas abouti." in _message_after(client, response)
    assert not User.objects.exists()
    assert not Membership.objects.exists()


def test_a_wrong_state_is_refused(client, proconnect):
    callback = urlsplit(_consent(_start(client).url))
    query = dict(parse_qsl(callback.query))
    query["state"] = query["state"][:-1] + ("A" if query["state"][-1] != "A" else "B")

    response = client.get(f"{callback.path}?{urlencode(query)}")

    _assert_refused(client, response)
    assert proconnect.layer.token_requests == []  # the code was never even exchanged


def test_a_callback_in_another_browser_is_refused(client, proconnect):
    callback = _consent(_start(client).url)
    other_browser = type(client)()
    response = _back_to_portal(other_browser, callback)
    assert response.status_code == 302
    assert other_browser.session.get("_auth_user_id") is None
    assert not User.objects.exists()


def test_a_replayed_callback_is_refused(client, proconnect):
    callback = _consent(_start(client).url)
    assert _back_to_portal(client, callback).url == "/"
    client.logout()

    replay = _back_to_portal(client, callback)

    assert replay.url == "/connexion/"
    assert _signed_in_user(client) is None
    assert len(proconnect.layer.token_requests) == 1


def test_an_id_token_with_another_nonce_is_refused(client, proconnect):
    authorization = _start(client)
    tampered = {**authorization.params, "nonce": "un-autre-nonce-que-celui-de-la-session-0001"}
    url = authorization.url.split("?")[0] + "?" + urlencode(tampered)

    response = _back_to_portal(client, _consent(url))

    _assert_refused(client, response)
    assert len(proconnect.layer.token_requests) == 1  # exchanged, then refused on the nonce


def test_a_replayed_id_token_is_refused(client, proconnect):
    _back_to_portal(client, _consent(_start(client).url))
    old_id_token = proconnect.layer.issued_id_tokens[-1]
    client.logout()
    proconnect.layer.rewrite_id_token = lambda fresh: old_id_token

    response = _back_to_portal(client, _consent(_start(client).url))

    assert response.url == "/connexion/"
    assert _signed_in_user(client) is None


def _resign(key: Any, algorithm: str = "RS256") -> Callable[[str], str]:
    def rewrite(token: str) -> str:
        claims = jwt.decode(token, options={"verify_signature": False})
        return jwt.encode(claims, key, algorithm=algorithm)

    return rewrite


def test_an_id_token_signed_with_another_key_is_refused(client, proconnect):
    intruder = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    proconnect.layer.rewrite_id_token = _resign(intruder)

    _assert_refused(client, _back_to_portal(client, _consent(_start(client).url)))


def test_an_id_token_signed_with_the_client_secret_is_refused(client, proconnect):
    proconnect.layer.rewrite_id_token = _resign(CLIENT_SECRET.ljust(32, "!"), algorithm="HS256")

    _assert_refused(client, _back_to_portal(client, _consent(_start(client).url)))


def test_an_unsigned_id_token_is_refused(client, proconnect):
    def unsigned(token: str) -> str:
        claims = jwt.decode(token, options={"verify_signature": False})
        return jwt.encode(claims, None, algorithm="none")

    proconnect.layer.rewrite_id_token = unsigned

    _assert_refused(client, _back_to_portal(client, _consent(_start(client).url)))


def test_a_code_issued_to_another_client_is_refused(client, proconnect, settings):
    settings.OIDC_RP_CLIENT_ID = "un-autre-service"
    authorization = _start(client)
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    # The provider issued the code to "un-autre-service"; this portal is CLIENT_ID.
    _assert_refused(client, _back_to_portal(client, _consent(authorization.url)))


def test_a_missing_pkce_verifier_is_refused(client, proconnect):
    authorization = _start(client)
    session = client.session
    session["oidc_states"][authorization.params["state"]]["code_verifier"] = None
    session.save()

    response = _back_to_portal(client, _consent(authorization.url))

    _assert_refused(client, response)
    [token_request] = proconnect.layer.token_requests
    assert "code_verifier" not in token_request


def test_a_wrong_pkce_verifier_is_refused(client, proconnect):
    authorization = _start(client)
    session = client.session
    session["oidc_states"][authorization.params["state"]]["code_verifier"] = "x" * 64
    session.save()

    _assert_refused(client, _back_to_portal(client, _consent(authorization.url)))


def test_an_authorization_refused_by_the_person_is_reported(client, proconnect):
    authorization = _start(client)
    denied = httpx.post(authorization.url, data={"action": "deny"})
    assert "error=access_denied" in denied.headers["location"]

    _assert_refused(client, _back_to_portal(client, denied.headers["location"]))


def test_an_agent_without_siret_is_refused(client, proconnect):
    proconnect.add_user("sans-siret", {"email": "x@lyon.fr", "given_name": "X"})
    _assert_refused(client, _back_to_portal(client, _consent(_start(client).url, sub="sans-siret")))


def test_an_address_tied_to_another_proconnect_identity_is_refused(client, proconnect):
    UserFactory(email="camille.riviere@lyon.fr", proconnect_sub="quelqu-un-d-autre")
    response = _back_to_portal(client, _consent(_start(client).url))
    assert response.url == "/connexion/"
    assert _signed_in_user(client) is None
    assert not Membership.objects.exists()


# --- configuration ----------------------------------------------------------------------------


def test_without_configuration_there_is_no_button_and_the_pages_say_so(client, settings):
    settings.PROCONNECT_ISSUER = ""
    assert "ProConnect" not in client.get("/connexion/").content.decode()
    for name in ("www:proconnect_start", "www:proconnect_callback"):
        response = client.get(reverse(name))
        assert response.status_code == 404
        assert "ProConnect n'est pas activé sur ce guichet" in response.content.decode().replace(
            "&#x27;", "'"
        )


def test_with_configuration_the_login_page_shows_the_proconnect_button(client, proconnect):
    page = client.get("/connexion/?next=/mon-compte/").content.decode()
    assert 'class="fr-connect"' in page
    assert "S’identifier avec" in page
    assert '<span class="fr-connect__brand">ProConnect</span>' in page
    assert f'href="{reverse("www:proconnect_start")}?next=/mon-compte/"' in page
    assert "Qu’est-ce que ProConnect ?" in page


def test_a_discovery_document_naming_another_issuer_is_not_used(client, proconnect):
    proconnect.layer.announced_issuer = "https://fournisseur-usurpe.example"
    response = client.get(reverse("www:proconnect_start"))
    assert response.status_code == 503
    assert "ProConnect ne répond pas" in response.content.decode().replace("&#x27;", "'")


def test_an_unreachable_provider_gives_a_clear_page(client, settings):
    settings.PROCONNECT_ISSUER = "http://127.0.0.1:9"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    response = client.get(reverse("www:proconnect_start"))
    assert response.status_code == 503


def test_endpoints_given_explicitly_skip_discovery(client, proconnect, settings):
    settings.PROCONNECT_AUTHORIZATION_ENDPOINT = f"{proconnect.issuer}/oauth2/authorize"
    settings.PROCONNECT_TOKEN_ENDPOINT = f"{proconnect.issuer}/oauth2/token"
    settings.PROCONNECT_USERINFO_ENDPOINT = f"{proconnect.issuer}/userinfo"
    settings.PROCONNECT_JWKS_ENDPOINT = f"{proconnect.issuer}/jwks"

    _back_to_portal(client, _consent(_start(client).url))

    assert _signed_in_user(client) is not None
    assert proconnect.layer.discovery_requests == 0


def test_a_first_sign_in_joins_the_existing_organisation_of_the_siret(client, proconnect):
    lyon = Organisation.objects.create(siret=SIRET_LYON, name="Ville de Lyon")
    colleague = UserFactory(email="collegue@lyon.fr")
    membership_grant(user=colleague, role=Role.APPLICANT, organisation=lyon, granted_by=None)

    _back_to_portal(client, _consent(_start(client).url))

    user = _signed_in_user(client)
    assert user is not None
    assert list(Organisation.objects.all()) == [lyon]
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.organisation) == (Role.APPLICANT, lyon)
    lyon.refresh_from_db()
    assert lyon.name == "Ville de Lyon"
    assert lyon.memberships.count() == 2


def test_an_invited_agent_signing_in_with_proconnect_gets_the_invited_role(client, proconnect):
    cnaf = ProviderFactory(slug="cnaf-msa")
    administrator = UserFactory(email="admin@guichet.fr")
    membership_grant(user=administrator, role=Role.ADMINISTRATOR, granted_by=None)
    invitation = invitation_create(
        invited_by=administrator,
        email="camille.riviere@lyon.fr",
        first_name="Camille",
        last_name="Rivière",
        role=Role.REPORTER,
        provider=cnaf,
    )

    _back_to_portal(client, _consent(_start(client).url))

    user = _signed_in_user(client)
    assert user is not None
    roles = set(Membership.objects.filter(user=user).values_list("role", "provider__slug"))
    assert roles == {("applicant", None), ("reporter", "cnaf-msa")}
    invitation.refresh_from_db()
    assert (invitation.state, invitation.accepted_user) == (InvitationState.ACCEPTED, user)
    assert RoleChange.objects.get(user=user, role="reporter").changed_by == administrator
