"""Local accounts in the portal: sign in, rate limits, sign out, "Mon compte", password change."""

import html
import re

import pytest
from django.urls import reverse

from dlnuf.organisations.models import Role
from dlnuf.organisations.services import membership_grant
from tests.exchange.factories import OrganisationFactory, ProviderFactory
from tests.organisations.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/connexion/"
WRONG = "Adresse électronique ou mot de passe incorrect."


def _post_login(client, email, password, **extra):
    return client.post(LOGIN, {"username": email, "password": password}, **extra)


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def test_the_login_page_asks_for_an_email_address_and_a_password(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="username"' in page
    assert 'type="email"' in page
    assert 'name="password"' in page
    assert "Adresse électronique" in page
    assert "ProConnect" not in page


def test_sign_in_by_email_in_any_case_goes_to_the_page_asked_for(client):
    UserFactory(email="camille.martin@exemple.gouv.fr")
    response = client.post(
        LOGIN,
        {
            "username": "Camille.Martin@EXEMPLE.gouv.fr",
            "password": PASSWORD,
            "next": "/mon-compte/",
        },
    )
    assert response.status_code == 302
    assert response.url == "/mon-compte/"
    assert client.get("/mon-compte/").status_code == 200


def test_a_protected_page_sends_to_the_login_page_and_back(client):
    response = client.get("/mon-compte/")
    assert response.status_code == 302
    assert response.url == "/connexion/?next=/mon-compte/"


def test_wrong_password_and_unknown_address_get_the_same_answer(client):
    UserFactory(email="connu@exemple.gouv.fr")
    known = _post_login(client, "connu@exemple.gouv.fr", "mauvais")
    unknown = _post_login(client, "inconnu@exemple.gouv.fr", "mauvais")
    assert known.status_code == unknown.status_code == 200
    assert WRONG in _text(known)
    assert WRONG in _text(unknown)
    assert "_auth_user_id" not in client.session


def test_an_invalid_address_is_answered_in_french(client):
    response = _post_login(client, "pas-une-adresse", "x")
    assert "Saisissez une adresse de courriel valide." in _text(response)


def test_too_many_failures_block_with_a_message_saying_when_to_retry(client, settings):
    settings.DLNUF_LOGIN_ATTEMPTS_PER_WINDOW = 3
    settings.DLNUF_LOGIN_WINDOW_SECONDS = 900
    UserFactory(email="cible@exemple.gouv.fr")
    for _ in range(3):
        assert WRONG in _text(_post_login(client, "cible@exemple.gouv.fr", "devine"))

    blocked = _text(_post_login(client, "cible@exemple.gouv.fr", PASSWORD))

    assert WRONG not in blocked
    assert "Trop de tentatives de connexion ont échoué" in blocked
    assert re.search(r"réessayez dans 15 minutes, à partir de \d\d h \d\d\.", blocked)
    assert "_auth_user_id" not in client.session
    # The same message for an address nobody holds: the block tells nothing about accounts.
    for _ in range(3):
        _post_login(client, "personne@exemple.gouv.fr", "devine")
    assert "Trop de tentatives" in _text(_post_login(client, "personne@exemple.gouv.fr", "x"))


def test_the_client_address_comes_from_the_trusted_proxy(client, settings):
    settings.DLNUF_LOGIN_ATTEMPTS_PER_CLIENT = 2
    settings.DLNUF_TRUSTED_PROXY_COUNT = 1
    for n in range(2):
        _post_login(
            client, f"a{n}@exemple.gouv.fr", "x", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7"
        )
    # Another address forged on the left is ignored: the proxy's entry is what counts.
    spoofed = _post_login(
        client, "b@exemple.gouv.fr", "x", HTTP_X_FORWARDED_FOR="10.1.1.1, 198.51.100.7"
    )
    assert "Trop de tentatives" in _text(spoofed)
    other_client = _post_login(client, "b@exemple.gouv.fr", "x", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert WRONG in _text(other_client)


def test_sign_out_is_a_post(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/deconnexion/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/deconnexion/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_my_account_shows_identity_and_roles(client):
    user = UserFactory(first_name="Camille", last_name="Rivière", email="camille@exemple.gouv.fr")
    lyon = OrganisationFactory(name="Ville de Lyon")
    cnaf = ProviderFactory(name="Caisse nationale des allocations familiales")
    membership_grant(user=user, role=Role.APPLICANT, organisation=lyon, granted_by=None)
    membership_grant(user=user, role=Role.REPORTER, provider=cnaf, granted_by=None)
    client.force_login(user)

    page = _text(client.get(reverse("www:account")))

    assert "Camille Rivière" in page
    assert "camille@exemple.gouv.fr" in page
    assert f"Organisation Ville de Lyon (SIRET {lyon.siret})" in page
    assert "Fournisseur de données Caisse nationale des allocations familiales" in page
    assert "Demandeur" in page
    assert "Rapporteur" in page
    assert reverse("www:password_change") in page
    assert reverse("www:user_list") not in page


def test_my_account_without_roles_says_how_to_get_one(client):
    client.force_login(UserFactory())
    assert "Vous n'avez encore aucun rôle" in _text(client.get(reverse("www:account")))


def test_password_change(client):
    user = UserFactory(email="camille@exemple.gouv.fr")
    client.force_login(user)
    url = reverse("www:password_change")

    wrong_old = _text(
        client.post(
            url,
            {"old_password": "faux", "new_password1": "x", "new_password2": "x"},
        )
    )
    assert "Votre ancien mot de passe est incorrect" in wrong_old

    too_weak = _text(
        client.post(
            url,
            {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
        )
    )
    assert "Ce mot de passe est trop court" in too_weak

    new = "un-autre-mot-de-passe-2027"
    done = client.post(url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert done.url == reverse("www:account")
    # The session that changed the password stays signed in.
    assert "Votre mot de passe a été changé." in _text(client.get(done.url))
    user.refresh_from_db()
    assert user.check_password(new)


def test_an_account_without_password_is_told_to_use_proconnect(client):
    user = UserFactory()
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    page = _text(client.get(reverse("www:password_change")))
    assert "Votre compte n'a pas de mot de passe" in page
    assert "<form" not in page.split('id="content"')[1].split("</main>")[0]
