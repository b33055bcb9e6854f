"""The vendor path: a solution habilitated once, clients joining it with a lighter request."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from dlnuf.catalogue.models import Dataset
from dlnuf.habilitations import services
from dlnuf.habilitations.models import (
    AuthorizationRequest,
    Environment,
    RequestState,
    Solution,
)
from dlnuf.habilitations.perms import can_take
from dlnuf.habilitations.solutions import (
    adhesions_to_decide,
    approved_solutions,
    can_follow_adhesion,
    can_manage_solution,
    can_read_adhesion,
    operator_of_habilitation,
    solution_declare,
    solution_join,
    solution_update,
)
from dlnuf.organisations.models import Organisation, User
from tests.exchange.factories import OrganisationFactory, person_dataset
from tests.habilitations.factories import applicant, complete_values, instructor

pytestmark = pytest.mark.django_db

DESCRIPTION = {
    "name": "Cantine Facile",
    "version": "4.2",
    "use_case": "Facturation de la cantine scolaire selon le quotient familial.",
    "security_description": "Chiffrement au repos, journalisation des accès, tests d'intrusion.",
    "hosting": "Hébergeur certifié HDS en France.",
}


def join_values(**overrides: Any) -> dict[str, Any]:
    values = complete_values()
    return {
        **{
            name: values[name]
            for name in (
                "legal_basis_nature",
                "legal_basis_article",
                "legal_basis_url",
                "dpo_name",
                "dpo_email",
                "technical_contact_name",
                "technical_contact_email",
                "controller_name",
                "controller_email",
                "expected_calls_per_minute",
                "volume_justification",
                "go_live_date",
            )
        },
        "legal_basis_article": "Délibération du conseil municipal n° 2026-14",
        "dpo_email": "dpo@commune.fr",
        **overrides,
    }


class World:
    def __init__(self) -> None:
        self.dataset: Dataset = person_dataset()
        self.vendor: Organisation = OrganisationFactory(name="Éditeur Cantine")
        self.vendor_agent: User = applicant(self.vendor)
        self.client: Organisation = OrganisationFactory(name="Commune de Saint-Exemple")
        self.client_agent: User = applicant(self.client)
        self.instructor: User = instructor(self.dataset.provider)

    def declared(self, scopes: tuple[str, ...] = ("qf", "allocataires", "enfants")) -> Solution:
        solution = solution_declare(
            vendor=self.vendor,
            dataset=self.dataset,
            actor=self.vendor_agent,
            values=DESCRIPTION,
            purpose="Appliquer le tarif de cantine selon le quotient familial.",
            scope_slugs=scopes,
        )
        services.authorization_request_update(
            request=solution.request,
            actor=self.vendor_agent,
            values={**complete_values(), "title": solution.request.title},
        )
        return solution

    def approved(self, granted: tuple[str, ...] = ("qf", "allocataires")) -> Solution:
        solution = self.declared()
        services.authorization_request_submit(request=solution.request, actor=self.vendor_agent)
        services.authorization_request_validate(
            request=solution.request, actor=self.instructor, scope_slugs=granted
        )
        solution.refresh_from_db()
        return solution

    def join(self, solution: Solution, **kwargs: Any) -> AuthorizationRequest:
        return solution_join(
            solution=solution,
            organisation=self.client,
            actor=self.client_agent,
            values=join_values(),
            **kwargs,
        )


@pytest.fixture
def world() -> World:
    return World()


def scopes_of(request: AuthorizationRequest) -> set[str]:
    return set(request.requested_scopes.values_list("slug", flat=True))


def test_a_declared_solution_opens_a_draft_request_of_the_vendor(world):
    solution = world.declared()
    assert solution.request.organisation == world.vendor
    assert solution.request.state == RequestState.DRAFT
    assert solution.request.title.startswith("Solution Cantine Facile 4.2")
    assert scopes_of(solution.request) == {"qf", "allocataires", "enfants"}
    assert not approved_solutions(dataset=world.dataset).exists()


def test_a_solution_needs_its_description(world):
    with pytest.raises(ValidationError) as refused:
        solution_declare(
            vendor=world.vendor,
            dataset=world.dataset,
            actor=world.vendor_agent,
            values={**DESCRIPTION, "hosting": "  ", "version": ""},
        )
    assert set(refused.value.message_dict) == {"hosting", "version"}
    assert not AuthorizationRequest.objects.exists()


def test_only_the_vendor_members_manage_a_solution(world):
    solution = world.declared()
    assert can_manage_solution(world.vendor_agent, solution)
    assert not can_manage_solution(world.client_agent, solution)
    assert not can_manage_solution(world.instructor, solution)
    with pytest.raises(services.ActionForbidden):
        solution_update(solution=solution, actor=world.client_agent, values={"version": "5"})
    with pytest.raises(services.ActionForbidden):
        solution_declare(
            vendor=world.vendor, dataset=world.dataset, actor=world.client_agent, values=DESCRIPTION
        )
    solution_update(solution=solution, actor=world.vendor_agent, values={"version": "4.3"})
    solution.refresh_from_db()
    assert solution.version == "4.3"


def test_an_approved_solution_gives_the_vendor_no_production_credential(world):
    solution = world.approved()
    assert solution.is_approved()
    assert list(approved_solutions(dataset=world.dataset)) == [solution]
    habilitation = solution.request.habilitation
    assert habilitation is not None
    environments = set(habilitation.credentials.values_list("environment", flat=True))
    assert environments == {Environment.SANDBOX}


def test_joining_inherits_the_approved_scopes_and_the_solution_blocks(world):
    solution = world.approved(granted=("qf", "allocataires"))
    joined = world.join(solution)
    assert joined.state == RequestState.SUBMITTED
    assert joined.organisation == world.client
    # The solution asked for the children too, but was approved without them.
    assert scopes_of(joined) == {"qf", "allocataires"}
    assert joined.purpose == solution.request.purpose
    assert joined.data_recipients == solution.request.data_recipients
    assert joined.retention_months == solution.request.retention_months
    assert joined.dpo_email == "dpo@commune.fr"
    assert joined.legal_basis_article == "Délibération du conseil municipal n° 2026-14"
    assert joined.solution_adhesion.solution == solution
    assert list(adhesions_to_decide(world.instructor)) == [joined.solution_adhesion]


def test_a_joining_request_may_narrow_the_scopes(world):
    solution = world.approved()
    joined = world.join(solution, scope_slugs=["qf"])
    assert scopes_of(joined) == {"qf"}


def test_a_joining_request_cannot_exceed_the_solution_scopes(world):
    solution = world.approved(granted=("qf",))
    with pytest.raises(ValidationError) as refused:
        world.join(solution, scope_slugs=["qf", "enfants"])
    assert "enfants" in refused.value.message_dict["scopes"][0]
    assert not AuthorizationRequest.objects.filter(organisation=world.client).exists()


def test_joining_needs_an_approved_solution(world):
    solution = world.declared()
    with pytest.raises(services.TransitionRefused):
        world.join(solution)
    services.authorization_request_submit(request=solution.request, actor=world.vendor_agent)
    with pytest.raises(services.TransitionRefused):
        world.join(solution)
    assert not AuthorizationRequest.objects.filter(organisation=world.client).exists()


def test_an_incomplete_joining_request_keeps_nothing(world):
    solution = world.approved()
    with pytest.raises(services.TransitionRefused) as refused:
        solution_join(
            solution=solution,
            organisation=world.client,
            actor=world.client_agent,
            values=join_values(dpo_name="", dpo_email=""),
        )
    assert any("délégué" in problem for problem in refused.value.problems)
    assert not AuthorizationRequest.objects.filter(organisation=world.client).exists()


def test_only_the_client_applicants_join_and_never_the_vendor_itself(world):
    solution = world.approved()
    with pytest.raises(services.ActionForbidden):
        solution_join(
            solution=solution,
            organisation=world.client,
            actor=world.vendor_agent,
            values=join_values(),
        )
    with pytest.raises(services.TransitionRefused):
        solution_join(
            solution=solution,
            organisation=world.vendor,
            actor=world.vendor_agent,
            values=join_values(),
        )


def test_a_client_joins_a_solution_once(world):
    solution = world.approved()
    world.join(solution)
    with pytest.raises(services.TransitionRefused) as refused:
        world.join(solution)
    assert "déjà une adhésion" in refused.value.message


def test_validation_gives_the_client_its_own_habilitation_operated_by_the_vendor(world):
    solution = world.approved()
    joined = services.authorization_request_validate(
        request=world.join(solution), actor=world.instructor
    )
    habilitation = joined.habilitation
    assert habilitation is not None
    assert habilitation.organisation == world.client
    assert habilitation != solution.request.habilitation
    assert set(habilitation.scopes.values_list("slug", flat=True)) == {"qf", "allocataires"}
    assert set(habilitation.credentials.values_list("environment", flat=True)) == {
        Environment.SANDBOX,
        Environment.PRODUCTION,
    }
    assert operator_of_habilitation(habilitation.pk) == world.vendor
    assert operator_of_habilitation(solution.request.habilitation_id) is None


def test_revoking_the_solution_revokes_the_joined_habilitations(world):
    solution = world.approved()
    joined = services.authorization_request_validate(
        request=world.join(solution), actor=world.instructor
    )
    other_client = OrganisationFactory()
    waiting = solution_join(
        solution=solution,
        organisation=other_client,
        actor=applicant(other_client),
        values=join_values(),
    )

    services.authorization_request_revoke(
        request=solution.request, actor=world.instructor, comment="Faille de sécurité"
    )

    joined.refresh_from_db()
    assert joined.state == RequestState.REVOKED
    assert joined.habilitation is not None
    assert joined.habilitation.revoked_at is not None
    assert "Cantine Facile" in joined.transitions.last().comment
    assert not approved_solutions(dataset=world.dataset).exists()
    # A joining request still waiting can no longer be validated.
    assert not can_take(world.instructor, "validate", waiting)
    with pytest.raises(services.TransitionRefused) as refused:
        services.authorization_request_validate(request=waiting, actor=world.instructor)
    assert "n'est plus habilitée" in refused.value.message


def test_the_vendor_follows_its_clients_requests_without_their_details(world):
    solution = world.approved()
    joined = world.join(solution)
    adhesion = joined.solution_adhesion
    stranger = applicant(OrganisationFactory())
    assert can_read_adhesion(world.client_agent, joined)
    assert can_read_adhesion(world.instructor, joined)
    assert not can_read_adhesion(world.vendor_agent, joined)
    assert can_follow_adhesion(world.vendor_agent, adhesion)
    assert not can_follow_adhesion(stranger, adhesion)
