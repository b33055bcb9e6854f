"""Expiry reminders: 30 and 7 days before the term, once per threshold and term."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import timezone

from dlnuf.habilitations import services
from dlnuf.habilitations.models import ExpiryReminder, Habilitation
from dlnuf.habilitations.services import habilitation_revoke
from tests.exchange.factories import credential_for, person_dataset
from tests.habilitations.workflow import cast

pytestmark = pytest.mark.django_db


def expiry_reminders_send(**kwargs: Any) -> int:
    """Reminders are stored in the outbox and delivered once their transaction commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.expiry_reminders_send(**kwargs)


def expiring(days: float, slug: str = "quotient-test") -> Habilitation:
    people = cast(person_dataset(slug=slug))
    habilitation = people.validated().habilitation
    assert habilitation is not None
    Habilitation.objects.filter(pk=habilitation.pk).update(
        expires_at=timezone.now() + timedelta(days=days)
    )
    habilitation.refresh_from_db()
    return habilitation


def test_each_threshold_is_sent_once_per_term() -> None:
    habilitation = expiring(40)
    now = timezone.now()

    assert expiry_reminders_send(now=now) == 0
    assert expiry_reminders_send(now=now + timedelta(days=11)) == 1
    assert expiry_reminders_send(now=now + timedelta(days=12)) == 0
    assert expiry_reminders_send(now=now + timedelta(days=34)) == 1
    assert expiry_reminders_send(now=now + timedelta(days=35)) == 0

    assert [m.subject for m in mail.outbox] == [
        f"Votre habilitation expire dans 29 jours : {habilitation.dataset.title}",
        f"Votre habilitation expire dans 6 jours : {habilitation.dataset.title}",
    ]


def test_a_late_first_run_sends_only_the_nearest_threshold() -> None:
    expiring(5)
    assert expiry_reminders_send() == 1
    assert expiry_reminders_send() == 0
    assert sorted(ExpiryReminder.objects.values_list("threshold_days", flat=True)) == [7, 30]
    assert "expire dans 5 jours" in mail.outbox[0].subject


def test_a_renewed_term_gets_its_own_reminders() -> None:
    habilitation = expiring(5)
    expiry_reminders_send()
    Habilitation.objects.filter(pk=habilitation.pk).update(
        expires_at=habilitation.expires_at + timedelta(days=3)
    )
    assert expiry_reminders_send() == 1


def test_revoked_and_expired_habilitations_are_left_alone() -> None:
    habilitation = expiring(5)
    habilitation_revoke(habilitation=habilitation)
    expiring(-1, slug="autre-test")
    assert expiry_reminders_send() == 0


def test_operator_granted_habilitations_remind_the_organisation_applicants() -> None:
    from tests.habilitations.factories import applicant

    _, credential = credential_for(person_dataset(), ["qf"], expires_in_days=3)
    organisation = credential.habilitation.organisation
    agent = applicant(organisation)
    assert expiry_reminders_send() == 1
    assert mail.outbox[0].to == [agent.email]


def test_the_command_reports_in_french_and_checks_its_arguments() -> None:
    expiring(20)
    out = StringIO()
    call_command("send_expiry_reminders", "--days", "30,7", stdout=out)
    assert out.getvalue().strip() == "1 rappel d'échéance envoyé."
    with pytest.raises(CommandError, match="nombres de jours"):
        call_command("send_expiry_reminders", "--days", "trente")
