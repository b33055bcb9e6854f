"""The two ProConnect pages: the start of the sign-in (to the provider) and its return."""

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.generic import View
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from dlnuf.organisations.proconnect import (
    ProConnectUnavailable,
    proconnect_enabled,
    proconnect_endpoints,
)

logger = logging.getLogger(__name__)

FAILURE_MESSAGE = (
    "La connexion avec ProConnect n'a pas abouti. Réessayez ; si le problème persiste, "
    "contactez l'administrateur du guichet."
)


def _unavailable(request: HttpRequest, *, status: int) -> HttpResponse:
    return render(
        request,
        "www/accounts/proconnect_unavailable.html",
        {
            "title": "ProConnect indisponible",
            "breadcrumb_data": {
                "links": [{"url": reverse("www:login"), "title": "Se connecter"}],
                "current": "ProConnect",
            },
            "not_configured": status == 404,
        },
        status=status,
    )


@method_decorator(login_not_required, name="dispatch")
class ProConnectStartView(OIDCAuthenticationRequestView):
    """Sends the person to ProConnect with a fresh state, nonce and PKCE challenge."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The parent reads the endpoints from settings when built; they come from discovery here.
        View.__init__(self, *args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request: HttpRequest) -> HttpResponseBase:
        if not proconnect_enabled():
            return _unavailable(request, status=404)
        try:
            self.OIDC_OP_AUTH_ENDPOINT = proconnect_endpoints().authorization
        except ProConnectUnavailable as error:
            logger.warning("ProConnect unavailable: %s", error)
            return _unavailable(request, status=503)
        response: HttpResponseBase = super().get(request)
        return response


@method_decorator(login_not_required, name="dispatch")
class ProConnectCallbackView(OIDCAuthenticationCallbackView):
    """Where ProConnect sends the person back: checks state, exchanges the code, signs in."""

    def get(self, request: HttpRequest) -> HttpResponseBase:
        if not proconnect_enabled():
            return _unavailable(request, status=404)
        try:
            response: HttpResponseBase = super().get(request)
        except SuspiciousOperation as error:
            # An unknown state: a forged or replayed answer, or a sign-in started elsewhere.
            logger.warning("ProConnect callback refused: %s", error)
            return self.login_failure()
        return response

    def login_failure(self) -> HttpResponseRedirect:
        messages.error(self.request, FAILURE_MESSAGE)
        return HttpResponseRedirect(reverse("www:login"))

    def login_success(self) -> HttpResponseRedirect:
        response: HttpResponseRedirect = super().login_success()
        messages.success(self.request, "Vous êtes connecté avec ProConnect.")
        return response
