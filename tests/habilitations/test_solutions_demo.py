"""The demonstration has a vendor with an approved solution for the canteen, and a client's
joining request waiting for the instructor."""

from io import StringIO

import pytest

from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations.demo import load_demo
from dlnuf.habilitations.models import Environment, RequestState, Solution
from dlnuf.habilitations.solutions import approved_solutions
from dlnuf.organisations.demo import load_demo as load_demo_accounts

pytestmark = pytest.mark.django_db


def test_the_demonstration_has_an_approved_solution_joined_by_paris() -> None:
    catalogue_load()
    load_demo_accounts(stdout=StringIO())
    load_demo(stdout=StringIO())
    again = StringIO()
    load_demo(stdout=again)

    solution = Solution.objects.get()
    assert "Solution d'éditeur de démonstration : déjà présente" in again.getvalue()
    assert solution.vendor.siret == "84123456700011"
    assert solution.request.dataset.slug == "quotient-familial"
    assert list(approved_solutions()) == [solution]
    assert solution.request.habilitation is not None
    environments = set(
        solution.request.habilitation.credentials.values_list("environment", flat=True)
    )
    assert environments == {Environment.SANDBOX}
    adhesion = solution.adhesions.get()
    assert adhesion.request.organisation.siret == "21750001600019"
    assert adhesion.request.state == RequestState.SUBMITTED
