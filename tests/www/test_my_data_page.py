"""« Mes données »: the page and its CSV and JSON exports, for a person and for an agent's
organisations; nothing of anyone else's ever shows, deferred lines included."""

import csv
import html
import io
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.services import catalogue_load
from dlnuf.journal.models import JournalEntry
from dlnuf.organisations.models import Membership, Organisation, Role
from dlnuf.people.accesses import AccessSummary
from dlnuf.www.my_data_views.views import CSV_HEADERS, summary_sentence
from tests.habilitations.factories import PASSWORD, UserFactory, applicant
from tests.people.access_world import (
    LYON,
    MARIE,
    PARIS,
    PAUL,
    habilitation,
    organisations,
    record,
    sign_in_person,
)

pytestmark = pytest.mark.django_db

PAGE = reverse("www:my_data")
# 13:05 UTC is 14:05 in Paris in December.
AT_LUNCH = datetime(2026, 12, 4, 13, 5, tzinfo=UTC)
DELAY_REFERENCE = "Code de la sécurité sociale, article L114-19"


@pytest.fixture(autouse=True)
def catalogue() -> None:
    catalogue_load()


def export(client, export_format: str, **query) -> bytes:
    response = client.get(reverse("www:my_data_export", args=[export_format]), query)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return b"".join(response.streaming_content)


def text(response) -> str:
    """The page as a person reads it, entities decoded."""
    return html.unescape(response.content.decode())


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode()[1:]), delimiter=";"))


def test_without_a_viewer_the_page_and_exports_send_to_the_sign_in_choice(client) -> None:
    sign_in = reverse("www:my_data_sign_in")
    assert client.get(PAGE).url == sign_in
    assert client.get(reverse("www:my_data_export", args=["csv"])).url == sign_in
    # A portal account without an organisation has no company to look at either.
    expert = UserFactory()
    Membership.objects.create(user=expert, role=Role.EXPERT)
    client.force_login(expert)
    assert client.get(PAGE).url == sign_in


def test_the_home_page_and_the_footer_lead_to_the_page(client) -> None:
    home = text(client.get("/"))
    assert home.count(f'href="{PAGE}"') == 2


def test_a_person_sees_each_line_in_plain_french_and_nobody_elses(client) -> None:
    lyon, paris = organisations()
    shows_reference = habilitation(lyon, subject_sees_case_reference=True)
    record(MARIE, occurred_at=AT_LUNCH, grant=shows_reference, object="CANTINE-2026-17")
    record(
        PAUL,
        occurred_at=AT_LUNCH,
        grant=habilitation(paris),
        context="Démarche de Paul",
        object="DOSSIER-DE-PAUL",
    )
    sign_in_person(client, MARIE)

    response = client.get(PAGE)
    page = text(response)
    assert response.status_code == 200
    assert "Marie Dupont" in page
    assert "4 décembre 2026 à 14 h 05" in page
    assert "Ville de Lyon, SIRET 216 901 231 00011" in page
    assert "Inscription à la cantine — dossier CANTINE-2026-17" in page
    assert "Quotient familial CAF et MSA, détenue par Caisse nationale des allocations" in page
    assert "Quotient familial, Adresse (jamais leur valeur ici)" in page
    assert "(cadre général de la donnée)" in page
    assert "Données transmises" in page
    assert "Démarche de Paul" not in page
    assert "DOSSIER-DE-PAUL" not in page
    assert "Ville de Paris" not in page
    assert (
        "1 consultation par une administration, soit un justificatif que vous n'avez pas eu à "
        "fournir." in page
    )
    assert "Certaines consultations peuvent apparaître plus tard" in page
    assert "Aucune consultation de vos données n'est différée en ce moment." in page
    # Each line carries the reports' and the proofs' parts.
    assert 'id="acces-0"' in page


def test_deferred_lines_are_counted_never_shown_on_the_page_nor_in_exports(client) -> None:
    lyon, paris = organisations()
    investigation = habilitation(
        paris, subject_visibility_delay_days=30, subject_visibility_delay_reference=DELAY_REFERENCE
    )
    now = timezone.now()
    record(MARIE, occurred_at=now - timedelta(days=2), grant=investigation, context="Enquête")
    record(MARIE, occurred_at=now - timedelta(days=3), grant=investigation, context="Enquête")
    record(MARIE, occurred_at=now - timedelta(days=40), grant=investigation, context="Ancienne")
    record(MARIE, occurred_at=now - timedelta(days=1), grant=habilitation(lyon))
    sign_in_person(client, MARIE)

    page = text(client.get(PAGE))
    assert "En ce moment, 2 consultations de vos données sont différées." in page
    assert "Enquête" not in page
    assert "Ancienne" in page
    assert "2 consultations par 2 administrations" in page
    procedures = [row[4] for row in csv_rows(export(client, "csv"))[1:]]
    assert sorted(procedures) == ["Ancienne", "Inscription à la cantine"]
    document = orjson.loads(export(client, "json"))
    assert sorted(access["procedure"] for access in document["accesses"]) == [
        "Ancienne",
        "Inscription à la cantine",
    ]
    assert document["deferred_count"] == 2


