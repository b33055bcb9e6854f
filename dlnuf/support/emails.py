"""E-mails of the guichet to requesters: acknowledgement, replies, redirection, satisfaction.

Each is stored in the outbox in the transaction of what it announces (``dlnuf.outbox``) and
delivered with retries once that commits, in plain text with a simple HTML
alternative. Every message carries its own Message-ID and names the thread's first message in
In-Reply-To and References, so that the requester's answer comes back to the same request; the
subject carries the request's reference for mail clients that drop those headers. Replies are
sent from, and answered to, the guichet's address. Messages written by no one (the
acknowledgement, the satisfaction request) say so in Auto-Submitted (RFC 3834), so that
well-behaved auto-responders do not answer them. A mail server failure delays the e-mail, it
never loses it; the message also stays in the request's history.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, make_msgid
from django.template.defaultfilters import linebreaks_filter
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from dlnuf.support.models import (
    Mission,
    Qualification,
    RequestState,
    SupportMessage,
    SupportRequest,
)
from dlnuf.support.tokens import follow_token

_muted: ContextVar[bool] = ContextVar("dlnuf_support_emails_muted", default=False)

SIGNATURE = "Le guichet « Dites-le-nous une fois »"


@contextmanager
def notifications_muted() -> Iterator[None]:
    """Actions taken inside send no e-mail (demonstration data is loaded so)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def notify_on_commit(callback: Callable[[], None]) -> None:
    """Store the e-mail in the current transaction's outbox (it leaves once that commits)."""
    if not _muted.get():
        callback()


def new_message_id() -> str:
    domain = settings.DLNUF_SUPPORT_ADDRESS.rpartition("@")[2].strip("> ") or "guichet.local"
    return make_msgid(domain=domain)


def follow_link(request: SupportRequest) -> str:
    return settings.DLNUF_SITE_URL + reverse(
        "www:support_follow", kwargs={"token": follow_token(request)}
    )


def french_date(moment: datetime) -> str:
    """« lundi 3 mars 2025 », in the portal's time zone, whatever language is active."""
    with translation.override("fr"):
        return date_format(timezone.localtime(moment), "l j F Y")


@dataclass(frozen=True)
class _Content:
    """What an e-mail says, rendered once as text and once as HTML."""

    paragraphs: Sequence[str]
    link_url: str
    link_label: str
    quote: str = ""
    quote_author: str = ""
    after: Sequence[str] = field(default_factory=tuple)

    def text(self) -> str:
        blocks = ["Bonjour,", *self.paragraphs]
        if self.quote:
            author = f"{self.quote_author} :\n" if self.quote_author else ""
            blocks.append(author + self.quote)
        blocks.append(f"{self.link_label} : {self.link_url}")
        blocks.extend(self.after)
        blocks.append(SIGNATURE)
        return "\n\n".join(blocks) + "\n"

    def html(self, title: str) -> str:
        quote = ""
        if self.quote:
            author = (
                format_html("<p><strong>{}</strong> :</p>", self.quote_author)
                if self.quote_author
                else ""
            )
            quote = format_html(
                '<blockquote style="border-left: 4px solid #000091; margin: 1em 0; '
                'padding: 0 1em;">{}{}</blockquote>',
                author,
                linebreaks_filter(self.quote, autoescape=True),
            )
        return format_html(
            '<!doctype html>\n<html lang="fr">\n<head><meta charset="utf-8"><title>{}</title>'
            "</head>\n"
            '<body style="font-family: Marianne, Arial, sans-serif; color: #161616; '
            'line-height: 1.5;">\n<p>Bonjour,</p>\n{}\n{}\n'
            '<p><a href="{}" style="color: #000091;">{}</a></p>\n{}\n<p>{}</p>\n</body>\n</html>\n',
            title,
            format_html_join("\n", "<p>{}</p>", ((paragraph,) for paragraph in self.paragraphs)),
            quote,
            self.link_url,
            self.link_label,
            format_html_join("\n", "<p>{}</p>", ((paragraph,) for paragraph in self.after)),
            SIGNATURE,
        )


