"""The sandbox providers over HTTP: same paths, parameters and formats as upstream.

The views never touch the database: the sandbox is a provider of its own and answers even when
the catalogue is empty.
"""

import json
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from dlnuf.sandbox.cases import case_store
from dlnuf.sandbox.endpoints import SandboxEndpoint, resolve
from dlnuf.sandbox.validation import error, parameter_errors, trace_errors

_JSON = "application/json; charset=utf-8"


def _errors_response(status: int, errors: list[dict[str, Any]]) -> HttpResponse:
    return HttpResponse(
        json.dumps({"errors": errors}, ensure_ascii=False), status=status, content_type=_JSON
    )


def _request_values(request: HttpRequest, endpoint: SandboxEndpoint) -> dict[str, Any]:
    """Query parameters by name, repeated ones (``prenoms[]`` or ``prenoms``) as lists."""
    values: dict[str, Any] = {}
    for key in request.GET:
        name = key.removesuffix("[]")
        parameter = endpoint.parameter(name)
        items = request.GET.getlist(key)
        if parameter is not None and parameter.repeated:
            values.setdefault(name, []).extend(item for item in items if item.strip())
        else:
            values[name] = items[-1]
    return values


def _has_bearer_token(request: HttpRequest) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


@require_GET
def provider(request: HttpRequest, family: str, path: str) -> HttpResponse:
    resolved = resolve(family, "/" + path)
    if resolved is None:
        return _errors_response(
            404,
            [
                error(
                    "00404",
                    "Ce chemin n'est pas servi par le bac à sable.",
                    title="Ressource introuvable",
                )
            ],
        )
    endpoint, path_values = resolved
    if not _has_bearer_token(request):
        return _errors_response(
            401,
            [
                error(
                    "00101",
                    "Votre token n'est pas valide ou n'est pas renseigné",
                    parameter="token",
                    title="Interdit",
                )
            ],
        )
    values = _request_values(request, endpoint)
    values.update(path_values)
    problems = trace_errors(endpoint, values) + parameter_errors(endpoint, values)
    if problems:
        return _errors_response(422, problems)

    case = case_store().match(endpoint, values)
    if case is None:
        return _errors_response(
            404,
            [
                {
                    "code": f"{endpoint.error_prefix}003",
                    "title": "Entité non trouvée",
                    "detail": endpoint.not_found_detail,
                    "source": None,
                    "meta": {"provider": endpoint.provider},
                }
            ],
        )
    if case.slow:
        time.sleep(settings.DLNUF_SANDBOX_SLOW_SECONDS)
    return HttpResponse(case.body, status=case.status, content_type=_JSON)
