"""The technology review's pages pass axe-core: the form empty and with errors, a finished
report."""

from io import StringIO
from typing import Any
from urllib.parse import urljoin

import pytest
from django.urls import reverse

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import DEMO_PASSWORD, load_demo
from dlnuf.organisations.models import User
from tests.www.browser import axe_violations, describe, sign_in
from tests.www.test_tech_review_pages import finished_report

pytestmark = pytest.mark.django_db(transaction=True)

AGENT = "agent.lyon@demo.dlnuf.fr"


@pytest.fixture
def agent() -> User:
    catalogue_load()
    load_demo(stdout=StringIO())
    return User.objects.get(email=AGENT)


def _assert_axe(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, describe(page.url, violations)


def test_the_form_empty_and_with_errors_passes_axe(
    page: Any, live_server: Any, agent: User
) -> None:
    sign_in(page, live_server.url, AGENT, DEMO_PASSWORD)
    page.goto(urljoin(live_server.url, reverse("www:tech_review_new")))
    _assert_axe(page)

    page.click("label[for=id_source_1]")
    with page.expect_navigation():
        page.click("text=Lancer la revue")
    assert "Collez le contenu du manifeste." in page.content()
    _assert_axe(page)


def test_a_finished_report_passes_axe(page: Any, live_server: Any, agent: User) -> None:
    report = finished_report(agent)
    sign_in(page, live_server.url, AGENT, DEMO_PASSWORD)
    page.goto(urljoin(live_server.url, reverse("www:tech_review_report", args=[report.pk])))
    assert "Choix à questionner" in page.content()
    _assert_axe(page)
