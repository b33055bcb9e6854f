"""Asking for an account without one, and the administrators' decision pages."""

import html
import re
from typing import Any

import pytest
from django.urls import reverse

from dlnuf.organisations.models import AccountRequest, AccountRequestState, Invitation, Role
from dlnuf.organisations.services import account_request_submit, membership_grant
from dlnuf.outbox.models import OutgoingEmail
from tests.exchange.factories import OrganisationFactory
from tests.organisations.factories import UserFactory

pytestmark = pytest.mark.django_db

PARIS = "21750001600019"
FILLED = {
    "first_name": "Noa",
    "last_name": "Morel",
    "email": "noa.morel@paris.fr",
    "siret": "217 500 016 00019",
    "role": "applicant",
    "reason": "Démarche de la cantine.",
}


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


@pytest.fixture
def administrator() -> Any:
    user = UserFactory(email="admin@guichet.fr")
    membership_grant(user=user, role=Role.ADMINISTRATOR, granted_by=None)
    return user


def test_anyone_asks_for_an_account_with_a_valid_siret(client):
    assert client.get(reverse("www:account_request_new")).status_code == 200

    response = client.post(reverse("www:account_request_new"), FILLED)

    assert response.status_code == 302
    assert response["Location"] == reverse("www:account_request_sent")
    assert "Votre demande est enregistrée" in _text(client.get(response["Location"]))
    account_request = AccountRequest.objects.get()
    assert (account_request.siret, account_request.state) == (PARIS, AccountRequestState.PENDING)


def test_a_wrong_siret_is_explained_and_everything_typed_comes_back(client):
    response = client.post(
        reverse("www:account_request_new"),
        {**FILLED, "siret": "21750001600018", "role": "instructor"},
    )

    assert response.status_code == 200
    text = _text(response)
    assert "« 21750001600018 » n'est pas un SIRET valide" in text
    assert "Choisissez le fournisseur de données." in text
    page = response.content.decode()
    for value in ("Noa", "Morel", "noa.morel@paris.fr", "21750001600018"):
        assert f'value="{value}"' in page
    assert "Démarche de la cantine." in page
    assert not AccountRequest.objects.exists()


def test_one_client_is_limited(client, settings):
    settings.DLNUF_ACCOUNT_FORMS_PER_HOUR = 2
    answers = [client.post(reverse("www:account_request_new"), FILLED) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [302, 302, 429]
    assert "Trop de demandes envoyées" in _text(answers[2])
    assert AccountRequest.objects.count() == 2


def test_an_administrator_accepts_and_the_person_gets_an_invitation(client, administrator):
    OrganisationFactory(siret=PARIS, name="Ville de Paris")
    account_request = account_request_submit(**{**FILLED, "siret": PARIS, "role": Role.APPLICANT})
    client.force_login(administrator)
    account = client.get(reverse("www:account")).content.decode()
    assert f'href="{reverse("www:account_request_list")}"' in account
    listing = client.get(reverse("www:account_request_list")).content.decode()
    detail = reverse("www:account_request_detail", kwargs={"pk": account_request.pk})
    assert f'href="{detail}"' in listing

    undecided = client.post(detail, {"comment": ""})
    assert "Choisissez d'accepter ou de refuser la demande." in _text(undecided)

    response = client.post(detail, {"decision": "accept", "comment": ""})

    assert response.status_code == 302
    account_request.refresh_from_db()
    assert account_request.state == AccountRequestState.ACCEPTED
    invitation = Invitation.objects.get()
    assert invitation.organisation is not None
    assert invitation.organisation.siret == PARIS
    assert OutgoingEmail.objects.get().to == ["noa.morel@paris.fr"]
    assert "Demande de Noa Morel acceptée" in _text(client.get(response["Location"]))
    # Decided: the page shows the decision and no longer offers one.
    assert 'name="decision"' not in client.get(detail).content.decode()


def test_an_administrator_refuses_with_a_reason(client, administrator):
    account_request = account_request_submit(**{**FILLED, "siret": PARIS, "role": Role.APPLICANT})
    client.force_login(administrator)
    detail = reverse("www:account_request_detail", kwargs={"pk": account_request.pk})

    client.post(detail, {"decision": "refuse", "comment": "Adressez-vous à votre référent."})

    account_request.refresh_from_db()
    assert account_request.state == AccountRequestState.REFUSED
    assert "Adressez-vous à votre référent." in OutgoingEmail.objects.get().body


def test_others_may_not_see_nor_decide(client):
    account_request = account_request_submit(**{**FILLED, "siret": PARIS, "role": Role.APPLICANT})
    applicant = UserFactory()
    membership_grant(
        user=applicant,
        role=Role.APPLICANT,
        organisation=OrganisationFactory(siret=PARIS),
        granted_by=None,
    )
    client.force_login(applicant)
    detail = reverse("www:account_request_detail", kwargs={"pk": account_request.pk})
    assert client.get(reverse("www:account_request_list")).status_code == 403
    assert client.post(detail, {"decision": "accept"}).status_code == 403
    account_request.refresh_from_db()
    assert account_request.state == AccountRequestState.PENDING
