"""The guichet's steering page and its CSV exports: who may see them, the period, the figures
shown, and files a French spreadsheet opens safely (BOM, semicolons, formulas neutralised)."""

import csv
import html
import io
import re
import zoneinfo
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from dlnuf.catalogue.models import Provider
from dlnuf.organisations.models import Membership, Role
from dlnuf.organisations.services import organisation_get_or_create
from dlnuf.procedures.models import Diagnostic, Procedure
from dlnuf.support.irritants import irritant_open
from dlnuf.support.models import HelpKind, Irritant, IrritantKind, Ministry, Mission, MissionState
from dlnuf.support.reporting import TABLE_SLUGS, Period, Table
from dlnuf.www.guichet_reporting_views.exports import csv_cell, table_csv
from tests.support.factories import (
    AdministratorUserFactory,
    ExpertUserFactory,
    MissionFactory,
    QualifiedRequestFactory,
    SupportRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PARIS_TZ = zoneinfo.ZoneInfo("Europe/Paris")
PERIOD = {"du": "2026-01-01", "au": "2026-03-31"}
PAGE = reverse("www:guichet_reporting")


def at(month, day, hour=9):
    return datetime(2026, month, day, hour, tzinfo=PARIS_TZ)


def csv_url(table: str) -> str:
    return reverse("www:guichet_reporting_csv", kwargs={"table": table})


@pytest.fixture
def expert():
    return ExpertUserFactory()


@pytest.fixture
def quarter(expert):
    """Three requests in the first quarter of 2026, one mission for Lyon with a satisfaction,
    one irritant, a procedure of Lyon whose name looks like a spreadsheet formula."""
    lyon = organisation_get_or_create(siret="21690123100011", name="@Ville de Lyon")
    SupportRequestFactory(
        created_at=at(1, 5),
        first_answered_at=at(1, 6),
        first_answer_due=at(1, 8),
        ministry=Ministry.ECONOMY,
        help_kinds=[HelpKind.FRAMING, HelpKind.EXPERIENCE],
    )
    SupportRequestFactory(
        created_at=at(2, 2),
        first_answered_at=at(2, 5),
        first_answer_due=at(2, 4),
        ministry=Ministry.LOCAL_AUTHORITY,
        help_kinds=[HelpKind.BLOCKING_POINT],
    )
    SupportRequestFactory(
        created_at=at(3, 2),
        first_answered_at=at(3, 2, 15),
        first_answer_due=at(3, 5),
        ministry=Ministry.LOCAL_AUTHORITY,
        help_kinds=[HelpKind.FRAMING],
    )
    request = QualifiedRequestFactory(
        created_at=datetime(2025, 6, 1, tzinfo=PARIS_TZ), organisation=lyon, qualified__by=expert
    )
    mission = MissionFactory(request=request, lead_expert=expert)
    Mission.objects.filter(pk=mission.pk).update(
        state=MissionState.CLOSED, closed_at=at(2, 20), satisfaction=4
    )
    procedure = Procedure.objects.create(
        organisation=lyon, name='=HYPERLINK("http://x")', yearly_volume=500, created_by=expert
    )
    Diagnostic.objects.create(
        procedure=procedure,
        run_at=at(1, 20),
        run_by=expert,
        yearly_volume=500,
        items_count=3,
        replaceable_count=1,
        prefilled_count=2,
        to_check_count=0,
        level="partial",
        documents_avoidable_per_year=500,
        documents_avoided_per_year=1000,
    )
    irritant = irritant_open(
        actor=expert,
        title="-Blocage du service fiscal",
        kind=IrritantKind.PROVIDER_SILENT,
        description="Aucune réponse.",
        blocked_party="+33 Ville",
        blocking_party="DGFiP",
        procedures_affected=1,
        people_affected_per_year=4000,
    )
    Irritant.objects.filter(pk=irritant.pk).update(opened_at=timezone.now() - timedelta(days=9))


# --- permissions -------------------------------------------------------------------------------


def test_experts_and_administrators_see_the_page_and_the_files(client, expert):
    for user in (expert, AdministratorUserFactory()):
        client.force_login(user)
        assert client.get(PAGE).status_code == 200
        for table in TABLE_SLUGS:
            assert client.get(csv_url(table)).status_code == 200, table


def test_other_signed_in_people_get_403(client):
    agent = UserFactory()
    lyon = organisation_get_or_create(siret="21690123100011", name="Ville de Lyon")
    Membership.objects.create(user=agent, role=Role.APPLICANT, organisation=lyon)
    instructor = UserFactory()
    provider = Provider.objects.create(slug="insee", name="INSEE")
    Membership.objects.create(user=instructor, role=Role.INSTRUCTOR, provider=provider)
    for user in (agent, instructor):
        client.force_login(user)
        assert client.get(PAGE).status_code == 403
        assert client.get(csv_url("demandes-par-ministere")).status_code == 403


def test_anonymous_people_are_sent_to_sign_in(client):
    for url in (PAGE, csv_url("delais")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"/connexion/?next={quote(url)}"


def test_an_unknown_table_is_404(client, expert):
    client.force_login(expert)
    assert client.get(csv_url("salaires")).status_code == 404


# --- the page ----------------------------------------------------------------------------------


def _text(response) -> str:
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def test_page_shows_the_figures_of_the_period(client, expert, quarter):
    client.force_login(expert)

    response = client.get(PAGE, PERIOD)

    assert response.status_code == 200
    text = _text(response)
    assert "Chiffres du 1er janvier 2026 au 31 mars 2026." in text
    assert "3 demandes reçues dans la période" in text
    # First answers after 1, 3 and 0.25 days: median 1 day; two of three on time.
    assert "1,0 jour délai médian de première réponse" in text
    assert "66,7 % des demandes ont reçu une réponse dans le délai 2 sur 3" in text
    assert "4,0 / 5 note moyenne" in text
    assert "100,0 % taux de réponse" in text
    assert "1 000 pièces évitées par an" in text
    assert "1 irritant ouvert" in text
    assert "9 jours âge du plus ancien irritant en cours -Blocage du service fiscal" in text
    assert "comptée une fois dans chacune des colonnes" in text
    assert "séparées par des points-virgules" in text
    # Each table has its file, for the same period.
    page = response.content.decode()
    for table in TABLE_SLUGS:
        assert f'href="{csv_url(table)}?du=2026-01-01&amp;au=2026-03-31"' in page, table
    # Charts have a text alternative pointing to their table.
    assert "Graphique « Demandes reçues par mois » : 3 au total" in text
    assert 'aria-hidden="true"' in page


def test_default_period_is_the_last_twelve_months(client, expert):
    client.force_login(expert)
    today = timezone.localdate()
    expected = Period.last_twelve_months(today)

    text = _text(client.get(PAGE))

    assert f"Chiffres {expected.label}." in text


def test_invalid_period_is_explained(client, expert):
    client.force_login(expert)

    reversed_period = client.get(PAGE, {"du": "2026-03-31", "au": "2026-01-01"})
    assert reversed_period.status_code == 400
    assert "La fin de la période doit suivre son début." in _text(reversed_period)

    not_a_date = client.get(PAGE, {"du": "hier", "au": ""})
    assert not_a_date.status_code == 400
    assert "Saisissez une date valide" in _text(not_a_date)

    bad_file = client.get(csv_url("delais"), {"du": "2026-03-31", "au": "2026-01-01"})
    assert bad_file.status_code == 400
    assert "Période invalide" in bad_file.content.decode()


def test_a_period_without_data_says_so(client, expert, quarter):
    client.force_login(expert)

    text = _text(client.get(PAGE, {"du": "2024-01-01", "au": "2024-01-31"}))

    assert "0 demande reçue dans la période" in text
    assert "— délai médian de première réponse" in text


# --- the files ---------------------------------------------------------------------------------


def _rows(response) -> list[list[str]]:
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


def test_csv_file_for_french_spreadsheets(client, expert, quarter):
    client.force_login(expert)

    response = client.get(csv_url("demandes-par-ministere"), PERIOD)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="guichet-demandes-par-ministere-2026-01-01-au-2026-03-31.csv"'
    )
    assert response.content.startswith("\ufeff".encode())
    assert b"\r\n" in response.content
    assert _rows(response) == [
        [
            "Rattachement",
            "Cadrage du projet",
            "Partage d'expérience",
            "Point de blocage",
            "Type non précisé",
            "Total des demandes",
        ],
        ["Collectivité territoriale", "1", "0", "1", "0", "2"],
        ["Économie et finances", "1", "1", "0", "0", "1"],
        ["Ensemble", "2", "1", "1", "0", "3"],
    ]


def test_csv_numbers_use_a_decimal_comma(client, expert, quarter):
    client.force_login(expert)

    rows = dict(_rows(client.get(csv_url("delais"), PERIOD))[1:])

    assert rows["Délai médian de première réponse (jours calendaires)"] == "1,0"
    assert rows["Part des réponses dans le délai (%)"] == "66,7"
    assert rows["Délai médian de clôture (jours calendaires)"] == ""


def test_csv_cells_that_look_like_formulas_are_neutralised(client, expert, quarter):
    client.force_login(expert)

    avoided = _rows(client.get(csv_url("pieces-evitees"), PERIOD))
    assert avoided[1] == ["'@Ville de Lyon", '\'=HYPERLINK("http://x")', "1000", "20/01/2026"]

    irritants = _rows(client.get(csv_url("irritants-en-cours"), PERIOD))
    assert irritants[1][0] == "'-Blocage du service fiscal"
    assert irritants[1][4] == "'+33 Ville"


def test_csv_cell_rules():
    assert [csv_cell(value) for value in ("=1+1", "+1", "-1", "@A1", "\tx", "texte")] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@A1",
        "'\tx",
        "texte",
    ]
    assert (csv_cell(None), csv_cell(12), csv_cell(3.55)) == ("", "12", "3,6")
    table = Table("t", "T", ("Nom", "Nombre"), (("a;b", 1),))
    assert table_csv(table) == '\ufeffNom;Nombre\r\n"a;b";1\r\n'


def test_csv_uses_the_default_period_without_parameters(client, expert):
    client.force_login(expert)
    expected = Period.last_twelve_months(timezone.localdate())

    response = client.get(csv_url("missions"))

    assert f"guichet-missions-{expected.slug}.csv" in response["Content-Disposition"]
    assert _rows(response)[0] == ["Missions", "Nombre"]
