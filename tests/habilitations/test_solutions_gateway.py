"""A client that joined a vendor's solution calls the gateway under its own name.

The seed catalogue and the built-in sandbox are served by the live server on loopback; the
vendor's software calls the gateway with the client's credential, as it does in production.
"""

from typing import Any

import pytest
from django.test import Client

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.selectors import current_terms
from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations import services
from dlnuf.habilitations.models import Environment
from dlnuf.habilitations.solutions import operator_of_habilitation, solution_declare, solution_join
from dlnuf.journal.models import JournalEntry
from dlnuf.sandbox.cases import sandbox_identities
from tests.exchange.factories import OrganisationFactory
from tests.habilitations.factories import applicant, complete_values, instructor
from tests.habilitations.test_solutions import DESCRIPTION, join_values

pytestmark = pytest.mark.django_db(transaction=True)
SLUG = "quotient-familial"


@pytest.fixture
def sandbox(live_server: Any, settings: Any) -> str:
    settings.DLNUF_SANDBOX_URL = live_server.url + "/sandbox"
    settings.DLNUF_API_PARTICULIER_URL = ""
    settings.DLNUF_API_ENTREPRISE_URL = ""
    catalogue_load()
    return settings.DLNUF_SANDBOX_URL


def call(client: Client, secret: str, recipient: str) -> Any:
    identity = next(i for i in sandbox_identities(SLUG) if i.outcome == "found")
    query = {
        **identity.params,
        "recipient": recipient,
        "context": "Facturation de la cantine",
        "object": "famille-17",
    }
    return client.get(f"/api/v1/data/{SLUG}", query, headers={"Authorization": f"Bearer {secret}"})


def test_the_client_is_the_consumer_and_the_vendor_the_operator(sandbox, client):
    dataset = Dataset.objects.get(slug=SLUG)
    vendor = OrganisationFactory(name="Éditeur Cantine")
    vendor_agent = applicant(vendor)
    commune = OrganisationFactory(name="Commune de Saint-Exemple")
    commune_agent = applicant(commune)
    decider = instructor(dataset.provider)
    solution = solution_declare(
        vendor=vendor,
        dataset=dataset,
        actor=vendor_agent,
        values=DESCRIPTION,
        purpose="Tarif de cantine selon le quotient familial.",
        scope_slugs=["cnaf_quotient_familial"],
    )
    services.authorization_request_update(
        request=solution.request, actor=vendor_agent, values=complete_values()
    )
    terms = current_terms(dataset)
    services.authorization_request_accept_terms(
        request=solution.request, actor=vendor_agent, version=terms
    )
    services.authorization_request_submit(request=solution.request, actor=vendor_agent)
    services.authorization_request_validate(request=solution.request, actor=decider)
    joined = solution_join(
        solution=solution,
        organisation=commune,
        actor=commune_agent,
        values=join_values(),
        terms_version=terms,
    )
    joined = services.authorization_request_validate(request=joined, actor=decider)
    assert joined.habilitation is not None
    production = joined.habilitation.credentials.get(environment=Environment.PRODUCTION)
    secret = services.credential_reveal(credential=production, actor=commune_agent)

    answer = call(client, secret, commune.siret)

    assert answer.status_code == 200, answer.content
    assert set(answer.json()["data"]) == {"quotient_familial"}
    entry = JournalEntry.objects.get(credential_id=production.pk)
    assert entry.consumer_siret == commune.siret
    assert entry.habilitation_id == joined.habilitation.pk
    assert operator_of_habilitation(entry.habilitation_id) == vendor
    # The vendor's own SIRET is not a recipient the client's credential may name.
    assert call(client, secret, vendor.siret).status_code >= 400

    services.authorization_request_revoke(
        request=solution.request, actor=decider, comment="Solution retirée du marché"
    )
    refused = call(client, secret, commune.siret)
    assert refused.status_code == 401
    assert refused.json()["code"] == "credential_revoked"
