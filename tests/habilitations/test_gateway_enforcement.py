"""Credentials issued by a validation work at the gateway at once, and stop at revocation.

The seed catalogue and the built-in sandbox are served by the live server on loopback; the
gateway is called through Django's test client, as in the exchange tests.
"""

from typing import Any

import pytest
from django.test import Client

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations import services
from dlnuf.habilitations.models import Environment
from dlnuf.sandbox.cases import sandbox_identities
from tests.exchange.factories import OrganisationFactory
from tests.habilitations.factories import applicant, draft_request, instructor

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
        "context": "Tarification de la cantine",
        "object": "dossier-42",
    }
    return client.get(f"/api/v1/data/{SLUG}", query, headers={"Authorization": f"Bearer {secret}"})


def test_credentials_work_right_after_validation_and_stop_right_after_revocation(
    sandbox: str, client: Client
) -> None:
    dataset = Dataset.objects.get(slug=SLUG)
    organisation = OrganisationFactory()
    agent = applicant(organisation)
    decider = instructor(dataset.provider)
    request = draft_request(
        dataset=dataset,
        organisation=organisation,
        by=agent,
        scopes=["cnaf_quotient_familial", "cnaf_enfants"],
    )
    request = services.authorization_request_submit(request=request, actor=agent)
    request = services.authorization_request_validate(
        request=request, actor=decider, scope_slugs=["cnaf_quotient_familial"]
    )
    assert request.habilitation is not None
    secrets = {
        credential.environment: services.credential_reveal(credential=credential, actor=agent)
        for credential in request.habilitation.credentials.all()
    }
    assert set(secrets) == {Environment.SANDBOX, Environment.PRODUCTION}

    for secret in secrets.values():
        answer = call(client, secret, organisation.siret)
        assert answer.status_code == 200, answer.content
        # Only the granted scope: the children were asked for but not granted.
        assert set(answer.json()["data"]) == {"quotient_familial"}

    services.authorization_request_revoke(request=request, actor=decider, comment="Fin du projet")

    for secret in secrets.values():
        refused = call(client, secret, organisation.siret)
        assert refused.status_code == 401
        assert refused.json()["code"] == "credential_revoked"


def test_a_rotated_credential_works_at_once_and_a_revoked_one_stops(
    sandbox: str, client: Client, settings: Any
) -> None:
    settings.DLNUF_CREDENTIAL_ROTATION_GRACE_HOURS = 0
    dataset = Dataset.objects.get(slug=SLUG)
    organisation = OrganisationFactory()
    agent = applicant(organisation)
    request = services.authorization_request_submit(
        request=draft_request(
            dataset=dataset, organisation=organisation, by=agent, scopes=["cnaf_quotient_familial"]
        ),
        actor=agent,
    )
    request = services.authorization_request_validate(
        request=request, actor=instructor(dataset.provider)
    )
    assert request.habilitation is not None
    old = request.habilitation.credentials.get(environment=Environment.SANDBOX)
    old_secret = services.credential_reveal(credential=old, actor=agent)
    assert call(client, old_secret, organisation.siret).status_code == 200

    new = services.credential_rotate(credential=old, actor=agent)
    new_secret = services.credential_reveal(credential=new, actor=agent)

    assert call(client, new_secret, organisation.siret).status_code == 200
    assert call(client, old_secret, organisation.siret).status_code == 401
    services.credential_withdraw(credential=new, actor=agent)
    assert call(client, new_secret, organisation.siret).status_code == 401
