"""One error contract under /api/: every error is problem+json with a code from the catalogue."""

import logging
from typing import Any

import orjson
import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import Client, RequestFactory

from dlnuf.api.v1 import bad_request, server_error
from dlnuf.exchange.errors import PROBLEMS
from tests.exchange.factories import credential_for, person_dataset

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = orjson.loads(response.content)
    assert body["code"] == code
    assert body["status"] == status
    assert body["title"] == PROBLEMS[code].title
    assert code in PROBLEMS
    return body


def test_an_unexpected_exception_answers_internal_error_and_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("dlnuf.api.data.exchange_perform", broken)
    client = Client(raise_request_exception=False)

    with caplog.at_level(logging.ERROR):
        response = client.get(
            "/api/v1/data/quotient-familial", headers={"Authorization": "Bearer x"}
        )

    body = assert_problem(response, 500, "internal_error")
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in body["detail"]
    assert any(record.exc_info for record in caplog.records)


@pytest.mark.parametrize("debug", [False, True])
def test_too_many_query_parameters_answer_a_problem(settings: Any, debug: bool) -> None:
    settings.DEBUG = debug
    query = "&".join(f"p{number}=1" for number in range(1001))

    response = Client(raise_request_exception=False).get(
        f"/api/v1/data/quotient-familial?{query}", headers={"Authorization": "Bearer x"}
    )

    assert_problem(response, 400, "too_many_parameters")


def test_a_host_the_server_does_not_serve_answers_a_problem() -> None:
    response = Client(raise_request_exception=False).get(
        "/api/v1/journal/tree-head", HTTP_HOST="ailleurs.example"
    )

    assert_problem(response, 400, "bad_request")


def test_django_error_views_answer_problems_under_api_and_pages_elsewhere() -> None:
    factory = RequestFactory()

    assert_problem(
        bad_request(factory.post("/api/v1/data/x"), RequestDataTooBig()), 400, "request_too_large"
    )
    assert_problem(server_error(factory.get("/api/v1/data/x")), 500, "internal_error")
    assert server_error(factory.get("/")).status_code == 500
    assert "text/html" in server_error(factory.get("/"))["Content-Type"]


@pytest.mark.parametrize("path", ["/api/v1/inconnu", "/api/v2/data/x", "/api/", "/api/v1/data/"])
def test_an_unknown_path_under_api_answers_a_problem(client: Client, path: str) -> None:
    assert_problem(client.get(path), 404, "path_not_found")


def test_an_unknown_page_elsewhere_stays_the_portal_page(client: Client) -> None:
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


def test_a_method_the_operation_does_not_allow_answers_a_problem(client: Client) -> None:
    response = client.post("/api/v1/journal/tree-head")

    assert_problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_journal_and_exchange_share_authentication_and_texts(client: Client) -> None:
    secret, credential = credential_for(person_dataset(), ["qf"])
    credential.revoked_at = credential.created_at
    credential.save(update_fields=["revoked_at"])
    headers = {"Authorization": f"Bearer {secret}"}

    exchange = client.get("/api/v1/data/quotient-test", headers=headers)
    journal = client.get("/api/v1/journal/entries/0", headers=headers)
    missing = client.get("/api/v1/journal/entries/0")

    assert_problem(exchange, 401, "credential_revoked")
    assert journal.json() == exchange.json()
    assert journal["WWW-Authenticate"] == exchange["WWW-Authenticate"]
    assert_problem(missing, 401, "credential_missing")
    assert missing.json()["detail"] == PROBLEMS["credential_missing"].detail


@pytest.mark.parametrize("debug", [False, True])
def test_a_host_the_server_does_not_serve_answers_a_problem_under_debug_too(
    settings: Any, debug: bool
) -> None:
    # Under DEBUG, Django answers a host it does not serve with its HTML debug page before any
    # error view runs.
    settings.DEBUG = debug

    response = Client(raise_request_exception=False).get(
        "/api/v1/journal/tree-head", HTTP_HOST="ailleurs.example"
    )

    assert_problem(response, 400, "bad_request")


def test_the_portal_keeps_its_own_pages_for_a_host_it_does_not_serve(settings: Any) -> None:
    settings.DEBUG = True

    response = Client(raise_request_exception=False).get("/", HTTP_HOST="ailleurs.example")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
