"""In Chromium (fr-FR): an applicant starts a request from the « cantine scolaire » use case,
changes one prefilled field, accepts the terms of use and submits; the instructor sees the use
case and the changed field."""

from typing import Any
from urllib.parse import urljoin

import pytest
from django.utils import timezone

from dlnuf.catalogue.models import Provider
from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations.models import AuthorizationRequest, RequestState
from tests.exchange.factories import OrganisationFactory
from tests.habilitations.factories import PASSWORD, applicant, instructor
from tests.www.browser import axe_violations, describe, documentation_picture, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_choose_a_use_case_change_a_field_submit_and_the_instructor_sees_it(
    page: Any, live_server: Any
) -> None:
    catalogue_load()
    organisation = OrganisationFactory(name="Commune de Villeneuve")
    agent = applicant(organisation)
    cnaf = instructor(Provider.objects.get(slug="cnaf-msa"))

    sign_in(page, live_server.url, agent.email, PASSWORD)
    page.goto(urljoin(live_server.url, "/catalogue/donnees/quotient-familial/"))
    assert page.get_by_role("heading", name="Historique des changements").is_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Demander l'accès à cette donnée").click()
    page.get_by_label("Partir d'un cas d'usage").select_option(label="cantine scolaire")
    documentation_picture(page, "cas-d-usage-01-choix.png", part=page.locator("main"))
    with page.expect_navigation():
        page.get_by_role("button", name="Créer le brouillon").click()

    assert "Le brouillon est créé à partir du cas d'usage « cantine scolaire »" in page.content()
    assert page.get_by_label("Intitulé de la demande").input_value() == (
        "Tarification de la cantine scolaire selon le quotient familial"
    )
    assert page.get_by_label("Durée de conservation (en mois)").input_value() == "12"
    page.get_by_label("Durée de conservation (en mois)").fill("18")
    for label, value in (
        ("Destinataires des données", "Agents du service de la restauration scolaire"),
        ("Contact technique : nom et prénom", "Équipe informatique"),
        ("Contact technique : adresse électronique", "si@villeneuve.fr"),
        ("Délégué à la protection des données : nom et prénom", "Alix Durand"),
        ("Délégué à la protection des données : adresse électronique", "dpo@villeneuve.fr"),
        ("Responsable de traitement : nom et fonction", "Le maire"),
        ("Responsable de traitement : adresse électronique", "maire@villeneuve.fr"),
        ("Volumétrie attendue (appels par minute, au plus fort)", "5"),
        ("Justification de la volumétrie", "2 000 inscriptions par an."),
    ):
        page.get_by_label(label).fill(value)
    go_live = timezone.localdate().replace(year=timezone.localdate().year + 1)
    page.get_by_label("Date de mise en production prévue").fill(go_live.isoformat())

    # Without the terms accepted, nothing is submitted and what was typed stays.
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer et soumettre").click()
    assert "Acceptez les conditions d'utilisation" in page.content()
    assert page.get_by_label("Durée de conservation (en mois)").input_value() == "18"
    found = axe_violations(page)
    assert not found, describe(page.url, found)

    page.get_by_text("J'ai lu et j'accepte les conditions d'utilisation").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer et soumettre").click()
    assert "La demande est soumise aux instructeurs." in page.content()
    item = AuthorizationRequest.objects.get()
    assert item.state == RequestState.SUBMITTED

    page.context.clear_cookies()
    sign_in(page, live_server.url, cnaf.email, PASSWORD)
    page.goto(urljoin(live_server.url, f"/habilitations/{item.pk}/"))
    assert page.get_by_role("heading", name="Cas d'usage : cantine scolaire").is_visible()
    documentation_picture(
        page, "cas-d-usage-02-vu-par-l-instructeur.png", part=page.locator("#cas-d-usage")
    )
    changes = page.get_by_role("table", name="Champs modifiés par rapport au cas d'usage")
    row = changes.get_by_role("row", name="Durée de conservation")
    assert row.get_by_role("cell").all_inner_texts() == ["12 mois", "18 mois"]
    assert changes.get_by_role("row").count() == 2  # the header and the one change
    assert "Version 2 du 16 novembre 2026" in page.content()
    found = axe_violations(page)
    assert not found, describe(page.url, found)
