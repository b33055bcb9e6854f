"""Roles administration pages: administrators only; every change logged with who and when."""

import html
import re

import pytest
from django.urls import reverse

from dlnuf.organisations.models import Membership, Organisation, Role, RoleChange
from dlnuf.organisations.services import membership_grant
from tests.exchange.factories import OrganisationFactory, ProviderFactory, valid_siret
from tests.organisations.factories import UserFactory

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


@pytest.fixture
def admin():
    user = UserFactory(first_name="Ada", last_name="Admin")
    membership_grant(user=user, role=Role.ADMINISTRATOR, granted_by=None)
    return user


@pytest.fixture
def agent():
    return UserFactory(first_name="Camille", last_name="Rivière", email="camille@exemple.gouv.fr")


@pytest.mark.parametrize("role", [None, Role.APPLICANT, Role.INSTRUCTOR, Role.EXPERT])
def test_only_administrators_reach_the_roles_pages(client, agent, role):
    someone = UserFactory()
    targets = {
        Role.APPLICANT: {"organisation": OrganisationFactory()},
        Role.INSTRUCTOR: {"provider": ProviderFactory()},
    }
    if role:
        membership_grant(user=someone, role=role, granted_by=None, **targets.get(role, {}))
    own = membership_grant(user=agent, role=Role.EXPERT, granted_by=None)
    client.force_login(someone)

    assert client.get(reverse("www:user_list")).status_code == 403
    assert client.get(reverse("www:user_roles", args=[agent.pk])).status_code == 403
    granted = client.post(reverse("www:user_roles", args=[agent.pk]), {"role": "administrator"})
    assert granted.status_code == 403
    withdrawn = client.post(reverse("www:membership_withdraw", args=[agent.pk, own.pk]))
    assert withdrawn.status_code == 403
    assert list(Membership.objects.filter(user=agent)) == [own]


def test_an_administrator_finds_a_person(client, admin, agent):
    UserFactory(first_name="Dominique", last_name="Leroy")
    client.force_login(admin)

    page = _text(client.get(reverse("www:user_list"), {"q": "rivi"}))

    assert "Camille Rivière" in page
    assert "Dominique" not in page
    assert reverse("www:user_roles", args=[agent.pk]) in page
    assert "Dominique Leroy" in _text(client.get(reverse("www:user_list")))


def test_an_administrator_grants_an_applicant_role_by_siret(client, admin, agent):
    siret = valid_siret("2169012310001")
    client.force_login(admin)

    response = client.post(
        reverse("www:user_roles", args=[agent.pk]),
        {"role": "applicant", "siret": siret, "comment": "nouvel agent"},
    )

    assert response.status_code == 302
    membership = Membership.objects.get(user=agent)
    assert membership.role == Role.APPLICANT
    assert membership.organisation == Organisation.objects.get(siret=siret)
    change = RoleChange.objects.filter(user=agent).get()
    assert (change.changed_by, change.comment) == (admin, "nouvel agent")
    page = _text(client.get(response.url))
    assert "a le rôle « demandeur" in page
    assert "Ada Admin" in page  # who, in the history
    assert "nouvel agent" in page


def test_an_administrator_grants_provider_and_global_roles(client, admin, agent):
    cnaf = ProviderFactory(slug="cnaf-msa", name="CNAF")
    client.force_login(admin)
    url = reverse("www:user_roles", args=[agent.pk])
    client.post(url, {"role": "instructor", "provider": cnaf.pk})
    client.post(url, {"role": "reporter", "provider": cnaf.pk})
    client.post(url, {"role": "expert"})
    client.post(url, {"role": "administrator"})
    held = set(Membership.objects.filter(user=agent).values_list("role", "provider__slug"))
    assert held == {
        ("instructor", "cnaf-msa"),
        ("reporter", "cnaf-msa"),
        ("expert", None),
        ("administrator", None),
    }
    assert RoleChange.objects.filter(user=agent, changed_by=admin).count() == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": "applicant"}, "Indiquez le SIRET de l'organisation du demandeur."),
        ({"role": "applicant", "siret": "12345678901234"}, "n'est pas un SIRET valide"),
        ({"role": "instructor"}, "Choisissez le fournisseur de données."),
        ({"role": "chef"}, "Sélectionnez un choix valide."),
    ],
)
def test_a_grant_with_missing_or_wrong_scope_is_explained(client, admin, agent, data, message):
    client.force_login(admin)
    response = client.post(reverse("www:user_roles", args=[agent.pk]), data)
    assert response.status_code == 200
    assert message in _text(response)
    assert not Membership.objects.filter(user=agent).exists()


def test_an_administrator_withdraws_a_role(client, admin, agent):
    membership = membership_grant(user=agent, role=Role.EXPERT, granted_by=admin)
    client.force_login(admin)

    response = client.post(reverse("www:membership_withdraw", args=[agent.pk, membership.pk]))

    assert response.status_code == 302
    assert not Membership.objects.filter(user=agent).exists()
    assert RoleChange.objects.filter(user=agent, action="revoke", changed_by=admin).exists()
    assert "Rôle « expert du guichet » retiré" in _text(client.get(response.url))


def test_a_role_of_someone_else_cannot_be_withdrawn_through_another_page(client, admin, agent):
    other = UserFactory()
    membership = membership_grant(user=other, role=Role.EXPERT, granted_by=admin)
    client.force_login(admin)
    response = client.post(reverse("www:membership_withdraw", args=[agent.pk, membership.pk]))
    assert response.status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_the_last_administrator_is_kept(client, admin):
    client.force_login(admin)
    own = Membership.objects.get(user=admin)
    response = client.post(reverse("www:membership_withdraw", args=[admin.pk, own.pk]))
    assert "dernier administrateur" in _text(client.get(response.url))
    assert Membership.objects.filter(pk=own.pk).exists()


def test_withdrawing_needs_a_post(client, admin, agent):
    membership = membership_grant(user=agent, role=Role.EXPERT, granted_by=admin)
    client.force_login(admin)
    response = client.get(reverse("www:membership_withdraw", args=[agent.pk, membership.pk]))
    assert response.status_code == 405
