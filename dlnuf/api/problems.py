"""RFC 9457 problem details: the one error format of the API, built from the one catalogue."""

import logging
from collections.abc import Iterable
from typing import Any

import orjson
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from ninja import Schema

from dlnuf.exchange.errors import PROBLEMS

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://guichet-dlnuf.beta.gouv.fr/problemes/"
API_PATH_PREFIX = "/api/"

# Every operation can answer these: a request the server refuses to read, or a fault.
ANY_OPERATION_CODES = ("too_many_parameters", "request_too_large", "bad_request", "internal_error")

logger = logging.getLogger(__name__)


class Problem(Schema):
    """The documented shape of a problem answer (OpenAPI)."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    parameter: str | None = None
    provider_code: str | None = None
    exchange_id: str | None = None


def problem_response(
    *,
    code: str,
    detail: str = "",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    """A problem+json answer whose status and title come from the catalogue entry of ``code``."""
    kind = PROBLEMS[code]
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_BASE}{code}",
        "title": kind.title,
        "status": kind.status,
        "code": code,
        "detail": detail or kind.detail,
    }
    body.update({key: value for key, value in extra.items() if value is not None})
    response = HttpResponse(
        orjson.dumps(body), status=kind.status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def problem_for_exception(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The answer to an exception nothing else handled: never an HTML page nor a traceback."""
    if isinstance(exc, TooManyFieldsSent):
        return problem_response(code="too_many_parameters")
    if isinstance(exc, RequestDataTooBig):
        return problem_response(code="request_too_large")
    if isinstance(exc, SuspiciousOperation):
        return problem_response(code="bad_request")
    logger.error(
        "Unexpected error under %s", request.path, exc_info=(type(exc), exc, exc.__traceback__)
    )
    return problem_response(code="internal_error")


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def problem_json_schema() -> dict[str, Any]:
    schema = Problem.model_json_schema()
    schema.pop("title", None)
    return schema


def problem_openapi_responses(
    codes: Iterable[str], *, headers_by_status: dict[int, dict[str, Any]] | None = None
) -> dict[int, Any]:
    """The OpenAPI ``responses`` of these problem codes by status, with one example each."""
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys([*codes, *ANY_OPERATION_CODES]):
        by_status.setdefault(PROBLEMS[code].status, []).append(code)
    responses: dict[int, Any] = {}
    for status, status_codes in sorted(by_status.items()):
        kinds = [PROBLEMS[code] for code in status_codes]
        response: dict[str, Any] = {
            "description": " ; ".join(f"`{kind.code}` : {kind.title}" for kind in kinds),
            "content": {
                PROBLEM_CONTENT_TYPE: {
                    "schema": problem_json_schema(),
                    "examples": {
                        kind.code: {
                            "summary": kind.title,
                            "value": {
                                "type": f"{PROBLEM_TYPE_BASE}{kind.code}",
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
        headers = (headers_by_status or {}).get(status)
        if headers:
            response["headers"] = headers
        responses[status] = response
    return responses
