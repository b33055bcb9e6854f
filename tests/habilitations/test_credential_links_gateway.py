"""The secret a technical contact reads through the one-time link is accepted by the gateway.

The seed catalogue and the built-in sandbox are served by the live server on loopback.
"""

import re
from typing import Any

import pytest
from django.test import Client

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations import services
from dlnuf.habilitations.models import Environment
from dlnuf.habilitations.validation import current_terms
from dlnuf.outbox.models import OutgoingEmail
from tests.exchange.factories import OrganisationFactory
from tests.habilitations.factories import applicant, draft_request, instructor
from tests.habilitations.test_gateway_enforcement import SLUG, call

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandbox(live_server: Any, settings: Any) -> str:
    settings.DLNUF_SANDBOX_URL = live_server.url + "/sandbox"
    settings.DLNUF_API_PARTICULIER_URL = ""
    settings.DLNUF_API_ENTREPRISE_URL = ""
    catalogue_load()
    return settings.DLNUF_SANDBOX_URL


def test_the_secret_shown_by_the_link_works_at_the_gateway(sandbox: str, client: Client) -> None:
    dataset = Dataset.objects.get(slug=SLUG)
    organisation = OrganisationFactory()
    agent = applicant(organisation)
    request = draft_request(
        dataset=dataset, organisation=organisation, by=agent, scopes=["cnaf_quotient_familial"]
    )
    request = services.authorization_request_accept_terms(
        request=request, actor=agent, version=current_terms(dataset)
    )
    request = services.authorization_request_submit(request=request, actor=agent)
    request = services.authorization_request_validate(
        request=request, actor=instructor(dataset.provider)
    )
    assert request.habilitation is not None
    credential = request.habilitation.credentials.get(environment=Environment.PRODUCTION)
    email = OutgoingEmail.objects.get(to=["technique@ville.fr"], body__contains=credential.prefix)
    (path,) = set(re.findall(r"https?://[^/\s]+(/\S+/jetons/lien/\S+/)", email.body))

    revealed = Client().post(path)
    assert revealed.status_code == 200
    (secret,) = re.findall(r'value="(dlnuf_prd_[^"]+)"', revealed.content.decode())

    answer = call(client, secret, organisation.siret)
    assert answer.status_code == 200, answer.content
    assert "quotient_familial" in answer.json()["data"]
