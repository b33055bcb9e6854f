"""« Retrouver mon lien de suivi »: a public page where a requester gives their e-mail address and
receives the follow links of their open requests.

Whether the address has requests or not, the answer is the same redirection to the same page,
and the page's request does the same work (one background job enqueued): the lookup happens in
the job. Limited per client address and per e-mail address, so that nobody floods a mailbox.
"""

import hashlib

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from dlnuf.counters import counter_increment
from dlnuf.support.follow_links import follow_links_send_later
from dlnuf.www.accounts_views.client import client_ip
from dlnuf.www.forms import PortalForm

TITLE = "Retrouver mon lien de suivi"
WINDOW_SECONDS = 60 * 60


class FollowLinkForm(PortalForm):
    email = forms.EmailField(
        label="Adresse électronique",
        help_text="Celle que vous avez donnée en écrivant au guichet. Format : nom@domaine.fr",
        max_length=254,
        error_messages={
            "required": "Indiquez l'adresse électronique de votre demande.",
            "invalid": "Indiquez une adresse électronique valide, par exemple nom@domaine.fr.",
        },
    )


def _taken(kind: str, value: str, limit: int) -> bool:
    # Hashed, so that addresses never appear in the cache's keys.
    digest = hashlib.sha256(value.encode()).hexdigest()
    return (
        counter_increment(f"dlnuf:follow-link:{kind}:{digest}", window_seconds=WINDOW_SECONDS)
        <= limit
    )


def _context(form: FollowLinkForm, **extra: object) -> dict[str, object]:
    return {
        "form": form,
        "title": TITLE,
        "breadcrumb_data": {"links": [], "current": TITLE},
        **extra,
    }


@login_not_required
@require_http_methods(["GET", "POST"])
def support_follow_link(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "www/support/follow_link.html", _context(FollowLinkForm()))
    form = FollowLinkForm(request.POST)
    if not _taken("client", client_ip(request), settings.DLNUF_SUPPORT_FORM_SUBMISSIONS_PER_HOUR):
        return render(
            request, "www/support/follow_link.html", _context(form, throttled=True), status=429
        )
    if not form.is_valid():
        return render(
            request, "www/support/follow_link.html", _context(form, title=f"Erreur : {TITLE}")
        )
    email = form.cleaned_data["email"].strip().lower()
    # Beyond its hourly share an address gets nothing more, with the very same answer: the limit
    # protects its mailbox and says nothing about it.
    if _taken("email", email, settings.DLNUF_SUPPORT_FOLLOW_LINK_EMAILS_PER_HOUR):
        follow_links_send_later.enqueue(email)
    return redirect("www:support_follow_link_sent")


@login_not_required
@require_GET
def support_follow_link_sent(request: HttpRequest) -> HttpResponseBase:
    return render(
        request,
        "www/support/follow_link_sent.html",
        {"title": TITLE, "support_address": settings.DLNUF_SUPPORT_ADDRESS},
    )