def test_filters_keep_what_was_typed_and_refuse_choices_outside_ones_own(client) -> None:
    lyon, paris = organisations()
    record(MARIE, occurred_at=datetime(2026, 3, 1, 10, 0, tzinfo=UTC), grant=habilitation(lyon))
    record(
        MARIE,
        occurred_at=datetime(2026, 6, 1, 10, 0, tzinfo=UTC),
        grant=habilitation(paris, "prime-activite"),
        provider="cnav",
        fields_returned=("est_beneficiaire",),
    )
    # Paul's administration, which never consulted Marie's data.
    other = Organisation.objects.create(siret="30000000000011", name="Mairie de Paul")
    record(PAUL, occurred_at=AT_LUNCH, grant=habilitation(other), context="Démarche de Paul")
    sign_in_person(client, MARIE)

    by_paris = text(client.get(PAGE, {"administration": PARIS}))
    assert "Prime d'activité, détenue par" in by_paris
    assert "Ville de Lyon, SIRET" not in by_paris
    assert "1 consultation par une administration" in by_paris

    period = text(client.get(PAGE, {"du": "01/01/2026", "au": "31/03/2026"}))
    assert "1 consultation par une administration du 1er janvier 2026 au 31 mars 2026" in period
    assert 'value="01/01/2026"' in period
    assert 'value="31/03/2026"' in period
    reversed_period = text(client.get(PAGE, {"du": "31/03/2026", "au": "01/01/2026"}))
    assert "Cette date doit suivre celle du début de la période." in reversed_period

    wrong = client.get(PAGE, {"administration": other.siret, "du": "31/02/2026"})
    page = text(wrong)
    assert wrong.status_code == 200
    assert "Aucune de vos consultations ne vient de cette administration" in page
    assert "Saisissez une date au format jj/mm/aaaa" in page
    assert 'value="31/02/2026"' in page
    assert "Mairie de Paul" not in page
    assert "Démarche de Paul" not in page
    # The export refuses the same wrong criteria rather than leave them out silently.
    refused = client.get(reverse("www:my_data_export", args=["csv"]), {"du": "31/02/2026"})
    assert refused.status_code == 400
    assert client.get(reverse("www:my_data_export", args=["xlsx"])).status_code == 404


def test_fifty_lines_a_page_newest_first(client) -> None:
    lyon, _ = organisations()
    grant = habilitation(lyon)
    first = record(
        MARIE, occurred_at=AT_LUNCH - timedelta(days=60), grant=grant, context="La plus ancienne"
    )
    for day in range(50):
        record(MARIE, occurred_at=AT_LUNCH - timedelta(days=day), grant=grant)
    sign_in_person(client, MARIE)

    page_one = text(client.get(PAGE))
    assert page_one.count('id="acces-') == 50
    assert f'id="acces-{first}"' not in page_one
    assert "Page 1 sur 2" in page_one
    assert "51 consultations par une administration" in page_one
    page_two = text(client.get(PAGE, {"page": 2}))
    assert page_two.count('id="acces-') == 1
    assert "La plus ancienne" in page_two
    # Exports hold the whole filtered set, not one page.
    assert len(csv_rows(export(client, "csv"))) == 1 + 51


def test_exports_are_safe_for_spreadsheets_and_hold_nothing_more_than_the_page(client) -> None:
    lyon, _ = organisations()
    grant = habilitation(lyon, subject_sees_case_reference=True)
    record(
        MARIE,
        occurred_at=AT_LUNCH,
        grant=grant,
        context='=HYPERLINK("http://exemple.test";"clic")',
        object="@SOMME(A1)",
    )
    sign_in_person(client, MARIE)

    rows = csv_rows(export(client, "csv"))
    assert rows[0] == CSV_HEADERS
    (row,) = rows[1:]
    assert row[1] == "4 décembre 2026 à 14 h 05"
    assert row[2:4] == ["Ville de Lyon", "216 901 231 00011"]
    assert row[4] == '\'=HYPERLINK("http://exemple.test";"clic")'
    assert row[5] == "'@SOMME(A1)"
    assert row[8] == "Quotient familial, Adresse"
    assert row[10] == "Données transmises"

    document = orjson.loads(export(client, "json"))
    (access,) = document["accesses"]
    assert access["occurred_at"] == "2026-12-04T14:05:00+01:00"
    assert access["administration"] == {"name": "Ville de Lyon", "siret": LYON}
    assert access["case_reference"] == "@SOMME(A1)"
    assert access["fields_transmitted"] == ["Quotient familial", "Adresse"]
    assert access["outcome"] == {"code": "transmitted", "label": "Données transmises"}
    assert document["summary"] == {
        "consultations": 1,
        "administrations": 1,
        "documents_spared": 1,
    }
    key = JournalEntry.objects.get().subject_key
    for content in (export(client, "csv"), export(client, "json")):
        assert key.encode() not in content
        assert b"subject" not in content


