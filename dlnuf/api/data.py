"""The exchange API: ``GET /api/v1/data/<dataset>``, a thin face over the exchange service.

The query string is checked by the exchange itself (it knows each dataset's parameters and must
journal refusals); the parameters are declared here only so that the OpenAPI document describes
them, with every problem the operation can answer.
"""

from typing import Any
from uuid import UUID

import orjson
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.security import HttpBearer

from dlnuf.api.problems import PROBLEM_CONTENT_TYPE, Problem, problem_response
from dlnuf.exchange.errors import PROBLEMS
from dlnuf.exchange.parameters import TRACE_RULES, WELL_KNOWN_RULES
from dlnuf.exchange.services import ExchangeSuccess, exchange_perform

router = Router(tags=["échange"])


class BearerCredential(HttpBearer):
    """Hands the Bearer credential to the exchange, which tells unknown, expired and revoked
    credentials apart and journals what follows."""

    def authenticate(self, request: HttpRequest, token: str) -> str | None:
        return token or None


class ExchangeMeta(Schema):
    provider: str
    exchange_id: UUID
    journal_index: int


class ExchangeAnswer(Schema):
    data: dict[str, Any] | list[Any] | None
    links: dict[str, Any]
    meta: ExchangeMeta


class ExchangeProblem(Problem):
    provider_code: str | None = None
    exchange_id: UUID | None = None


_RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {
        "description": "Nombre d'appels permis par minute pour ce jeton.",
        "schema": {"type": "integer"},
    },
    "RateLimit-Remaining": {
        "description": "Nombre d'appels restant dans la minute en cours.",
        "schema": {"type": "integer"},
    },
    "RateLimit-Reset": {
        "description": "Secondes avant le début de la minute suivante.",
        "schema": {"type": "integer"},
    },
}

_SUBJECT_DESCRIPTION = (
    "Identifie la personne ou l'entité ; les paramètres requis dépendent du jeu de données "
    "(voir le catalogue)."
)


def _parameter_docs() -> list[dict[str, Any]]:
    documented = []
    for rule in TRACE_RULES.values():
        documented.append(
            {
                "name": rule.name,
                "in": "query",
                "required": True,
                "description": f"{rule.label} : {rule.expectation}.",
                "schema": {"type": "string"},
            }
        )
    for rule in WELL_KNOWN_RULES.values():
        schema: dict[str, Any] = {"type": "string"}
        if rule.max_values > 1:
            schema = {"type": "array", "items": schema, "maxItems": rule.max_values}
        documented.append(
            {
                "name": rule.name,
                "in": "query",
                "required": False,
                "description": f"{rule.label} : {rule.expectation}. {_SUBJECT_DESCRIPTION}",
                "schema": schema,
                **({"style": "form", "explode": True} if rule.max_values > 1 else {}),
            }
        )
    documented.append(
        {
            "name": "Cache-Control",
            "in": "header",
            "required": False,
            "description": "« no-cache » : ne pas réutiliser une réponse mise en cache.",
            "schema": {"type": "string"},
        }
    )
    return documented


def _problem_docs() -> dict[int, Any]:
    schema = ExchangeProblem.model_json_schema()
    schema.pop("title", None)
    by_status: dict[int, list[Any]] = {}
    for kind in PROBLEMS.values():
        by_status.setdefault(kind.status, []).append(kind)
    responses: dict[int, Any] = {}
    for status, kinds in sorted(by_status.items()):
        response: dict[str, Any] = {
            "description": " ; ".join(f"`{kind.code}` : {kind.title}" for kind in kinds),
            "content": {
                PROBLEM_CONTENT_TYPE: {
                    "schema": schema,
                    "examples": {
                        kind.code: {
                            "summary": kind.title,
                            "value": {
                                "type": f"https://guichet-dlnuf.beta.gouv.fr/problemes/{kind.code}",
                                "title": kind.title,
                                "status": kind.status,
                                "code": kind.code,
                                "detail": kind.detail,
                            },
                        }
                        for kind in kinds
                    },
                }
            },
        }
        if status != 401:
            response["headers"] = dict(_RATE_LIMIT_HEADERS)
        if status in (429, 503):
            response["headers"]["Retry-After"] = {
                "description": "Secondes à attendre avant de réessayer.",
                "schema": {"type": "integer"},
            }
        responses[status] = response
    responses[200] = {
        "headers": {
            **_RATE_LIMIT_HEADERS,
            "X-Response-Cached": {
                "description": "« true » quand la réponse du fournisseur vient du cache.",
                "schema": {"type": "string", "enum": ["true", "false"]},
            },
        }
    }
    return responses


@router.get(
    "/{slug}",
    auth=BearerCredential(),
    response={200: ExchangeAnswer},
    summary="Obtenir une donnée d'un jeu de données habilité",
    description=(
        "Interroge le fournisseur du jeu de données `slug` au sujet d'une personne ou d'une "
        "entité, retire tout champ que les périmètres de l'habilitation n'ouvrent pas, inscrit "
        "l'accès au journal et répond `{data, links, meta}`. Les paramètres de traçabilité "
        "`recipient`, `context` et `object` sont obligatoires ; le sujet est identifié avec les "
        "noms de paramètres des API amont. Toute erreur est un `application/problem+json` "
        "(RFC 9457) dont le champ `code` est stable."
    ),
    openapi_extra={"parameters": _parameter_docs(), "responses": _problem_docs()},
)
def data_exchange(request: HttpRequest, slug: str) -> HttpResponse:
    outcome = exchange_perform(
        dataset_slug=slug,
        secret=str(getattr(request, "auth", "")),
        query=dict(request.GET.lists()),
        bypass_cache=request.headers.get("Cache-Control", "").lower() == "no-cache",
    )
    if isinstance(outcome, ExchangeSuccess):
        body = orjson.dumps(
            {
                "data": outcome.data,
                "links": outcome.links,
                "meta": {
                    "provider": outcome.provider,
                    "exchange_id": outcome.exchange_id,
                    "journal_index": outcome.journal_index,
                },
            }
        )
        return HttpResponse(body, content_type="application/json", headers=outcome.headers)
    refusal = outcome.refusal
    headers = dict(outcome.headers)
    if refusal.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="dlnuf", error="invalid_token"'
    return problem_response(
        status=refusal.status,
        code=refusal.code,
        title=refusal.kind.title,
        detail=refusal.detail,
        headers=headers,
        parameter=refusal.parameter,
        provider_code=refusal.provider_code,
        exchange_id=str(outcome.exchange_id) if outcome.exchange_id else None,
    )
