"""« Signaler une consultation »: a person tells the guichet and the consumer's data protection
officer that a consultation of their data surprises them.

The report becomes a support request of the guichet (the experts answer it from their desk, and
raise an irritant from it when it shows a practice to change); the person follows it through the
support desk's signed follow link. What is sent describes the journal entry as the person sees it
on « Mes données » (date, administration, dataset, the names of the fields transmitted, the
procedure) and never a data value; the person's e-mail address stays with the guichet.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from dlnuf.french import date_fr
from dlnuf.habilitations.models import AuthorizationRequest
from dlnuf.journal.models import JournalEntry
from dlnuf.people.accesses import Access, accesses_described, accesses_visible
from dlnuf.people.models import ConsultationReport
from dlnuf.people.viewers import Viewer
from dlnuf.support.emails import SIGNATURE, new_message_id, notifications_muted
from dlnuf.support.models import Channel, SupportRequest
from dlnuf.support.services import support_request_create
from dlnuf.support.tokens import follow_token

MAX_DETAILS_LENGTH = 5000


class ReportReason(models.TextChoices):
    UNKNOWN_ADMINISTRATION = "unknown_administration", "Je ne connais pas cette administration"
    NO_PROCEDURE = "no_procedure", "Je n'ai fait aucune démarche auprès d'elle à cette date"
    FIELDS_NOT_NEEDED = (
        "fields_not_needed",
        "Des informations transmises ne me paraissent pas nécessaires à la démarche",
    )
    OTHER = "other", "Autre raison (précisez ci-dessous)"


class EntryNotFound(Exception):
    """No entry of this position that the viewer may see (someone else's, deferred, absent)."""


def visible_entry(viewer: Viewer, index: int, *, now: datetime | None = None) -> JournalEntry:
    """The entry, when it is keyed for the viewer and its deferred visibility is over."""
    entry = accesses_visible(viewer, now=now or timezone.now()).filter(index=index).first()
    if entry is None:
        raise EntryNotFound(index)
    return entry


def described_entry(viewer: Viewer, index: int) -> Access:
    return accesses_described([visible_entry(viewer, index)])[0]


@dataclass(frozen=True)
class DataProtectionContact:
    name: str
    email: str


def data_protection_contact(habilitation_id: int | None) -> DataProtectionContact | None:
    """The data protection officer named in the latest request behind the habilitation."""
    if habilitation_id is None:
        return None
    request = (
        AuthorizationRequest.objects.filter(habilitation_id=habilitation_id)
        .exclude(dpo_email="")
        .order_by("-decided_at", "-pk")
        .first()
    )
    if request is None:
        return None
    return DataProtectionContact(name=request.dpo_name, email=request.dpo_email)


def access_description_lines(access: Access) -> list[str]:
    """The entry as the person sees it, without any value of their data."""
    administration = access.consumer_name or "Administration inconnue du guichet"
    lines = [
        f"Date : {date_fr(access.occurred_at, with_time=True)}",
        f"Administration : {administration} (SIRET {access.consumer_siret_display})",
        f"Données : {access.dataset_title}, détenues par {access.provider_name}",
        "Informations transmises : "
        + (", ".join(access.fields_transmitted) or "aucune (rien n'a été transmis)"),
        f"Démarche indiquée : {access.context or 'non précisée'}",
        f"Résultat : {access.outcome_label}",
        f"Position dans le journal des accès : {access.index}",
    ]
    if access.case_reference:
        lines.insert(5, f"Référence du dossier : {access.case_reference}")
    return lines


def _reason_lines(reasons: list[str], details: str) -> list[str]:
    lines = [f"- {ReportReason(reason).label}" for reason in reasons]
    if details:
        lines.append(f"Précisions de la personne :\n{details}")
    return lines


def report_follow_url(support_request: SupportRequest) -> str:
    return settings.DLNUF_SITE_URL + reverse(
        "www:my_data_report_follow", kwargs={"token": follow_token(support_request)}
    )


def _html(paragraphs: list[str], lists: list[list[str]], title: str) -> str:
    blocks = format_html_join(
        "\n",
        "<p>{}</p>\n<ul>{}</ul>",
        (
            (paragraph, format_html_join("", "<li>{}</li>", ((line,) for line in items)))
            for paragraph, items in zip(paragraphs, lists, strict=True)
        ),
    )
    return format_html(
        '<!doctype html>\n<html lang="fr">\n<head><meta charset="utf-8"><title>{}</title></head>'
        '\n<body style="font-family: Marianne, Arial, sans-serif;">\n<p>Bonjour,</p>\n{}\n'
        "<p>{}</p>\n</body>\n</html>\n",
        title,
        blocks,
        SIGNATURE,
    )


def _send(
    *,
    to: str,
    subject: str,
    intro: str,
    description: list[str],
    reasons_intro: str,
    reasons: list[str],
    closing: list[str],
    headers: dict[str, str],
) -> None:
    text = "\n\n".join(
        [
            "Bonjour,",
            intro,
            "\n".join(description),
            reasons_intro,
            "\n".join(reasons),
            *closing,
            SIGNATURE,
        ]
    )
    html = _html([intro, reasons_intro], [description, reasons], subject)
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text + "\n",
        from_email=settings.DLNUF_SUPPORT_ADDRESS,
        to=[to],
        reply_to=[settings.DLNUF_SUPPORT_ADDRESS],
        headers=headers,
    )
    if closing:
        html = html.replace(
            f"<p>{SIGNATURE}</p>",
            "".join(format_html("<p>{}</p>", line) for line in closing)
            + format_html("<p>{}</p>", SIGNATURE),
        )
    mail.attach_alternative(html, "text/html")
    mail.send()