def test_an_agent_of_two_organisations_chooses_which_one_and_no_other(client) -> None:
    lyon, paris = organisations()
    agent = applicant(lyon)
    Membership.objects.create(user=agent, role=Role.APPLICANT, organisation=paris)
    unite_legale = Dataset.objects.get(slug="unite-legale")
    assert unite_legale.subject_kind == "company"
    vendor = Organisation.objects.create(siret="84123456700011", name="Éditeur")
    grant = habilitation(vendor, "unite-legale")
    record({"siren": lyon.siren}, occurred_at=AT_LUNCH, grant=grant, context="Marché de Lyon")
    record({"siret": PARIS}, occurred_at=AT_LUNCH, grant=grant, context="Marché de Paris")
    record({"siren": "552100554"}, occurred_at=AT_LUNCH, grant=grant, context="Autre société")
    client.login(username=agent.email, password=PASSWORD)

    first = text(client.get(PAGE))
    assert "Marché de Lyon" in first
    assert "Marché de Paris" not in first
    assert "Organisation concernée" in first
    assert f'value="{paris.siren}"' in first
    chosen = text(client.get(PAGE, {"pour": paris.siren}))
    assert "Marché de Paris" in chosen
    assert "Marché de Lyon" not in chosen
    assert client.get(PAGE, {"pour": "552100554"}).status_code == 404
    assert (
        client.get(reverse("www:my_data_export", args=["json"]), {"pour": "552100554"}).status_code
        == 404
    )
    document = orjson.loads(export(client, "json", pour=paris.siren))
    assert [access["procedure"] for access in document["accesses"]] == ["Marché de Paris"]


def test_empty_state(client) -> None:
    sign_in_person(client, PAUL, "Paul Martin")
    page = text(client.get(PAGE))
    assert "Aucune administration n'a consulté vos données" in page
    assert "Aucune consultation." in page


@pytest.mark.parametrize(
    ("figures", "period", "sentence"),
    [
        ((0, 0, 0), " cette année", "Aucune consultation cette année."),
        (
            (1, 1, 1),
            "",
            "1 consultation par une administration, soit un justificatif que vous n'avez pas eu "
            "à fournir.",
        ),
        (
            (12, 3, 12),
            " cette année",
            "12 consultations par 3 administrations cette année, autant de justificatifs que vous "
            "n'avez pas eu à fournir.",
        ),
        (
            (12, 3, 9),
            " cette année",
            "12 consultations par 3 administrations cette année ; 9 justificatifs que vous n'avez "
            "pas eu à fournir.",
        ),
        ((5, 2, 0), "", "5 consultations par 2 administrations."),
        (
            (1500, 2, 1),
            "",
            "1\u202f500 consultations par 2 administrations ; 1 justificatif que vous n'avez "
            "pas eu à fournir.",
        ),
    ],
)
def test_summary_sentence(figures: tuple[int, int, int], period: str, sentence: str) -> None:
    assert summary_sentence(AccessSummary(*figures), period) == sentence


def test_this_year_reads_as_such(client) -> None:
    lyon, _ = organisations()
    today = timezone.localdate()
    record(MARIE, occurred_at=timezone.now(), grant=habilitation(lyon))
    sign_in_person(client, MARIE)
    page = text(client.get(PAGE, {"du": date(today.year, 1, 1).strftime("%d/%m/%Y")}))
    assert "1 consultation par une administration cette année" in page


def test_the_number_of_queries_does_not_grow_with_the_lines_shown(client) -> None:
    lyon, paris = organisations()
    grants = [habilitation(lyon), habilitation(paris, subject_sees_case_reference=True)]
    sign_in_person(client, MARIE)

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE).status_code == 200
        return len(captured.captured_queries)

    for day in range(3):
        record(MARIE, occurred_at=AT_LUNCH - timedelta(days=day), grant=grants[day % 2])
    few = queries_for_page()
    for day in range(3, 60):
        record(MARIE, occurred_at=AT_LUNCH - timedelta(days=day), grant=grants[day % 2])
    assert queries_for_page() == few
