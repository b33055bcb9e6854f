"""The request list: search, filters, French dates, sorting, pages that keep the filters, the
count, and the CSV export of the same list — never a row the viewer may not see, in a number of
queries that does not grow with the rows."""

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dlnuf.catalogue.models import Dataset
from dlnuf.habilitations.models import AuthorizationRequest, RequestState
from dlnuf.organisations.models import Organisation, User
from dlnuf.www.requests_views import list_views
from tests.exchange.factories import OrganisationFactory, person_dataset
from tests.habilitations.factories import applicant, instructor

pytestmark = pytest.mark.django_db


def at(day: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(day + "T10:00"))


class World:
    def __init__(self) -> None:
        self.cantine = person_dataset(slug="quotient-cantine")
        Dataset.objects.filter(pk=self.cantine.pk).update(title="Quotient familial")
        self.cantine.refresh_from_db()
        self.bourse = person_dataset(slug="statut-etudiant")
        Dataset.objects.filter(pk=self.bourse.pk).update(title="Statut étudiant")
        self.bourse.refresh_from_db()
        self.lyon = OrganisationFactory(name="Mairie de Lyon")
        self.nantes = OrganisationFactory(name="Mairie de Nantes")
        self.lyon_agent = applicant(self.lyon)
        self.nantes_agent = applicant(self.nantes)
        self.instructor = instructor(self.cantine.provider)

    def add(
        self,
        organisation: Organisation,
        dataset: Dataset,
        title: str,
        *,
        state: str = RequestState.SUBMITTED,
        submitted: str | None = "2026-03-10",
    ) -> AuthorizationRequest:
        agent = self.lyon_agent if organisation == self.lyon else self.nantes_agent
        moment = at(submitted) if submitted else None
        return AuthorizationRequest.objects.create(
            organisation=organisation,
            dataset=dataset,
            created_by=agent,
            title=title,
            state=state,
            submitted_at=moment,
            created_at=moment or timezone.now(),
            updated_at=moment or timezone.now(),
        )


@pytest.fixture
def world() -> World:
    return World()


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(response: Any) -> list[int]:
    """The numbers of the requests in the main table, in order."""
    rows = response.context["rows"]
    return [item.pk for item, _ in rows]


def export(client: Client, **query: Any) -> tuple[Any, list[list[str]]]:
    response = client.get(reverse("www:requests_csv"), query)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith("\ufeff".encode())
    return response, list(csv.reader(io.StringIO(content.decode("utf-8")[1:]), delimiter=";"))


def test_search_matches_title_number_organisation_siret_and_dataset(world: World) -> None:
    cantine = world.add(world.lyon, world.cantine, "Tarifs de la cantine")
    bourse = world.add(world.nantes, world.bourse, "Bourses municipales")
    client = client_for(world.instructor)
    # The instructor of the quotient's provider sees both: same provider for both datasets.
    url = reverse("www:requests")
    assert listed(client.get(url, {"q": "cantine"})) == [cantine.pk]
    assert listed(client.get(url, {"q": f"n° {bourse.pk}"})) == [bourse.pk]
    assert listed(client.get(url, {"q": "nantes"})) == [bourse.pk]
    siret = world.lyon.siret
    spaced = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    assert listed(client.get(url, {"q": spaced})) == [cantine.pk]
    assert listed(client.get(url, {"q": siret[:9]})) == [cantine.pk]
    assert listed(client.get(url, {"q": "étudiant"})) == [bourse.pk]
    assert listed(client.get(url, {"q": "rien de tel"})) == []


