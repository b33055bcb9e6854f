"""Requests and replies by e-mail: stored raw first, then read; threads found by headers or by
the reference in the subject, joined only by the requester or the team; raw 8-bit headers;
attachments; HTML; unreadable and automatic messages; duplicates; and the pipe delivery command."""

import base64
import io
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from django.core import mail as outbox
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse

from dlnuf.support import intake
from dlnuf.support.intake import (
    Outcome,
    html_to_text,
    inbound_mail_process,
    inbound_mail_receive,
    inbound_mail_store,
    strip_quoted_reply,
)
from dlnuf.support.models import (
    Channel,
    InboundMail,
    MailStatus,
    MessageKind,
    SupportAttachment,
    SupportMessage,
    SupportRequest,
)
from dlnuf.support.services import support_request_create
from tests.support.factories import AdministratorUserFactory, ExpertUserFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% annexe\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
REQUESTER = "camille.riviere@lyon.fr"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DLNUF_SUPPORT_ADDRESS = "guichet@dlnuf.local"
    return Path(settings.MEDIA_ROOT)


def raw_mail(
    *,
    sender: str = f"Camille Rivière <{REQUESTER}>",
    subject: str = "Quotient familial pour la cantine",
    body: str | None = "Bonjour,\nnous voulons supprimer l'avis d'imposition.\n",
    html: str | None = None,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, bytes, str, str, str], ...] = (),
) -> bytes:
    message = EmailMessage()
    if sender:
        message["From"] = sender
    message["To"] = "guichet@dlnuf.local"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="lyon.fr")
    for name, value in (headers or {}).items():
        message[name] = value
    if body is not None:
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for filename, data, maintype, subtype, disposition in attachments:
        message.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=filename, disposition=disposition
        )
    return message.as_bytes()


def receive(raw: bytes, **kwargs: Any) -> tuple[InboundMail, Outcome]:
    mail, outcome = inbound_mail_receive(raw=raw, source="test", **kwargs)
    mail.refresh_from_db()
    return mail, outcome


def form_request(capture: Any) -> SupportRequest:
    """A request from the form, acknowledged: its thread starts with our e-mail."""
    with capture(execute=True):
        request = support_request_create(
            channel=Channel.FORM,
            values={"requester_email": REQUESTER, "subject": "API du quotient familial"},
        )
    request.refresh_from_db()
    return request


# --- storing -----------------------------------------------------------------------------------


def test_the_raw_message_is_stored_once_by_content_and_by_mailbox_uid() -> None:
    raw = raw_mail(message_id="<stocke@lyon.fr>")

    first, created = inbound_mail_store(raw=raw, source="imap", mailbox_uid="7:1")
    again, created_again = inbound_mail_store(raw=raw, source="imap", mailbox_uid="7:2")
    by_uid, created_by_uid = inbound_mail_store(
        raw=b"autre contenu", source="imap", mailbox_uid="7:1"
    )

    assert created
    assert not created_again
    assert not created_by_uid
    assert again.pk == first.pk == by_uid.pk
    assert bytes(first.raw) == raw
    assert first.message_id == "<stocke@lyon.fr>"
    assert first.status == MailStatus.RECEIVED
    assert InboundMail.objects.count() == 1


# --- new requests ------------------------------------------------------------------------------


def test_a_first_e_mail_becomes_a_request_and_is_acknowledged_in_its_thread(
    django_capture_on_commit_callbacks: Any,
) -> None:
    raw = raw_mail(message_id="<premier@lyon.fr>")

    with django_capture_on_commit_callbacks(execute=True):
        mail, outcome = receive(raw)

    assert outcome == Outcome.REQUEST
    request = SupportRequest.objects.get()
    assert request.channel == Channel.EMAIL
    assert request.requester_email == REQUESTER
    assert request.requester_name == "Camille Rivière"
    assert request.subject == "Quotient familial pour la cantine"
    assert request.need == "Bonjour,\nnous voulons supprimer l'avis d'imposition."
    assert request.thread_message_id == "<premier@lyon.fr>"
    assert (mail.status, mail.request, mail.error) == (MailStatus.PROCESSED, request, "")
    message = request.messages.get()
    assert (message.kind, message.inbound_mail, message.message_id) == (
        MessageKind.FROM_REQUESTER,
        mail,
        "<premier@lyon.fr>",
    )
    (acknowledgement,) = outbox.outbox
    assert acknowledgement.extra_headers["In-Reply-To"] == "<premier@lyon.fr>"


