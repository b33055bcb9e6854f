"""Invitations: a signed link, hashed at rest, single use, expiring; who may invite whom."""

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dlnuf.append_only import AppendOnlyViolation
from dlnuf.organisations.models import (
    Invitation,
    InvitationChange,
    InvitationState,
    Membership,
    Role,
    RoleChange,
    User,
)
from dlnuf.organisations.services import (
    InvitationUnusable,
    invitation_accept,
    invitation_create,
    invitation_withdraw,
    membership_grant,
)
from dlnuf.outbox.models import OutgoingEmail
from tests.exchange.factories import OrganisationFactory, ProviderFactory
from tests.organisations.factories import UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://guichet.exemple.gouv.fr"
NEW_PASSWORD = "Un-nouveau-mot-de-passe-2026"


@pytest.fixture(autouse=True)
def _site_url(settings: Any) -> None:
    settings.DLNUF_SITE_URL = SITE


@pytest.fixture
def administrator() -> User:
    user = UserFactory(email="admin@exemple.gouv.fr")
    membership_grant(user=user, role=Role.ADMINISTRATOR, granted_by=None)
    return user


@pytest.fixture
def lyon() -> Any:
    return OrganisationFactory(siret="21690123100011", name="Ville de Lyon")


@pytest.fixture
def paris() -> Any:
    return OrganisationFactory(siret="21750001600019", name="Ville de Paris")


@pytest.fixture
def lyon_applicant(lyon: Any) -> User:
    user = UserFactory(email="agent@lyon.fr")
    membership_grant(user=user, role=Role.APPLICANT, organisation=lyon, granted_by=None)
    return user


def invite(invited_by: User, **overrides: Any) -> Invitation:
    values: dict[str, Any] = {
        "email": "Lou.Girard@Lyon.fr",
        "first_name": "Lou",
        "last_name": "Girard",
        "role": Role.APPLICANT,
        **overrides,
    }
    return invitation_create(invited_by=invited_by, **values)


def token_from_outbox(email: str) -> str:
    message = OutgoingEmail.objects.filter(to=[email]).latest("pk")
    match = re.search(rf"{re.escape(SITE)}/invitation/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1)


def test_the_link_goes_by_email_and_only_its_hash_is_stored(administrator, lyon):
    invitation = invite(administrator, organisation=lyon)

    message = OutgoingEmail.objects.get()
    assert message.to == ["lou.girard@lyon.fr"]
    assert message.subject == "Invitation à créer votre compte du guichet"
    assert "demandeur pour Ville de Lyon" in message.body
    token = token_from_outbox("lou.girard@lyon.fr")
    assert len(token) >= 40
    assert token not in str(Invitation.objects.values().get())
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    [change] = InvitationChange.objects.all()
    assert (change.from_state, change.to_state, change.actor) == ("", "pending", administrator)


def test_accepting_creates_the_account_with_the_role_once(administrator, lyon):
    invitation = invite(administrator, organisation=lyon)
    token = token_from_outbox("lou.girard@lyon.fr")

    user = invitation_accept(token=token, password=NEW_PASSWORD)

    assert user.email == "lou.girard@lyon.fr"
    assert (user.first_name, user.last_name) == ("Lou", "Girard")
    assert user.check_password(NEW_PASSWORD)
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.organisation) == (Role.APPLICANT, lyon)
    assert RoleChange.objects.get(user=user).changed_by == administrator
    invitation.refresh_from_db()
    assert (invitation.state, invitation.accepted_user) == (InvitationState.ACCEPTED, user)
    assert [c.to_state for c in InvitationChange.objects.filter(invitation=invitation)] == [
        "pending",
        "accepted",
    ]
    with pytest.raises(InvitationUnusable) as used:
        invitation_accept(token=token, password="Encore-un-autre-2026")
    assert used.value.reason == "accepted"
    assert User.objects.filter(email="lou.girard@lyon.fr").count() == 1


def test_an_expired_a_withdrawn_or_an_unknown_link_opens_nothing(administrator, lyon):
    invitation = invite(administrator, organisation=lyon)
    token = token_from_outbox("lou.girard@lyon.fr")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    with pytest.raises(InvitationUnusable) as expired:
        invitation_accept(token=token, password=NEW_PASSWORD)
    assert expired.value.reason == "expired"

    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() + timedelta(days=1)
    )
    invitation_withdraw(invitation=invitation, withdrawn_by=administrator)
    with pytest.raises(InvitationUnusable) as withdrawn:
        invitation_accept(token=token, password=NEW_PASSWORD)
    assert withdrawn.value.reason == "withdrawn"

    with pytest.raises(InvitationUnusable) as unknown:
        invitation_accept(token=token[:-1] + "x", password=NEW_PASSWORD)
    assert unknown.value.reason == "unknown"
    assert not User.objects.filter(email="lou.girard@lyon.fr").exists()
    assert InvitationChange.objects.filter(to_state="withdrawn", actor=administrator).exists()


def test_an_applicant_invites_applicants_of_their_own_organisation_only(
    lyon_applicant, lyon, paris
):
    invitation = invite(lyon_applicant, organisation=lyon)
    assert invitation.invited_by == lyon_applicant

    with pytest.raises(PermissionDenied):
        invite(lyon_applicant, email="x@paris.fr", organisation=paris)
    for role in (Role.ADMINISTRATOR, Role.EXPERT):
        with pytest.raises(PermissionDenied):
            invite(lyon_applicant, email=f"{role}@lyon.fr", role=role)
    with pytest.raises(PermissionDenied):
        invite(lyon_applicant, email="i@lyon.fr", role=Role.INSTRUCTOR, provider=ProviderFactory())
    assert Invitation.objects.count() == 1


def test_someone_without_a_role_invites_nobody(lyon):
    with pytest.raises(PermissionDenied):
        invite(UserFactory(), organisation=lyon)


def test_an_existing_account_or_a_pending_invitation_is_refused(administrator, lyon):
    UserFactory(email="deja@lyon.fr")
    with pytest.raises(ValidationError) as taken:
        invite(administrator, email="Deja@Lyon.fr", organisation=lyon)
    assert taken.value.code == "email_taken"

    invite(administrator, organisation=lyon)
    with pytest.raises(ValidationError) as pending:
        invite(administrator, organisation=lyon)
    assert pending.value.code == "invitation_pending"


def test_the_invitation_history_is_append_only(administrator, lyon):
    invite(administrator, organisation=lyon)
    change = InvitationChange.objects.get()
    with pytest.raises(AppendOnlyViolation):
        change.save()
    with pytest.raises(AppendOnlyViolation):
        change.delete()