def test_filters_and_the_count_with_its_plural(world: World) -> None:
    first = world.add(world.lyon, world.cantine, "A", submitted="2026-01-15")
    second = world.add(world.lyon, world.bourse, "B", submitted="2026-02-15")
    third = world.add(
        world.nantes, world.cantine, "C", submitted="2026-03-15", state=RequestState.VALIDATED
    )
    client = client_for(world.instructor)
    url = reverse("www:requests")

    page = client.get(url)
    assert sorted(listed(page)) == sorted([first.pk, second.pk, third.pk])
    assert "3 demandes." in page.content.decode()
    assert listed(client.get(url, {"etat": "validated"})) == [third.pk]
    assert sorted(listed(client.get(url, {"donnee": world.cantine.pk}))) == [first.pk, third.pk]
    one = client.get(url, {"organisation": world.nantes.pk})
    assert listed(one) == [third.pk]
    assert "1 demande correspond aux critères." in one.content.decode()
    several = client.get(url, {"du": "01/02/2026", "au": "15/03/2026"})
    assert sorted(listed(several)) == [second.pk, third.pk]
    assert "2 demandes correspondent aux critères." in several.content.decode()
    assert listed(client.get(url, {"du": "1/2/2026", "au": "14/03/2026"})) == [second.pk]
    assert "Aucune demande ne correspond" in client.get(url, {"q": "zzz"}).content.decode()


