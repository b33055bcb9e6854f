"""Invitations: administrators invite anyone, applicants invite colleagues of their own
organisations; the invited person opens the signed link and chooses their password."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dlnuf.french import date_fr
from dlnuf.organisations.models import Organisation, Role, User
from dlnuf.organisations.perms import can_invite
from dlnuf.organisations.selectors import pending_invitations_for
from dlnuf.organisations.services import (
    InvitationUnusable,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_withdraw,
    organisation_get_or_create,
)
from dlnuf.www.accounts_views.forms import InvitationForm, PortalSetPasswordForm

LIST_TITLE = "Invitations"

# Why a link opens nothing, in words for the person who clicked it.
UNUSABLE_REASONS = {
    "unknown": (
        "Lien d'invitation inconnu",
        "Ce lien d'invitation n'existe pas : vérifiez qu'il a été copié en entier depuis le "
        "courriel.",
    ),
    "expired": (
        "Invitation expirée",
        "Cette invitation a expiré. Demandez à la personne qui vous a invité de vous en "
        "envoyer une nouvelle.",
    ),
    "accepted": (
        "Invitation déjà utilisée",
        "Cette invitation a déjà servi à créer un compte : connectez-vous, ou choisissez un "
        "nouveau mot de passe si vous l'avez oublié.",
    ),
    "withdrawn": (
        "Invitation retirée",
        "Cette invitation a été retirée par la personne qui l'avait envoyée. Contactez-la si "
        "vous pensez qu'il s'agit d'une erreur.",
    ),
}


def _inviter(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not can_invite(user):
        raise PermissionDenied(
            "Seuls les administrateurs et les demandeurs d'une organisation invitent des personnes."
        )
    return user


def _list_breadcrumb(current: str) -> dict[str, Any]:
    return {
        "links": [{"url": reverse("www:invitation_list"), "title": LIST_TITLE}],
        "current": current,
    }


@require_http_methods(["GET"])
def invitation_list(request: HttpRequest) -> HttpResponse:
    inviter = _inviter(request)
    return render(
        request,
        "www/accounts/invitation_list.html",
        {
            "title": LIST_TITLE,
            "breadcrumb_data": {"links": [], "current": LIST_TITLE},
            "invitations": pending_invitations_for(inviter),
        },
    )


def _scope(form: InvitationForm) -> dict[str, Any]:
    role = Role(form.cleaned_data["role"])
    if not form.by_administrator:
        organisation: Organisation = form.cleaned_data["organisation"]
        return {"organisation": organisation}
    if role == Role.APPLICANT:
        return {"organisation": organisation_get_or_create(siret=form.cleaned_data["siret"])}
    if role in (Role.INSTRUCTOR, Role.REPORTER):
        return {"provider": form.cleaned_data["provider"]}
    return {}


@require_http_methods(["GET", "POST"])
def invitation_new(request: HttpRequest) -> HttpResponse:
    inviter = _inviter(request)
    form = InvitationForm(request.POST or None, inviter=inviter)
    title = "Inviter une personne"
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_create(
                invited_by=inviter,
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                role=Role(form.cleaned_data["role"]),
                **_scope(form),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Invitation envoyée à {invitation.email}. Le lien est valable jusqu'au "
                f"{date_fr(invitation.expires_at, with_time=True)}.",
            )
            return redirect("www:invitation_list")
    if form.errors:
        title = f"Erreur : {title}"
    return render(
        request,
        "www/accounts/invitation_new.html",
        {"title": title, "breadcrumb_data": _list_breadcrumb("Inviter"), "form": form},
    )


@require_POST
def invitation_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    withdrawer = _inviter(request)
    # Hidden invitations answer 404, like unknown ones: their existence is not told.
    invitation = get_object_or_404(pending_invitations_for(withdrawer), pk=pk)
    try:
        invitation_withdraw(invitation=invitation, withdrawn_by=withdrawer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Invitation de {invitation.email} retirée.")
    return redirect("www:invitation_list")


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_for_token(token)
    except InvitationUnusable as unusable:
        title, explanation = UNUSABLE_REASONS[unusable.reason]
        return render(
            request,
            "www/accounts/invitation_unusable.html",
            {"title": title, "explanation": explanation},
            status=404 if unusable.reason == "unknown" else 410,
        )
    # Unsaved: the password rules compare the password with the person's name and address.
    person = User(
        email=invitation.email, first_name=invitation.first_name, last_name=invitation.last_name
    )
    form = PortalSetPasswordForm(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except InvitationUnusable:
            return redirect("www:invitation_accept", token=token)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="dlnuf.organisations.backends.EmailBackend")
            messages.success(request, "Votre compte est créé : bienvenue sur le guichet.")
            return redirect("www:account")
    title = "Créer votre compte"
    return render(
        request,
        "www/accounts/invitation_accept.html",
        {
            "title": f"Erreur : {title}" if form.errors else title,
            "invitation": invitation,
            "form": form,
        },
    )
