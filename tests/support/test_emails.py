"""The guichet's e-mails to requesters: French text and an HTML alternative, absolute follow
links, the headers that keep the thread together, and nothing sent before the commit or when
muted."""

from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import load_demo
from dlnuf.organisations.models import User
from dlnuf.outbox.models import EmailStatus, OutgoingEmail
from dlnuf.support import emails
from dlnuf.support.attachments import IncomingFile
from dlnuf.support.models import Channel, Priority, SupportRequest
from dlnuf.support.services import (
    mission_open,
    mission_transition,
    support_reply_send,
    support_request_create,
    support_request_qualify,
    support_request_redirect,
)
from dlnuf.support.tokens import request_from_follow_token

pytestmark = pytest.mark.django_db
SITE = "https://guichet.exemple.gouv.fr"
PDF = b"%PDF-1.4\n"


@pytest.fixture(autouse=True)
def _settings(settings: Any, tmp_path: Any) -> None:
    settings.DLNUF_SITE_URL = SITE
    settings.DLNUF_SUPPORT_ADDRESS = "guichet@dlnuf.local"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def expert(db: None) -> User:
    catalogue_load()
    load_demo(stdout=StringIO())
    return User.objects.get(email="expert@demo.dlnuf.fr")


def create(capture: Any, *, channel: Channel = Channel.FORM, **values: Any) -> SupportRequest:
    with capture(execute=True):
        request = support_request_create(
            channel=channel,
            values={
                "requester_email": "camille.riviere@lyon.fr",
                "subject": "Quotient familial <cantine>",
                "need": "Supprimer l'avis d'imposition.",
                **values,
            },
            message_id="<entrant@lyon.fr>" if channel == Channel.EMAIL else "",
        )
    request.refresh_from_db()
    return request


def follow_link_in(text: str) -> str:
    start = text.index(f"{SITE}/accompagnement/suivi/")
    return text[start:].split()[0]


def html_of(message: Any) -> str:
    ((content, kind),) = message.alternatives
    assert kind == "text/html"
    return str(content)


