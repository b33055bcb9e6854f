"""Granting and withdrawing roles, and the append-only log of those changes."""

import pytest
from django.core.exceptions import ValidationError

from dlnuf.organisations.models import Membership, Role, RoleChange, RoleChangeForbidden
from dlnuf.organisations.perms import can_manage_roles, organisations_of
from dlnuf.organisations.services import membership_grant, membership_revoke
from tests.exchange.factories import OrganisationFactory, ProviderFactory
from tests.organisations.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_grant_is_logged_with_who_and_when():
    admin = UserFactory()
    agent = UserFactory()
    organisation = OrganisationFactory()

    membership = membership_grant(
        user=agent,
        role=Role.APPLICANT,
        organisation=organisation,
        granted_by=admin,
        comment="arrivée dans le service",
    )

    assert list(organisations_of(agent)) == [organisation]
    change = RoleChange.objects.get()
    assert (change.user, change.action, change.role, change.organisation, change.changed_by) == (
        agent,
        "grant",
        "applicant",
        organisation,
        admin,
    )
    assert change.comment == "arrivée dans le service"
    assert change.occurred_at is not None
    assert membership.pk is not None


def test_granting_twice_keeps_one_role_and_one_log_line():
    agent = UserFactory()
    provider = ProviderFactory()
    for _ in range(2):
        membership_grant(user=agent, role=Role.INSTRUCTOR, provider=provider, granted_by=None)
    assert Membership.objects.filter(user=agent).count() == 1
    assert RoleChange.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "target", "message"),
    [
        (Role.APPLICANT, "provider", "SIRET"),
        (Role.APPLICANT, None, "SIRET"),
        (Role.INSTRUCTOR, "organisation", "fournisseur"),
        (Role.REPORTER, None, "fournisseur"),
        (Role.EXPERT, "organisation", "tout le guichet"),
        (Role.ADMINISTRATOR, "provider", "tout le guichet"),
    ],
)
def test_a_role_needs_its_own_kind_of_scope(role, target, message):
    targets = {"organisation": OrganisationFactory(), "provider": ProviderFactory()}
    kwargs = {target: targets[target]} if target else {}
    with pytest.raises(ValidationError, match=message):
        membership_grant(user=UserFactory(), role=role, granted_by=None, **kwargs)
    assert not Membership.objects.exists()
    assert not RoleChange.objects.exists()


def test_a_withdrawal_is_logged_and_removes_the_role():
    admin = UserFactory()
    agent = UserFactory()
    provider = ProviderFactory()
    membership = membership_grant(
        user=agent, role=Role.REPORTER, provider=provider, granted_by=admin
    )

    membership_revoke(membership=membership, revoked_by=admin, comment="départ")

    assert not Membership.objects.filter(user=agent).exists()
    latest = RoleChange.objects.first()
    assert latest is not None
    assert (latest.action, latest.role, latest.provider, latest.changed_by, latest.comment) == (
        "revoke",
        "reporter",
        provider,
        admin,
        "départ",
    )
    assert RoleChange.objects.count() == 2


def test_the_last_administrator_cannot_be_withdrawn():
    admin = UserFactory()
    own = membership_grant(user=admin, role=Role.ADMINISTRATOR, granted_by=None)
    with pytest.raises(ValidationError, match="dernier administrateur"):
        membership_revoke(membership=own, revoked_by=admin)
    assert can_manage_roles(admin)

    other = UserFactory()
    membership_grant(user=other, role=Role.ADMINISTRATOR, granted_by=admin)
    membership_revoke(membership=own, revoked_by=other)
    assert not can_manage_roles(admin)
    assert can_manage_roles(other)


def test_the_role_log_is_append_only():
    membership_grant(user=UserFactory(), role=Role.EXPERT, granted_by=None)
    change = RoleChange.objects.get()
    change.comment = "réécrit"
    with pytest.raises(RoleChangeForbidden):
        change.save()
    with pytest.raises(RoleChangeForbidden):
        change.delete()
    with pytest.raises(RoleChangeForbidden):
        RoleChange.objects.update(comment="réécrit")
    with pytest.raises(RoleChangeForbidden):
        RoleChange.objects.all().delete()
    assert RoleChange.objects.get().comment == ""