@transaction.atomic
def consultation_report_create(
    *, viewer: Viewer, index: int, reasons: list[str], details: str, email: str
) -> ConsultationReport:
    """Open the guichet case, tell the data protection officer and acknowledge to the person,
    all in one transaction (the e-mails wait in the outbox until it commits)."""
    access = described_entry(viewer, index)
    entry_habilitation = visible_entry(viewer, index).habilitation_id
    chosen = list(dict.fromkeys(reasons))
    written = details.strip()
    errors: dict[str, list[str]] = {}
    unknown = [reason for reason in chosen if reason not in ReportReason.values]
    if unknown or not chosen:
        errors["reasons"] = ["Choisissez au moins une raison dans la liste."]
    if ReportReason.OTHER in chosen and not written:
        errors["details"] = ["Vous avez choisi « Autre raison » : précisez-la en quelques mots."]
    if len(written) > MAX_DETAILS_LENGTH:
        errors["details"] = [f"Écrivez {MAX_DETAILS_LENGTH} caractères au plus."]
    if errors:
        raise ValidationError(errors)
    contact = data_protection_contact(entry_habilitation)
    administration = access.consumer_name or f"SIRET {access.consumer_siret_display}"
    description = access_description_lines(access)
    reason_lines = _reason_lines(chosen, written)
    forwarding = (
        f"Le signalement a été transmis au délégué à la protection des données de "
        f"l'administration ({contact.email})."
        if contact
        else "Aucun délégué à la protection des données n'est connu pour cette habilitation : "
        "le guichet doit transmettre le signalement à l'administration."
    )
    with notifications_muted():
        # The person gets the acknowledgement written for reports below, not the desk's.
        support_request = support_request_create(
            channel=Channel.FORM,
            values={
                "requester_name": "Personne concernée (Mes données)",
                "requester_email": email,
                "subject": f"Signalement d'une consultation : {administration} — "
                f"{access.dataset_title}"[:255],
                "context": "Consultation signalée depuis « Mes données » :\n"
                + "\n".join(description)
                + f"\n\n{forwarding}",
                "need": "Ce qui surprend la personne :\n" + "\n".join(reason_lines),
            },
        )
    acknowledgement_id = new_message_id()
    support_request.thread_message_id = acknowledgement_id
    support_request.save(update_fields=["thread_message_id"])
    report = ConsultationReport.objects.create(
        support_request=support_request,
        journal_index=access.index,
        consumer_siret=access.consumer_siret,
        reasons=chosen,
        dpo_email=contact.email if contact else "",
    )
    thread = {"In-Reply-To": acknowledgement_id, "References": acknowledgement_id}
    if contact:
        _send(
            to=contact.email,
            subject=f"[{support_request.reference}] Une personne signale une consultation de "
            "ses données",
            intro=f"Bonjour{' ' + contact.name if contact.name else ''}, une personne dont les "
            f"données ont été consultées par {administration} au titre de votre habilitation "
            "signale cette consultation au guichet « Dites-le-nous une fois ». Vous êtes "
            "indiqué comme délégué à la protection des données dans la demande d'habilitation.",
            description=description,
            reasons_intro="Ce qui la surprend :",
            reasons=reason_lines,
            closing=[
                "Répondez à ce courriel pour expliquer la consultation : votre réponse rejoint le "
                f"dossier {support_request.reference} du guichet, qui la transmet à la personne. "
                "Son adresse ne vous est pas communiquée.",
            ],
            headers={"Message-ID": new_message_id(), **thread, "Auto-Submitted": "auto-generated"},
        )
    _send(
        to=email,
        subject=f"[{support_request.reference}] Votre signalement est bien reçu",
        intro="Vous avez signalé au guichet « Dites-le-nous une fois » cette consultation de "
        f"vos données, enregistrée sous la référence {support_request.reference} :",
        description=description,
        reasons_intro="Ce qui vous surprend :",
        reasons=reason_lines,
        closing=[
            forwarding.replace("Le signalement a été", "Votre signalement a été").replace(
                "le guichet doit transmettre", "le guichet transmet"
            ),
            f"Suivre votre signalement, lire les réponses et y répondre : "
            f"{report_follow_url(support_request)}",
            "Ce lien est personnel : ne le transmettez pas.",
        ],
        headers={"Message-ID": acknowledgement_id, "Auto-Submitted": "auto-generated"},
    )
    return report
