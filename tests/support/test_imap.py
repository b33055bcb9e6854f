"""The mailbox intake against a real IMAP server (dovecot on loopback), and the round trip with a
real SMTP server: our acknowledgement leaves, the requester's answer comes back to its request."""

import imaplib
import io
import re
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dlnuf.support.imap import MailboxError, fetch_support_mail, mailbox_name
from dlnuf.support.intake import Outcome, inbound_mail_store
from dlnuf.support.models import Channel, InboundMail, MailStatus, MessageKind, SupportRequest
from dlnuf.support.services import support_request_create
from tests.habilitations.smtp import free_port, smtp_server
from tests.support.conftest import MailServer

pytestmark = pytest.mark.django_db

REQUESTER = "camille.riviere@lyon.fr"
PDF = b"%PDF-1.4\n% annexe\n"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DLNUF_SUPPORT_ADDRESS = "guichet@dlnuf.local"
    settings.DLNUF_SITE_URL = "https://guichet.exemple.gouv.fr"
    return Path(settings.MEDIA_ROOT)


def a_mail(
    subject: str, body: str, *, headers: dict[str, str] | None = None, pdf: str = ""
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Camille Rivière <{REQUESTER}>"
    message["To"] = "guichet@dlnuf.local"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="lyon.fr")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if pdf:
        message.add_attachment(PDF, maintype="application", subtype="pdf", filename=pdf)
    return message.as_bytes()


def deliver(server: MailServer, folder: str, *raws: bytes) -> None:
    client = server.client()
    try:
        for raw in raws:
            status, _ = client.append(folder, None, None, raw)
            assert status == "OK"
    finally:
        client.logout()


def mailbox_flags(server: MailServer, folder: str) -> dict[str, str]:
    """UID → flags of every message in the folder."""
    client = server.client()
    try:
        client.select(folder, readonly=True)
        status, data = client.uid("FETCH", "1:*", "(FLAGS)")
        assert status == "OK"
    finally:
        client.logout()
    flags = {}
    for item in data:
        text = item.decode() if isinstance(item, bytes) else ""
        found = re.search(r"UID (\d+) FLAGS \(([^)]*)\)|FLAGS \(([^)]*)\) UID (\d+)", text)
        if found:
            uid = found.group(1) or found.group(4)
            flags[uid] = found.group(2) if found.group(1) else found.group(3)
    return flags


def fetch(server: MailServer, folder: str, **overrides: Any) -> Any:
    options = {
        "host": server.host,
        "port": server.port,
        "ssl": False,
        "user": server.user,
        "password": server.password,
        "folder": folder,
        **overrides,
    }
    return fetch_support_mail(**options)


def test_the_mailbox_is_taken_in_once_flagged_seen_and_never_emptied(
    mail_server: MailServer, imap_folder: str, django_capture_on_commit_callbacks: Any
) -> None:
    first = a_mail("Quotient familial", "Nous voulons supprimer l'avis.", pdf="cahier.pdf")
    malformed = b"ceci n'est pas un courriel, rien que du texte sans en-tete\r\n"
    deliver(mail_server, imap_folder, first, malformed)

    with django_capture_on_commit_callbacks(execute=True):
        summary = fetch(mail_server, imap_folder)

    assert summary.received == 2
    assert summary.outcomes == {Outcome.REQUEST: 1, Outcome.FAILED: 1}
    request = SupportRequest.objects.get()
    assert request.channel == Channel.EMAIL
    assert request.attachments.get().original_name == "cahier.pdf"
    failed = InboundMail.objects.get(status=MailStatus.FAILED)
    assert "Aucun en-tête lisible" in failed.error
    assert bytes(failed.raw) == malformed
    assert re.fullmatch(r"\d+:2", failed.mailbox_uid)

    reply = a_mail(
        "Re: Quotient familial",
        "La démarche compte 4 000 dossiers par an.",
        headers={"In-Reply-To": request.thread_message_id},
    )
    deliver(mail_server, imap_folder, reply)
    second = fetch(mail_server, imap_folder)
    third = fetch(mail_server, imap_folder)

    assert (second.received, dict(second.outcomes)) == (1, {Outcome.REPLY: 1})
    assert (third.received, dict(third.outcomes)) == (0, {})
    assert SupportRequest.objects.count() == 1
    assert InboundMail.objects.count() == 3
    assert request.messages.filter(
        kind=MessageKind.FROM_REQUESTER, body="La démarche compte 4 000 dossiers par an."
    ).exists()
    flags = mailbox_flags(mail_server, imap_folder)
    assert sorted(flags) == ["1", "2", "3"]
    assert all("\\Seen" in value for value in flags.values())
    assert not any("\\Deleted" in value for value in flags.values())


