"""The value calculator's form (empty and with errors) and its report pass axe-core."""

from io import StringIO
from typing import Any
from urllib.parse import urljoin

import pytest

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import DEMO_PASSWORD, load_demo
from tests.www.browser import axe_violations, describe, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _assert_axe(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, describe(page.url, violations)


def test_form_errors_and_report_pass_axe(page: Any, live_server: Any) -> None:
    catalogue_load()
    load_demo(stdout=StringIO())
    sign_in(page, live_server.url, "agent.lyon@demo.dlnuf.fr", DEMO_PASSWORD)

    page.goto(urljoin(live_server.url, "/boite-a-outils/valeur/"))
    _assert_axe(page)

    page.fill("input[name=title]", "Portail des aides")
    page.fill("input[name=build_external_1]", "-10")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Un montant ne peut pas être négatif." in page.inner_text("main")
    _assert_axe(page)

    page.goto(urljoin(live_server.url, "/boite-a-outils/valeur/?exemple=1"))
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Valeur actuelle nette" in page.inner_text("main")
    _assert_axe(page)
