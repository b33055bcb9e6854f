from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods

from dlnuf.organisations.models import User
from dlnuf.organisations.perms import can_invite, can_manage_roles
from dlnuf.organisations.proconnect import proconnect_enabled, proconnect_logout_url
from dlnuf.organisations.selectors import memberships_of
from dlnuf.organisations.services import user_password_change
from dlnuf.www.accounts_views.forms import LoginForm, PortalPasswordChangeForm


def _account_breadcrumb(current: str) -> dict[str, Any]:
    return {"links": [{"url": reverse("www:account"), "title": "Mon compte"}], "current": current}


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "www/accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = "Se connecter"
        context["breadcrumb_data"] = {"links": [], "current": "Se connecter"}
        context["proconnect_enabled"] = proconnect_enabled()
        return context


class LogoutView(auth_views.LogoutView):
    """Signs out of the portal, then out of ProConnect when the session came from it."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        id_token = request.session.get("oidc_id_token")
        response = super().post(request, *args, **kwargs)
        if isinstance(id_token, str):
            provider_logout = proconnect_logout_url(
                id_token=id_token,
                post_logout_redirect_uri=request.build_absolute_uri(reverse("www:home")),
            )
            if provider_logout:
                return redirect(provider_logout)
        return response


def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    return render(
        request,
        "www/accounts/account.html",
        {
            "title": "Mon compte",
            "breadcrumb_data": {"links": [], "current": "Mon compte"},
            "account": user,
            "memberships": memberships_of(user),
            "can_manage_roles": can_manage_roles(user),
            "can_invite": can_invite(user),
        },
    )


@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    context: dict[str, Any] = {
        "title": "Changer de mot de passe",
        "breadcrumb_data": _account_breadcrumb("Changer de mot de passe"),
    }
    if not user.has_usable_password():
        return render(request, "www/accounts/password_change.html", context)
    form = PortalPasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_password_change(user=user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, "Votre mot de passe a été changé.")
        return redirect("www:account")
    context["form"] = form
    return render(request, "www/accounts/password_change.html", context)
