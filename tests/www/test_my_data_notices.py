"""« Avis par courriel »: asked for by the signed-in person, confirmed and stopped through the
links of the e-mails, each with a button (mail scanners open links without the person)."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dlnuf.people.models import NoticeSubscription
from dlnuf.people.notices import notices_send
from tests.people.access_world import MARIE, record, sign_in_person
from tests.people.report_world import outbox_to, report_world

pytestmark = pytest.mark.django_db
ADDRESS = "marie@exemple.fr"
PAGE = "/mes-donnees/avis-par-courriel/"


@pytest.fixture
def world(client):
    built = report_world()
    sign_in_person(client, MARIE)
    return built


def _link(body: str, parameter: str) -> str:
    """The path of the e-mail's link, without the site's address."""
    start = body.index(PAGE + f"?{parameter}=")
    return body[start:].split()[0]


def test_the_person_asks_confirms_receives_and_stops_the_notices(client, world):
    assert reverse("www:my_data_notices") == PAGE
    assert "Recevoir les avis" in client.get(PAGE).content.decode()
    response = client.post(PAGE, {"email": ADDRESS})
    assert response.status_code == 302
    subscription = NoticeSubscription.objects.get()
    assert subscription.confirmed_at is None

    confirm = _link(outbox_to(ADDRESS)[0].body, "confirmer")
    anonymous = Client()
    # Opening the link does nothing by itself: a button confirms.
    page = anonymous.get(confirm)
    assert page.status_code == 200
    assert "Confirmer mon adresse" in page.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None
    token = confirm.split("confirmer=")[1]
    assert anonymous.post(PAGE, {"confirmer": token}).status_code == 302
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None
    assert "Les avis sont activés" in client.get(PAGE).content.decode()

    record(MARIE, occurred_at=timezone.now(), grant=world.grant)
    assert notices_send() == 1
    stop = _link(outbox_to(ADDRESS)[-1].body, "desabonner")
    assert "Arrêter les avis" in anonymous.get(stop).content.decode()
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is None
    stopped = anonymous.post(PAGE, {"desabonner": stop.split("desabonner=")[1]})
    assert "Les avis par courriel sont arrêtés" in stopped.content.decode()
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None


def test_a_refused_address_is_shown_back_and_nothing_is_recorded(client, world):
    response = client.post(PAGE, {"email": "marie@"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="marie@"' in page
    assert "Saisissez une adresse électronique valide" in page
    assert not NoticeSubscription.objects.exists()


def test_a_tampered_link_says_it_no_longer_works(world):
    for parameter in ("confirmer", "desabonner"):
        response = Client().get(PAGE, {parameter: "lien-modifie"})
        assert response.status_code == 404
        assert "Ce lien ne fonctionne plus" in response.content.decode()


def test_without_signing_in_the_page_sends_to_the_sign_in_page(world):
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert response.url == reverse("www:my_data_sign_in")
