"""E-mails about accounts: forgotten password, invitation, decision on an account request.

Sent through Django's mail API, hence stored in the outbox within the caller's transaction. Links
are built from ``DLNUF_SITE_URL``: never from the request's Host header, which a caller chooses.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

from dlnuf.french import date_fr
from dlnuf.organisations.models import AccountRequest, Invitation, User

SIGNATURE = "Le guichet « Dites-le-nous une fois »"

_muted: ContextVar[bool] = ContextVar("dlnuf_account_emails_muted", default=False)


@contextmanager
def notifications_muted() -> Iterator[None]:
    """Actions taken inside send no e-mail (demonstration data is loaded so)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def site_link(url_name: str, **kwargs: str) -> str:
    return settings.DLNUF_SITE_URL + reverse(f"www:{url_name}", kwargs=kwargs or None)


def _send(*, to: str, subject: str, paragraphs: list[str]) -> None:
    if _muted.get():
        return
    body = "\n\n".join(["Bonjour,", *paragraphs, SIGNATURE]) + "\n"
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        # Written by no one (RFC 3834): auto-responders leave it unanswered.
        headers={"Auto-Submitted": "auto-generated"},
    ).send()


def password_reset_email_send(*, user: User, link: str) -> None:
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    _send(
        to=user.email,
        subject="Choisir un nouveau mot de passe",
        paragraphs=[
            "Vous avez demandé à choisir un nouveau mot de passe pour votre compte du guichet. "
            "Ouvrez ce lien pour le faire :",
            link,
            f"Ce lien ne sert qu'une fois et expire dans {minutes} minutes. Si vous n'êtes pas "
            "à l'origine de cette demande, ignorez ce courriel : votre mot de passe ne change "
            "pas.",
        ],
    )


def proconnect_only_email_send(*, user: User) -> None:
    _send(
        to=user.email,
        subject="Votre compte n'a pas de mot de passe",
        paragraphs=[
            "Vous avez demandé à choisir un nouveau mot de passe pour votre compte du guichet. "
            "Votre compte n'en a pas : vous vous connectez avec ProConnect, l'identifiant de "
            "votre administration.",
            site_link("login"),
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce courriel.",
        ],
    )


def invitation_email_send(*, invitation: Invitation, token: str) -> None:
    target = invitation.organisation or invitation.provider
    scope = f" pour {target}" if target else ""
    _send(
        to=invitation.email,
        subject="Invitation à créer votre compte du guichet",
        paragraphs=[
            f"{invitation.invited_by} vous invite à créer votre compte du guichet "
            f"« Dites-le-nous une fois », avec le rôle de {invitation.get_role_display()}{scope}.",
            "Ouvrez ce lien pour choisir votre mot de passe :",
            site_link("invitation_accept", token=token),
            f"Ce lien est personnel, ne sert qu'une fois et expire le "
            f"{date_fr(invitation.expires_at, with_time=True)}.",
        ],
    )


def account_request_refused_email_send(*, account_request: AccountRequest) -> None:
    paragraphs = [
        "Votre demande de compte au guichet « Dites-le-nous une fois » du "
        f"{date_fr(account_request.created_at)} n'a pas été acceptée.",
    ]
    if account_request.decision_comment:
        paragraphs.append(f"Motif : {account_request.decision_comment}")
    paragraphs.append(
        "Pour en savoir plus, écrivez au guichet : " + settings.DLNUF_SUPPORT_ADDRESS + "."
    )
    _send(to=account_request.email, subject="Votre demande de compte", paragraphs=paragraphs)


def role_granted_email_send(*, account_request: AccountRequest) -> None:
    _send(
        to=account_request.email,
        subject="Votre demande de compte est acceptée",
        paragraphs=[
            "Votre demande au guichet « Dites-le-nous une fois » est acceptée. Vous aviez déjà un "
            f"compte : le rôle de {account_request.get_role_display()} lui est attribué. "
            "Connectez-vous :",
            site_link("login"),
        ],
    )
