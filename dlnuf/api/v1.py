"""Version 1 of the API: the exchange (``/data``) and the journal (``/journal``)."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from dlnuf.api import data, journal
from dlnuf.api.problems import problem_response

api = NinjaAPI(
    title="Guichet DLNUF — API d'échange",
    version="1.0.0",
    description=(
        "Une seule API pour obtenir, sous habilitation, les données que détient une autre "
        "administration, et pour vérifier le journal des accès."
    ),
    urls_namespace="api-v1",
)
api.add_router("/data", data.router)
api.add_router("/journal", journal.router)


@api.exception_handler(ValidationError)
def _invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    location = first.get("loc", [])
    parameter = str(location[-1]) if location else None
    return problem_response(
        status=400,
        code="invalid_parameter",
        title="Paramètre invalide",
        detail=str(first.get("msg", "Requête invalide.")),
        parameter=parameter,
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(
        status=401,
        code="credential_missing",
        title="Authentification requise",
        detail="Envoyez votre jeton dans l'en-tête « Authorization: Bearer … ».",
        headers={"WWW-Authenticate": 'Bearer realm="dlnuf"'},
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem_response(
        status=exc.status_code, code=f"http_{exc.status_code}", title=str(exc.message)
    )
