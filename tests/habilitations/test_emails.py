"""E-mails on every transition: French, plain text and HTML, links to the portal, no secret;
sent after commit, through Django's locmem backend and a real SMTP server on loopback."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from dlnuf.habilitations import services
from dlnuf.habilitations.models import Environment, RequestState
from dlnuf.outbox.models import EmailStatus, OutgoingEmail
from tests.habilitations.factories import instructor
from tests.habilitations.smtp import Mailbox, free_port, smtp_server
from tests.habilitations.workflow import cast, perform

pytestmark = pytest.mark.django_db
SITE = "https://guichet.exemple.gouv.fr"
# The one-time link to a new credential, sent to the technical contact alone.
LINK_SUBJECT = "Votre jeton d'accès"


@pytest.fixture(autouse=True)
def _site_url(settings: Any) -> None:
    settings.DLNUF_SITE_URL = SITE


@pytest.fixture
def smtp(settings: Any) -> Iterator[Mailbox]:
    with smtp_server() as (mailbox, port):
        settings.DLNUF_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        yield mailbox


def test_submitting_tells_the_instructors_and_the_applicants(
    django_capture_on_commit_callbacks: Any,
) -> None:
    people = cast()
    second_instructor = instructor(people.dataset.provider)
    item = people.draft()

    with django_capture_on_commit_callbacks(execute=True):
        services.authorization_request_submit(request=item, actor=people.applicant)

    to_instructors, to_applicants = mail.outbox
    assert to_instructors.subject == (
        f"Demande à instruire : {people.dataset.title} — {people.organisation}"
    )
    assert sorted(to_instructors.to) == sorted([people.instructor.email, second_instructor.email])
    assert to_applicants.subject == f"Votre demande d'habilitation n° {item.pk} a été transmise"
    assert to_applicants.to == [people.applicant.email, "metier@ville.fr", "technique@ville.fr"]
    link = f"{SITE}/habilitations/{item.pk}/"
    for message in mail.outbox:
        assert link in message.body
        assert message.body.startswith("Bonjour,")
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html"
        assert f'href="{link}"' in html
        assert '<html lang="fr">' in html


@pytest.mark.parametrize(
    ("action", "subject"),
    [
        ("request_changes", "Modifications demandées sur votre demande d'habilitation n° {pk}"),
        ("validate", "Votre demande d'habilitation n° {pk} est validée"),
        ("refuse", "Votre demande d'habilitation n° {pk} est refusée"),
    ],
)
def test_each_decision_is_sent_to_the_applicants_with_its_comment(
    action: str, subject: str, django_capture_on_commit_callbacks: Any
) -> None:
    people = cast()
    item = people.submitted()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        perform(action, item, people.instructor)

    links = [message for message in mail.outbox if message.subject.startswith(LINK_SUBJECT)]
    (message,) = [message for message in mail.outbox if message not in links]
    assert len(links) == (2 if action == "validate" else 0)
    assert all(link.to == ["technique@ville.fr"] for link in links)
    assert message.subject == subject.format(pk=item.pk)
    assert message.to == [people.applicant.email, "metier@ville.fr", "technique@ville.fr"]
    if action != "validate":
        assert "Commentaire de test" in message.body


def test_sandbox_stage_production_request_revoke_and_reopen_are_announced(
    django_capture_on_commit_callbacks: Any,
) -> None:
    people = cast()
    item = people.draft()
    services.authorization_request_update(
        request=item, actor=people.applicant, values={"sandbox_stage": True}
    )
    item = services.authorization_request_submit(request=item, actor=people.applicant)
    subjects = []
    steps = [
        ("validate_sandbox", people.instructor),
        ("request_production", people.applicant),
        ("validate", people.instructor),
        ("reopen", people.applicant),
        ("revoke", people.instructor),
    ]
    for action, actor in steps:
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            perform(action, item, actor)
        subjects.append([message.subject for message in mail.outbox])
        item.refresh_from_db()

    amendment = item.habilitation.amendments.get()
    title = people.dataset.title
    assert subjects == [
        [
            f"{LINK_SUBJECT} (bac à sable) à « {title} »",
            f"Votre demande d'habilitation n° {item.pk} est validée pour le bac à sable",
        ],
        [
            f"Passage en production demandé : {people.dataset.title} — {people.organisation}",
            f"Votre demande d'habilitation n° {item.pk} a été transmise",
        ],
        [
            f"{LINK_SUBJECT} (production) à « {title} »",
            f"Votre demande d'habilitation n° {item.pk} est validée",
        ],
        [f"Modification de votre habilitation ouverte (demande n° {amendment.pk})"],
        [f"Votre habilitation (n° {item.pk}) est révoquée"],
    ]


def test_no_e_mail_ever_carries_a_secret(django_capture_on_commit_callbacks: Any) -> None:
    people = cast()
    item = people.submitted()
    with django_capture_on_commit_callbacks(execute=True):
        item = services.authorization_request_validate(request=item, actor=people.instructor)
    assert item.habilitation is not None
    credential = item.habilitation.credentials.get(environment=Environment.PRODUCTION)
    with django_capture_on_commit_callbacks(execute=True):
        rotated = services.credential_rotate(credential=credential, actor=people.applicant)
    secrets = [
        services.credential_reveal(credential=c, actor=people.applicant)
        for c in item.habilitation.credentials.filter(revoked_at__isnull=True)
        if c.pk != credential.pk
    ]
    assert rotated.prefix.startswith("dlnuf_prd_")
    # Two one-time links, the validation, the rotation.
    assert len(mail.outbox) == 4
    for message in mail.outbox:
        content = message.body + message.alternatives[0][0]
        for secret in secrets:
            assert secret not in content
            assert secret[16:] not in content


def test_messages_go_to_the_other_side(django_capture_on_commit_callbacks: Any) -> None:
    people = cast()
    item = people.submitted()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.request_message_post(request=item, author=people.applicant, body="Une question")
    with django_capture_on_commit_callbacks(execute=True):
        services.request_message_post(request=item, author=people.instructor, body="Une réponse")
    to_instructor, to_applicants = mail.outbox
    assert to_instructor.to == [people.instructor.email]
    assert "Une question" in to_instructor.body
    assert to_applicants.to == [people.applicant.email, "metier@ville.fr", "technique@ville.fr"]
    assert f"{SITE}/habilitations/{item.pk}/#messages" in to_applicants.body


def test_a_failing_mail_server_never_undoes_a_decision(
    settings: Any, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    people = cast()
    item = people.submitted()
    settings.DLNUF_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2

    with django_capture_on_commit_callbacks(execute=True):
        services.authorization_request_refuse(
            request=item, actor=people.instructor, comment="Hors cadre."
        )

    item.refresh_from_db()
    assert item.state == RequestState.REFUSED
    assert item.transitions.last().action == "refuse"
    # The e-mail waits in the outbox for the next attempt instead of being lost.
    waiting = OutgoingEmail.objects.get(subject__contains="refusée")
    assert waiting.status == EmailStatus.PENDING
    assert waiting.attempts == 1
    assert "ConnectionRefusedError" in waiting.last_error
    assert f"E-mail {waiting.pk} not sent (attempt 1)" in caplog.text


def test_a_rolled_back_transition_sends_nothing(
    monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    people = cast()
    item = people.submitted()
    mail.outbox.clear()

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("panne")

    monkeypatch.setattr(services, "credential_issue", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        services.authorization_request_validate(request=item, actor=people.instructor)
    assert mail.outbox == []


def test_transition_e_mails_reach_a_real_smtp_server(
    smtp: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    people = cast()
    item = people.draft()

    with django_capture_on_commit_callbacks(execute=True):
        services.authorization_request_submit(request=item, actor=people.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        services.authorization_request_validate(request=item, actor=people.instructor)

    subjects = [str(received.message["Subject"]).strip() for received in smtp.received]
    assert subjects == [
        f"Demande à instruire : {people.dataset.title} — {people.organisation}",
        f"Votre demande d'habilitation n° {item.pk} a été transmise",
        f"{LINK_SUBJECT} (bac à sable) à « {people.dataset.title} »",
        f"{LINK_SUBJECT} (production) à « {people.dataset.title} »",
        f"Votre demande d'habilitation n° {item.pk} est validée",
    ]
    assert smtp.received[0].recipients == [people.instructor.email]
    assert smtp.received[2].recipients == smtp.received[3].recipients == ["technique@ville.fr"]
    link = smtp.received[3].message.get_body(preferencelist=("plain",))
    assert link is not None
    assert f"{SITE}/tableau-de-bord/jetons/lien/" in link.get_content()
    assert smtp.received[4].recipients == [
        people.applicant.email,
        "metier@ville.fr",
        "technique@ville.fr",
    ]
    validated = smtp.received[4].message
    assert validated.get_content_type() == "multipart/alternative"
    text = validated.get_body(preferencelist=("plain",))
    html = validated.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "Votre habilitation est accordée." in text.get_content()
    assert f"{SITE}/habilitations/{item.pk}/" in html.get_content()
    assert smtp.received[4].envelope_from == "ne-pas-repondre@dlnuf.local"


def test_expiry_reminders_reach_a_real_smtp_server_once_per_threshold(
    smtp: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    people = cast()
    habilitation = people.validated().habilitation
    assert habilitation is not None
    type(habilitation).objects.filter(pk=habilitation.pk).update(
        expires_at=timezone.now() + timedelta(days=25)
    )

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_expiry_reminders")
        call_command("send_expiry_reminders")

    (reminder,) = smtp.received
    assert str(reminder.message["Subject"]).strip() == (
        f"Votre habilitation expire dans 25 jours : {people.dataset.title}"
    )
    assert reminder.recipients == [people.applicant.email, "metier@ville.fr", "technique@ville.fr"]
    assert f"{SITE}/tableau-de-bord/" in reminder.message.get_body(("plain",)).get_content()


def test_a_request_for_changes_lists_the_comments_written_beside_the_fields(
    django_capture_on_commit_callbacks: Any,
) -> None:
    people = cast()
    item = people.submitted()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.authorization_request_request_changes(
            request=item,
            actor=people.instructor,
            comment="Deux précisions.",
            field_comments={
                "retention_months": "Pourquoi 24 mois ?",
                "purpose": "Nommez la démarche.",
            },
        )

    (message,) = mail.outbox
    body = " ".join(message.body.split())
    assert "Commentaires de l'instructeur, champ par champ :" in body
    assert "Durée de conservation (en mois) : Pourquoi 24 mois ?" in body
    assert "Description et finalité : Nommez la démarche." in body
    assert "Deux précisions." in body


def test_the_validation_e_mail_says_the_technical_contact_gets_the_credentials(
    django_capture_on_commit_callbacks: Any,
) -> None:
    people = cast()
    item = people.submitted()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        perform("validate", item, people.instructor)

    (decision,) = [m for m in mail.outbox if not m.subject.startswith(LINK_SUBJECT)]
    body = " ".join(decision.body.split())
    assert "Le contact technique de la demande (technique@ville.fr) reçoit aussi" in body
