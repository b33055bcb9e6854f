"""Demonstration accounts: exactly the published table, refused in production, idempotent."""

from io import StringIO

import pytest
from django.core.management import CommandError

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import DEMO_PASSWORD, load_demo
from dlnuf.organisations.models import Membership, RoleChange, User
from dlnuf.organisations.sign_in import sign_in_with_password

pytestmark = pytest.mark.django_db

EXPECTED = {
    "agent.lyon@demo.dlnuf.fr": ("applicant", "21690123100011", None),
    "agent.paris@demo.dlnuf.fr": ("applicant", "21750001600019", None),
    "editeur@demo.dlnuf.fr": ("applicant", "84123456700011", None),
    "instructeur.cnaf@demo.dlnuf.fr": ("instructor", None, "cnaf-msa"),
    "instructeur.insee@demo.dlnuf.fr": ("instructor", None, "insee"),
    "rapporteur.cnaf@demo.dlnuf.fr": ("reporter", None, "cnaf-msa"),
    "expert@demo.dlnuf.fr": ("expert", None, None),
    "admin@demo.dlnuf.fr": ("administrator", None, None),
}


def _roles() -> dict[str, tuple[str, str | None, str | None]]:
    return {
        membership.user.email: (
            membership.role,
            membership.organisation.siret if membership.organisation else None,
            membership.provider.slug if membership.provider else None,
        )
        for membership in Membership.objects.select_related("user", "organisation", "provider")
    }


def test_it_creates_exactly_the_published_accounts():
    catalogue_load()
    out = StringIO()
    load_demo(stdout=out)

    assert set(User.objects.values_list("email", flat=True)) == set(EXPECTED)
    assert _roles() == EXPECTED
    for email in EXPECTED:
        user = sign_in_with_password(
            request=None, email=email, password=DEMO_PASSWORD, client_ip="127.0.0.1"
        )
        assert user.email == email
        assert email in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()
    assert User.objects.get(email="agent.lyon@demo.dlnuf.fr").memberships.get().organisation.name
    assert not User.objects.filter(is_superuser=True).exists()


def test_running_it_again_changes_nothing_but_restores_lost_roles():
    catalogue_load()
    load_demo(stdout=StringIO())
    user = User.objects.get(email="expert@demo.dlnuf.fr")
    user.set_password("changé-par-la-personne-2026")
    user.save()
    Membership.objects.filter(user__email="rapporteur.cnaf@demo.dlnuf.fr").delete()
    changes = RoleChange.objects.count()

    out = StringIO()
    load_demo(stdout=out)

    assert _roles() == EXPECTED
    assert User.objects.count() == len(EXPECTED)
    assert RoleChange.objects.count() == changes + 1
    assert "rôle rétabli" in out.getvalue()
    assert out.getvalue().count("déjà présent") == len(EXPECTED) - 1
    user.refresh_from_db()
    assert user.check_password("changé-par-la-personne-2026")


def test_it_is_refused_in_production(settings):
    catalogue_load()
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="refusés en production"):
        load_demo(stdout=StringIO())
    assert not User.objects.exists()


def test_it_needs_the_catalogue_providers():
    with pytest.raises(CommandError, match="load_catalogue"):
        load_demo(stdout=StringIO())
    assert not User.objects.exists()