def test_reading_twice_creates_nothing_twice(django_capture_on_commit_callbacks: Any) -> None:
    raw = raw_mail()
    with django_capture_on_commit_callbacks(execute=True):
        mail, _ = receive(raw)
        assert inbound_mail_process(mail=mail) == Outcome.ALREADY_READ
        again, outcome = receive(raw)

    assert again.pk == mail.pk
    assert outcome == Outcome.ALREADY_READ
    assert SupportRequest.objects.count() == 1
    assert SupportMessage.objects.count() == 1
    assert len(outbox.outbox) == 1


def test_the_same_message_delivered_twice_is_a_duplicate(
    django_capture_on_commit_callbacks: Any,
) -> None:
    raw = raw_mail(message_id="<double@lyon.fr>")
    # The second copy went through another relay: same message, other bytes.
    relayed = b"Received: from relais.lyon.fr by mx.dlnuf.local\r\n" + raw
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = receive(raw)
        second, outcome = receive(relayed)

    assert second.pk != first.pk
    assert outcome == Outcome.DUPLICATE
    assert second.status == MailStatus.PROCESSED
    assert second.request == first.request
    assert f"Doublon du courriel n° {first.pk}" in second.error
    assert SupportRequest.objects.count() == 1
    assert SupportMessage.objects.count() == 1
    assert len(outbox.outbox) == 1


# --- threads -----------------------------------------------------------------------------------


