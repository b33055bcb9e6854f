"""The outbox: e-mails stored with what they announce, delivered once, retried, never lost."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dlnuf.outbox.models import EmailStatus, OutgoingEmail
from dlnuf.outbox.services import outgoing_email_deliver, retry_delay
from dlnuf.outbox.tasks import deliver_outgoing_email
from dlnuf.support.models import Channel
from dlnuf.support.services import support_request_create
from tests.habilitations.smtp import Mailbox

pytestmark = pytest.mark.django_db


def file_request(capture: Any, email: str) -> None:
    with capture(execute=True):
        support_request_create(
            channel=Channel.FORM,
            values={"requester_email": email, "subject": "Quotient familial", "need": "Aide"},
        )


def make_due() -> None:
    """The retry delay has passed."""
    OutgoingEmail.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def send_outbox() -> str:
    out = StringIO()
    call_command("send_outbox", stdout=out)
    return out.getvalue()


def test_acknowledgements_filed_while_the_mail_server_is_down_arrive_once_it_is_up(
    smtp_port: int, django_capture_on_commit_callbacks: Any
) -> None:
    file_request(django_capture_on_commit_callbacks, "agent@mairie.fr")
    file_request(django_capture_on_commit_callbacks, "cheffe@departement.fr")

    waiting = list(OutgoingEmail.objects.order_by("pk"))
    assert [row.to for row in waiting] == [["agent@mairie.fr"], ["cheffe@departement.fr"]]
    for row in waiting:
        assert row.status == EmailStatus.PENDING
        assert row.attempts == 1
        assert "ConnectionRefusedError" in row.last_error
        assert row.next_attempt_at > timezone.now() + timedelta(seconds=50)
    # Not due yet: nothing is tried before the back-off delay.
    assert send_outbox() == "0 courriel à envoyer, 0 envoyé.\n"

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        make_due()
        assert send_outbox() == "2 courriels à envoyer, 2 envoyés.\n"
        # Neither a second run nor a leftover delivery job sends anything again.
        assert send_outbox() == "0 courriel à envoyer, 0 envoyé.\n"
        for row in waiting:
            deliver_outgoing_email.enqueue(row.pk)
    finally:
        controller.stop()

    assert sorted(received.recipients[0] for received in mailbox.received) == [
        "agent@mairie.fr",
        "cheffe@departement.fr",
    ]
    for received in mailbox.received:
        assert "Votre demande est bien reçue" in str(received.message["Subject"])
        assert received.message["Auto-Submitted"] == "auto-generated"
    stored_ids = {row.headers["Message-ID"] for row in waiting}
    assert {str(received.message["Message-ID"]) for received in mailbox.received} == stored_ids
    for row in waiting:
        row.refresh_from_db()
        assert row.status == EmailStatus.SENT
        assert row.sent_at is not None
        assert row.last_error == ""


def test_a_rolled_back_transaction_leaves_no_e_mail(
    django_capture_on_commit_callbacks: Any,
) -> None:
    stored_before_the_failure = []

    def file_then_fail() -> None:
        with transaction.atomic():
            support_request_create(
                channel=Channel.FORM, values={"requester_email": "a@b.fr", "subject": "Annulée"}
            )
            stored_before_the_failure.append(OutgoingEmail.objects.count())
            raise RuntimeError("panne après l'écriture")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        file_then_fail()

    assert stored_before_the_failure == [1]
    assert callbacks == []
    assert not OutgoingEmail.objects.exists()
    assert mail.outbox == []


def test_a_committed_request_is_acknowledged_through_the_outbox(
    django_capture_on_commit_callbacks: Any,
) -> None:
    file_request(django_capture_on_commit_callbacks, "agent@mairie.fr")

    (row,) = OutgoingEmail.objects.all()
    assert row.status == EmailStatus.SENT
    (sent,) = mail.outbox
    assert sent.to == ["agent@mairie.fr"]
    assert sent.extra_headers["Message-ID"] == row.headers["Message-ID"]
    assert sent.alternatives[0][1] == "text/html"


def test_retries_back_off_then_the_e_mail_is_flagged_as_failed_for_good(
    settings: Any, smtp_port: int, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    settings.DLNUF_EMAIL_MAX_ATTEMPTS = 3
    file_request(django_capture_on_commit_callbacks, "agent@mairie.fr")
    (row,) = OutgoingEmail.objects.all()

    assert row.attempts == 1
    make_due()
    before = timezone.now()
    retry_at = outgoing_email_deliver(email_id=row.pk)
    assert retry_at is not None
    assert timedelta(seconds=119) < retry_at - before < timedelta(seconds=121)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (EmailStatus.PENDING, 2, retry_at)

    make_due()
    assert outgoing_email_deliver(email_id=row.pk) is None

    row.refresh_from_db()
    assert row.status == EmailStatus.FAILED
    assert row.attempts == 3
    assert "ConnectionRefusedError" in row.last_error
    assert f"E-mail {row.pk} failed for good after 3 attempts" in caplog.text
    # A failed e-mail is no longer due: only an administrator sends it again.
    make_due()
    assert send_outbox() == "0 courriel à envoyer, 0 envoyé.\n"


def test_the_back_off_doubles_from_one_minute_up_to_an_hour() -> None:
    assert [retry_delay(attempts).total_seconds() for attempts in range(1, 9)] == [
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]


def test_an_e_mail_taken_by_a_worker_is_not_sent_by_another_until_its_claim_expires(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        support_request_create(
            channel=Channel.FORM, values={"requester_email": "a@b.fr", "subject": "Prise"}
        )
    (row,) = OutgoingEmail.objects.all()
    claimed_at = timezone.now()
    OutgoingEmail.objects.filter(pk=row.pk).update(
        status=EmailStatus.SENDING, claimed_at=claimed_at, attempts=1
    )

    assert outgoing_email_deliver(email_id=row.pk) is None
    assert mail.outbox == []

    lease = timedelta(seconds=settings.DLNUF_EMAIL_SENDING_LEASE_SECONDS + 1)
    OutgoingEmail.objects.filter(pk=row.pk).update(claimed_at=claimed_at - lease)
    assert outgoing_email_deliver(email_id=row.pk) is None
    assert len(mail.outbox) == 1
    outgoing_email_deliver(email_id=row.pk)
    assert len(mail.outbox) == 1


def test_the_worker_schedules_the_next_attempt_after_the_back_off(
    settings: Any, smtp_port: int, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        support_request_create(
            channel=Channel.FORM, values={"requester_email": "a@b.fr", "subject": "Différée"}
        )
    (row,) = OutgoingEmail.objects.all()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    deliver_outgoing_email.call(row.pk)

    row.refresh_from_db()
    (scheduled,) = DBTaskResult.objects.all()
    assert scheduled.task_path == "dlnuf.outbox.tasks.deliver_outgoing_email"
    assert scheduled.args_kwargs == {"args": [row.pk], "kwargs": {}}
    assert scheduled.run_after == row.next_attempt_at
