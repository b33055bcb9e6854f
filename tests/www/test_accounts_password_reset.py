"""« Mot de passe oublié ? »: the same answer for every address, a signed single-use link by
e-mail built from DLNUF_SITE_URL, limits per address and per client; and the password change
page, whose refusals say why without sending a password back."""

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dlnuf.organisations.models import User
from dlnuf.outbox.models import OutgoingEmail
from tests.organisations.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://guichet.exemple.gouv.fr"
NEW_PASSWORD = "Une-phrase-de-passe-neuve-2026"


@pytest.fixture(autouse=True)
def _site_url(settings: Any) -> None:
    settings.DLNUF_SITE_URL = SITE


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def ask(client: Client, email: str, capture: Any) -> Any:
    with capture(execute=True):
        return client.post(reverse("www:password_reset"), {"email": email})


def reset_link(email: str) -> str:
    message = OutgoingEmail.objects.filter(to=[email]).latest("pk")
    match = re.search(rf"{re.escape(SITE)}(/mot-de-passe-oublie/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_the_login_page_links_to_the_forgotten_password_page(client):
    page = client.get(reverse("www:login")).content.decode()
    assert f'href="{reverse("www:password_reset")}"' in page
    assert "Mot de passe oublié ?" in page
    assert f'href="{reverse("www:account_request_new")}"' in page


def test_known_and_unknown_addresses_get_the_same_answer_and_only_the_owner_a_link(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="camille@exemple.gouv.fr")

    known = ask(client, "Camille@Exemple.gouv.fr", django_capture_on_commit_callbacks)
    unknown = ask(client, "personne@exemple.gouv.fr", django_capture_on_commit_callbacks)

    for answer in (known, unknown):
        assert answer.status_code == 302
        assert answer["Location"] == reverse("www:password_reset_sent")
    assert known.content == unknown.content
    assert dict(known.items()).keys() == dict(unknown.items()).keys()
    page = _text(client.get(known["Location"]))
    assert "Si un compte du guichet existe avec cette adresse" in page
    assert "expire dans 60 minutes" in page

    message = OutgoingEmail.objects.get()
    assert message.to == ["camille@exemple.gouv.fr"]
    assert message.subject == "Choisir un nouveau mot de passe"
    assert reset_link("camille@exemple.gouv.fr").startswith("/mot-de-passe-oublie/")


def test_the_link_sets_a_new_password_once(client, django_capture_on_commit_callbacks):
    user = UserFactory(email="camille@exemple.gouv.fr")
    ask(client, "camille@exemple.gouv.fr", django_capture_on_commit_callbacks)
    link = reset_link("camille@exemple.gouv.fr")

    opened = client.get(link)
    # Django moves the token into the session, so that it does not leak through Referer.
    assert opened.status_code == 302
    form_page = client.get(opened["Location"])
    assert "Choisir un nouveau mot de passe" in _text(form_page)

    refused = client.post(
        opened["Location"], {"new_password1": "camille", "new_password2": "camille"}
    )
    assert refused.status_code == 200
    refused_text = _text(refused)
    assert "Ce mot de passe est trop court" in refused_text
    assert 'value="camille"' not in refused.content.decode()

    done = client.post(
        opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("www:login")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "Votre mot de passe a été changé" in _text(client.get(done["Location"]))

    # The token is tied to the old password: the same link now opens nothing.
    again = Client().get(link, follow=True)
    assert "Lien expiré ou déjà utilisé" in _text(again)
    assert 'name="new_password1"' not in again.content.decode()


def test_a_proconnect_account_is_told_it_has_no_password(
    client, django_capture_on_commit_callbacks
):
    agent = UserFactory(email="agent@lyon.fr")
    agent.set_unusable_password()
    agent.save()

    ask(client, "agent@lyon.fr", django_capture_on_commit_callbacks)

    message = OutgoingEmail.objects.get()
    assert message.subject == "Votre compte n'a pas de mot de passe"
    assert "/mot-de-passe-oublie/" not in message.body
    assert f"{SITE}/connexion/" in message.body


def test_one_address_is_not_flooded_and_one_client_is_limited(
    client, settings, django_capture_on_commit_callbacks
):
    settings.DLNUF_PASSWORD_RESET_EMAILS_PER_HOUR = 2
    settings.DLNUF_ACCOUNT_FORMS_PER_HOUR = 4
    UserFactory(email="camille@exemple.gouv.fr")

    answers = [
        ask(client, "camille@exemple.gouv.fr", django_capture_on_commit_callbacks) for _ in range(4)
    ]
    assert [answer.status_code for answer in answers] == [302, 302, 302, 302]
    assert OutgoingEmail.objects.count() == 2

    blocked = ask(client, "camille@exemple.gouv.fr", django_capture_on_commit_callbacks)
    assert blocked.status_code == 429
    assert "Trop de demandes envoyées depuis votre connexion" in _text(blocked)
    assert OutgoingEmail.objects.count() == 2


def test_a_wrong_address_is_explained_and_kept(client):
    response = client.post(reverse("www:password_reset"), {"email": "pas-une-adresse"})
    assert response.status_code == 200
    text = _text(response)
    assert "Indiquez une adresse électronique valide" in text
    assert 'value="pas-une-adresse"' in response.content.decode()


def test_a_refused_password_change_says_why_and_sends_no_password_back(client):
    user = UserFactory(email="camille@exemple.gouv.fr")
    client.force_login(user)
    account = client.get(reverse("www:account")).content.decode()
    assert f'href="{reverse("www:password_change")}"' in account

    response = client.post(
        reverse("www:password_change"),
        {
            "old_password": "ancien-secret-faux",
            "new_password1": "Nouveau-secret-2026",
            "new_password2": "Nouveau-secret-2027",
        },
    )

    assert response.status_code == 200
    text = _text(response)
    assert "Votre ancien mot de passe est incorrect" in text
    assert "Les deux mots de passe ne correspondent pas" in text
    page = response.content.decode()
    for secret in ("ancien-secret-faux", "Nouveau-secret-2026", "Nouveau-secret-2027"):
        assert secret not in page
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert User.objects.count() == 1
