"""People, organisations and procedures for the procedure and diagnostic tests."""

from typing import Any

import factory
from factory.django import DjangoModelFactory

from dlnuf.organisations.models import Membership, Organisation, Role, User
from dlnuf.organisations.services import organisation_get_or_create
from dlnuf.procedures.models import ItemSource, Procedure
from dlnuf.procedures.services import procedure_items_add

PASSWORD = "mot-de-passe-des-demarches-2026"
LYON = "21690123100011"
PARIS = "21750001600019"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"agent.demarches{n}@exemple.gouv.fr")
    username = factory.LazyAttribute(lambda user: user.email)
    first_name = factory.Sequence(lambda n: f"Prénom{n}")
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    password = factory.django.Password(PASSWORD)


def organisation(siret: str = LYON, name: str = "Ville de Lyon") -> Organisation:
    return organisation_get_or_create(siret=siret, name=name)


def applicant(of: Organisation, **kwargs: Any) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, role=Role.APPLICANT, organisation=of)
    return user


def global_user(role: Role, **kwargs: Any) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, role=role)
    return user


def procedure(
    by: User,
    of: Organisation,
    *,
    name: str = "Inscription à la cantine scolaire",
    yearly_volume: int = 1000,
    labels: tuple[str, ...] = (),
) -> Procedure:
    created = Procedure.objects.create(
        organisation=of, name=name, yearly_volume=yearly_volume, created_by=by
    )
    if labels:
        procedure_items_add(procedure=created, labels=labels, source=ItemSource.TYPED, added_by=by)
    return created
