"""« Signaler une consultation »: from the access line to the form, the follow page, and the
guichet's answer; another person's entry is a 404."""

import pytest
from django.test import Client
from django.urls import reverse

from dlnuf.organisations.models import Role
from dlnuf.support.models import MessageKind, SupportMessage, SupportRequest
from dlnuf.support.services import support_reply_send
from dlnuf.support.tokens import follow_token
from tests.habilitations.factories import global_user
from tests.people.access_world import MARIE, sign_in_person
from tests.people.report_world import DPO_EMAIL, outbox_to, report_world

pytestmark = pytest.mark.django_db
PERSON_EMAIL = "marie@exemple.fr"


@pytest.fixture
def world(client):
    built = report_world()
    sign_in_person(client, MARIE)
    return built


def _report_url(index):
    return reverse("www:my_data_report", kwargs={"index": index})


def test_each_access_line_links_to_its_report_form(client, world):
    page = client.get(reverse("www:my_data")).content.decode()
    assert f'href="{_report_url(world.marie_entry)}"' in page
    assert f'href="{_report_url(world.paul_entry)}"' not in page


def test_the_form_describes_the_consultation_and_another_persons_entry_is_a_404(client, world):
    response = client.get(_report_url(world.marie_entry))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ville de Lyon" in page
    assert "Inscription à la cantine" in page
    assert client.get(_report_url(world.paul_entry)).status_code == 404
    assert client.post(_report_url(world.paul_entry), {"reasons": ["other"]}).status_code == 404
    assert client.get(_report_url(987654)).status_code == 404
    assert not SupportRequest.objects.exists()


def test_without_signing_in_the_form_sends_to_the_sign_in_page(world):
    response = Client().get(_report_url(world.marie_entry))
    assert response.status_code == 302
    assert response.url.startswith(reverse("www:my_data_sign_in"))


def test_a_refused_report_shows_everything_typed_back(client, world):
    response = client.post(
        _report_url(world.marie_entry),
        {"reasons": ["other"], "details": "", "email": "pas-une-adresse"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "précisez-la en quelques mots" in page
    assert "Saisissez une adresse électronique valide" in page
    assert 'value="pas-une-adresse"' in page
    assert 'value="other"' in page
    assert "checked" in page
    assert not SupportRequest.objects.exists()


def test_the_person_reports_follows_and_reads_the_guichets_answer(client, world):
    response = client.post(
        _report_url(world.marie_entry),
        {
            "reasons": ["unknown_administration"],
            "details": "Je ne connais pas ce service.",
            "email": PERSON_EMAIL,
        },
    )
    case = SupportRequest.objects.get()
    follow = reverse("www:my_data_report_follow", kwargs={"token": follow_token(case)})
    assert response.status_code == 302
    assert response.url == follow
    assert outbox_to(DPO_EMAIL)
    assert follow in outbox_to(PERSON_EMAIL)[0].body

    page = client.get(follow)
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    text = page.content.decode()
    assert case.reference in text
    assert "Je ne connais pas cette administration" in text

    expert = global_user(Role.EXPERT)
    support_reply_send(request=case, actor=expert, body="La mairie a vérifié : erreur de saisie.")
    assert "La mairie a vérifié : erreur de saisie." in client.get(follow).content.decode()

    assert client.post(follow, {"body": ""}).status_code == 400
    answered = client.post(follow, {"body": "Merci, pouvez-vous corriger ?"})
    assert answered.status_code == 302
    assert SupportMessage.objects.filter(
        request=case, kind=MessageKind.FROM_REQUESTER, body="Merci, pouvez-vous corriger ?"
    ).exists()


def test_the_follow_page_opens_only_with_a_reports_own_signed_link(client, world):
    ordinary = SupportRequest.objects.create(
        channel="form",
        requester_email="agent@ville.fr",
        subject="Aide au cadrage",
        first_answer_due=world.grant.granted_at,
    )
    for token in (follow_token(ordinary), "lien-modifie"):
        url = reverse("www:my_data_report_follow", kwargs={"token": token})
        assert client.get(url).status_code == 404
