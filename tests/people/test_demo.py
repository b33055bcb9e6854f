"""The demonstration people: their accesses are real gateway exchanges, found from their
FranceConnect identity, made once however often the demonstration data is loaded."""

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from dlnuf.catalogue.services import catalogue_load
from dlnuf.exchange.connectors.http import pooled_clients_close
from dlnuf.journal.models import JournalEntry
from dlnuf.organisations.management.commands.load_demo_data import DEMO_GRANTS, EXAMPLE_QUERY
from dlnuf.people.demo import DEMO_PEOPLE, demo_person
from dlnuf.people.identity import subject_keys_for_pivot

pytestmark = pytest.mark.django_db


def _accesses_of(slug: str) -> list[JournalEntry]:
    person = demo_person(slug)
    assert person is not None
    keys = subject_keys_for_pivot(person.pivot)
    return list(JournalEntry.objects.filter(subject_key__in=keys).order_by("index"))


def test_each_demo_person_sees_the_accesses_made_about_them_and_only_those() -> None:
    catalogue_load()
    output = StringIO()

    call_command("load_demo_data", stdout=output)

    assert "Personnes de démonstration" in output.getvalue()
    seen: set[int] = set()
    for person in DEMO_PEOPLE:
        entries = _accesses_of(person.slug)
        assert [(e.consumer_siret, e.dataset_slug, e.object) for e in entries] == [
            (access.recipient, access.dataset, access.object) for access in person.accesses
        ], person.slug
        assert all(entry.status == 200 for entry in entries), person.slug
        assert not seen & {entry.index for entry in entries}
        seen |= {entry.index for entry in entries}
    # Every demonstration access is about one of them.
    assert JournalEntry.objects.count() == len(seen)

    call_command("load_demo_data", stdout=StringIO())

    assert JournalEntry.objects.count() == len(seen)


@pytest.fixture
def sandbox(live_server: Any, settings: Any) -> Iterator[None]:
    settings.DLNUF_SANDBOX_URL = live_server.url + "/sandbox"
    yield
    # Connections kept alive to the live server are closed before it stops.
    pooled_clients_close()


def test_the_readme_example_shows_on_the_page_of_its_demo_person(
    client: Client, sandbox: None
) -> None:
    catalogue_load()
    call_command("load_demo_data", stdout=StringIO())
    before = len(_accesses_of("alexis-lefebvre"))
    query: dict[str, list[str]] = {}
    for name, value in EXAMPLE_QUERY:
        query.setdefault(name, []).append(value)

    response = client.get(
        "/api/v1/data/quotient-familial",
        query,
        headers={"Authorization": f"Bearer {DEMO_GRANTS[0].secret}"},
    )

    assert response.status_code == 200, response.content
    index = response.json()["meta"]["journal_index"]
    accesses = _accesses_of("alexis-lefebvre")
    assert len(accesses) == before + 1
    assert accesses[-1].index == index
