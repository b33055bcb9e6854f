"""The e-mails the guichet sent or is trying to send, for administrators: status, attempts, last
error, and « Renvoyer » for those that failed for good."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dlnuf.organisations.models import User
from dlnuf.outbox.models import EmailStatus, OutgoingEmail
from dlnuf.outbox.perms import can_read_outbox, can_resend
from dlnuf.outbox.selectors import outgoing_email_counts, outgoing_emails_recent
from dlnuf.outbox.services import outgoing_email_resend

SHOWN = 200
BADGES = {
    EmailStatus.PENDING: "fr-badge--info",
    EmailStatus.SENDING: "fr-badge--new",
    EmailStatus.SENT: "fr-badge--success",
    EmailStatus.FAILED: "fr-badge--error",
}


def _administrator(request: HttpRequest) -> User:
    if not can_read_outbox(request.user):
        raise PermissionDenied("Les courriels envoyés sont réservés aux administrateurs.")
    assert isinstance(request.user, User)
    return request.user


def outbox(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    counts = outgoing_email_counts()
    summary = [
        (label, counts[value], BADGES[EmailStatus(value)]) for value, label in EmailStatus.choices
    ]
    rows = [
        (email, BADGES[EmailStatus(email.status)]) for email in outgoing_emails_recent(limit=SHOWN)
    ]
    return render(
        request,
        "www/outbox/index.html",
        {"summary": summary, "rows": rows, "shown": SHOWN, "failed": EmailStatus.FAILED},
    )


@require_POST
def outbox_resend(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _administrator(request)
    email = get_object_or_404(OutgoingEmail, pk=pk)
    if can_resend(actor, email) and outgoing_email_resend(email=email, actor=actor):
        messages.success(request, f"Le courriel « {email.subject} » est de nouveau à envoyer.")
    else:
        messages.info(request, "Ce courriel n'est pas en échec définitif : rien à renvoyer.")
    return redirect("www:outbox")
