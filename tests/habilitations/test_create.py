import pytest

from dlnuf.habilitations.models import RequestState, RequestTransition
from dlnuf.habilitations.services import ActionForbidden, authorization_request_create
from tests.exchange.factories import OrganisationFactory, person_dataset
from tests.habilitations.factories import UserFactory, applicant

pytestmark = pytest.mark.django_db


def test_create_prefills_a_draft_with_the_chosen_scopes() -> None:
    dataset = person_dataset()
    organisation = OrganisationFactory()
    agent = applicant(organisation)

    request = authorization_request_create(
        organisation=organisation,
        dataset=dataset,
        scope_slugs=["qf", "enfants"],
        created_by=agent,
        purpose="Tarif de la cantine",
        expected_volume=12,
    )

    assert request.state == RequestState.DRAFT
    assert sorted(request.requested_scopes.values_list("slug", flat=True)) == ["enfants", "qf"]
    assert request.purpose == "Tarif de la cantine"
    assert request.expected_calls_per_minute == 12
    assert request.business_contact_email == agent.email
    row = RequestTransition.objects.get(request=request)
    assert (row.action, row.from_state, row.to_state, row.actor) == ("create", "", "draft", agent)


def test_create_refuses_scopes_of_another_dataset() -> None:
    organisation = OrganisationFactory()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="inconnus"):
        authorization_request_create(
            organisation=organisation,
            dataset=person_dataset(),
            scope_slugs=["qf", "unites_legales"],
            created_by=applicant(organisation),
        )


def test_create_is_reserved_to_applicants_of_the_organisation() -> None:
    with pytest.raises(ActionForbidden):
        authorization_request_create(
            organisation=OrganisationFactory(),
            dataset=person_dataset(),
            scope_slugs=["qf"],
            created_by=UserFactory(),
        )
