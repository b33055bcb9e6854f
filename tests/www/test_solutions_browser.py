"""In Chromium (fr-FR): a commune's agent joins the demonstration's approved solution and the
provider's instructor approves it; every page passes axe-core."""

from datetime import timedelta
from io import StringIO
from typing import Any
from urllib.parse import urljoin

import pytest
from django.utils import timezone

from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations.demo import load_demo
from dlnuf.habilitations.models import AuthorizationRequest, RequestState
from dlnuf.habilitations.solutions import operator_of_habilitation
from dlnuf.organisations.demo import DEMO_PASSWORD
from dlnuf.organisations.demo import load_demo as load_demo_accounts
from tests.www.browser import axe_violations, describe, documentation_picture, sign_in

pytestmark = pytest.mark.django_db(transaction=True)
LYON = "21690123100011"


@pytest.fixture
def demo_data() -> None:
    catalogue_load()
    load_demo_accounts(stdout=StringIO())
    load_demo(stdout=StringIO())


def no_violations(page: Any) -> None:
    found = axe_violations(page)
    assert not found, describe(page.url, found)


def test_a_commune_joins_an_approved_solution_and_the_instructor_approves(
    page: Any, live_server: Any, demo_data: None
) -> None:
    sign_in(page, live_server.url, "agent.lyon@demo.dlnuf.fr", DEMO_PASSWORD)
    page.goto(urljoin(live_server.url, "/solutions/habilitees/"))
    no_violations(page)
    with page.expect_navigation():
        page.click("text=Adhérer à Cantine Facile 4.2")
    assert "Solution déjà habilitée" in page.content()
    documentation_picture(page, "editeur-01-adhesion.png", part=page.locator("main"))
    no_violations(page)

    # A first try without the DPO's address: refused, every typed value shown back.
    page.select_option("select[name=legal_basis_nature]", "crpa_l114_8")
    page.fill("input[name=legal_basis_article]", "Délibération n° 2026-117 du conseil municipal")
    page.fill("input[name=legal_basis_url]", "https://www.lyon.fr/deliberations/2026-117")
    page.fill("input[name=dpo_name]", "Claire Dupuis")
    page.fill("input[name=controller_name]", "Maire de Lyon")
    page.fill("input[name=controller_email]", "cabinet@mairie-lyon.fr")
    page.fill("input[name=technical_contact_name]", "Service numérique")
    page.fill("input[name=technical_contact_email]", "numerique@mairie-lyon.fr")
    page.fill("input[name=expected_calls_per_minute]", "25")
    page.fill("textarea[name=volume_justification]", "40 000 repas par jour, pic en septembre.")
    go_live = timezone.localdate() + timedelta(days=45)
    page.fill("input[name=go_live_date]", go_live.isoformat())
    page.click("label[for=id_accept_terms]")
    with page.expect_navigation():
        page.click("text=Transmettre la demande d'adhésion")
    assert "Indiquez le courriel du délégué" in page.content()
    assert page.input_value("input[name=legal_basis_article]").startswith("Délibération n° 2026")
    assert page.input_value("input[name=expected_calls_per_minute]") == "25"
    assert page.is_checked("#id_accept_terms")
    no_violations(page)

    page.fill("input[name=dpo_email]", "dpo@mairie-lyon.fr")
    with page.expect_navigation():
        page.click("text=Transmettre la demande d'adhésion")
    assert "Votre demande d'adhésion est transmise" in page.content()
    no_violations(page)
    joined = AuthorizationRequest.objects.get(
        organisation__siret=LYON, solution_adhesion__isnull=False
    )
    assert joined.state == RequestState.SUBMITTED

    page.context.clear_cookies()
    sign_in(page, live_server.url, "instructeur.cnaf@demo.dlnuf.fr", DEMO_PASSWORD)
    page.goto(urljoin(live_server.url, "/solutions/"))
    no_violations(page)
    with page.expect_navigation():
        page.click(f"text=Adhésion n° {joined.pk} de Ville de Lyon")
    content = page.content()
    assert "La solution est habilitée" in content
    assert "dpo@mairie-lyon.fr" in content
    no_violations(page)
    with page.expect_navigation():
        page.click("text=Valider l'adhésion")
    assert "Demande validée" in page.content()
    no_violations(page)

    joined.refresh_from_db()
    assert joined.state == RequestState.VALIDATED
    assert joined.habilitation is not None
    assert joined.habilitation.organisation.siret == LYON
    assert operator_of_habilitation(joined.habilitation.pk).siret == "84123456700011"
