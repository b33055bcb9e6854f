"""Asking for an account without one (public form), and administrators' decisions on it."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from dlnuf.organisations.models import AccountRequest, AccountRequestState, Role, User
from dlnuf.organisations.perms import can_decide_account_requests
from dlnuf.organisations.selectors import account_requests_decided, account_requests_pending
from dlnuf.organisations.services import account_request_decide, account_request_submit
from dlnuf.www.accounts_views.client import client_ip
from dlnuf.www.accounts_views.forms import AccountRequestDecisionForm, AccountRequestForm
from dlnuf.www.accounts_views.throttle import hourly_take

NEW_TITLE = "Demander un compte"
LIST_TITLE = "Demandes de compte"


def _render_new(
    request: HttpRequest, form: AccountRequestForm, *, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "www/accounts/account_request_new.html",
        {
            "form": form,
            "title": f"Erreur : {NEW_TITLE}" if form.errors else NEW_TITLE,
            "breadcrumb_data": {"links": [], "current": NEW_TITLE},
            **extra,
        },
        status=status,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def account_request_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render_new(request, AccountRequestForm())
    form = AccountRequestForm(request.POST)
    if not hourly_take("request-client", client_ip(request), settings.DLNUF_ACCOUNT_FORMS_PER_HOUR):
        return _render_new(request, form, status=429, throttled=True)
    if not form.is_valid():
        return _render_new(request, form)
    try:
        account_request_submit(
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            email=form.cleaned_data["email"],
            siret=form.cleaned_data["siret"],
            role=Role(form.cleaned_data["role"]),
            provider=form.cleaned_data["provider"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _render_new(request, form)
    return redirect("www:account_request_sent")


@login_not_required
@require_GET
def account_request_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "www/accounts/account_request_sent.html",
        {"title": NEW_TITLE, "breadcrumb_data": {"links": [], "current": NEW_TITLE}},
    )


def _administrator(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not can_decide_account_requests(user):
        raise PermissionDenied("Seuls les administrateurs du guichet décident des demandes.")
    return user


@require_GET
def account_request_list(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    return render(
        request,
        "www/accounts/account_request_list.html",
        {
            "title": LIST_TITLE,
            "breadcrumb_data": {"links": [], "current": LIST_TITLE},
            "pending": account_requests_pending(),
            "decided": account_requests_decided()[:50],
        },
    )


@require_http_methods(["GET", "POST"])
def account_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    administrator = _administrator(request)
    account_request = get_object_or_404(AccountRequest.objects.select_related("provider"), pk=pk)
    form = AccountRequestDecisionForm(request.POST or None)
    decision = request.POST.get("decision")
    if request.method == "POST" and decision not in ("accept", "refuse"):
        form.add_error(None, "Choisissez d'accepter ou de refuser la demande.")
    elif request.method == "POST" and form.is_valid():
        try:
            account_request_decide(
                account_request=account_request,
                decided_by=administrator,
                accept=decision == "accept",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            outcome = "acceptée" if decision == "accept" else "refusée"
            messages.success(
                request,
                f"Demande de {account_request.full_name} {outcome} : la personne en est avertie "
                "par courriel.",
            )
            return redirect("www:account_request_list")
    title = f"Demande de compte de {account_request.full_name}"
    return render(
        request,
        "www/accounts/account_request_detail.html",
        {
            "title": f"Erreur : {title}" if form.errors else title,
            "heading": title,
            "breadcrumb_data": {
                "links": [{"url": reverse("www:account_request_list"), "title": LIST_TITLE}],
                "current": account_request.full_name,
            },
            "account_request": account_request,
            "pending": account_request.state == AccountRequestState.PENDING,
            "has_account": User.objects.filter(email__iexact=account_request.email).exists(),
            "form": form,
        },
    )
