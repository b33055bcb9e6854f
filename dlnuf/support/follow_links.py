"""« Retrouver mon lien de suivi »: a requester who lost their acknowledgement gets their follow
links again by giving their e-mail address.

The public page answers the same whether or not the address has open requests: the lookup runs in
the background job, never in the page's request, so that neither the answer nor its timing tells
anyone whether someone asked the guichet for help. Only the mailbox's owner learns it.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils.html import format_html, format_html_join
from django_tasks import task

from dlnuf.support.emails import SIGNATURE, follow_link, french_date, new_message_id
from dlnuf.support.models import RequestState, SupportRequest

SUBJECT = "Vos liens de suivi"


def open_requests_of(email: str) -> list[SupportRequest]:
    return list(
        SupportRequest.objects.filter(requester_email__iexact=email.strip())
        .exclude(state=RequestState.CLOSED)
        .order_by("created_at", "pk")
    )


def follow_links_send(*, email: str) -> int:
    """E-mail the follow links of the address's open requests; 0 when it has none."""
    requests = open_requests_of(email)
    if not requests:
        return 0
    lines = [
        (
            f"[{request.reference}] {request.subject}",
            french_date(request.created_at),
            follow_link(request),
        )
        for request in requests
    ]
    intro = (
        "Vous avez demandé à retrouver le lien de suivi de vos demandes au guichet. Le voici pour "
        "chacune de vos demandes en cours ; ces liens sont personnels : ne les transmettez pas."
    )
    outro = "Si vous n'êtes pas à l'origine de cette demande, vous pouvez ignorer ce courriel."
    text = "\n\n".join(
        [
            "Bonjour,",
            intro,
            *(f"{title} (envoyée le {date}) :\n{url}" for title, date, url in lines),
            outro,
            SIGNATURE,
        ]
    )
    html = format_html(
        "<p>Bonjour,</p><p>{}</p><ul>{}</ul><p>{}</p><p>{}</p>",
        intro,
        format_html_join(
            "\n",
            '<li><a href="{}">{}</a> (envoyée le {})</li>',
            ((url, title, date) for title, date, url in lines),
        ),
        outro,
        SIGNATURE,
    )
    mail = EmailMultiAlternatives(
        subject=SUBJECT,
        body=text + "\n",
        from_email=settings.DLNUF_SUPPORT_ADDRESS,
        to=[requests[0].requester_email],
        reply_to=[settings.DLNUF_SUPPORT_ADDRESS],
        # Written by no one (RFC 3834): auto-responders leave it unanswered.
        headers={"Message-ID": new_message_id(), "Auto-Submitted": "auto-replied"},
    )
    mail.attach_alternative(html, "text/html")
    with transaction.atomic():
        mail.send()
    return len(requests)


@task()
def follow_links_send_later(email: str) -> None:
    follow_links_send(email=email)
