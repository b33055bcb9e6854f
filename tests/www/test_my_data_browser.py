"""In Chromium (fr-FR), a person signed in to « Mes données » reads the accesses to their data,
filters them with the one form, downloads them as CSV and JSON, and every state of the page
passes axe-core."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.models import Membership, Organisation, Role
from tests.habilitations.factories import PASSWORD, applicant
from tests.people.access_world import (
    MARIE,
    PAUL,
    habilitation,
    organisations,
    person_session_key,
    record,
)
from tests.www.browser import axe_violations, describe, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

VENDOR = "84123456700011"


@pytest.fixture
def marie_signed_in(page: Any, live_server: Any) -> str:
    catalogue_load()
    lyon, paris = organisations()
    cantine = habilitation(lyon, subject_sees_case_reference=True)
    record(MARIE, occurred_at=datetime(2026, 2, 10, 8, 0, tzinfo=UTC), grant=cantine)
    record(
        MARIE,
        occurred_at=datetime(2026, 9, 15, 7, 30, tzinfo=UTC),
        grant=habilitation(paris, "prime-activite"),
        provider="cnav",
        context="Aide au transport",
        fields_returned=("est_beneficiaire",),
    )
    investigation = habilitation(
        paris,
        subject_visibility_delay_days=30,
        subject_visibility_delay_reference="Code de la sécurité sociale, article L114-19",
    )
    record(MARIE, occurred_at=timezone.now() - timedelta(days=1), grant=investigation)
    record(PAUL, occurred_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC), context="Démarche de Paul")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": person_session_key(MARIE),
                "url": live_server.url,
            }
        ]
    )
    return f"{live_server.url}/mes-donnees/"


def no_violations(page: Any) -> None:
    assert describe(page.url, axe_violations(page)) == ""


def test_a_person_reads_filters_and_downloads_the_accesses_to_their_data(
    page: Any, marie_signed_in: str, tmp_path: Any
) -> None:
    page.goto(marie_signed_in)
    assert page.get_by_role("heading", level=1).inner_text() == "Mes données : qui les a consultées"
    summary = page.locator("#resume").inner_text()
    assert summary == (
        "2 consultations par 2 administrations, autant de justificatifs que vous n'avez pas eu "
        "à fournir."
    )
    assert "En ce moment, 1 consultation de vos données est différée." in page.inner_text("body")
    assert page.locator("li[id^=acces-]").count() == 2
    assert "Démarche de Paul" not in page.inner_text("body")
    no_violations(page)

    page.get_by_label("Consultées à partir du").fill("01/03/2026")
    page.get_by_label("Administration").select_option(
        label="Ville de Paris (SIRET 217 500 016 00019)"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher les consultations").click()
    assert page.locator("#resume").inner_text() == (
        "1 consultation par une administration depuis le 1er mars 2026, soit un justificatif "
        "que vous n'avez pas eu à fournir."
    )
    lines = page.locator("li[id^=acces-]")
    assert lines.count() == 1
    assert "15 septembre 2026 à 9 h 30" in lines.inner_text()
    assert "Aide au transport" in lines.inner_text()
    assert page.get_by_label("Consultées à partir du").input_value() == "01/03/2026"
    no_violations(page)

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Télécharger ces consultations (CSV").click()
    saved = tmp_path / "consultations.csv"
    csv_download.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert [row[4] for row in rows[1:]] == ["Aide au transport"]
    with page.expect_download() as json_download:
        page.get_by_role("link", name="Télécharger ces consultations (JSON)").click()
    saved = tmp_path / "consultations.json"
    json_download.value.save_as(saved)
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert [access["procedure"] for access in document["accesses"]] == ["Aide au transport"]
    assert document["filters"]["from"] == "2026-03-01"


def test_a_wrong_date_is_shown_back_with_its_error_and_passes_axe(
    page: Any, marie_signed_in: str
) -> None:
    page.goto(marie_signed_in)
    page.get_by_label("Consultées jusqu'au").fill("31/02/2026")
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher les consultations").click()
    assert "Saisissez une date au format jj/mm/aaaa" in page.inner_text("body")
    assert page.get_by_label("Consultées jusqu'au").input_value() == "31/02/2026"
    no_violations(page)


def test_the_empty_state_passes_axe(page: Any, live_server: Any) -> None:
    catalogue_load()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": person_session_key(PAUL, "Paul Martin"),
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/mes-donnees/")
    assert "Aucune administration n'a consulté vos données" in page.inner_text("body")
    no_violations(page)


def test_an_agent_of_two_organisations_switches_between_them(page: Any, live_server: Any) -> None:
    catalogue_load()
    lyon, paris = organisations()
    agent = applicant(lyon)
    Membership.objects.create(user=agent, role=Role.APPLICANT, organisation=paris)
    grant = habilitation(Organisation.objects.create(siret=VENDOR, name="Éditeur"), "unite-legale")
    record({"siren": paris.siren}, occurred_at=timezone.now(), grant=grant, context="Marché")
    sign_in(page, live_server.url, agent.email, PASSWORD)

    page.goto(f"{live_server.url}/")
    no_violations(page)
    with page.expect_navigation():
        page.locator("header").get_by_role("link", name="Mes données").click()
    assert "Ville de Lyon" in page.locator("main").inner_text()
    assert (
        "Aucune administration n'a consulté les données de cette organisation"
        in page.inner_text("main")
    )
    no_violations(page)
    page.get_by_label("Organisation concernée").select_option(
        label="Ville de Paris (SIREN 217 500 016)"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher les consultations").click()
    assert page.locator("li[id^=acces-]").count() == 1
    assert "Marché" in page.locator("li[id^=acces-]").inner_text()
    no_violations(page)
