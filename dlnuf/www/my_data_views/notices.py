"""« Avis par courriel »: a person asks for a daily e-mail when their data is consulted, confirms
the address through the signed link sent there, and stops it from any e-mail's link.

The links open a page with a button rather than acting on their own: mail scanners open links,
and neither the confirmation nor the unsubscription should happen without the person.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from dlnuf.people.notices import (
    CONFIRMATION_DAYS,
    active_subscription,
    notice_subscription_confirm,
    notice_subscription_end,
    notice_subscription_request,
    subscription_for_confirmation,
    subscription_for_unsubscribe,
)
from dlnuf.www.forms import PortalForm
from dlnuf.www.my_data_views.reports import reporting_viewer
from dlnuf.www.support_views.views import private_link_page

TITLE = "Avis par courriel"


class NoticeForm(PortalForm):
    email = forms.EmailField(
        label="Adresse électronique",
        help_text="Format attendu : nom@domaine.fr",
        error_messages={
            "required": "Indiquez l'adresse où recevoir les avis.",
            "invalid": "Saisissez une adresse électronique valide, par exemple nom@domaine.fr.",
        },
    )


def _page(request: HttpRequest, template: str, status: int = 200, **context: Any) -> HttpResponse:
    return render(
        request,
        f"www/my_data/{template}",
        {
            "title": TITLE,
            "breadcrumb_data": {
                "links": [{"url": reverse("www:my_data"), "title": "Mes données"}],
                "current": TITLE,
            },
            **context,
        },
        status=status,
    )


def _by_link(request: HttpRequest) -> HttpResponseBase | None:
    """The confirmation and unsubscribe pages, opened from an e-mail without signing in."""
    data = request.POST if request.method == "POST" else request.GET
    if "confirmer" in data:
        subscription = subscription_for_confirmation(str(data["confirmer"]))
        if subscription is None:
            return _page(request, "notice_link_invalid.html", status=404)
        if request.method == "POST":
            notice_subscription_confirm(subscription=subscription)
            messages.success(request, "Votre adresse est confirmée : les avis commencent.")
            return redirect("www:my_data_notices")
        return _page(
            request,
            "notice_confirm.html",
            subscription=subscription,
            token=data["confirmer"],
        )
    if "desabonner" in data:
        subscription = subscription_for_unsubscribe(str(data["desabonner"]))
        if subscription is None:
            return _page(request, "notice_link_invalid.html", status=404)
        if request.method == "POST":
            notice_subscription_end(subscription=subscription)
            return _page(request, "notice_stopped.html", subscription=subscription)
        return _page(
            request,
            "notice_unsubscribe.html",
            subscription=subscription,
            token=data["desabonner"],
        )
    return None


@login_not_required
@require_http_methods(["GET", "POST"])
@private_link_page
def my_data_notices(request: HttpRequest) -> HttpResponseBase:
    by_link = _by_link(request)
    if by_link is not None:
        return by_link
    viewer = reporting_viewer(request)
    if viewer is None:
        return redirect("www:my_data_sign_in")
    current = active_subscription(viewer.subject_keys)
    form = NoticeForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "stop" and current is not None:
            notice_subscription_end(subscription=current)
            messages.success(request, "Les avis par courriel sont arrêtés.")
            return redirect("www:my_data_notices")
        form = NoticeForm(request.POST)
        if form.is_valid():
            notice_subscription_request(viewer=viewer, email=form.cleaned_data["email"])
            messages.success(
                request,
                f"Un courriel de confirmation est envoyé à {form.cleaned_data['email']} : "
                f"ouvrez le lien qu'il contient dans les {CONFIRMATION_DAYS} jours. Rien ne "
                "vous sera envoyé avant.",
            )
            return redirect("www:my_data_notices")
        status = 400
    return _page(
        request,
        "notices.html",
        status=status,
        title=f"Erreur : {TITLE}" if form.errors else TITLE,
        current=current,
        form=form,
    )
