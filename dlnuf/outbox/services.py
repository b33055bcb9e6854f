"""Storing e-mails in the outbox and delivering them, with retries and a definitive failure.

An e-mail is written in the transaction of what it announces: it exists if and only if that
committed. Delivery happens afterwards, at least once: a row is claimed with a conditional UPDATE
before it is sent, so two workers never send it both; a worker that dies between the mail
server's acceptance and the row's update leaves a claim that expires and is sent again (the
Message-ID stays the same, so mail software recognises the copy).
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from dlnuf.organisations.models import User
from dlnuf.outbox.models import EmailStatus, OutgoingEmail

logger = logging.getLogger(__name__)

LAST_ERROR_MAX_LENGTH = 500


class UnsupportedEmail(ValueError):
    """A message the outbox cannot store whole (attachments): refused rather than cut."""


def outgoing_emails_store(*, messages: Iterable[EmailMessage]) -> list[OutgoingEmail]:
    rows = []
    now = timezone.now()
    for message in messages:
        if message.attachments:
            raise UnsupportedEmail("The outbox does not store attachments.")
        headers = dict(message.extra_headers)
        if not any(name.lower() == "message-id" for name in headers):
            headers["Message-ID"] = make_msgid(domain=settings.DLNUF_EMAIL_MESSAGE_ID_DOMAIN)
        alternatives = [
            [content, mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ]
        rows.append(
            OutgoingEmail(
                from_email=message.from_email,
                to=list(message.to),
                cc=list(message.cc),
                bcc=list(message.bcc),
                reply_to=list(message.reply_to),
                # Lazy translations become text here, in the language of the moment.
                subject=str(message.subject),
                body=str(message.body),
                alternatives=alternatives,
                headers=headers,
                next_attempt_at=now,
            )
        )
    with transaction.atomic():
        for row in rows:
            row.save()
    return rows


def retry_delay(attempts: int) -> timedelta:
    """1 min, 2, 4, … after each failed attempt, never more than the configured ceiling."""
    first = settings.DLNUF_EMAIL_FIRST_RETRY_SECONDS
    seconds = min(first * 2 ** max(attempts - 1, 0), settings.DLNUF_EMAIL_MAX_RETRY_SECONDS)
    return timedelta(seconds=seconds)


def claimable(now: datetime) -> Q:
    """Rows a worker may take: due retries, and claims left behind by a worker that stopped."""
    lease = timedelta(seconds=settings.DLNUF_EMAIL_SENDING_LEASE_SECONDS)
    return Q(status=EmailStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=EmailStatus.SENDING, claimed_at__lt=now - lease
    )


def _claim(email_id: int) -> bool:
    now = timezone.now()
    taken = OutgoingEmail.objects.filter(claimable(now), pk=email_id).update(
        status=EmailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    return taken == 1


def _as_message(row: OutgoingEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body,
        from_email=row.from_email,
        to=row.to,
        cc=row.cc,
        bcc=row.bcc,
        reply_to=row.reply_to,
        headers=row.headers,
    )
    for content, mimetype in row.alternatives:
        message.attach_alternative(content, mimetype)
    return message


def _error_text(error: Exception) -> str:
    # The mail server's answer and the exception's kind: never the message, never credentials
    # (smtplib puts neither in its errors).
    return f"{type(error).__name__}: {error}"[:LAST_ERROR_MAX_LENGTH]


def outgoing_email_deliver(*, email_id: int) -> datetime | None:
    """Send one row if it is due and not taken; returns when to try again after a failure."""
    if not _claim(email_id):
        return None
    row = OutgoingEmail.objects.get(pk=email_id)
    try:
        connection = get_connection(settings.DLNUF_EMAIL_DELIVERY_BACKEND, fail_silently=False)
        connection.send_messages([_as_message(row)])
    except Exception as error:
        return _record_failure(row, error)
    OutgoingEmail.objects.filter(pk=row.pk).update(
        status=EmailStatus.SENT, sent_at=timezone.now(), claimed_at=None, last_error=""
    )
    return None


def _record_failure(row: OutgoingEmail, error: Exception) -> datetime | None:
    last_error = _error_text(error)
    if row.attempts >= settings.DLNUF_EMAIL_MAX_ATTEMPTS:
        OutgoingEmail.objects.filter(pk=row.pk).update(
            status=EmailStatus.FAILED, claimed_at=None, last_error=last_error
        )
        logger.error(
            "E-mail %s failed for good after %s attempts: %s", row.pk, row.attempts, last_error
        )
        return None
    next_attempt_at = timezone.now() + retry_delay(row.attempts)
    OutgoingEmail.objects.filter(pk=row.pk).update(
        status=EmailStatus.PENDING,
        claimed_at=None,
        last_error=last_error,
        next_attempt_at=next_attempt_at,
    )
    logger.warning(
        "E-mail %s not sent (attempt %s), next try at %s: %s",
        row.pk,
        row.attempts,
        next_attempt_at.isoformat(),
        last_error,
    )
    return next_attempt_at


def outgoing_email_resend(*, email: OutgoingEmail, actor: User) -> bool:
    """An administrator's « Renvoyer » on a definitive failure: a fresh series of attempts,
    starting now. False when the e-mail was not (or no longer) failed."""
    with transaction.atomic():
        restarted = OutgoingEmail.objects.filter(pk=email.pk, status=EmailStatus.FAILED).update(
            status=EmailStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        if restarted:
            # Imported here: the task module builds on this one.
            from dlnuf.outbox.tasks import deliver_outgoing_email

            logger.info("E-mail %s sent again at the request of user %s", email.pk, actor.pk)
            transaction.on_commit(partial(deliver_outgoing_email.enqueue, email.pk))
    return restarted == 1
