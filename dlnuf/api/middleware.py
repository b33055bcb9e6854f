"""The last guard of the API's error contract: no answer under /api/ leaves as an HTML page.

Django's own error handling answers in HTML before any view runs in a few cases, and under DEBUG
it ignores the error views of ``config/urls.py`` altogether (a host it does not serve, an
unreadable request: the debug page). Placed first in ``MIDDLEWARE``, this sees every answer last
and turns such a page into the problem of the same status. Answers already in JSON pass unchanged.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from dlnuf.api.problems import PROBLEM_CONTENT_TYPE, is_api_request, problem_response

_CODE_FOR_STATUS = {
    400: "bad_request",
    404: "path_not_found",
    405: "method_not_allowed",
    413: "request_too_large",
}


def _is_json(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    return content_type in {PROBLEM_CONTENT_TYPE, "application/json"}


class ApiProblemMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_request(request) or _is_json(response):
            return response
        status = response.status_code
        code = _CODE_FOR_STATUS.get(status, "bad_request" if status < 500 else "internal_error")
        problem = problem_response(code=code)
        if "Allow" in response:
            problem["Allow"] = response["Allow"]
        return problem
