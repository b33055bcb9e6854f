"""The one-time link e-mailed to a request's technical contact, and its re-sending.

The link needs no account: its token is the capability. Opening it (GET) only asks for a
confirmation, because mail scanners fetch links on their own; the secret is shown by the POST
that follows, once.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dlnuf.french import date_fr
from dlnuf.habilitations import services
from dlnuf.habilitations.models import CredentialDeliveryLink, CredentialReveal
from dlnuf.habilitations.selectors import (
    credential_link_by_token,
    credential_link_problem,
    credentials_visible_to,
)
from dlnuf.organisations.models import User

ASK_APPLICANTS = (
    "Demandez aux demandeurs de votre organisation, sur le portail, de vous envoyer un nouveau "
    "lien depuis la page du jeton (tableau de bord, « Afficher le jeton »)."
)
ASK_REPLACEMENT = (
    "Si vous ne l'avez pas conservé, demandez aux demandeurs de votre organisation de remplacer "
    "le jeton depuis le tableau de bord du portail, puis de vous envoyer le nouveau."
)
# Why a link shows nothing, in words for the technical contact who clicked it.
UNUSABLE_PAGES = {
    "unknown": (
        "Lien inconnu",
        "Ce lien n'existe pas : vérifiez qu'il a été copié en entier depuis le courriel. "
        + ASK_APPLICANTS,
    ),
    "used": ("Lien déjà utilisé", "Ce lien a déjà servi : un jeton ne s'affiche qu'une fois. "),
    "replaced": (
        "Lien remplacé",
        "Un lien plus récent a été envoyé pour ce jeton : celui-ci ne fonctionne plus. "
        "Utilisez le dernier courriel reçu. ",
    ),
    "expired": ("Lien expiré", "Ce lien a expiré. " + ASK_APPLICANTS),
    "unavailable": (
        "Jeton indisponible",
        "Ce jeton a déjà été affiché sur le portail, ou il a été révoqué, ou son délai "
        "d'affichage est dépassé. ",
    ),
}
UNUSABLE_ADVICE = {"used": ASK_REPLACEMENT, "replaced": "", "unavailable": ASK_REPLACEMENT}


def _private(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Nothing kept by caches, and the token never sent to another site as a referrer."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return never_cache(wrapped)


def _unusable(
    request: HttpRequest, reason: str, link: CredentialDeliveryLink | None
) -> HttpResponse:
    title, text = UNUSABLE_PAGES[reason]
    context = {
        "title": title,
        "reason": reason,
        "text": text + UNUSABLE_ADVICE.get(reason, ""),
        "expired_on": date_fr(link.expires_at, with_time=True) if link is not None else "",
    }
    status = 404 if reason == "unknown" else 410
    return render(request, "www/dashboard/credential_link.html", context, status=status)


# No CSRF check: the token in the address is the whole authority, so a forged POST would need it,
# and whoever holds it may POST anyway; no session is involved. The check could not pass either:
# under "no-referrer" browsers send "Origin: null" with the confirmation.
@csrf_exempt
@login_not_required
@_private
@require_http_methods(["GET", "POST"])
def credential_link(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            spent, secret = services.credential_link_reveal(token=token)
        except services.CredentialLinkUnusable as unusable:
            return _unusable(request, unusable.reason, credential_link_by_token(token))
        return render(
            request,
            "www/dashboard/credential_link.html",
            {"title": "Votre jeton", "credential": spent.credential, "secret": secret},
        )
    link = credential_link_by_token(token)
    reveal = (
        CredentialReveal.objects.filter(credential_id=link.credential_id).first()
        if link is not None
        else None
    )
    problem = credential_link_problem(link, reveal, timezone.now())
    if problem is not None or link is None:
        return _unusable(request, problem or "unknown", link)
    return render(
        request,
        "www/dashboard/credential_link.html",
        {
            "title": "Afficher votre jeton",
            "credential": link.credential,
            "link": link,
            "expires_on": date_fr(link.expires_at, with_time=True),
        },
    )


@require_POST
def credential_link_send(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    credential = get_object_or_404(credentials_visible_to(user), pk=pk)
    try:
        link = services.credential_link_send(credential=credential, actor=user)
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            f"Un lien à usage unique a été envoyé à {link.recipient_email} ; il expire le "
            f"{date_fr(link.expires_at, with_time=True)}. Les liens envoyés avant ne "
            "fonctionnent plus.",
        )
    return redirect("www:credential_reveal", pk=credential.pk)
