"""The cost review's form (empty and with errors) and its report pass axe-core."""

from io import StringIO
from typing import Any
from urllib.parse import urljoin

import pytest

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import DEMO_PASSWORD, load_demo
from dlnuf.toolbox.demo import COSTING_TITLE
from dlnuf.toolbox.demo import load_demo as load_toolbox_demo
from dlnuf.toolbox.models import ToolReport
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


def test_modify_and_recompute_works_from_a_report_stored_in_the_demo_format(
    page: Any, live_server: Any
) -> None:
    catalogue_load()
    load_demo(stdout=StringIO())
    # The demonstration's report is stored as earlier versions stored it: no provision, no P80
    # margin. The form must open prefilled all the same.
    load_toolbox_demo(stdout=StringIO())
    report = ToolReport.objects.get(title=COSTING_TITLE)
    assert "contingency" not in report.inputs["estimate"]
    assert "p80_margin" not in report.inputs["cocomo"]
    sign_in(page, live_server.url, "expert@demo.dlnuf.fr", DEMO_PASSWORD)
    page.goto(urljoin(live_server.url, f"/boite-a-outils/chiffrage/{report.pk}/"))

    with page.expect_navigation() as navigation:
        page.click("text=Modifier les données et recalculer")
    assert navigation.value.status == 200
    assert page.url.endswith(f"?depuis={report.pk}")
    assert page.input_value("input[name=title]") == COSTING_TITLE
    assert page.input_value("input[name=cost]") == "420000"
    assert page.input_value("input[name=months]") == "14"
    assert page.input_value("input[name=contingency]") == "0"
    assert page.input_value("input[name=hours_per_day]") == "7,6"
    assert page.input_value("input[name=p80_margin]") == "30"
    assert page.input_value("input[name=ksloc]") == "40"
    assert page.input_value("input[name=package_3_pessimistic]") == "400"
    _assert_axe(page)

    page.fill("input[name=cost]", "450 000")
    page.fill("input[name=contingency]", "20 000,50")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Verdict : chiffrage" in page.inner_text("main")
    recomputed = ToolReport.objects.exclude(pk=report.pk).get(kind=report.kind)
    assert recomputed.inputs["estimate"]["cost"] == 450_000
    assert recomputed.inputs["estimate"]["contingency"] == 20_000.5
