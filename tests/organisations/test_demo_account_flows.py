"""Demonstration data for the account pages: one pending invitation, one account request to
decide, no e-mail sent for them, nothing added when loaded again."""

from io import StringIO

import pytest

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import load_demo
from dlnuf.organisations.models import AccountRequest, Invitation, InvitationState
from dlnuf.outbox.models import OutgoingEmail

pytestmark = pytest.mark.django_db


def test_the_demonstration_has_a_pending_invitation_and_account_request():
    catalogue_load()
    load_demo(stdout=StringIO())
    load_demo(stdout=StringIO())

    invitation = Invitation.objects.get()
    assert invitation.state == InvitationState.PENDING
    assert invitation.invited_by.email == "agent.lyon@demo.dlnuf.fr"
    assert invitation.organisation is not None
    assert invitation.organisation.name == "Ville de Lyon"
    assert AccountRequest.objects.get().state == "pending"
    assert not OutgoingEmail.objects.exists()