def test_a_reply_is_threaded_by_in_reply_to_and_its_quoted_history_dropped(
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = form_request(django_capture_on_commit_callbacks)
    body = (
        "Voici le nom de la démarche : cantine scolaire.\n\n"
        "Le lun. 3 mars 2025 à 10:00, Guichet <guichet@dlnuf.local> a\n"
        "écrit :\n"
        "> Bonjour,\n"
        "> Le guichet a bien reçu votre demande.\n"
    )

    mail, outcome = receive(
        raw_mail(
            subject="Re: Votre demande est bien reçue",
            body=body,
            headers={"In-Reply-To": request.thread_message_id},
        )
    )

    assert outcome == Outcome.REPLY
    assert mail.request == request
    reply = request.messages.filter(inbound_mail=mail).get()
    assert reply.body == "Voici le nom de la démarche : cantine scolaire."
    assert reply.author_email == REQUESTER
    assert SupportRequest.objects.count() == 1


def test_a_reply_is_threaded_by_references_to_a_team_answer(
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = form_request(django_capture_on_commit_callbacks)
    answer = SupportMessage.objects.create(
        request=request,
        kind=MessageKind.TO_REQUESTER,
        body="Pouvez-vous préciser ?",
        message_id="<reponse-equipe@dlnuf.local>",
    )

    _, outcome = receive(
        raw_mail(
            subject="Re: précisions",
            body="Oui : 4 000 dossiers par an.",
            headers={"References": f"<inconnu@ailleurs.fr> {answer.message_id}"},
        )
    )

    assert outcome == Outcome.REPLY
    assert request.messages.filter(body="Oui : 4 000 dossiers par an.").exists()


def test_the_reference_in_the_subject_threads_only_mail_from_the_requester(
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = form_request(django_capture_on_commit_callbacks)
    subject = f"Re: [{request.reference.lower()}] Votre demande"

    _, outcome = receive(raw_mail(subject=subject, body="Complément sans en-têtes de fil."))
    _, stranger = receive(
        raw_mail(sender="autre@paris.fr", subject=subject, body="Je m'invite dans le fil.")
    )

    assert outcome == Outcome.REPLY
    assert request.messages.filter(body="Complément sans en-têtes de fil.").exists()
    assert stranger == Outcome.REQUEST
    assert SupportRequest.objects.get(requester_email="autre@paris.fr").pk != request.pk


@pytest.mark.parametrize(
    "member_factory",
    [ExpertUserFactory, AdministratorUserFactory],
    ids=["expert", "administrator"],
)
def test_a_team_member_joins_the_thread_by_its_headers(
    member_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    request = form_request(django_capture_on_commit_callbacks)
    member = member_factory()

    mail, outcome = receive(
        raw_mail(
            sender=f"Expert du guichet <{member.email.upper()}>",
            subject="Re: Votre demande",
            body="Je transmets le contact de la CNAF.",
            headers={"In-Reply-To": request.thread_message_id},
        )
    )

    assert outcome == Outcome.REPLY
    assert mail.request == request
    assert request.messages.filter(body="Je transmets le contact de la CNAF.").exists()
    assert SupportRequest.objects.count() == 1


def test_a_stranger_naming_a_thread_opens_a_new_request_linked_to_it(
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = form_request(django_capture_on_commit_callbacks)
    outbox.outbox.clear()
    # A person of the portal without a guichet role is a stranger to the request too.
    stranger = UserFactory(email="agent.paris@paris.fr")

    with django_capture_on_commit_callbacks(execute=True):
        mail, outcome = receive(
            raw_mail(
                sender=f"Agent de Paris <{stranger.email}>",
                subject="Re: Votre demande est bien reçue",
                body="Nous avons le même besoin à Paris.",
                message_id="<intrus@paris.fr>",
                headers={
                    "In-Reply-To": request.thread_message_id,
                    "References": request.thread_message_id,
                },
            )
        )

    assert outcome == Outcome.REQUEST
    opened = SupportRequest.objects.get(requester_email=stranger.email)
    assert opened.pk != request.pk
    assert opened.linked_request == request
    assert opened.need == "Nous avons le même besoin à Paris."
    assert opened.thread_message_id == "<intrus@paris.fr>"
    assert mail.request == opened
    assert f"répond au fil de la demande {request.reference}" in mail.error
    assert not request.messages.filter(body__contains="même besoin").exists()
    note = request.messages.get(kind=MessageKind.NOTE)
    assert stranger.email in note.body
    assert opened.reference in note.body
    # Only the stranger is acknowledged, in their own thread; the requester learns nothing.
    (acknowledgement,) = outbox.outbox
    assert acknowledgement.to == [stranger.email]
    assert acknowledgement.extra_headers["In-Reply-To"] == "<intrus@paris.fr>"

    # The stranger's next reply goes to their own request, not to the one they first named.
    _, follow_up = receive(
        raw_mail(
            sender=stranger.email,
            subject="Re: Votre demande",
            body="Précision : 2 000 familles.",
            headers={"In-Reply-To": "<intrus@paris.fr>"},
        )
    )
    assert follow_up == Outcome.REPLY
    assert opened.messages.filter(body="Précision : 2 000 familles.").exists()


def test_the_desk_shows_the_link_on_both_requests(
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = form_request(django_capture_on_commit_callbacks)
    receive(
        raw_mail(
            sender="inconnu@ailleurs.fr",
            headers={"In-Reply-To": request.thread_message_id},
        )
    )
    opened = SupportRequest.objects.get(requester_email="inconnu@ailleurs.fr")
    client = Client()
    client.force_login(ExpertUserFactory())

    original_page = client.get(reverse("www:desk_request", kwargs={"pk": request.pk}))
    opened_page = client.get(reverse("www:desk_request", kwargs={"pk": opened.pk}))

    opened_url = reverse("www:desk_request", kwargs={"pk": opened.pk})
    original_url = reverse("www:desk_request", kwargs={"pk": request.pk})
    assert original_page.status_code == opened_page.status_code == 200
    assert "Demandes liées" in original_page.text
    assert f'<a href="{opened_url}">{opened.reference}</a>' in original_page.text
    assert "Demande liée" in opened_page.text
    assert f'<a href="{original_url}">{request.reference}</a>' in opened_page.text


# --- content -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "name", "subject"),
    [
        ("latin-1", "Hélène Müller", "Accès aux données de l'élève à Sète"),
        ("cp1252", "Benoît Lœuillet", "Mise en œuvre – coût estimé 3 000 €"),
        ("utf-8", "Benoît Lœuillet", "Mise en œuvre – coût estimé 3 000 €"),
    ],
)
def test_raw_8bit_headers_are_read_and_the_request_created(
    charset: str, name: str, subject: str, django_capture_on_commit_callbacks: Any
) -> None:
    # Headers written with raw bytes, not RFC 2047 encoded words, as old mail software does.
    raw = (
        f'From: "{name}" <agent@sete.fr>\r\n'
        "To: guichet@dlnuf.local\r\n"
        f"Subject: {subject}\r\n"
        "Message-ID: <huit-bits@sete.fr>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Bonjour, pouvez-vous nous aider ?\r\n"
    ).encode(charset)

    with django_capture_on_commit_callbacks(execute=True):
        mail, outcome = receive(raw)

    assert outcome == Outcome.REQUEST, mail.error
    request = SupportRequest.objects.get()
    assert (request.requester_name, request.requester_email) == (name, "agent@sete.fr")
    assert request.subject == subject
    assert mail.message_id == "<huit-bits@sete.fr>"
    (acknowledgement,) = outbox.outbox
    assert acknowledgement.to == ["agent@sete.fr"]
    assert f"« {subject} »" in acknowledgement.body


def test_an_8bit_attachment_name_is_read() -> None:
    raw = (
        b"From: agent@sete.fr\r\nSubject: Annexe\r\nMessage-ID: <annexe@sete.fr>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="limite"\r\n\r\n'
        b"--limite\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCi-joint.\r\n"
        b"--limite\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="d\xe9lib\xe9ration.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(PDF) + b"\r\n--limite--\r\n"
    )

    _, outcome = receive(raw)

    assert outcome == Outcome.REQUEST
    assert SupportAttachment.objects.get().original_name == "délibération.pdf"


def test_attachments_are_kept_and_refused_ones_noted() -> None:
    raw = raw_mail(
        attachments=(
            ("cahier des charges.pdf", PDF, "application", "pdf", "attachment"),
            # Some mail clients mark attached documents inline: still a document.
            ("budget.pdf", PDF, "application", "pdf", "inline"),
            ("logo.png", PNG, "image", "png", "inline"),
            ("outil.exe", b"MZ\x90\x00", "application", "octet-stream", "attachment"),
        )
    )

    mail, outcome = receive(raw)

    assert outcome == Outcome.REQUEST
    request = SupportRequest.objects.get()
    kept = list(request.attachments.order_by("original_name"))
    assert [attachment.original_name for attachment in kept] == [
        "budget.pdf",
        "cahier des charges.pdf",
    ]
    with kept[1].file.open("rb") as stored:
        assert stored.read() == PDF
    note = request.messages.get(kind=MessageKind.NOTE)
    assert "« outil.exe » : ce type de fichier n'est pas accepté" in note.body
    assert bytes(mail.raw) == raw


def test_an_html_only_mail_is_read_as_text_and_nothing_in_it_is_run() -> None:
    html = (
        "<html><head><title>titre</title><style>p {color: red}</style></head><body>"
        "<p>Bonjour,</p><p>Nous avons besoin d&#39;aide &amp; de conseils.</p>"
        "<script>alert('x')</script>"
        "<ul><li>API CNAF</li><li>API DGFiP</li></ul>"
        "<div>Le 3 mars 2025, Guichet a écrit :</div>"
        "<blockquote><p>Message précédent</p></blockquote>"
        "</body></html>"
    )

    receive(raw_mail(body=None, html=html))

    need = SupportRequest.objects.get().need
    assert need == "Bonjour,\n\nNous avons besoin d'aide & de conseils.\n\n- API CNAF\n- API DGFiP"
    assert "alert" not in need
    assert "color" not in need
    assert "titre" not in need


def test_text_is_preferred_to_html_and_odd_charsets_are_read() -> None:
    receive(raw_mail(body="Version texte.", html="<p>Version HTML</p>"))
    assert SupportRequest.objects.get().need == "Version texte."

    latin = (
        b"From: agent@mairie.fr\r\nSubject: =?iso-8859-1?q?D=E9marche?=\r\n"
        b"Message-ID: <latin@mairie.fr>\r\n"
        b"Content-Type: text/plain; charset=x-inconnu\r\n\r\n"
        b"Pi\xe8ce justificative \x00supprim\xe9e\r\n"
    )
    _, outcome = receive(latin)
    assert outcome == Outcome.REQUEST
    request = SupportRequest.objects.get(requester_email="agent@mairie.fr")
    assert request.subject == "Démarche"
    assert request.need == "Pièce justificative supprimée"


def test_outlook_style_history_without_quote_marks_is_dropped() -> None:
    outlook = (
        "Voici le cahier des charges.\n\n"
        "________________________________\n"
        "De : Guichet DLNUF <guichet@dlnuf.local>\n"
        "Envoyé : lundi 3 mars 2025 10:00\n"
        "À : Agent <agent@mairie.fr>\n"
        "Objet : [G-1A2B3C4D] Votre demande\n\n"
        "Bonjour, pouvez-vous nous envoyer le cahier des charges ?"
    )
    assert strip_quoted_reply(outlook) == "Voici le cahier des charges."
    english = "Done.\n-----Original Message-----\nFrom: a@b.fr\nSent: Monday\nSubject: x\n\nold"
    assert strip_quoted_reply(english) == "Done."
    # A message that only talks about a sender, with no header block, is kept whole.
    plain = "De : la mairie, nous attendons l'objet du marché.\nMerci."
    assert strip_quoted_reply(plain) == plain
    # Nothing above the block: the message is kept rather than emptied.
    only_history = "De : a@b.fr\nEnvoyé : lundi\nObjet : x\n\ntexte"
    assert strip_quoted_reply(only_history) == only_history


def test_quoted_history_is_dropped_only_when_it_is_plain() -> None:
    english = "Thanks.\n\nOn Mon, 3 Mar 2025 at 10:00, Guichet wrote:\n> Hello\n>\n> Bye"
    assert strip_quoted_reply(english) == "Thanks."
    interleaved = "Le 3 mars, Guichet a écrit :\n> Question 1 ?\nRéponse 1.\n> Question 2 ?"
    assert strip_quoted_reply(interleaved) == interleaved
    no_quote = "Le projet avance bien.\nLe chef de projet a écrit :\nrien de cité ici"
    assert strip_quoted_reply(no_quote) == no_quote
    assert html_to_text("<p>a<br>b</p><blockquote>c</blockquote>") == "a\nb\n\n> c"


# --- what is not a request ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "Message vide."),
        (b"\x00\xff\xfe ceci n'est pas un courriel", "Aucun en-tête lisible"),
        (raw_mail(sender=""), "Expéditeur absent ou illisible"),
        (raw_mail(sender="pas une adresse"), "Expéditeur absent ou illisible"),
    ],
    ids=["empty", "garbage", "no-from", "bad-from"],
)
def test_unreadable_messages_are_kept_as_failed_with_the_reason(raw: bytes, reason: str) -> None:
    mail, outcome = receive(raw)

    assert outcome == Outcome.FAILED
    assert mail.status == MailStatus.FAILED
    assert reason in mail.error
    assert mail.processed_at is not None
    assert bytes(mail.raw) == raw
    assert SupportRequest.objects.count() == 0
    assert inbound_mail_process(mail=mail) == Outcome.ALREADY_READ


def test_an_error_while_filing_fails_that_message_only(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("disque plein")

    monkeypatch.setattr(intake, "support_request_create", broken)
    mail, outcome = receive(raw_mail(message_id="<panne@lyon.fr>"))

    assert outcome == Outcome.FAILED
    assert "Erreur pendant la lecture du message (RuntimeError)" in mail.error
    assert SupportMessage.objects.count() == 0
    monkeypatch.undo()
    _, next_outcome = receive(raw_mail(message_id="<suivant@lyon.fr>"))
    assert next_outcome == Outcome.REQUEST


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, REQUESTER, "Auto-Submitted: auto-replied"),
        ({"Auto-Submitted": "auto-notified; owner-email=x@lyon.fr"}, REQUESTER, "auto-notified"),
        ({"X-Autoreply": "yes"}, REQUESTER, "en-tête X-Autoreply"),
        ({"Precedence": "bulk"}, REQUESTER, "Precedence: bulk"),
        ({"Precedence": "auto_reply"}, REQUESTER, "Precedence: auto_reply"),
        ({}, "MAILER-DAEMON@mx.lyon.fr", "expéditeur MAILER-DAEMON@mx.lyon.fr"),
    ],
    ids=["auto-submitted", "auto-notified", "x-autoreply", "bulk", "auto_reply", "bounce"],
)
def test_automatic_messages_create_nothing_and_get_no_acknowledgement(
    headers: dict[str, str],
    sender: str,
    reason: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        mail, outcome = receive(raw_mail(sender=sender, subject="Absence", headers=headers))

    assert outcome == Outcome.IGNORED
    assert mail.status == MailStatus.PROCESSED
    assert reason in mail.error
    assert "aucun accusé de réception envoyé" in mail.error
    assert SupportRequest.objects.count() == 0
    assert outbox.outbox == []


def test_an_auto_reply_in_a_thread_is_linked_but_adds_nothing(
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = form_request(django_capture_on_commit_callbacks)
    messages_before = request.messages.count()

    mail, outcome = receive(
        raw_mail(
            subject="Absent du bureau",
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": request.thread_message_id},
        )
    )

    assert outcome == Outcome.IGNORED
    assert mail.request == request
    assert request.messages.count() == messages_before


def test_auto_submitted_no_is_a_person_and_our_own_address_is_ignored() -> None:
    _, person = receive(raw_mail(headers={"Auto-Submitted": "No ; par une personne"}))
    mail, own = receive(raw_mail(sender="Guichet <GUICHET@dlnuf.local>"))

    assert person == Outcome.REQUEST
    assert own == Outcome.IGNORED
    assert "adresse du guichet" in mail.error
    assert SupportRequest.objects.count() == 1


def test_a_delivery_report_is_not_a_request() -> None:
    report = EmailMessage()
    report["From"] = "Service de messagerie <notifications@lyon.fr>"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = "<dsn@lyon.fr>"
    report.set_content("Delivery failed.")
    report.add_attachment("Status: 5.1.1", subtype="delivery-status")
    report.replace_header("Content-Type", "multipart/report; report-type=delivery-status")

    mail, outcome = receive(report.as_bytes())

    assert outcome == Outcome.IGNORED
    assert "avis de remise ou de lecture" in mail.error
    assert SupportRequest.objects.count() == 0


def test_a_sender_opening_request_after_request_stops_getting_acknowledgements(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(intake, "ACKNOWLEDGED_REQUESTS_PER_SENDER_PER_HOUR", 2)
    with django_capture_on_commit_callbacks(execute=True):
        for index in range(3):
            mail, outcome = receive(raw_mail(subject=f"Demande {index}", body=f"Texte {index}"))
            assert outcome == Outcome.REQUEST

    assert SupportRequest.objects.count() == 3
    assert len(outbox.outbox) == 2
    assert "Accusé de réception non envoyé" in mail.error


# --- the pipe delivery command -----------------------------------------------------------------


def test_the_pipe_command_stores_and_reads_a_message_from_standard_input(
    django_capture_on_commit_callbacks: Any,
) -> None:
    stdout = io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO(raw_mail(message_id="<tube@lyon.fr>")))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("receive_support_mail", stdin=stdin, stdout=stdout)

    mail = InboundMail.objects.get()
    assert mail.source == "stdin"
    assert mail.request == SupportRequest.objects.get()
    assert f"Courriel n° {mail.pk} reçu : nouvelle demande enregistrée." in stdout.getvalue()
    assert len(outbox.outbox) == 1


def test_the_pipe_command_accepts_an_unreadable_message_without_failing(tmp_path: Path) -> None:
    path = tmp_path / "illisible.eml"
    path.write_bytes(b"\x00\x01 pas un courriel")
    stdout = io.StringIO()

    call_command("receive_support_mail", file=path, stdout=stdout)

    assert InboundMail.objects.get().status == MailStatus.FAILED
    assert "illisible, conservé pour examen" in stdout.getvalue()


def test_the_pipe_command_fails_only_when_nothing_can_be_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CommandError, match="l'entrée est vide") as empty:
        call_command("receive_support_mail", stdin=io.BytesIO(b""))
    assert empty.value.returncode == 65

    with pytest.raises(CommandError, match="Fichier illisible"):
        call_command("receive_support_mail", file=tmp_path / "absent.eml")

    def no_database(**kwargs: Any) -> None:
        raise DatabaseError("connexion perdue")

    monkeypatch.setattr(
        "dlnuf.support.management.commands.receive_support_mail.inbound_mail_store", no_database
    )
    with pytest.raises(CommandError, match="Message non conservé") as down:
        call_command("receive_support_mail", stdin=io.BytesIO(raw_mail()))
    assert down.value.returncode == 75
    assert InboundMail.objects.count() == 0


def test_attachments_from_mail_and_form_follow_the_same_rules() -> None:
    receive(raw_mail(attachments=(("vide.pdf", b"", "application", "pdf", "attachment"),)))

    request = SupportRequest.objects.get()
    assert not SupportAttachment.objects.filter(request=request).exists()
    assert "« vide.pdf » est vide." in request.messages.get(kind=MessageKind.NOTE).body


def test_the_pipe_command_also_reads_messages_left_unread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    left, _ = inbound_mail_store(raw=raw_mail(subject="Laissé en attente"), source="stdin")
    stdout = io.StringIO()

    call_command("receive_support_mail", stdin=io.BytesIO(raw_mail()), stdout=stdout)

    left.refresh_from_db()
    assert left.status == MailStatus.PROCESSED
    assert SupportRequest.objects.count() == 2
    assert "Courriels en attente lus : 0 reçu ; 1 nouvelle demande" in stdout.getvalue()

    def no_database(**kwargs: Any) -> None:
        raise DatabaseError("connexion perdue")

    monkeypatch.setattr(
        "dlnuf.support.management.commands.receive_support_mail.inbound_mail_process",
        no_database,
    )
    stderr = io.StringIO()
    call_command(
        "receive_support_mail", stdin=io.BytesIO(raw_mail(subject="Plus tard")), stderr=stderr
    )
    assert "conservé, lecture reportée" in stderr.getvalue()
    assert InboundMail.objects.filter(status=MailStatus.RECEIVED).count() == 1
