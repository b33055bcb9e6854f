"""E-mails about requests and habilitations, in French, plain text and simple HTML.

They are stored in the outbox inside the transaction that caused them (``dlnuf.outbox``) and
delivered by the worker once it commits, with retries: a rolled-back transition sends nothing, a
committed one is announced even if the mail server is down for a while, and a failing mail server
never undoes a decision. No e-mail ever carries a credential secret: they link to the portal
instead, and the technical contact's e-mail links to a page that shows the secret once, after a
confirmation click.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dlnuf.french import date_fr
from dlnuf.habilitations.models import (
    AuthorizationRequest,
    CredentialDeliveryLink,
    Habilitation,
    RequestMessage,
    RequestTransition,
)
from dlnuf.habilitations.revisions import target_label
from dlnuf.organisations.models import Membership, Role, User
from dlnuf.organisations.perms import is_applicant_for

_muted: ContextVar[bool] = ContextVar("dlnuf_habilitation_emails_muted", default=False)


@contextmanager
def notifications_muted() -> Iterator[None]:
    """Actions taken inside are not announced by e-mail (demonstration data is loaded so)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def notify_on_commit(callback: Callable[[], None]) -> None:
    """Store the e-mails in the current transaction's outbox (they leave once it commits), unless
    notifications are muted."""
    if not _muted.get():
        callback()


@dataclass(frozen=True)
class Notice:
    subject: str
    recipients: list[str]
    paragraphs: list[str]
    link_url: str
    link_label: str
    quote: str = ""
    quote_author: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)


def site_link(url_name: str, **kwargs: object) -> str:
    return settings.DLNUF_SITE_URL + reverse(url_name, kwargs=kwargs or None)


def applicant_recipients(request: AuthorizationRequest) -> list[str]:
    """The person who created the request and its business and technical contacts."""
    return _unique([request.created_by.email, *request.contact_emails])


