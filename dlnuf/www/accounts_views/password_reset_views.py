"""« Mot de passe oublié ? »: the person gives their address and receives a signed link.

The page answers with the same redirection whether or not the address has an account, and does
the same work either way (one background job enqueued): the lookup happens in the job. Limited
per client and per address, so that nobody floods a mailbox. The link is Django's reset token
(signed with the secret key, tied to the current password hash, hence single use), valid
``PASSWORD_RESET_TIMEOUT`` seconds.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_http_methods

from dlnuf.organisations.services import user_password_change
from dlnuf.organisations.tasks import password_reset_send_later
from dlnuf.www.accounts_views.client import client_ip
from dlnuf.www.accounts_views.forms import PasswordResetRequestForm, PortalSetPasswordForm
from dlnuf.www.accounts_views.throttle import hourly_take

TITLE = "Mot de passe oublié"


def _breadcrumb(current: str) -> dict[str, Any]:
    return {"links": [{"url": reverse("www:login"), "title": "Se connecter"}], "current": current}


def _render(
    request: HttpRequest, form: PasswordResetRequestForm, *, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "www/accounts/password_reset.html",
        {"form": form, "title": TITLE, "breadcrumb_data": _breadcrumb(TITLE), **extra},
        status=status,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render(request, PasswordResetRequestForm())
    form = PasswordResetRequestForm(request.POST)
    if not hourly_take("reset-client", client_ip(request), settings.DLNUF_ACCOUNT_FORMS_PER_HOUR):
        return _render(request, form, status=429, throttled=True)
    if not form.is_valid():
        return _render(request, form, title=f"Erreur : {TITLE}")
    email = form.cleaned_data["email"].strip().lower()
    # Beyond its hourly share an address gets nothing more, with the very same answer.
    if hourly_take("reset-email", email, settings.DLNUF_PASSWORD_RESET_EMAILS_PER_HOUR):
        password_reset_send_later.enqueue(email)
    return redirect("www:password_reset_sent")


@login_not_required
@require_GET
def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "www/accounts/password_reset_sent.html",
        {
            "title": TITLE,
            "breadcrumb_data": _breadcrumb(TITLE),
            "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        },
    )


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Opens the e-mailed link (Django moves the token to the session so that it never leaks
    through the Referer header), then takes the new password twice."""

    form_class = PortalSetPasswordForm
    template_name = "www/accounts/password_reset_confirm.html"
    success_url = reverse_lazy("www:login")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        title = "Choisir un nouveau mot de passe"
        if not context.get("validlink"):
            title = "Lien expiré ou déjà utilisé"
        context["title"] = title
        context["breadcrumb_data"] = _breadcrumb(title)
        return context

    def form_valid(self, form: PortalSetPasswordForm) -> HttpResponse:
        user_password_change(user=form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(
            self.request, "Votre mot de passe a été changé : connectez-vous avec le nouveau."
        )
        return HttpResponseRedirect(self.get_success_url())
