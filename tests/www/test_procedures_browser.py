"""The procedure and diagnostic pages pass axe-core for every role that can see them, including
pages reached by submitting forms (errors, a new diagnostic, requests prepared)."""

from io import StringIO
from typing import Any
from urllib.parse import urljoin

import pytest

from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations.models import AuthorizationRequest
from dlnuf.organisations.demo import DEMO_PASSWORD
from dlnuf.organisations.demo import load_demo as load_demo_accounts
from dlnuf.procedures.demo import load_demo
from tests.www.browser import axe_violations, crawl_within, describe, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = [
    ("agent.lyon@demo.dlnuf.fr", 2),
    ("agent.paris@demo.dlnuf.fr", 1),
    ("expert@demo.dlnuf.fr", 3),
    ("admin@demo.dlnuf.fr", 3),
    ("instructeur.cnaf@demo.dlnuf.fr", 0),
]


@pytest.fixture
def demo_data() -> None:
    catalogue_load()
    load_demo_accounts(stdout=StringIO())
    load_demo(stdout=StringIO())


@pytest.mark.parametrize(("email", "procedures"), ROLES)
def test_procedure_pages_pass_axe_for_each_role(
    page: Any, live_server: Any, demo_data: None, email: str, procedures: int
) -> None:
    sign_in(page, live_server.url, email, DEMO_PASSWORD)
    report = crawl_within(page, live_server.url, ("/demarches/",))

    assert not report.failures(), report.failures()
    assert all(status == 200 for status in report.statuses.values()), report.statuses
    details = {url for url in report.visited if url.rstrip("/").split("/")[-1].isdigit()}
    # Each procedure page and each of its diagnostics (the cantine of Lyon has two).
    assert len([url for url in details if "/diagnostics/" not in url]) == procedures


def _assert_axe(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, describe(page.url, violations)


def test_forms_with_errors_a_new_diagnostic_and_prepared_requests_pass_axe(
    page: Any, live_server: Any, demo_data: None
) -> None:
    sign_in(page, live_server.url, "agent.lyon@demo.dlnuf.fr", DEMO_PASSWORD)

    page.goto(urljoin(live_server.url, "/demarches/nouvelle/"))
    page.fill("input[name=yearly_volume]", "-1")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "ne peut pas être négatif" in page.inner_text("main")
    _assert_axe(page)

    page.fill("input[name=name]", "Aide aux vacances")
    page.fill("input[name=yearly_volume]", "2500")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "/elements/" in page.url
    _assert_axe(page)

    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Saisissez, cochez ou importez au moins un élément." in page.inner_text("main")
    _assert_axe(page)

    page.fill("textarea[name=labels]", "Avis d'imposition\nQuotient familial\nRIB")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.get_by_role("button", name="Lancer le diagnostic").click()
    page.wait_for_load_state()
    assert "/diagnostics/" in page.url
    assert "niveau partiel" in page.inner_text("main")
    _assert_axe(page)

    page.get_by_role("button", name="Préparer les demandes d'habilitation").click()
    page.wait_for_load_state()
    # The tax notice goes to the DGFiP's data, the quotient familial to the CAF's: two drafts.
    assert "2 demandes d'habilitation préremplies en brouillon" in page.inner_text("main")
    _assert_axe(page)
    assert AuthorizationRequest.objects.filter(procedure__name="Aide aux vacances").count() == 2
