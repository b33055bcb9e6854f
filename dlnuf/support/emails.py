"""E-mails of the guichet to requesters: acknowledgement, replies, satisfaction.

Each goes out after the commit of what it announces. Every message carries its own Message-ID and
names the thread's first message in In-Reply-To and References, so that the requester's answer
comes back to the same request. Replies are sent from, and answered to, the guichet's address. A
mail server failure is logged; the message stays in the request's history.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.mail import EmailMessage, make_msgid
from django.db import transaction
from django.urls import reverse

from dlnuf.support.models import Mission, SupportMessage, SupportRequest
from dlnuf.support.tokens import follow_token

logger = logging.getLogger(__name__)
_muted: ContextVar[bool] = ContextVar("dlnuf_support_emails_muted", default=False)


@contextmanager
def notifications_muted() -> Iterator[None]:
    """Actions taken inside send no e-mail (demonstration data is loaded so)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def notify_on_commit(callback: Callable[[], None]) -> None:
    if not _muted.get():
        transaction.on_commit(callback)


def new_message_id() -> str:
    domain = settings.DLNUF_SUPPORT_ADDRESS.rpartition("@")[2] or "guichet.local"
    return make_msgid(domain=domain)


def follow_link(request: SupportRequest) -> str:
    return settings.DLNUF_SITE_URL + reverse(
        "www:support_follow", kwargs={"token": follow_token(request)}
    )


def _send(request: SupportRequest, subject: str, body: str, message_id: str) -> None:
    headers = {"Message-ID": message_id}
    if request.thread_message_id and request.thread_message_id != message_id:
        headers["In-Reply-To"] = request.thread_message_id
        headers["References"] = request.thread_message_id
    mail = EmailMessage(
        subject=f"[{request.reference}] {subject}",
        body=body,
        from_email=settings.DLNUF_SUPPORT_ADDRESS,
        to=[request.requester_email],
        reply_to=[settings.DLNUF_SUPPORT_ADDRESS],
        headers=headers,
    )
    try:
        mail.send()
    except Exception:
        logger.exception("Support e-mail not sent for request %s", request.pk)


def send_acknowledgement(*, request_id: int) -> None:
    request = SupportRequest.objects.get(pk=request_id)
    message_id = new_message_id()
    if not request.thread_message_id:
        # A request from the form starts its thread with our acknowledgement.
        request.thread_message_id = message_id
        request.save(update_fields=["thread_message_id"])
    body = (
        f"Bonjour,\n\nLe guichet « Dites-le-nous une fois » a bien reçu votre demande "
        f"« {request.subject} » (référence {request.reference}).\n"
        f"Un expert vous répondra au plus tard le "
        f"{request.first_answer_due:%d/%m/%Y}.\n\n"
        f"Suivre votre demande, sans compte : {follow_link(request)}\n"
        "Ce lien est personnel : ne le transmettez pas.\n\n"
        "Pour compléter votre demande, répondez simplement à ce courriel.\n\n"
        "Le guichet Dites-le-nous une fois"
    )
    _send(request, "Votre demande est bien reçue", body, message_id)


def send_reply(*, message_id: int) -> None:
    message = SupportMessage.objects.select_related("request", "author").get(pk=message_id)
    request = message.request
    body = (
        f"{message.body}\n\n— {message.author or 'Le guichet'}, guichet Dites-le-nous une fois\n\n"
        f"Suivre votre demande : {follow_link(request)}\n"
        "Pour répondre, répondez simplement à ce courriel."
    )
    _send(request, request.subject, body, message.message_id or new_message_id())


def send_satisfaction_request(*, mission_id: int) -> None:
    mission = Mission.objects.select_related("request").get(pk=mission_id)
    request = mission.request
    body = (
        f"Bonjour,\n\nLa mission « {mission.title} » est close. Voici son bilan :\n\n"
        f"{mission.closing_summary}\n\n"
        f"Votre avis nous aide : notez l'accompagnement de 1 à 5 sur {follow_link(request)}\n\n"
        "Le guichet Dites-le-nous une fois"
    )
    _send(request, "Mission close : votre avis", body, new_message_id())
