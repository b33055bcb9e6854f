"""The one-time link that hands a new credential to the technical contact named in the request:
sent through the outbox at validation, confirmed by a POST (a GET never spends it), shown once,
expiring, replaced by a re-send, hashed at rest, logged in the habilitation's events."""

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dlnuf.habilitations import services
from dlnuf.habilitations.models import (
    AuthorizationRequest,
    Credential,
    CredentialDeliveryLink,
    CredentialReveal,
    Environment,
    HabilitationEvent,
    HabilitationEventKind,
)
from dlnuf.habilitations.sealing import unseal
from dlnuf.outbox.models import OutgoingEmail
from tests.habilitations.workflow import Cast, cast

pytestmark = pytest.mark.django_db
SITE = "https://guichet.exemple.gouv.fr"
TECHNICAL_CONTACT = "technique@ville.fr"
LINK = re.compile(re.escape(SITE) + r"(/tableau-de-bord/jetons/lien/[A-Za-z0-9_-]+/)")


@pytest.fixture(autouse=True)
def _site_url(settings: Any) -> None:
    settings.DLNUF_SITE_URL = SITE


def link_emails() -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.filter(to=[TECHNICAL_CONTACT]).order_by("pk"))


def link_path(email: OutgoingEmail) -> str:
    (path,) = set(LINK.findall(email.body))
    assert path in email.alternatives[0][0]
    return path


def production(item: AuthorizationRequest) -> Credential:
    assert item.habilitation is not None
    return item.habilitation.credentials.get(environment=Environment.PRODUCTION)


def production_link(item: AuthorizationRequest) -> str:
    credential = production(item)
    (email,) = [mail for mail in link_emails() if credential.prefix in mail.body]
    return link_path(email)


@pytest.fixture
def people() -> Cast:
    return cast()


@pytest.fixture
def validated(people: Cast) -> AuthorizationRequest:
    return people.validated()


def test_validation_e_mails_each_new_credential_to_the_technical_contact(
    validated: AuthorizationRequest,
) -> None:
    emails = link_emails()
    assert validated.habilitation is not None
    credentials = list(validated.habilitation.credentials.order_by("pk"))
    assert len(emails) == len(credentials) == 2
    for email, credential in zip(emails, credentials, strict=True):
        assert "Afficher le jeton" in email.body
        assert credential.prefix in email.body
        assert link_path(email).startswith("/tableau-de-bord/jetons/lien/")
    events = HabilitationEvent.objects.filter(kind=HabilitationEventKind.CREDENTIAL_LINK_SENT)
    assert sorted(event.credential_id for event in events) == [c.pk for c in credentials]
    assert all(TECHNICAL_CONTACT in event.detail for event in events)


def test_the_token_is_stored_hashed_and_the_secret_sealed(
    validated: AuthorizationRequest,
) -> None:
    path = production_link(validated)
    token = path.rstrip("/").rsplit("/", 1)[1]
    link = CredentialDeliveryLink.objects.get(credential=production(validated))
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(value) for value in CredentialDeliveryLink.objects.values_list(flat=False)]
    assert not any(token in value for value in stored)
    reveal = CredentialReveal.objects.get(credential=production(validated))
    secret = unseal(bytes(reveal.ciphertext))
    assert secret.encode() not in bytes(reveal.ciphertext)
    assert production(validated).secret_hash == hashlib.sha256(secret.encode()).hexdigest()


def test_get_asks_for_confirmation_and_post_reveals_the_secret_once(
    validated: AuthorizationRequest,
) -> None:
    path = production_link(validated)
    credential = production(validated)
    expected = unseal(bytes(CredentialReveal.objects.get(credential=credential).ciphertext))
    visitor = Client(enforce_csrf_checks=True)

    for _ in range(3):
        page = visitor.get(path)
        assert page.status_code == 200
        assert "Afficher le jeton maintenant" in page.content.decode()
        assert expected not in page.content.decode()
        assert "no-store" in page["Cache-Control"]
        assert page["Referrer-Policy"] == "no-referrer"
    assert CredentialDeliveryLink.objects.get(credential=credential).used_at is None

    # Browsers send "Origin: null" under "no-referrer": the token alone authorises the POST.
    shown = visitor.post(path, headers={"Origin": "null"})
    assert shown.status_code == 200
    assert expected in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    assert shown["Referrer-Policy"] == "no-referrer"

    reveal = CredentialReveal.objects.get(credential=credential)
    assert reveal.ciphertext == b""
    assert reveal.revealed_at is not None
    assert CredentialDeliveryLink.objects.get(credential=credential).used_at is not None
    event = HabilitationEvent.objects.get(
        credential=credential, kind=HabilitationEventKind.CREDENTIAL_REVEALED
    )
    assert event.actor is None
    assert TECHNICAL_CONTACT in event.detail

    again = visitor.post(path, headers={"Origin": "null"})
    assert again.status_code == 410
    text = again.content.decode()
    assert expected not in text
    assert "Lien déjà utilisé" in text
    assert "remplacer le jeton" in text
    assert visitor.get(path).status_code == 410


