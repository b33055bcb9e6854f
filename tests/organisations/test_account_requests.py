"""Account requests: anyone asks with a valid SIRET; an administrator accepts (the person gets an
invitation, or the role when they already have an account) or refuses (they are told why)."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dlnuf.append_only import AppendOnlyViolation
from dlnuf.organisations.models import (
    AccountRequest,
    AccountRequestChange,
    AccountRequestState,
    Invitation,
    Membership,
    Organisation,
    Role,
    User,
)
from dlnuf.organisations.services import (
    account_request_decide,
    account_request_submit,
    membership_grant,
)
from dlnuf.outbox.models import OutgoingEmail
from tests.exchange.factories import ProviderFactory
from tests.organisations.factories import UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://guichet.exemple.gouv.fr"
PARIS = "21750001600019"


@pytest.fixture(autouse=True)
def _site_url(settings: Any) -> None:
    settings.DLNUF_SITE_URL = SITE


@pytest.fixture
def administrator() -> User:
    user = UserFactory(email="admin@exemple.gouv.fr")
    membership_grant(user=user, role=Role.ADMINISTRATOR, granted_by=None)
    return user


def submit(**overrides: Any) -> AccountRequest:
    values: dict[str, Any] = {
        "first_name": "Noa",
        "last_name": "Morel",
        "email": "Noa.Morel@Paris.fr",
        "siret": PARIS,
        "role": Role.APPLICANT,
        "reason": "Démarche de la cantine.",
        **overrides,
    }
    return account_request_submit(**values)


def test_a_request_is_recorded_with_its_history():
    account_request = submit()
    assert account_request.state == AccountRequestState.PENDING
    assert account_request.email == "noa.morel@paris.fr"
    [change] = AccountRequestChange.objects.all()
    assert (change.from_state, change.to_state, change.actor) == ("", "pending", None)
    with pytest.raises(AppendOnlyViolation):
        change.delete()


def test_a_wrong_siret_or_a_provider_role_without_provider_is_refused():
    with pytest.raises(ValidationError) as siret:
        submit(siret="21750001600018")
    assert siret.value.code == "invalid_siret"
    with pytest.raises(ValidationError) as provider:
        submit(role=Role.INSTRUCTOR)
    assert provider.value.code == "provider_required"
    with pytest.raises(ValidationError):
        submit(role=Role.ADMINISTRATOR)
    assert not AccountRequest.objects.exists()


def test_accepting_sends_an_invitation_for_the_organisation_of_the_siret(administrator):
    account_request = submit()

    decided = account_request_decide(
        account_request=account_request, decided_by=administrator, accept=True
    )

    assert decided.state == AccountRequestState.ACCEPTED
    assert decided.decided_by == administrator
    invitation = Invitation.objects.get()
    assert decided.invitation == invitation
    assert invitation.email == "noa.morel@paris.fr"
    assert invitation.organisation == Organisation.objects.get(siret=PARIS)
    assert invitation.invited_by == administrator
    message = OutgoingEmail.objects.get()
    assert message.to == ["noa.morel@paris.fr"]
    assert f"{SITE}/invitation/" in message.body
    assert [c.to_state for c in AccountRequestChange.objects.order_by("pk")] == [
        "pending",
        "accepted",
    ]
    with pytest.raises(ValidationError) as again:
        account_request_decide(
            account_request=account_request, decided_by=administrator, accept=False
        )
    assert again.value.code == "account_request_decided"


def test_accepting_for_an_existing_account_gives_the_role(administrator):
    provider = ProviderFactory(name="CNAF")
    existing = UserFactory(email="noa.morel@paris.fr")
    account_request = submit(role=Role.REPORTER, provider=provider)

    account_request_decide(account_request=account_request, decided_by=administrator, accept=True)

    membership = Membership.objects.get(user=existing)
    assert (membership.role, membership.provider) == (Role.REPORTER, provider)
    assert not Invitation.objects.exists()
    assert OutgoingEmail.objects.get().subject == "Votre demande de compte est acceptée"


def test_refusing_tells_the_person_why(administrator):
    account_request = submit()

    account_request_decide(
        account_request=account_request,
        decided_by=administrator,
        accept=False,
        comment="Adressez-vous au référent de votre direction.",
    )

    message = OutgoingEmail.objects.get()
    assert message.to == ["noa.morel@paris.fr"]
    assert message.subject == "Votre demande de compte"
    assert "n'a pas été acceptée" in message.body
    assert "Motif : Adressez-vous au référent de votre direction." in message.body
    assert not Invitation.objects.exists()
    change = AccountRequestChange.objects.latest("pk")
    assert (change.to_state, change.actor) == ("refused", administrator)
    assert change.comment == "Adressez-vous au référent de votre direction."


def test_only_administrators_decide():
    applicant = UserFactory()
    with pytest.raises(PermissionDenied):
        account_request_decide(account_request=submit(), decided_by=applicant, accept=True)
    assert AccountRequest.objects.get().state == AccountRequestState.PENDING
