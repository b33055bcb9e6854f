"""The diagnostic page counts only the people a match covers, shows the assumption behind the
share, and lets the agent replace it with the procedure's own (typed the French way)."""

import html
import re

import pytest
from django.urls import reverse

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.models import Role
from dlnuf.procedures.services import diagnostic_run
from tests.procedures.factories import applicant, global_user, organisation, procedure

pytestmark = pytest.mark.django_db

NARROW = "\u202f"


@pytest.fixture
def agent(db):
    catalogue_load()
    return applicant(organisation())


@pytest.fixture
def tarifs(agent):
    created = procedure(
        agent,
        agent.memberships.get().organisation,
        name="Tarifs sociaux de la cantine",
        yearly_volume=60_000,
        labels=("Attestation CAF", "RIB"),
    )
    diagnostic_run(procedure=created, run_by=agent)
    return created


def _text(response) -> str:
    """The main text with ASCII white space collapsed; the narrow and ordinary no-break spaces
    of French numbers are kept, they are what is checked."""
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main)))


def _url(name: str, procedure, diagnostic) -> str:
    return reverse(name, kwargs={"pk": procedure.pk, "diagnostic_pk": diagnostic.pk})


def test_the_page_counts_the_covered_share_and_shows_the_assumption(client, agent, tarifs):
    client.force_login(agent)
    diagnostic = tarifs.diagnostics.get()

    text = _text(client.get(_url("www:diagnostic_detail", tarifs, diagnostic)))

    # 60 000 × 0,55 = 33 000, written with a narrow no-break space.
    assert f"pièces ou saisies évitables : 33{NARROW}000 par an" in text
    assert f"33{NARROW}000 (60{NARROW}000 × 55\xa0%)" in text
    assert "Part du public couverte par défaut : 55\xa0%." in text
    assert "Hypothèse par défaut, à remplacer par la part de la démarche" in text
    assert (
        "Les familles inconnues de la CAF et de la MSA fournissent toujours leur avis "
        "d'imposition." in text
    )
    # The shares are typed on their own page, so the requests' checkboxes here are never lost.
    coverage_url = _url("www:procedure_coverage_edit", tarifs, diagnostic)
    assert (
        f'href="{coverage_url}"'
        in client.get(_url("www:diagnostic_detail", tarifs, diagnostic)).content.decode()
    )
    assert "Part du public couverte pour « Attestation CAF » (%)" not in text
    coverage = client.get(coverage_url)
    assert coverage.status_code == 200
    assert "Part du public couverte pour « Attestation CAF » (%)" in _text(coverage)


def test_the_agent_types_a_french_percentage_and_the_diagnostic_runs_again(client, agent, tarifs):
    client.force_login(agent)
    diagnostic = tarifs.diagnostics.get()
    item = tarifs.items.get(label="Attestation CAF")

    response = client.post(
        _url("www:procedure_coverage_edit", tarifs, diagnostic),
        {f"part_{item.pk}": "72,5 %"},
    )

    latest = tarifs.diagnostics.order_by("-pk").first()
    assert response.status_code == 302
    assert response["Location"] == _url("www:diagnostic_detail", tarifs, latest)
    # 60 000 × 0,725 = 43 500.
    assert latest.documents_avoidable_per_year == 43_500
    text = _text(client.get(response["Location"]))
    assert f"43{NARROW}500 (60{NARROW}000 × 72,5\xa0%, part saisie pour cette démarche)" in text
    assert "Hypothèses enregistrées" in text


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("140", f"Saisissez une valeur comprise entre 0{NARROW}% et 100{NARROW}%."),
        ("1.234,5", "est ambigu"),
        ("beaucoup", "n'est pas un nombre"),
    ],
)
def test_a_bad_share_is_refused_in_french_and_nothing_changes(
    client, agent, tarifs, typed, message
):
    client.force_login(agent)
    diagnostic = tarifs.diagnostics.get()
    item = tarifs.items.get(label="Attestation CAF")

    response = client.post(
        _url("www:procedure_coverage_edit", tarifs, diagnostic), {f"part_{item.pk}": typed}
    )

    assert response.status_code == 400
    assert message in _text(response)
    assert tarifs.diagnostics.count() == 1
    item.refresh_from_db()
    assert item.covered_share is None


def test_readers_and_older_diagnostics_offer_no_change(client, agent, tarifs):
    diagnostic = tarifs.diagnostics.get()
    expert = global_user(Role.EXPERT)
    client.force_login(expert)
    assert "Hypothèses de couverture" not in _text(
        client.get(_url("www:diagnostic_detail", tarifs, diagnostic))
    )
    item = tarifs.items.get(label="Attestation CAF")
    refused = client.post(
        _url("www:procedure_coverage_edit", tarifs, diagnostic), {f"part_{item.pk}": "40"}
    )
    assert refused.status_code == 403

    client.force_login(agent)
    diagnostic_run(procedure=tarifs, run_by=agent)
    older = client.post(
        _url("www:procedure_coverage_edit", tarifs, diagnostic), {f"part_{item.pk}": "40"}
    )
    assert older.status_code == 302
    assert tarifs.diagnostics.count() == 2  # nothing ran from the older diagnostic
    older_page = client.get(_url("www:procedure_coverage_edit", tarifs, diagnostic))
    assert "modifiez les hypothèses depuis le dernier diagnostic" in _text(older_page)
    assert 'name="part_' not in older_page.content.decode()
    item.refresh_from_db()
    assert item.covered_share is None
