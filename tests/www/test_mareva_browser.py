"""The value calculator's form (empty and with errors) and its report pass axe-core."""

from io import StringIO
from typing import Any
from urllib.parse import urljoin

import pytest

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import DEMO_PASSWORD, load_demo
from dlnuf.toolbox.models import ToolReport
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


def _type(page: Any, name: str, text: str) -> None:
    # Typed key by key, as a person does, so the browser's own handling of the field applies.
    field = page.locator(f"input[name={name}]")
    field.click()
    field.press("Control+A")
    field.press_sequentially(text)


def test_french_decimals_are_read_as_typed(page: Any, live_server: Any) -> None:
    catalogue_load()
    load_demo(stdout=StringIO())
    sign_in(page, live_server.url, "agent.lyon@demo.dlnuf.fr", DEMO_PASSWORD)
    page.goto(urljoin(live_server.url, "/boite-a-outils/valeur/?exemple=1"))

    _type(page, "discount_rate", "4,5")
    _type(page, "build_etpt_1", "0,5")
    _type(page, "build_etpt_cost", "95 000")
    _type(page, "weight_necessity", "50")
    _type(page, "weight_strategic", "30")
    _type(page, "weight_profitability", "40")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    text = page.inner_text("main")
    assert "Les trois poids doivent totaliser 100\u202f% ; ils totalisent 120\u202f%." in text
    assert not ToolReport.objects.exists()
    # The refused form gives back what was typed, in French.
    assert page.input_value("input[name=discount_rate]") == "4,5"
    _assert_axe(page)

    _type(page, "weight_necessity", "30")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Valeur actuelle nette" in page.inner_text("main")
    report = ToolReport.objects.get()
    assumptions = report.inputs["assumptions"]
    assert assumptions["discount_rate"] == pytest.approx(0.045)
    assert assumptions["build_etpt_cost"] == 95_000
    assert assumptions["weights"] == pytest.approx(
        {"necessity": 0.3, "strategic": 0.3, "profitability": 0.4}
    )
    assert report.inputs["years"]["build_etpt"][0] == pytest.approx(0.5)
    assert "4,5\u202f%" in page.inner_text("main") or "4,5 %" in page.inner_text("main")
