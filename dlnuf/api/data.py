"""The exchange API: ``GET /api/v1/data/<dataset>``, a thin face over the exchange service.

One route serves every dataset; the OpenAPI document describes each active dataset as its own
operation, as the upstream APIs do, with only the parameters that dataset accepts. Those
descriptions are generated from the very rules the exchange checks values with
(``dlnuf.exchange.parameters``), so the document and the gateway cannot disagree.
"""

from typing import Any
from uuid import UUID

import orjson
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from dlnuf.api.auth import BearerCredential, challenge_for
from dlnuf.api.problems import ANY_OPERATION_CODES, problem_openapi_responses, problem_response
from dlnuf.catalogue.selectors import dataset_with_rules, datasets_for_catalogue
from dlnuf.exchange.datasets import DatasetRuntime, dataset_lookup
from dlnuf.exchange.errors import PROBLEMS
from dlnuf.exchange.parameters import TRACE_RULES
from dlnuf.exchange.services import ExchangeSuccess, exchange_perform

router = Router(tags=["échange"])

SECURITY_SCHEME = "BearerCredential"
# The one query parameter that gathers a dataset's subject parameters (form style, exploded: each
# property is sent as its own query parameter, under its upstream name).
SUBJECT_PARAMETER = "sujet"

# Problems of the journal API, of the routing and of any operation; the exchange service itself
# never answers them.
_NOT_FROM_THE_EXCHANGE = frozenset(
    {
        "journal_entry_not_found",
        "tree_size_beyond_head",
        "path_not_found",
        "method_not_allowed",
        *ANY_OPERATION_CODES,
    }
)
EXCHANGE_CODES = tuple(code for code in PROBLEMS if code not in _NOT_FROM_THE_EXCHANGE)


class ExchangeMeta(Schema):
    provider: str
    exchange_id: UUID
    journal_index: int


class ExchangeAnswer(Schema):
    data: dict[str, Any] | list[Any] | None
    links: dict[str, Any]
    meta: ExchangeMeta


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
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Secondes à attendre avant de réessayer.",
        "schema": {"type": "integer"},
    }
}
_CHALLENGE = {
    "WWW-Authenticate": {
        "description": "Le défi Bearer (RFC 6750).",
        "schema": {"type": "string"},
    }
}


def _problem_headers() -> dict[int, dict[str, Any]]:
    headers: dict[int, dict[str, Any]] = {401: dict(_CHALLENGE)}
    for code in EXCHANGE_CODES:
        status = PROBLEMS[code].status
        if status not in (401, 500) and status not in headers:
            headers[status] = dict(_RATE_LIMIT_HEADERS)
    headers[429] = {**headers[429], **_RETRY_AFTER}
    headers[503] = {**headers[503], **_RETRY_AFTER}
    return headers


def _trace_parameters() -> list[dict[str, Any]]:
    return [
        {
            "name": rule.name,
            "in": "query",
            "required": True,
            "description": f"{rule.label} : {rule.expectation}.",
            "schema": rule.json_schema(),
        }
        for rule in TRACE_RULES.values()
    ]


def _subject_parameter(runtime: DatasetRuntime) -> dict[str, Any]:
    names = list(dict.fromkeys(name for e in runtime.endpoints for name in e.parameter_names))
    properties = {}
    for name in sorted(names):
        rule = runtime.rules[name]
        properties[name] = {
            **rule.json_schema(),
            "description": f"{rule.label} : {rule.expectation}.",
        }
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    ways = [sorted(endpoint.required) for endpoint in runtime.endpoints]
    if len(ways) == 1:
        schema["required"] = ways[0]
    else:
        schema["anyOf"] = [{"required": way} for way in ways]
    description = (
        "Identifie la personne ou l'entité, avec les noms de paramètres de l'API amont ; chaque "
        "propriété est un paramètre de la requête."
    )
    if len(ways) > 1:
        description += " Au choix : " + " ; ou ".join(", ".join(way) for way in ways) + "."
    return {
        "name": SUBJECT_PARAMETER,
        "in": "query",
        "required": True,
        "style": "form",
        "explode": True,
        "description": description,
        "schema": schema,
    }


def _cache_control_parameter() -> dict[str, Any]:
    return {
        "name": "Cache-Control",
        "in": "header",
        "required": False,
        "description": "« no-cache » : ne pas réutiliser une réponse mise en cache.",
        "schema": {"type": "string"},
    }


def _dataset_operation(runtime: DatasetRuntime, title: str, answer_ref: str) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "La donnée, réduite aux champs que l'habilitation ouvre.",
            "headers": {
                **_RATE_LIMIT_HEADERS,
                "X-Response-Cached": {
                    "description": "« true » quand la réponse du fournisseur vient du cache.",
                    "schema": {"type": "string", "enum": ["true", "false"]},
                },
            },
            "content": {"application/json": {"schema": {"$ref": answer_ref}}},
        }
    }
    problems = problem_openapi_responses(EXCHANGE_CODES, headers_by_status=_problem_headers())
    responses.update({str(status): response for status, response in problems.items()})
    return {
        "operationId": "data_" + runtime.slug.replace("-", "_"),
        "tags": ["échange"],
        "summary": title,
        "description": (
            f"Interroge le fournisseur du jeu de données « {title} » au sujet d'une personne ou "
            "d'une entité, retire tout champ que les périmètres de l'habilitation n'ouvrent pas, "
            "inscrit l'accès au journal et répond `{data, links, meta}`. Les paramètres de "
            "traçabilité `recipient`, `context` et `object` sont obligatoires ; le sujet est "
            "identifié avec les noms de paramètres de l'API amont, et tout autre paramètre est "
            "refusé (`unknown_parameter`). Avec un jeton de bac à sable, SIREN et SIRET du sujet "
            "ne sont contrôlés que dans leur format. Toute erreur est un "
            "`application/problem+json` (RFC 9457) dont le champ `code` est stable."
        ),
        "parameters": [
            *_trace_parameters(),
            _subject_parameter(runtime),
            _cache_control_parameter(),
        ],
        "responses": responses,
        "security": [{SECURITY_SCHEME: []}],
    }


def dataset_openapi(path_prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The paths of every active dataset, and the component schemas they refer to."""
    answer = ExchangeAnswer.model_json_schema(ref_template="#/components/schemas/{model}")
    components = {**answer.pop("$defs", {}), "ExchangeAnswer": answer}
    paths: dict[str, Any] = {}
    for dataset in datasets_for_catalogue():
        rules = dataset_with_rules(dataset.slug)
        runtime = dataset_lookup(dataset.slug).runtime
        if rules is None or runtime is None or not runtime.endpoints:
            continue
        paths[f"{path_prefix}data/{runtime.slug}"] = {
            "get": _dataset_operation(runtime, rules.title, "#/components/schemas/ExchangeAnswer")
        }
    return paths, components


@router.get("/{slug}", auth=BearerCredential(), include_in_schema=False)
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
    return problem_response(
        code=refusal.code,
        detail=refusal.detail,
        headers={**outcome.headers, **challenge_for(refusal)},
        parameter=refusal.parameter,
        provider_code=refusal.provider_code,
        exchange_id=str(outcome.exchange_id) if outcome.exchange_id else None,
    )