def instructor_recipients(request: AuthorizationRequest) -> list[str]:
    return _unique(
        Membership.objects.filter(role=Role.INSTRUCTOR, provider=request.dataset.provider)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def holder_recipients(habilitation: Habilitation) -> list[str]:
    """Who is told about a habilitation: its latest request's people, else the organisation's
    applicants (habilitations granted by an operator have no request)."""
    request = habilitation.requests.order_by("-decided_at", "-pk").first()
    if request is not None:
        return applicant_recipients(request)
    return _unique(
        Membership.objects.filter(role=Role.APPLICANT, organisation=habilitation.organisation)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def _unique(emails: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(email for email in emails if email))


def _request_facts(request: AuthorizationRequest) -> list[tuple[str, str]]:
    return [
        ("Demande", f"n° {request.pk} — {request.title or request.dataset.title}"),
        ("Organisation", str(request.organisation)),
        ("Donnée", f"{request.dataset.title} ({request.dataset.provider})"),
        ("État", request.get_state_display()),
    ]


def transition_notices(row: RequestTransition) -> list[Notice]:
    """The e-mails one transition sends (none for creating a draft or superseding, which the
    validation e-mail covers)."""
    request = row.request
    url = site_link("www:request_detail", pk=request.pk)
    facts = _request_facts(request)
    applicants = applicant_recipients(request)
    number = f"n° {request.pk}"

    def notice(subject: str, recipients: list[str], text: str, label: str) -> Notice:
        return Notice(
            subject=subject,
            recipients=recipients,
            paragraphs=[text],
            link_url=url,
            link_label=label,
            quote=row.comment,
            quote_author=user_label(row.actor),
            facts=facts,
        )

    if row.action in {"submit", "request_production"}:
        production = row.action == "request_production"
        what = "Passage en production demandé" if production else "Demande à instruire"
        return [
            notice(
                f"{what} : {request.dataset.title} — {request.organisation}",
                instructor_recipients(request),
                f"{request.organisation} demande l'accès à « {request.dataset.title} »"
                + (" en production, après l'étape de bac à sable." if production else ".")
                + " La demande attend votre décision.",
                "Instruire la demande",
            ),
            notice(
                f"Votre demande d'habilitation {number} a été transmise",
                applicants,
                f"Votre demande d'accès à « {request.dataset.title} » a été transmise aux "
                f"instructeurs de {request.dataset.provider}. Vous serez informé de leur "
                "décision par courriel.",
                "Suivre la demande",
            ),
        ]
    applicant_texts = {
        "request_changes": (
            f"Modifications demandées sur votre demande d'habilitation {number}",
            "L'instructeur demande des modifications avant de décider. Corrigez la demande "
            "puis soumettez-la de nouveau.",
            "Modifier la demande",
        ),
        "validate_sandbox": (
            f"Votre demande d'habilitation {number} est validée pour le bac à sable",
            "Votre jeton de bac à sable est prêt. Il s'affiche une seule fois, sur le portail : "
            "récupérez-le depuis la page de la demande. Quand vos essais sont concluants, "
            "demandez le passage en production.",
            "Récupérer le jeton",
        ),
        "validate": (
            f"Votre demande d'habilitation {number} est validée",
            (
                "La modification de votre habilitation est validée : vos jetons actuels restent "
                "valables avec les nouveaux périmètres."
                if request.amends_id is not None
                else "Votre habilitation est accordée. Vos jetons s'affichent une seule fois, sur "
                "le portail : récupérez-les depuis la page de la demande."
            ),
            "Voir l'habilitation",
        ),
        "refuse": (
            f"Votre demande d'habilitation {number} est refusée",
            "L'instructeur a refusé la demande pour le motif ci-dessous.",
            "Voir la demande",
        ),
        "revoke": (
            f"Votre habilitation ({number}) est révoquée",
            "L'habilitation est révoquée : ses jetons sont refusés par la passerelle dès "
            "maintenant.",
            "Voir la demande",
        ),
        "reopen": (
            f"Modification de votre habilitation ouverte (demande {number})",
            "Un brouillon de modification de votre habilitation a été ouvert. L'habilitation "
            "actuelle reste valable jusqu'à la validation de la modification.",
            "Compléter la modification",
        ),
    }
    if row.action not in applicant_texts:
        return []
    subject, text, label = applicant_texts[row.action]
    announced = notice(subject, applicants, text, label)
    if row.action == "request_changes":
        announced.paragraphs.extend(_field_comment_paragraphs(row))
    elif row.action in {"validate", "validate_sandbox"} and request.technical_contact_email:
        announced.paragraphs.append(
            f"Le contact technique de la demande ({request.technical_contact_email}) reçoit "
            "aussi par courriel, pour chaque nouveau jeton, un lien qui l'affiche une seule fois."
        )
    return [announced]


def _field_comment_paragraphs(row: RequestTransition) -> list[str]:
    """The comments written beside fields with this request for changes, so that the applicant
    reads in the e-mail what to correct, where."""
    comments = list(row.field_comments.order_by("created_at", "pk"))
    if not comments:
        return []
    return [
        "Commentaires de l'instructeur, champ par champ :",
        *(f"{target_label(comment.target)} : {comment.text}" for comment in comments),
    ]


def message_notice(message: RequestMessage) -> Notice:
    request = message.request
    from_applicant = is_applicant_for(message.author, request.organisation)
    recipients = instructor_recipients(request) if from_applicant else applicant_recipients(request)
    return Notice(
        subject=f"Nouveau message sur la demande d'habilitation n° {request.pk}",
        recipients=[email for email in recipients if email != message.author.email],
        paragraphs=[f"{user_label(message.author)} a écrit un message sur la demande :"],
        link_url=site_link("www:request_detail", pk=request.pk) + "#messages",
        link_label="Répondre",
        quote=message.body,
        facts=_request_facts(request),
    )


_HABILITATION_TEXTS = {
    "renewed": (
        "Votre habilitation est renouvelée",
        "L'habilitation est prolongée jusqu'au {expires} ; vos jetons actifs suivent la "
        "nouvelle échéance, sans rien changer dans vos logiciels.",
    ),
    "rotated": (
        "Un jeton de votre habilitation a été remplacé",
        "Un nouveau jeton a été émis ; il s'affiche une seule fois, sur le tableau de bord. "
        "L'ancien jeton reste accepté pendant le délai de transition indiqué sur le portail.",
    ),
    "credential_revoked": (
        "Un jeton de votre habilitation a été révoqué",
        "Un jeton a été révoqué : la passerelle le refuse dès maintenant.",
    ),
}


def habilitation_notice(habilitation: Habilitation, event: str) -> Notice:
    subject, text = _HABILITATION_TEXTS[event]
    expires = f"{timezone.localtime(habilitation.expires_at):%d/%m/%Y}"
    return Notice(
        subject=f"{subject} : {habilitation.dataset.title}",
        recipients=holder_recipients(habilitation),
        paragraphs=[text.format(expires=expires)],
        link_url=site_link("www:dashboard"),
        link_label="Ouvrir le tableau de bord",
        facts=_habilitation_facts(habilitation),
    )


def expiry_notice(habilitation: Habilitation, days_left: int) -> Notice:
    expires = f"{timezone.localtime(habilitation.expires_at):%d/%m/%Y}"
    return Notice(
        subject=f"Votre habilitation expire dans {days_left} jours : {habilitation.dataset.title}",
        recipients=holder_recipients(habilitation),
        paragraphs=[
            f"L'habilitation de {habilitation.organisation} sur « {habilitation.dataset.title} » "
            f"expire le {expires}. Après cette date, ses jetons seront refusés.",
            "Vous pouvez la renouveler dès maintenant depuis le tableau de bord, sans nouvelle "
            "demande.",
        ],
        link_url=site_link("www:dashboard"),
        link_label="Renouveler l'habilitation",
        facts=_habilitation_facts(habilitation),
    )


def _habilitation_facts(habilitation: Habilitation) -> list[tuple[str, str]]:
    return [
        ("Organisation", str(habilitation.organisation)),
        ("Donnée", f"{habilitation.dataset.title} ({habilitation.dataset.provider})"),
        ("Échéance", f"{timezone.localtime(habilitation.expires_at):%d/%m/%Y}"),
    ]


def credential_link_notice(link: CredentialDeliveryLink, token: str) -> Notice:
    """The e-mail to a request's technical contact with the one-time link to a new secret."""
    credential = link.credential
    habilitation = credential.habilitation
    environment = credential.get_environment_display()
    return Notice(
        subject=f"Votre jeton d'accès ({environment}) à « {habilitation.dataset.title} »",
        recipients=[link.recipient_email],
        paragraphs=[
            f"Vous êtes le contact technique de {habilitation.organisation} pour la donnée "
            f"« {habilitation.dataset.title} ». Un jeton d'accès ({environment}) vient d'être "
            "émis pour votre logiciel.",
            "Le lien ci-dessous l'affiche une seule fois, après confirmation, sans compte sur le "
            f"portail. Il expire le {date_fr(link.expires_at, with_time=True)}. Ouvrez-le quand "
            "vous êtes prêt à ranger le jeton dans le coffre à secrets de votre logiciel ; ne "
            "transférez pas ce courriel.",
            "Si le lien a expiré ou a déjà servi, demandez aux demandeurs de votre organisation "
            "de vous en envoyer un nouveau depuis le portail.",
        ],
        link_url=site_link("www:credential_link", token=token),
        link_label="Afficher le jeton",
        facts=[*_habilitation_facts(habilitation), ("Préfixe du jeton", f"{credential.prefix}…")],
    )


def send_notice(notice: Notice) -> int:
    """Put one notice in the outbox; raises when it cannot be stored."""
    if not notice.recipients:
        return 0
    context = {"notice": notice, "site_url": settings.DLNUF_SITE_URL}
    mail = EmailMultiAlternatives(
        subject=notice.subject,
        body=render_to_string("habilitations/emails/notice.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=notice.recipients,
    )
    mail.attach_alternative(
        render_to_string("habilitations/emails/notice.html", context), "text/html"
    )
    return mail.send()


def _send_all(build: Callable[[], Iterable[Notice]]) -> None:
    for notice in build():
        send_notice(notice)


def notify_transition(*, transition_id: int) -> None:
    def build() -> list[Notice]:
        row = RequestTransition.objects.select_related(
            "request__organisation", "request__dataset__provider", "request__created_by", "actor"
        ).get(pk=transition_id)
        return transition_notices(row)

    _send_all(build)


def notify_message(*, message_id: int) -> None:
    def build() -> list[Notice]:
        message = RequestMessage.objects.select_related(
            "request__organisation", "request__dataset__provider", "request__created_by", "author"
        ).get(pk=message_id)
        return [message_notice(message)]

    _send_all(build)


def notify_habilitation_event(*, habilitation_id: int, event: str) -> None:
    def build() -> list[Notice]:
        habilitation = Habilitation.objects.select_related("organisation", "dataset__provider").get(
            pk=habilitation_id
        )
        return [habilitation_notice(habilitation, event)]

    _send_all(build)


def user_label(user: User) -> str:
    return user.get_full_name() or user.email
