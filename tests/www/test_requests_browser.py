"""The habilitation and dashboard pages pass axe-core, as every role that can see them.

The demonstration data gives each page something to show (requests in every state, a validated
habilitation with credentials waiting to be shown). Pages reached by a form (the form with errors,
the secret shown once) are checked after the browser submits them.
"""

from io import StringIO
from typing import Any
from urllib.parse import urljoin

import pytest

from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations.demo import load_demo
from dlnuf.organisations.demo import DEMO_PASSWORD
from dlnuf.organisations.demo import load_demo as load_demo_accounts
from tests.www.browser import CrawlReport, axe_violations, crawl_within, describe, sign_in

pytestmark = pytest.mark.django_db(transaction=True)
OWN_PREFIXES = ("/habilitations/", "/tableau-de-bord/")
ROLES = [
    "agent.lyon@demo.dlnuf.fr",
    "agent.paris@demo.dlnuf.fr",
    "instructeur.cnaf@demo.dlnuf.fr",
    "instructeur.insee@demo.dlnuf.fr",
    "rapporteur.cnaf@demo.dlnuf.fr",
    "expert@demo.dlnuf.fr",
    "admin@demo.dlnuf.fr",
]


@pytest.fixture
def demo_data() -> None:
    catalogue_load()
    load_demo_accounts(stdout=StringIO())
    load_demo(stdout=StringIO())


def crawl_own_pages(page: Any, base_url: str) -> CrawlReport:
    """Every page under this feature's paths reachable by links from its index pages."""
    return crawl_within(page, base_url, OWN_PREFIXES, starts=OWN_PREFIXES)


@pytest.mark.parametrize("email", ROLES)
def test_every_page_passes_axe_for_each_role(
    page: Any, live_server: Any, demo_data: None, email: str
) -> None:
    sign_in(page, live_server.url, email, DEMO_PASSWORD)
    report = crawl_own_pages(page, live_server.url)

    assert not report.failures(), report.failures()
    assert all(status == 200 for status in report.statuses.values()), report.statuses
    assert any("/habilitations/" in url and url[-2].isdigit() for url in report.visited)


def test_form_errors_and_the_secret_shown_once_pass_axe(
    page: Any, live_server: Any, demo_data: None
) -> None:
    sign_in(page, live_server.url, "agent.lyon@demo.dlnuf.fr", DEMO_PASSWORD)
    page.goto(urljoin(live_server.url, "/habilitations/"))
    page.click("text=Aide aux vacances des enfants")
    page.click("text=Modifier la demande")
    page.fill("input[name=dpo_email]", "pas-une-adresse")
    page.fill("input[name=retention_months]", "48")
    with page.expect_navigation():
        page.click("button[name=save]")
    assert "Saisissez une adresse électronique valide" in page.content()
    found = axe_violations(page)
    assert not found, describe(page.url, found)

    page.context.clear_cookies()
    sign_in(page, live_server.url, "agent.paris@demo.dlnuf.fr", DEMO_PASSWORD)
    page.goto(urljoin(live_server.url, "/tableau-de-bord/"))
    page.click("text=Afficher le jeton dlnuf_prd_")
    page.click("text=Afficher le jeton maintenant")
    secret = page.input_value("#jeton")
    assert secret.startswith("dlnuf_prd_")
    found = axe_violations(page)
    assert not found, describe(page.url, found)
