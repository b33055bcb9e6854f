"""Signing in to « Mes données »: FranceConnect for people, the demonstration people, sign-out.

A person signed in here is not a portal user: the session keeps their display name and journal
subject keys (``dlnuf.people.viewers``), plus the FranceConnect ID token needed to end their
FranceConnect session at sign-out. The state, nonce and PKCE verifier of a sign-in in progress
live in the session between the two legs and are used once.
"""

import logging
import secrets
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dlnuf.people.demo import DEMO_PEOPLE, demo_person
from dlnuf.people.franceconnect import (
    FranceConnectRefused,
    FranceConnectUnavailable,
    franceconnect_authorization,
    franceconnect_enabled,
    franceconnect_identity,
    franceconnect_logout_url,
)
from dlnuf.people.identity import (
    PivotIdentityInvalid,
    datasets_not_linkable,
    pivot_from_claims,
    subject_keys_for_pivot,
)
from dlnuf.people.viewers import person_sign_in, person_sign_out, person_viewer
from dlnuf.www.forms import PortalForm

logger = logging.getLogger(__name__)

_PENDING_KEY = "dlnuf_franceconnect_pending"
# The ID token, sent back as ``id_token_hint`` to end the FranceConnect session at sign-out.
_LOGOUT_HINT_KEY = "dlnuf_franceconnect_logout_hint"

_FAILURES = {
    "not_configured": (
        404,
        "FranceConnect n'est pas activé sur ce guichet",
        "La connexion avec FranceConnect n'est pas proposée ici pour le moment.",
    ),
    "unavailable": (
        503,
        "FranceConnect ne répond pas pour le moment",
        "Réessayez dans quelques minutes. Aucune connexion n'a été ouverte.",
    ),
    "cancelled": (
        200,
        "Connexion annulée",
        "Vous avez annulé la connexion sur FranceConnect : vous n'êtes pas connecté. Vous "
        "pouvez recommencer quand vous le souhaitez.",
    ),
    "bad_state": (
        400,
        "Cette connexion n'est plus valable",
        "La réponse de FranceConnect ne correspond à aucune connexion en cours sur ce "
        "navigateur (lien déjà utilisé, ouvert dans un autre navigateur, ou trop ancien). "
        "Recommencez depuis la page de connexion.",
    ),
    "refused": (
        403,
        "La connexion n'a pas pu être vérifiée",
        "La réponse de FranceConnect n'a pas passé nos vérifications de sécurité : vous n'êtes "
        "pas connecté. Recommencez ; si le problème persiste, contactez le guichet.",
    ),
    "incomplete_identity": (
        403,
        "Identité incomplète",
        "FranceConnect n'a pas transmis toute votre identité (nom de naissance, prénoms, date "
        "et lieu de naissance, sexe) : sans elle, nous ne pouvons pas retrouver les "
        "consultations de vos données. Vous n'êtes pas connecté.",
    ),
}


def _sign_in_breadcrumb() -> dict[str, Any]:
    return {
        "links": [{"url": reverse("www:my_data_sign_in"), "title": "Mes données"}],
        "current": "Connexion",
    }


def _failure(request: HttpRequest, reason: str) -> HttpResponse:
    status, heading, explanation = _FAILURES[reason]
    return render(
        request,
        "www/my_data/sign_in_failed.html",
        {
            "title": heading,
            "heading": heading,
            "explanation": explanation,
            "is_warning": status >= 500,
            "breadcrumb_data": _sign_in_breadcrumb(),
        },
        status=status,
    )


def _callback_url() -> str:
    # The address registered with FranceConnect: never built from the request's Host header.
    return settings.DLNUF_SITE_URL + reverse("www:my_data_franceconnect_callback")


@login_not_required
@require_GET
def my_data_sign_in(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "www/my_data/sign_in.html",
        {
            "title": "Se connecter à « Mes données »",
            "breadcrumb_data": {
                "links": [{"url": reverse("www:my_data"), "title": "Mes données"}],
                "current": "Connexion",
            },
            "franceconnect_enabled": franceconnect_enabled(),
            "not_linkable": datasets_not_linkable(),
            "demo_enabled": settings.DLNUF_DEMO_PEOPLE,
            "person": person_viewer(request),
            "agent_signed_in": request.user.is_authenticated,
        },
    )


