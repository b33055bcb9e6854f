"""The cost review's form (empty and with errors) and its report pass axe-core."""

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
    sign_in(page, live_server.url, "expert@demo.dlnuf.fr", DEMO_PASSWORD)

    page.goto(urljoin(live_server.url, "/boite-a-outils/chiffrage/"))
    _assert_axe(page)

    page.fill("input[name=title]", "Refonte du portail")
    page.fill("input[name=cost]", "-5")
    page.fill("input[name=package_1_optimistic]", "10")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Cette valeur ne peut pas être négative." in page.inner_text("main")
    _assert_axe(page)

    page.fill("input[name=cost]", "250000")
    page.fill("input[name=months]", "14")
    page.fill("input[name=package_1_most_likely]", "20")
    page.fill("input[name=package_1_pessimistic]", "40")
    page.check("input[name=size_mode][value=ksloc]", force=True)
    page.fill("input[name=ksloc]", "12")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Verdict : chiffrage" in page.inner_text("main")
    _assert_axe(page)
