from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponseBase


class PortalLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Pages need a signed-in user unless their view is marked ``login_not_required``.

    The API and the sandbox are left out by path: their callers are software that authenticates
    with a credential on every call, never with the portal's session.
    """

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        if request.path.startswith(settings.DLNUF_LOGIN_EXEMPT_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