def test_the_link_needs_no_account_but_the_right_token(validated: AuthorizationRequest) -> None:
    path = production_link(validated)
    forged = path[:-5] + "AAAA/"
    response = Client().post(forged)
    assert response.status_code == 404
    assert "Lien inconnu" in response.content.decode()
    assert CredentialReveal.objects.get(credential=production(validated)).ciphertext != b""
    assert Client().get(path).status_code == 200


def test_an_expired_link_shows_how_to_get_a_new_one(
    validated: AuthorizationRequest, settings: Any
) -> None:
    path = production_link(validated)
    CredentialDeliveryLink.objects.filter(credential=production(validated)).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    for response in (Client().get(path), Client().post(path)):
        assert response.status_code == 410
        text = response.content.decode()
        assert "Lien expiré" in text
        assert "envoyer un nouveau lien" in text
    assert CredentialReveal.objects.get(credential=production(validated)).revealed_at is None


def test_the_link_lifetime_comes_from_the_settings(people: Cast, settings: Any) -> None:
    settings.DLNUF_CREDENTIAL_LINK_DAYS = 2
    before = timezone.now()
    item = people.validated()
    link = CredentialDeliveryLink.objects.get(credential=production(item))
    assert before + timedelta(days=2) <= link.expires_at <= timezone.now() + timedelta(days=2)


def test_a_re_send_replaces_the_previous_link(
    validated: AuthorizationRequest, people: Cast
) -> None:
    old_path = production_link(validated)
    credential = production(validated)
    applicant = Client()
    applicant.force_login(people.applicant)

    response = applicant.post(reverse("www:credential_link_send", kwargs={"pk": credential.pk}))
    assert response.status_code == 302

    new_emails = [mail for mail in link_emails() if credential.prefix in mail.body]
    assert len(new_emails) == 2
    new_path = link_path(new_emails[-1])
    assert new_path != old_path
    replaced = Client().post(old_path)
    assert replaced.status_code == 410
    assert "Lien remplacé" in replaced.content.decode()
    shown = Client().post(new_path)
    assert shown.status_code == 200
    assert "Copiez ce jeton maintenant" in shown.content.decode()
    sent = HabilitationEvent.objects.filter(
        credential=credential, kind=HabilitationEventKind.CREDENTIAL_LINK_SENT
    )
    assert [event.actor_id for event in sent.order_by("pk")] == [
        people.instructor.pk,
        people.applicant.pk,
    ]


def test_re_sending_is_refused_once_the_secret_was_shown(
    validated: AuthorizationRequest, people: Cast
) -> None:
    credential = production(validated)
    services.credential_reveal(credential=credential, actor=people.applicant)
    with pytest.raises(services.TransitionRefused, match="remplacez-le"):
        services.credential_link_send(credential=credential, actor=people.applicant)
    response = Client().post(production_link(validated))
    assert response.status_code == 410
    assert "Jeton indisponible" in response.content.decode()


def test_only_the_holder_s_applicants_can_re_send(
    validated: AuthorizationRequest, people: Cast
) -> None:
    credential = production(validated)
    with pytest.raises(services.ActionForbidden):
        services.credential_link_send(credential=credential, actor=people.instructor)
    outsider = Client()
    outsider.force_login(people.instructor)
    url = reverse("www:credential_link_send", kwargs={"pk": credential.pk})
    assert outsider.post(url).status_code == 404
    assert len([mail for mail in link_emails() if credential.prefix in mail.body]) == 1


def test_a_revoked_credential_is_no_longer_shown(validated: AuthorizationRequest) -> None:
    path = production_link(validated)
    services.credential_revoke(credential=production(validated))
    response = Client().post(path)
    assert response.status_code == 410
    assert "Jeton indisponible" in response.content.decode()
