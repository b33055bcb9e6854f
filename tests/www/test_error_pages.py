"""Error pages use the design system and say what happened in French."""

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from tests.www.browser import describe


@pytest.mark.django_db
def test_unknown_page_answers_the_portal_404(client: Client) -> None:
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page introuvable" in body
    assert "fr-header" in body
    assert "fr-footer" in body


def test_server_error_page_renders_without_a_request_context() -> None:
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Erreur inattendue" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_not_found_page_passes_axe(page: Any, live_server: Any) -> None:
    from tests.www.browser import axe_violations

    response = page.goto(live_server.url + "/cette-page-n-existe-pas/")
    assert response.status == 404
    violations = axe_violations(page)
    assert not violations, describe(page.url, violations)