def test_a_bad_date_gets_a_french_error_and_everything_typed_back(world: World) -> None:
    only = world.add(world.lyon, world.cantine, "Cantine", submitted="2026-01-15")
    client = client_for(world.lyon_agent)
    page = client.get(reverse("www:requests"), {"q": "Cantine", "du": "31/02/2026"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Saisissez une date au format jj/mm/aaaa, par exemple 31/12/2026." in text
    assert 'value="31/02/2026"' in text
    assert 'value="Cantine"' in text
    assert listed(page) == [only.pk]
    reversed_range = client.get(reverse("www:requests"), {"du": "10/03/2026", "au": "01/03/2026"})
    assert "Cette date doit suivre celle du début de la période." in reversed_range.content.decode()
    response = client.get(reverse("www:requests_csv"), {"du": "2026-13-45"})
    assert response.status_code == 400
    assert "jj/mm/aaaa" in response.content.decode()


def test_sorting_by_submission_date_puts_unsubmitted_last(world: World) -> None:
    old = world.add(world.lyon, world.cantine, "Ancienne", submitted="2026-01-01")
    new = world.add(world.lyon, world.cantine, "Récente", submitted="2026-05-01")
    draft = world.add(world.lyon, world.cantine, "Brouillon", submitted=None, state="draft")
    client = client_for(world.lyon_agent)
    url = reverse("www:requests")
    assert listed(client.get(url, {"tri": "soumission-recente"})) == [new.pk, old.pk, draft.pk]
    assert listed(client.get(url, {"tri": "soumission-ancienne"})) == [old.pk, new.pk, draft.pk]
    assert listed(client.get(url, {"tri": "recent"}))[0] == draft.pk


def test_pages_keep_the_filters(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(list_views, "PAGE_SIZE", 2)
    for number in range(5):
        world.add(world.lyon, world.cantine, f"Cantine {number}")
    world.add(world.lyon, world.bourse, "Bourse")
    client = client_for(world.lyon_agent)
    first = client.get(reverse("www:requests"), {"q": "Cantine", "tri": "ancien"})
    text = first.content.decode()
    assert "5 demandes correspondent aux critères." in text
    assert 'class="fr-pagination"' in text
    assert "?q=Cantine&amp;tri=ancien&amp;page=2" in text
    second = client.get(reverse("www:requests"), {"q": "Cantine", "tri": "ancien", "page": 2})
    titles = [item.title for item, _ in second.context["rows"]]
    assert titles == ["Cantine 2", "Cantine 3"]
    assert 'href="/habilitations/export.csv?q=Cantine&amp;tri=ancien&amp;page=2"' in (
        second.content.decode()
    )


def test_the_csv_is_the_filtered_list_for_excel_with_formulas_neutralised(world: World) -> None:
    risky = world.add(world.lyon, world.cantine, '=HYPERLINK("http://x","clic")')
    world.add(world.lyon, world.bourse, "Bourse")
    for start in ("+33 cantine", "-1 cantine", "@SUM cantine"):
        world.add(world.lyon, world.cantine, start)
    Organisation.objects.filter(pk=world.lyon.pk).update(name="=Mairie de Lyon")
    client = client_for(world.lyon_agent)

    response, rows = export(client, donnee=world.cantine.pk, tri="ancien")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="demandes-')
    header, *body = rows
    assert header == [
        "Numéro",
        "Intitulé",
        "Organisation",
        "SIRET",
        "Donnée",
        "Fournisseur",
        "État",
        "Créée le",
        "Soumise le",
        "Décidée le",
        "Mise à jour le",
    ]
    assert [row[1] for row in body] == [
        '\'=HYPERLINK("http://x","clic")',
        "'+33 cantine",
        "'-1 cantine",
        "'@SUM cantine",
    ]
    first = body[0]
    assert first[0] == str(risky.pk)
    assert first[2] == "'=Mairie de Lyon"
    assert first[3] == world.lyon.siret
    assert first[4] == "Quotient familial"
    assert first[6] == "soumise"
    assert datetime.fromisoformat(first[8]) == at("2026-03-10")
    assert first[9] == ""


def test_an_applicant_never_sees_another_organisation_s_rows(world: World) -> None:
    mine = world.add(world.lyon, world.cantine, "Cantine de Lyon")
    world.add(world.nantes, world.cantine, "Cantine de Nantes")
    client = client_for(world.lyon_agent)
    url = reverse("www:requests")

    assert listed(client.get(url)) == [mine.pk]
    assert listed(client.get(url, {"q": "Nantes"})) == []
    assert listed(client.get(url, {"q": world.nantes.siret})) == []
    page = client.get(url)
    assert "Mairie de Nantes" not in page.content.decode()
    refused = client.get(url, {"organisation": world.nantes.pk})
    assert "organisation" in refused.context["form"].errors
    assert listed(refused) == [mine.pk]
    _, rows = export(client)
    assert [row[0] for row in rows[1:]] == [str(mine.pk)]
    _, rows = export(client, q="Nantes")
    assert rows[1:] == []
    assert (
        client.get(reverse("www:requests_csv"), {"organisation": world.nantes.pk}).status_code
        == 400
    )


def test_the_csv_needs_a_signed_in_user() -> None:
    response = Client().get(reverse("www:requests_csv"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("www:login"))


def _add_many(world: World, start: int, count: int) -> None:
    AuthorizationRequest.objects.bulk_create(
        AuthorizationRequest(
            organisation=world.lyon if number % 2 else world.nantes,
            dataset=world.cantine if number % 3 else world.bourse,
            created_by=world.lyon_agent,
            title=f"Demande {number}",
            state=RequestState.SUBMITTED,
            submitted_at=timezone.now() - timedelta(days=number),
        )
        for number in range(start, start + count)
    )


def test_queries_do_not_grow_with_the_rows(
    world: World, django_assert_max_num_queries: Any
) -> None:
    client = client_for(world.instructor)
    client.get(reverse("www:requests"))
    query = {"q": "Demande", "tri": "soumission-recente"}
    counts = []
    for start, count in ((0, 3), (3, 57)):
        _add_many(world, start, count)
        with CaptureQueriesContext(connection) as page_queries:
            page = client.get(reverse("www:requests"), query)
        with CaptureQueriesContext(connection) as csv_queries:
            _, rows = export(client, **query)
        counts.append((len(page_queries), len(csv_queries)))
        assert len(listed(page)) == min(start + count, list_views.PAGE_SIZE)
        assert len(rows) == start + count + 1
    assert counts[0] == counts[1], counts
    # Sign-in, roles, navigation and the filter choices: a fixed cost, whatever the rows.
    with django_assert_max_num_queries(25):
        client.get(reverse("www:requests"), query)


def test_the_requests_to_decide_are_capped_with_a_link_to_the_rest(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(list_views, "TO_DECIDE_SHOWN", 2)
    _add_many(world, 0, 5)
    page = client_for(world.instructor).get(reverse("www:requests"))
    text = page.content.decode()
    assert len(page.context["to_decide"]) == 2
    assert "À instruire (5)" in text
    assert "?etat=submitted&amp;tri=soumission-ancienne#toutes-les-demandes" in text
