"""RFC 9457 problem details: the one error format of the API."""

from typing import Any

import orjson
from django.http import HttpResponse
from ninja import Schema

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(Schema):
    """The documented shape of a problem answer (OpenAPI)."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    parameter: str | None = None


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str = "",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    """A problem+json answer; ``code`` is stable and documented, the texts are in French."""
    body: dict[str, Any] = {
        "type": f"https://guichet-dlnuf.beta.gouv.fr/problemes/{code}",
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    body.update({key: value for key, value in extra.items() if value is not None})
    response = HttpResponse(orjson.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response
