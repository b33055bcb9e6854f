"""The catalogue pages pass axe-core, read anonymously and by a signed-in applicant."""

from io import StringIO
from typing import Any
from urllib.parse import urljoin

import pytest

from dlnuf.catalogue.models import PublicApi
from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import DEMO_PASSWORD
from dlnuf.organisations.demo import load_demo as load_demo_accounts
from tests.www.browser import CrawlReport, axe_violations, crawl_within, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# A sample of the api.gouv.fr entries keeps the crawl short; they share one template.
KEPT_PUBLIC_APIS = (
    "api-particulier",
    "impot-particulier",
    "api-entreprise",
    "sirene_v3",
    "api_hubeau_hydrometrie",
    "DILA_api_Legifrance",
)


@pytest.fixture
def catalogue() -> None:
    catalogue_load()
    PublicApi.objects.exclude(slug__in=KEPT_PUBLIC_APIS).delete()
    load_demo_accounts(stdout=StringIO())


def _check(report: CrawlReport) -> None:
    assert not report.failures(), report.failures()
    assert all(status == 200 for status in report.statuses.values()), report.statuses
    visited = " ".join(report.visited)
    for part in (
        "/catalogue/donnees/",
        "/catalogue/api-publiques/",
        "/catalogue/pieces/",
        "/catalogue/fournisseurs/",
        "page=2",
    ):
        assert part in visited, part


def test_catalogue_pages_pass_axe_anonymously(page: Any, live_server: Any, catalogue: None) -> None:
    _check(crawl_within(page, live_server.url, ("/catalogue/",)))


def test_catalogue_pages_pass_axe_for_an_applicant(
    page: Any, live_server: Any, catalogue: None
) -> None:
    sign_in(page, live_server.url, "agent.lyon@demo.dlnuf.fr", DEMO_PASSWORD)
    _check(crawl_within(page, live_server.url, ("/catalogue/",)))


def test_search_results_and_filter_errors_pass_axe(
    page: Any, live_server: Any, catalogue: None
) -> None:
    page.goto(urljoin(live_server.url, "/catalogue/"))
    page.fill("input[name=q]", "quotient familial")
    page.select_option("select[name=passerelle]", "oui")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state()
    assert "1 résultat" in page.inner_text("main")
    assert page.title().startswith("Catalogue des données : 1 résultat")
    assert not axe_violations(page)

    page.goto(urljoin(live_server.url, "/catalogue/?fournisseur=inconnu&q=zzz"))
    assert "Aucune donnée ne correspond" in page.inner_text("main")
    assert not axe_violations(page)