@login_not_required
@require_GET
def my_data_franceconnect_start(request: HttpRequest) -> HttpResponse:
    if not franceconnect_enabled():
        return _failure(request, "not_configured")
    try:
        start = franceconnect_authorization(redirect_uri=_callback_url())
    except FranceConnectUnavailable as error:
        logger.warning("FranceConnect unavailable: %s", error)
        return _failure(request, "unavailable")
    request.session[_PENDING_KEY] = {
        "state": start.state,
        "nonce": start.nonce,
        "code_verifier": start.code_verifier,
    }
    return HttpResponseRedirect(start.url)


@login_not_required
@require_GET
def my_data_franceconnect_callback(request: HttpRequest) -> HttpResponse:
    if not franceconnect_enabled():
        return _failure(request, "not_configured")
    # Used once, whatever the outcome: a replayed answer finds nothing to match.
    pending = request.session.pop(_PENDING_KEY, None)
    if request.GET.get("error"):
        # A refusal opens nothing, so it is shown even without a state to match.
        return _failure(request, "cancelled")
    state = request.GET.get("state", "")
    if not pending or not state or not secrets.compare_digest(state, pending["state"]):
        return _failure(request, "bad_state")
    code = request.GET.get("code", "")
    if not code:
        return _failure(request, "bad_state")
    try:
        identity = franceconnect_identity(
            code=code,
            redirect_uri=_callback_url(),
            code_verifier=pending["code_verifier"],
            nonce=pending["nonce"],
        )
        pivot = pivot_from_claims(identity.claims)
    except FranceConnectUnavailable as error:
        logger.warning("FranceConnect unavailable: %s", error)
        return _failure(request, "unavailable")
    except FranceConnectRefused as error:
        logger.warning("FranceConnect sign-in refused: %s", error)
        return _failure(request, "refused")
    except PivotIdentityInvalid as error:
        logger.warning("FranceConnect identity unusable: %s", error)
        return _failure(request, "incomplete_identity")
    person_sign_in(
        request,
        display_name=pivot.display_name,
        subject_keys=subject_keys_for_pivot(pivot),
        signed_in_with="franceconnect",
    )
    request.session[_LOGOUT_HINT_KEY] = identity.id_token
    return redirect("www:my_data")


class DemoPersonForm(PortalForm):
    person = forms.ChoiceField(
        label="Personne de démonstration",
        widget=forms.RadioSelect,
        choices=[
            (person.slug, f"{person.pivot.display_name} — {person.description}")
            for person in DEMO_PEOPLE
        ],
        error_messages={
            "required": "Choisissez une personne de démonstration.",
            "invalid_choice": "Choisissez une des personnes de démonstration de la liste.",
        },
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def my_data_demo_sign_in(request: HttpRequest) -> HttpResponse:
    if not settings.DLNUF_DEMO_PEOPLE:
        raise Http404
    form = DemoPersonForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        person = demo_person(form.cleaned_data["person"])
        if person is None:
            raise Http404
        pivot = person.pivot
        person_sign_in(
            request,
            display_name=pivot.display_name,
            subject_keys=subject_keys_for_pivot(pivot),
            signed_in_with="demo",
        )
        return redirect("www:my_data")
    return render(
        request,
        "www/my_data/demo_sign_in.html",
        {
            "title": "Personnes de démonstration",
            "breadcrumb_data": {
                "links": [{"url": reverse("www:my_data_sign_in"), "title": "Connexion"}],
                "current": "Démonstration",
            },
            "form": form,
        },
        status=400 if form.is_bound else 200,
    )


@login_not_required
@require_POST
def my_data_sign_out(request: HttpRequest) -> HttpResponse:
    id_token = request.session.pop(_LOGOUT_HINT_KEY, "")
    person_sign_out(request)
    logout_url = franceconnect_logout_url(
        id_token=id_token,
        post_logout_redirect_uri=settings.DLNUF_SITE_URL + reverse("www:my_data_sign_in"),
    )
    if logout_url:
        return HttpResponseRedirect(logout_url)
    messages.success(request, "Vous êtes déconnecté de « Mes données ».")
    return redirect("www:my_data_sign_in")
