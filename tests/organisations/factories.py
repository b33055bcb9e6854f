"""People and roles for the sign-in and roles tests."""

import factory
from factory.django import DjangoModelFactory

from dlnuf.organisations.models import User

PASSWORD = "un-mot-de-passe-solide-2026"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"agent{n}@exemple.gouv.fr")
    username = factory.LazyAttribute(lambda user: user.email)
    first_name = factory.Sequence(lambda n: f"Prénom{n}")
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    password = factory.django.Password(PASSWORD)
