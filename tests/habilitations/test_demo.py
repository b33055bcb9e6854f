from io import StringIO

import pytest

from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations.demo import load_demo
from dlnuf.habilitations.models import AuthorizationRequest, RequestState
from dlnuf.organisations.demo import load_demo as load_demo_accounts

pytestmark = pytest.mark.django_db


def test_demo_requests_cover_every_state_and_load_twice_without_change() -> None:
    catalogue_load()
    load_demo_accounts(stdout=StringIO())
    first = StringIO()
    load_demo(stdout=first)
    second = StringIO()
    load_demo(stdout=second)

    # The vendor's solution and its client's joining request are checked with the solutions.
    requests = AuthorizationRequest.objects.filter(
        solution__isnull=True, solution_adhesion__isnull=True
    )
    states = sorted(requests.values_list("state", flat=True))
    assert states == sorted(
        [
            RequestState.DRAFT,
            RequestState.SUBMITTED,
            RequestState.CHANGES_REQUESTED,
            RequestState.VALIDATED,
            RequestState.REFUSED,
        ]
    )
    assert first.getvalue().count(": créée") == 6
    assert second.getvalue().count(": déjà présente") == 6
    validated = requests.get(state=RequestState.VALIDATED)
    assert validated.habilitation is not None
    assert validated.habilitation.credentials.count() == 2
    assert all(c.reveal.revealed_at is None for c in validated.habilitation.credentials.all())
    changes = requests.get(state=RequestState.CHANGES_REQUESTED)
    assert changes.messages.count() == 1
    assert changes.transitions.get(action="request_changes").comment
