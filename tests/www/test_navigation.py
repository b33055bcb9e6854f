"""The main menu shows each person the sections they can use, and nothing that would refuse them."""

import pytest
from django.test import Client

from dlnuf.catalogue.models import Provider
from dlnuf.organisations.models import Membership, Organisation, Role, User
from tests.organisations.factories import UserFactory

pytestmark = pytest.mark.django_db


def _menu(client: Client) -> list[str]:
    response = client.get("/")
    assert response.status_code == 200
    return [item["label"] for item in response.context["portal_navigation"]]


def _member(role: Role, **target: object) -> User:
    user = UserFactory()
    Membership.objects.create(user=user, role=role, **target)
    return user


def test_anonymous_visitors_see_the_catalogue_and_how_to_ask_for_help(client: Client) -> None:
    assert _menu(client) == ["Catalogue des données", "Demander de l'aide"]


def test_applicants_see_their_procedures(client: Client) -> None:
    organisation = Organisation.objects.create(siret="21690123100011", name="Ville de Lyon")
    client.force_login(_member(Role.APPLICANT, organisation=organisation))
    assert _menu(client) == [
        "Catalogue des données",
        "Mes démarches",
        "Habilitations",
        "Tableau de bord",
        "Boîte à outils",
        "Demander de l'aide",
    ]


def test_instructors_have_no_procedures_to_describe(client: Client) -> None:
    provider = Provider.objects.create(slug="cnaf-msa", name="CNAF / MSA")
    client.force_login(_member(Role.INSTRUCTOR, provider=provider))
    assert "Mes démarches" not in _menu(client)
    assert "Habilitations" in _menu(client)


def test_experts_read_every_procedure(client: Client) -> None:
    client.force_login(_member(Role.EXPERT))
    assert "Mes démarches" in _menu(client)


def test_only_experts_and_administrators_see_the_desk(client: Client) -> None:
    provider = Provider.objects.create(slug="cnaf-msa", name="CNAF / MSA")
    organisation = Organisation.objects.create(siret="21690123100011", name="Ville de Lyon")
    for role, target, sees_desk in (
        (Role.EXPERT, {}, True),
        (Role.ADMINISTRATOR, {}, True),
        (Role.APPLICANT, {"organisation": organisation}, False),
        (Role.INSTRUCTOR, {"provider": provider}, False),
        (Role.REPORTER, {"provider": provider}, False),
    ):
        client.force_login(_member(role, **target))
        assert ("Guichet" in _menu(client)) is sees_desk, role
