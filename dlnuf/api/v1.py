"""Version 1 of the API: the exchange (``/data``) and the journal (``/journal``).

Every answer under ``/api/`` is JSON, and every error a problem+json whose code is in the one
catalogue (``dlnuf.exchange.errors``): validation, authentication, unknown paths and methods,
requests Django refuses to read, and unexpected exceptions alike.
"""

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver
from django.views import defaults
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from dlnuf.api import data, journal
from dlnuf.api.auth import BEARER_CHALLENGE
from dlnuf.api.problems import is_api_request, problem_for_exception, problem_response

_STATUS_CODES = {404: "path_not_found", 405: "method_not_allowed"}


class GatewayApi(NinjaAPI):
    """Describes each dataset as its own operation, and answers 405 with a problem."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        prefix = self.get_root_path(path_params or {}) if path_prefix is None else path_prefix
        paths, components = data.dataset_openapi(prefix)
        schema["paths"].update(paths)
        journal.journal_openapi_ranges(schema["paths"], prefix)
        schema.setdefault("components", {}).setdefault("schemas", {}).update(components)
        schema["components"].setdefault("securitySchemes", {})[data.SECURITY_SCHEME] = {
            "type": "http",
            "scheme": "bearer",
        }
        return schema

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _method_problem(pattern.callback)
        return patterns


def _method_problem(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            return problem_response(code="method_not_allowed", headers={"Allow": response["Allow"]})
        return response

    answer.__name__ = getattr(view, "__name__", "api_view")
    answer.csrf_exempt = getattr(view, "csrf_exempt", False)  # type: ignore[attr-defined]
    return answer


api = GatewayApi(
    title="Guichet DLNUF — API d'échange",
    version="1.0.0",
    description=(
        "Une seule API pour obtenir, sous habilitation, les données que détient une autre "
        "administration, et pour vérifier le journal des accès. Chaque jeu de données est une "
        "opération, avec ses seuls paramètres ; toute erreur est un "
        "`application/problem+json` (RFC 9457) dont le champ `code` est stable."
    ),
    urls_namespace="api-v1",
)
api.add_router("/data", data.router)
api.add_router("/journal", journal.router)


@api.exception_handler(ValidationError)
def _invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    location = first.get("loc", [])
    return problem_response(
        code="invalid_parameter",
        detail=f"La valeur du paramètre « {location[-1]} » ne respecte pas le format attendu."
        if location
        else "",
        parameter=str(location[-1]) if location else None,
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(
        code="credential_missing", headers={"WWW-Authenticate": BEARER_CHALLENGE}
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = _STATUS_CODES.get(exc.status_code)
    if code is None:
        return problem_for_exception(request, exc)
    return problem_response(code=code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(code="path_not_found")


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_for_exception(request, exc)


def path_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under /api/ that no operation serves."""
    return problem_response(code="path_not_found")


# Django's error views for the whole site: problems under /api/, the portal's pages elsewhere.


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return problem_for_exception(request, exception)
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return problem_response(code="path_not_found")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return problem_response(code="internal_error")
    return defaults.server_error(request)
