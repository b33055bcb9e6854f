"""The administrators' page of the outbox: what was sent, what waits, what failed for good."""

from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.urls import reverse

from dlnuf.organisations.models import Role
from dlnuf.outbox.models import EmailStatus, OutgoingEmail
from dlnuf.support.models import Channel
from dlnuf.support.services import support_request_create
from tests.habilitations.factories import global_user
from tests.habilitations.smtp import Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(settings: Any, smtp_port: int, django_capture_on_commit_callbacks: Any) -> OutgoingEmail:
    settings.DLNUF_EMAIL_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        support_request_create(
            channel=Channel.FORM,
            values={"requester_email": "agent@mairie.fr", "subject": "Perdue ?"},
        )
    (row,) = OutgoingEmail.objects.all()
    assert row.status == EmailStatus.FAILED
    return row


def test_administrators_see_a_failed_e_mail_and_its_error(
    client: Client, failed: OutgoingEmail
) -> None:
    client.force_login(global_user(Role.ADMINISTRATOR))

    page = client.get(reverse("www:outbox")).content.decode()

    assert "Courriels envoyés" in page
    assert "agent@mairie.fr" in page
    assert "Votre demande est bien reçue" in page
    assert "En échec définitif" in page
    assert "ConnectionRefusedError" in page
    assert "En échec définitif : 1" in page
    assert reverse("www:outbox_resend", args=[failed.pk]) in page
    assert ">Renvoyer</button>" in page
    # The menu leads administrators there.
    assert f'href="{reverse("www:outbox")}"' in page


@pytest.mark.parametrize("role", [Role.EXPERT, None])
def test_nobody_else_reads_the_outbox(
    client: Client, failed: OutgoingEmail, role: Role | None
) -> None:
    if role is not None:
        client.force_login(global_user(role))
    listing = client.get(reverse("www:outbox"))
    resend = client.post(reverse("www:outbox_resend", args=[failed.pk]))

    assert listing.status_code in {302, 403}
    assert resend.status_code in {302, 403}
    if role is not None:
        assert listing.status_code == 403
        assert f'href="{reverse("www:outbox")}"' not in client.get("/").content.decode()
    failed.refresh_from_db()
    assert failed.status == EmailStatus.FAILED


def test_resending_a_failed_e_mail_delivers_it_once_the_server_is_back(
    failed: OutgoingEmail,
    smtp_port: int,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(global_user(Role.ADMINISTRATOR))
    url = reverse("www:outbox_resend", args=[failed.pk])
    assert client.post(url).status_code == 403  # no CSRF token

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        page = client.get(reverse("www:outbox")).content.decode()
        token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.post(url, {"csrfmiddlewaretoken": token}, follow=True)
        with django_capture_on_commit_callbacks(execute=True):
            again = client.post(url, {"csrfmiddlewaretoken": token}, follow=True)
    finally:
        controller.stop()

    assert "est de nouveau à envoyer" in answer.content.decode()
    assert "rien à renvoyer" in again.content.decode()
    (received,) = mailbox.received
    assert received.recipients == ["agent@mairie.fr"]
    failed.refresh_from_db()
    assert failed.status == EmailStatus.SENT
    assert failed.attempts == 1