def test_folder_names_travel_in_imaps_modified_utf7() -> None:
    # RFC 3501, section 5.1.3, gives this example.
    assert mailbox_name("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
    assert mailbox_name("Guichet/Reçus") == "Guichet/Re&AOc-us"
    assert mailbox_name("R&D") == "R&-D"
    assert mailbox_name("INBOX") == "INBOX"


def test_a_folder_with_accents_is_read(
    mail_server: MailServer, django_capture_on_commit_callbacks: Any
) -> None:
    folder = f"Demandes reçues {uuid.uuid4().hex[:6]}"
    client = mail_server.client()
    try:
        status, _ = client.create(f'"{mailbox_name(folder)}"')
        assert status == "OK"
    finally:
        client.logout()
    deliver(mail_server, f'"{mailbox_name(folder)}"', a_mail("Bourses", "Statut boursier ?"))
    with django_capture_on_commit_callbacks(execute=True):
        summary = fetch(mail_server, folder)
    assert summary.received == 1
    assert SupportRequest.objects.get().subject == "Bourses"


def test_a_message_stored_but_not_read_is_read_on_the_next_fetch(
    mail_server: MailServer, imap_folder: str
) -> None:
    raw = a_mail("Interrompu", "Le relevé précédent s'est arrêté ici.")
    deliver(mail_server, imap_folder, raw)
    client = mail_server.client()
    client.select(imap_folder)
    uidvalidity = client.response("UIDVALIDITY")[1][0].decode()
    client.logout()
    inbound_mail_store(raw=raw, source="imap", mailbox_uid=f"{uidvalidity}:1")

    summary = fetch(mail_server, imap_folder)

    assert (summary.received, dict(summary.outcomes)) == (0, {Outcome.REQUEST: 1})
    assert InboundMail.objects.get().status == MailStatus.PROCESSED
    assert "\\Seen" in mailbox_flags(mail_server, imap_folder)["1"]


def test_mailbox_problems_are_reported_in_french(mail_server: MailServer, imap_folder: str) -> None:
    with pytest.raises(MailboxError, match="Connexion refusée par le serveur IMAP"):
        fetch(mail_server, imap_folder, password="mauvais")
    with pytest.raises(MailboxError, match="Dossier « Absent » introuvable"):
        fetch(mail_server, "Absent")
    with pytest.raises(MailboxError, match="Serveur IMAP injoignable"):
        fetch(mail_server, imap_folder, port=free_port())


def test_the_command_reads_its_settings_and_prints_a_summary(
    settings: Any, mail_server: MailServer, imap_folder: str
) -> None:
    settings.DLNUF_SUPPORT_IMAP_HOST = ""
    with pytest.raises(CommandError, match="Aucun serveur IMAP configuré"):
        call_command("fetch_support_mail")

    settings.DLNUF_SUPPORT_IMAP_HOST = mail_server.host
    settings.DLNUF_SUPPORT_IMAP_PORT = mail_server.port
    settings.DLNUF_SUPPORT_IMAP_SSL = False
    settings.DLNUF_SUPPORT_IMAP_USER = mail_server.user
    settings.DLNUF_SUPPORT_IMAP_PASSWORD = mail_server.password
    settings.DLNUF_SUPPORT_IMAP_FOLDER = imap_folder
    deliver(mail_server, imap_folder, a_mail("Par la commande", "Bonjour."))
    stdout = io.StringIO()

    call_command("fetch_support_mail", "--once", stdout=stdout)

    assert "Relève terminée : 1 reçu ; 1 nouvelle demande ; 0 réponse" in stdout.getvalue()
    assert SupportRequest.objects.get().subject == "Par la commande"

    settings.DLNUF_SUPPORT_IMAP_PASSWORD = "mauvais"
    with pytest.raises(CommandError, match="Connexion refusée"):
        call_command("fetch_support_mail")


def test_polling_goes_on_after_a_server_error_until_interrupted(
    settings: Any, mail_server: MailServer, imap_folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DLNUF_SUPPORT_IMAP_HOST = mail_server.host
    settings.DLNUF_SUPPORT_IMAP_PORT = mail_server.port
    settings.DLNUF_SUPPORT_IMAP_SSL = False
    settings.DLNUF_SUPPORT_IMAP_USER = mail_server.user
    settings.DLNUF_SUPPORT_IMAP_PASSWORD = "mauvais"
    settings.DLNUF_SUPPORT_IMAP_FOLDER = imap_folder
    deliver(mail_server, imap_folder, a_mail("Relevé en continu", "Bonjour."))
    rounds: list[float] = []

    def sleep(seconds: float) -> None:
        rounds.append(seconds)
        settings.DLNUF_SUPPORT_IMAP_PASSWORD = mail_server.password
        if len(rounds) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("dlnuf.support.management.commands.fetch_support_mail.time.sleep", sleep)
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command("fetch_support_mail", "--every", "60", stdout=stdout, stderr=stderr)

    assert rounds == [60, 60]
    assert "Connexion refusée" in stderr.getvalue()
    assert "1 nouvelle demande ;" in stdout.getvalue()
    assert "Relève arrêtée." in stdout.getvalue()
    assert SupportRequest.objects.count() == 1


def test_the_acknowledgement_leaves_over_smtp_and_the_answer_returns_to_its_request(
    settings: Any,
    mail_server: MailServer,
    imap_folder: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with smtp_server() as (smtp, port):
        settings.DLNUF_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        with django_capture_on_commit_callbacks(execute=True):
            request = support_request_create(
                channel=Channel.FORM,
                values={
                    "requester_email": REQUESTER,
                    "subject": "Attestation fiscale",
                    "need": "Savoir comment l'obtenir par API.",
                },
            )

    (sent,) = smtp.received
    request.refresh_from_db()
    acknowledgement = sent.message
    assert sent.recipients == [REQUESTER]
    assert sent.envelope_from == "guichet@dlnuf.local"
    assert acknowledgement["Message-ID"] == request.thread_message_id
    assert acknowledgement["Reply-To"] == "guichet@dlnuf.local"
    assert acknowledgement["Auto-Submitted"] == "auto-generated"
    assert f"[{request.reference}]" in acknowledgement["Subject"]
    text = acknowledgement.get_body(preferencelist=("plain",)).get_content()
    assert "https://guichet.exemple.gouv.fr/accompagnement/suivi/" in text

    answer = EmailMessage()
    answer["From"] = REQUESTER
    answer["To"] = acknowledgement["Reply-To"]
    answer["Subject"] = f"RE: {acknowledgement['Subject']}"
    answer["Message-ID"] = make_msgid(domain="lyon.fr")
    answer["In-Reply-To"] = acknowledgement["Message-ID"]
    answer.set_content("Merci ; voici notre SIRET : 21690123100011.")
    deliver(mail_server, imap_folder, answer.as_bytes())

    summary = fetch(mail_server, imap_folder)

    assert dict(summary.outcomes) == {Outcome.REPLY: 1}
    assert SupportRequest.objects.count() == 1
    assert request.messages.filter(body="Merci ; voici notre SIRET : 21690123100011.").exists()


def test_imaplib_errors_inside_a_session_become_mailbox_errors(
    mail_server: MailServer, imap_folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(mail_server, imap_folder, a_mail("Coupure", "Bonjour."))

    def cut(*args: Any, **kwargs: Any) -> Any:
        raise imaplib.IMAP4.abort("connexion coupée")

    monkeypatch.setattr(imaplib.IMAP4, "uid", cut)

    with pytest.raises(MailboxError, match="Erreur du serveur IMAP : connexion coupée"):
        fetch(mail_server, imap_folder)
    assert InboundMail.objects.count() == 0
