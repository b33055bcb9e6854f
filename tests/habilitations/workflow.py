"""Helpers that take requests through the workflow, for the tests."""

from dataclasses import dataclass
from typing import Any

from dlnuf.catalogue.models import Dataset
from dlnuf.habilitations import services
from dlnuf.habilitations.models import AuthorizationRequest
from dlnuf.organisations.models import Organisation, User
from tests.exchange.factories import OrganisationFactory, person_dataset
from tests.habilitations.factories import applicant, draft_request, instructor


@dataclass
class Cast:
    dataset: Dataset
    organisation: Organisation
    applicant: User
    instructor: User

    def draft(self, **kwargs: Any) -> AuthorizationRequest:
        return draft_request(
            dataset=self.dataset, organisation=self.organisation, by=self.applicant, **kwargs
        )

    def submitted(self, **kwargs: Any) -> AuthorizationRequest:
        return services.authorization_request_submit(
            request=self.draft(**kwargs), actor=self.applicant
        )

    def validated(self, **kwargs: Any) -> AuthorizationRequest:
        return services.authorization_request_validate(
            request=self.submitted(), actor=self.instructor, **kwargs
        )


def cast(dataset: Dataset | None = None) -> Cast:
    dataset = dataset or person_dataset()
    organisation = OrganisationFactory()
    return Cast(
        dataset=dataset,
        organisation=organisation,
        applicant=applicant(organisation),
        instructor=instructor(dataset.provider),
    )


def perform(action: str, request: AuthorizationRequest, actor: User) -> Any:
    """Apply one button action through its service, with a comment."""
    comment = "Commentaire de test"
    match action:
        case "submit":
            return services.authorization_request_submit(request=request, actor=actor)
        case "request_changes":
            return services.authorization_request_request_changes(
                request=request, actor=actor, comment=comment
            )
        case "validate_sandbox":
            return services.authorization_request_validate_sandbox(request=request, actor=actor)
        case "request_production":
            return services.authorization_request_request_production(request=request, actor=actor)
        case "validate":
            return services.authorization_request_validate(request=request, actor=actor)
        case "refuse":
            return services.authorization_request_refuse(
                request=request, actor=actor, comment=comment
            )
        case "revoke":
            return services.authorization_request_revoke(
                request=request, actor=actor, comment=comment
            )
        case "reopen":
            return services.authorization_request_reopen(request=request, actor=actor)
    raise AssertionError(action)