def _send(
    request: SupportRequest,
    subject: str,
    content: _Content,
    message_id: str,
    *,
    automatic: str = "",
) -> None:
    headers = {"Message-ID": message_id}
    if request.thread_message_id and request.thread_message_id != message_id:
        headers["In-Reply-To"] = request.thread_message_id
        headers["References"] = request.thread_message_id
    if automatic:
        headers["Auto-Submitted"] = automatic
    full_subject = f"[{request.reference}] {subject}"
    mail = EmailMultiAlternatives(
        subject=full_subject,
        body=content.text(),
        from_email=settings.DLNUF_SUPPORT_ADDRESS,
        to=[request.requester_email],
        reply_to=[settings.DLNUF_SUPPORT_ADDRESS],
        headers=headers,
    )
    mail.attach_alternative(content.html(full_subject), "text/html")
    mail.send()


def send_acknowledgement(*, request_id: int) -> None:
    request = SupportRequest.objects.get(pk=request_id)
    message_id = new_message_id()
    if not request.thread_message_id:
        # A request from the form starts its thread with our acknowledgement.
        request.thread_message_id = message_id
        request.save(update_fields=["thread_message_id"])
    content = _Content(
        paragraphs=[
            f"Le guichet « Dites-le-nous une fois » a bien reçu votre demande "
            f"« {request.subject} », enregistrée sous la référence {request.reference}.",
            f"Un expert du guichet vous répondra au plus tard le "
            f"{french_date(request.first_answer_due)}.",
        ],
        link_url=follow_link(request),
        link_label="Suivre votre demande, sans créer de compte",
        after=[
            "Ce lien est personnel : ne le transmettez pas. Il permet de lire les réponses du "
            "guichet, d'y répondre et d'ajouter des pièces jointes.",
            "Pour compléter votre demande, vous pouvez aussi répondre simplement à ce courriel.",
        ],
    )
    # A reply to a person's e-mail is "auto-replied"; the form's acknowledgement answers no mail.
    automatic = "auto-replied" if request.channel == "email" else "auto-generated"
    _send(request, "Votre demande est bien reçue", content, message_id, automatic=automatic)


def send_reply(*, message_id: int) -> None:
    message = SupportMessage.objects.select_related("request", "author").get(pk=message_id)
    request = message.request
    author = (message.author.get_full_name() or str(message.author)) if message.author else ""
    files = [attachment.original_name for attachment in message.attachments.all()]
    after = []
    if files:
        after.append(
            "Pièces jointes, à télécharger depuis la page de suivi : " + ", ".join(files) + "."
        )
    after.append("Pour répondre, répondez simplement à ce courriel ou utilisez la page de suivi.")
    if _is_redirection(message):
        subject = "Votre demande est réorientée"
        paragraphs = [
            f"Votre demande « {request.subject} » ne relève pas directement du guichet. "
            "Voici vers qui vous tourner, et pourquoi :"
        ]
        after.append(
            "Si cette réorientation ne vous paraît pas adaptée, dites-le-nous en répondant à ce "
            "courriel : la demande peut être rouverte."
        )
    else:
        subject = request.subject
        paragraphs = [f"Le guichet vous répond au sujet de votre demande « {request.subject} » :"]
    content = _Content(
        paragraphs=paragraphs,
        quote=message.body,
        quote_author=f"{author}, guichet Dites-le-nous une fois" if author else "",
        link_url=follow_link(request),
        link_label="Suivre votre demande",
        after=after,
    )
    _send(request, subject, content, message.message_id or new_message_id())


def _is_redirection(message: SupportMessage) -> bool:
    request = message.request
    return (
        request.state == RequestState.REDIRECTED
        and request.qualification == Qualification.REDIRECTED
        and message.body.strip() == request.redirect_explanation.strip()
    )


def send_satisfaction_request(*, mission_id: int) -> None:
    mission = Mission.objects.select_related("request").get(pk=mission_id)
    request = mission.request
    content = _Content(
        paragraphs=[
            f"La mission « {mission.title} » menée avec vous par le guichet est close. "
            "Voici son bilan :",
        ],
        quote=mission.closing_summary,
        link_url=follow_link(request),
        link_label="Donner votre avis (une note de 1 à 5, deux minutes)",
        after=["Votre avis nous aide à améliorer l'accompagnement des administrations."],
    )
    _send(
        request,
        "Mission close : votre avis",
        content,
        new_message_id(),
        automatic="auto-generated",
    )