def test_the_acknowledgement_of_the_form_starts_the_thread(
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = create(django_capture_on_commit_callbacks, urgency="high")

    (sent,) = mail.outbox
    assert sent.to == ["camille.riviere@lyon.fr"]
    assert sent.from_email == "guichet@dlnuf.local"
    assert sent.reply_to == ["guichet@dlnuf.local"]
    assert sent.subject == f"[{request.reference}] Votre demande est bien reçue"
    headers = sent.extra_headers
    assert headers["Message-ID"] == request.thread_message_id
    assert headers["Message-ID"].endswith("@dlnuf.local>")
    assert "In-Reply-To" not in headers
    assert "References" not in headers
    assert headers["Auto-Submitted"] == "auto-generated"
    assert "a bien reçu votre demande « Quotient familial <cantine> »" in sent.body
    assert f"référence {request.reference}" in sent.body
    assert f"au plus tard le {emails.french_date(request.first_answer_due)}" in sent.body
    link = follow_link_in(sent.body)
    assert request_from_follow_token(link.rstrip("/").rsplit("/", 1)[1]) == request
    html = html_of(sent)
    assert '<html lang="fr">' in html
    assert "Quotient familial &lt;cantine&gt;" in html
    assert "<cantine>" not in html
    assert f'href="{link}"' in html


def test_the_acknowledgement_of_an_e_mail_answers_it(
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = SupportRequest.objects.create(
        channel=Channel.EMAIL,
        requester_email="agent@mairie.fr",
        subject="Par courriel",
        first_answer_due=timezone.now(),
        thread_message_id="<entrant@mairie.fr>",
    )

    with django_capture_on_commit_callbacks(execute=True):
        emails.send_acknowledgement(request_id=request.pk)

    (sent,) = mail.outbox
    assert sent.extra_headers["In-Reply-To"] == "<entrant@mairie.fr>"
    assert sent.extra_headers["References"] == "<entrant@mairie.fr>"
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"
    assert sent.extra_headers["Message-ID"] != "<entrant@mairie.fr>"
    request.refresh_from_db()
    assert request.thread_message_id == "<entrant@mairie.fr>"


def test_each_reply_of_the_team_is_sent_in_the_thread(
    expert: User, django_capture_on_commit_callbacks: Any
) -> None:
    request = create(django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        message = support_reply_send(
            request=request,
            actor=expert,
            body="L'API de la CNAF convient.\nVoici la fiche.",
            attachments=[IncomingFile("fiche.pdf", PDF)],
        )

    (sent,) = mail.outbox
    assert sent.subject == f"[{request.reference}] Quotient familial <cantine>"
    assert sent.extra_headers["Message-ID"] == message.message_id
    assert sent.extra_headers["In-Reply-To"] == request.thread_message_id
    assert sent.extra_headers["References"] == request.thread_message_id
    assert "Auto-Submitted" not in sent.extra_headers
    assert sent.reply_to == ["guichet@dlnuf.local"]
    assert "L'API de la CNAF convient.\nVoici la fiche." in sent.body
    assert f"{expert.get_full_name()}, guichet Dites-le-nous une fois" in sent.body
    assert "Pièces jointes, à télécharger depuis la page de suivi : fiche.pdf." in sent.body
    assert follow_link_in(sent.body).startswith(SITE)
    assert "L&#x27;API de la CNAF convient.<br>Voici la fiche." in html_of(sent)


def test_a_redirection_explains_where_to_turn(
    expert: User, django_capture_on_commit_callbacks: Any
) -> None:
    request = create(django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        support_request_redirect(
            request=request,
            actor=expert,
            explanation="Adressez-vous à la DGFiP, qui instruit ces accès.",
        )

    (sent,) = mail.outbox
    assert sent.subject == f"[{request.reference}] Votre demande est réorientée"
    assert "ne relève pas directement du guichet" in sent.body
    assert "Adressez-vous à la DGFiP, qui instruit ces accès." in sent.body
    assert "la demande peut être rouverte" in sent.body


def test_the_satisfaction_request_follows_the_closing_of_the_mission(
    expert: User, django_capture_on_commit_callbacks: Any
) -> None:
    request = create(django_capture_on_commit_callbacks)
    support_request_qualify(request=request, actor=expert, priority=Priority.NORMAL)
    mission = mission_open(request=request, actor=expert, title="Cadrage", lead_expert=expert)
    mission.agreement_note = "Deux ateliers."
    mission.agreed_until = timezone.localdate()
    mission.save()
    for action in ("agree", "start"):
        mission = mission_transition(mission=mission, action=action, actor=expert)
    mission.closing_summary = "Avis d'imposition supprimé de la démarche."
    mission.save()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        mission_transition(mission=mission, action="close", actor=expert)

    (sent,) = mail.outbox
    assert sent.subject == f"[{request.reference}] Mission close : votre avis"
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "La mission « Cadrage »" in sent.body
    assert "Avis d'imposition supprimé de la démarche." in sent.body
    assert "Donner votre avis (une note de 1 à 5" in sent.body
    assert follow_link_in(sent.body).startswith(SITE)


def test_nothing_leaves_before_the_commit_or_when_muted(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        support_request_create(
            channel=Channel.FORM, values={"requester_email": "a@b.fr", "subject": "Attente"}
        )
    assert mail.outbox == []
    assert len(callbacks) == 1

    with emails.notifications_muted(), django_capture_on_commit_callbacks(execute=True):
        support_request_create(
            channel=Channel.FORM, values={"requester_email": "a@b.fr", "subject": "Muet"}
        )
    assert mail.outbox == []


def test_a_mail_server_failure_keeps_the_e_mail_for_a_retry(
    settings: Any, caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DLNUF_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # discard: nothing listens
    settings.EMAIL_TIMEOUT = 2

    request = create(django_capture_on_commit_callbacks)

    waiting = OutgoingEmail.objects.get(to=[request.requester_email])
    assert waiting.status == EmailStatus.PENDING
    assert waiting.attempts == 1
    assert f"E-mail {waiting.pk} not sent (attempt 1)" in caplog.text
    assert SupportRequest.objects.filter(pk=request.pk).exists()


def test_dates_are_written_in_french_in_the_portal_time_zone() -> None:
    moment = datetime(2025, 3, 2, 23, 30, tzinfo=UTC)

    assert emails.french_date(moment) == "lundi 3 mars 2025"
