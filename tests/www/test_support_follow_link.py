"""« Retrouver mon lien de suivi »: the same answer for every address, links only to the owner."""

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from dlnuf.outbox.models import OutgoingEmail
from dlnuf.support.models import Channel, RequestState, SupportRequest
from dlnuf.support.services import support_request_create
from dlnuf.support.tokens import request_from_follow_token

pytestmark = pytest.mark.django_db

SITE = "https://guichet.exemple.gouv.fr"


@pytest.fixture(autouse=True)
def _site_url(settings: Any) -> None:
    settings.DLNUF_SITE_URL = SITE


def filed(capture: Any, email: str, subject: str) -> SupportRequest:
    with capture(execute=True):
        return support_request_create(
            channel=Channel.FORM, values={"requester_email": email, "subject": subject}
        )


def ask(client: Client, email: str, capture: Any) -> Any:
    with capture(execute=True):
        return client.post(reverse("www:support_follow_link"), {"email": email})


def test_the_answer_is_the_same_and_only_the_owner_gets_the_links(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    first = filed(django_capture_on_commit_callbacks, "agent@mairie.fr", "Quotient familial")
    second = filed(django_capture_on_commit_callbacks, "agent@mairie.fr", "Avis d'imposition")
    closed = filed(django_capture_on_commit_callbacks, "agent@mairie.fr", "Ancienne")
    SupportRequest.objects.filter(pk=closed.pk).update(state=RequestState.CLOSED)
    mail.outbox.clear()
    stored_before = OutgoingEmail.objects.count()

    known = ask(client, "Agent@Mairie.fr", django_capture_on_commit_callbacks)
    unknown = ask(client, "personne@ailleurs.fr", django_capture_on_commit_callbacks)

    for answer in (known, unknown):
        assert answer.status_code == 302
        assert answer["Location"] == reverse("www:support_follow_link_sent")
    assert known.content == unknown.content
    assert dict(known.items()).keys() == dict(unknown.items()).keys()
    page = client.get(known["Location"]).content.decode()
    assert "Si des demandes en cours ont été envoyées au guichet avec cette adresse" in page

    (sent,) = mail.outbox
    assert OutgoingEmail.objects.count() == stored_before + 1
    assert sent.to == ["agent@mairie.fr"]
    assert sent.subject == "Vos liens de suivi"
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"
    tokens = [
        line.split("/accompagnement/suivi/")[1].rstrip("/")
        for line in sent.body.splitlines()
        if line.startswith(f"{SITE}/accompagnement/suivi/")
    ]
    assert [request_from_follow_token(token) for token in tokens] == [first, second]
    assert "Ancienne" not in sent.body


def test_one_address_is_not_flooded_and_one_client_is_limited(
    client: Client, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DLNUF_SUPPORT_FOLLOW_LINK_EMAILS_PER_HOUR = 2
    settings.DLNUF_SUPPORT_FORM_SUBMISSIONS_PER_HOUR = 4
    filed(django_capture_on_commit_callbacks, "agent@mairie.fr", "Quotient familial")
    mail.outbox.clear()

    answers = [ask(client, "agent@mairie.fr", django_capture_on_commit_callbacks) for _ in range(4)]
    refused = ask(client, "agent@mairie.fr", django_capture_on_commit_callbacks)

    assert [answer.status_code for answer in answers] == [302, 302, 302, 302]
    assert len(mail.outbox) == 2
    assert refused.status_code == 429
    assert "Trop de demandes envoyées depuis votre connexion" in refused.content.decode()


def test_a_wrong_address_is_explained_in_french(client: Client) -> None:
    answer = client.post(reverse("www:support_follow_link"), {"email": "pas une adresse"})

    assert answer.status_code == 200
    page = answer.content.decode()
    assert "Indiquez une adresse électronique valide, par exemple nom@domaine.fr." in page
    assert "<title>Erreur : Retrouver mon lien de suivi" in page


def test_the_support_form_leads_to_the_page(client: Client) -> None:
    page = client.get(reverse("www:support_new")).content.decode()
    assert f'href="{reverse("www:support_follow_link")}"' in page
    assert client.get(reverse("www:support_follow_link")).status_code == 200
