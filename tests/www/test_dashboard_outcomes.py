"""The same calls give the same rates on the consumer dashboard and on the dataset page's « État du
service », with the same labels and definitions; a habilitation shows its purpose and the request
behind it to those who may read that request."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations import services
from dlnuf.habilitations.models import Habilitation
from dlnuf.journal.services import journal_record
from dlnuf.organisations.models import User
from tests.exchange.factories import OrganisationFactory
from tests.habilitations.factories import applicant, reporter
from tests.habilitations.workflow import cast
from tests.journal.factories import ExchangeRecordFactory

pytestmark = pytest.mark.django_db

SLUG = "quotient-familial"
# Seven calls: three answered, two refusals (the person is not known to the provider: 404
# « introuvable »; a malformed parameter), one provider timeout, one failure of the gateway.
MIX = [
    (200, "ok"),
    (200, "ok"),
    (200, "ok"),
    (404, "subject_not_found"),
    (400, "invalid_parameter"),
    (504, "provider_timeout"),
    (500, "internal_error"),
]
# By hand: 3/7 = 42.857 %, 2/7 = 28.571 %, 1/7 = 14.285 %, rounded to one decimal.
EXPECTED_CELLS = [
    "42,9\u202f% 3 appels réussis sur 7 appels",
    "28,6\u202f% 2 refus sur 7 appels",
    "14,3\u202f% 1 défaillance fournisseur sur 7 appels",
    "14,3\u202f% 1 défaillance de la passerelle sur 7 appels",
]
LABELS = [
    "Réussis",
    "Refus côté appelant",
    "Défaillances fournisseur",
    "Défaillances de la passerelle",
]


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(html: str) -> str:
    # Only ASCII blanks are collapsed: the narrow no-break space before « % » is part of the text.
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def row_cells(page: str, row_header: str) -> list[str]:
    """The text of the cells after the first one, in the first table row that starts with
    ``row_header``."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        cells = [text(cell) for _tag, cell in re.findall(r"<(th|td)[^>]*>(.*?)</\1>", row, re.S)]
        if cells and cells[0] == row_header:
            return cells[1:]
    raise AssertionError(f"No row starts with {row_header!r}")


def definitions(page: str) -> list[str]:
    return [
        text(item)
        for item in re.findall(r"<li><strong>(.*?)</li>", page, re.S)
        if text(item).split(" :")[0] in LABELS
    ]


def habilitations_section(page: str) -> str:
    return page[page.index("<h2>Mes habilitations</h2>") : page.index("<h2>Mes jetons</h2>")]


def test_both_pages_give_the_same_rates_of_the_same_calls() -> None:
    catalogue_load()
    dataset = Dataset.objects.get(slug=SLUG)
    organisation = OrganisationFactory()
    now = timezone.now()
    for minutes, (status, code) in enumerate(MIX, start=1):
        journal_record(
            ExchangeRecordFactory(
                consumer_siret=organisation.siret,
                dataset_slug=SLUG,
                occurred_at=now - timedelta(minutes=minutes),
                status=status,
                code=code,
            )
        )

    dashboard = client_for(applicant(organisation)).get(reverse("www:dashboard")).content.decode()
    catalogue = Client().get(reverse("www:dataset_detail", kwargs={"slug": SLUG})).content.decode()

    assert row_cells(dashboard, dataset.title) == ["7", *EXPECTED_CELLS]
    assert row_cells(catalogue, "24 dernières heures") == ["7", *EXPECTED_CELLS]
    assert row_cells(catalogue, "7 derniers jours") == ["7", *EXPECTED_CELLS]
    for page in (dashboard, catalogue):
        headers = [text(cell) for cell in re.findall(r'<th scope="col">(.*?)</th>', page)]
        assert all(label in headers for label in LABELS)
    # The same definitions, word for word, under both tables; the 404 is named as a refusal.
    assert len(definitions(dashboard)) == 4
    assert definitions(dashboard) == definitions(catalogue)
    assert "personne ou entité introuvable (404)" in definitions(catalogue)[1]
    # The chart counts only failures in red: the provider's timeout and the gateway's error.
    assert "7 appels, dont 2 défaillances" in text(dashboard)


def test_a_habilitation_shows_its_purpose_procedure_and_the_request_to_who_may_read_it() -> None:
    people = cast()
    request = people.validated()
    habilitation = request.habilitation
    assert habilitation is not None
    assert habilitation.purpose
    link = reverse("www:request_detail", kwargs={"pk": request.pk})

    viewers = (people.applicant, people.instructor, reporter(people.dataset.provider))
    for viewer in viewers:
        client = client_for(viewer)
        page = client.get(reverse("www:dashboard")).content.decode()
        assert habilitation.purpose in text(page)
        assert f'href="{link}"' in page
        # Every link shown opens: the page and the dashboard apply the same permission.
        assert client.get(link).status_code == 200

    # Someone of another organisation neither sees the habilitation nor its request.
    outsider_page = (
        client_for(applicant(OrganisationFactory())).get(reverse("www:dashboard")).content.decode()
    )
    assert habilitation.purpose not in outsider_page
    assert link not in outsider_page


def test_after_an_amendment_the_link_leads_to_the_request_that_last_changed_it() -> None:
    people = cast()
    first = people.validated()
    amendment = services.authorization_request_reopen(request=first, actor=people.applicant)
    amendment = services.authorization_request_submit(request=amendment, actor=people.applicant)
    amendment = services.authorization_request_validate(request=amendment, actor=people.instructor)

    page = client_for(people.applicant).get(reverse("www:dashboard")).content.decode()

    habilitations = habilitations_section(page)
    assert reverse("www:request_detail", kwargs={"pk": amendment.pk}) in habilitations
    assert f'href="{reverse("www:request_detail", kwargs={"pk": first.pk})}"' not in habilitations


def test_a_habilitation_granted_without_a_request_shows_its_purpose_and_no_link() -> None:
    people = cast()
    Habilitation.objects.create(
        organisation=people.organisation,
        dataset=people.dataset,
        purpose="Reprise d'une convention signée avant le guichet.",
        granted_by_label="Convention de 2019",
        expires_at=timezone.now() + timedelta(days=300),
    )

    page = client_for(people.applicant).get(reverse("www:dashboard")).content.decode()

    assert "Reprise d'une convention signée avant le guichet." in text(habilitations_section(page))
    assert "Voir la demande" not in page
