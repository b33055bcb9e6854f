"""The daily digest: off until the address is confirmed, each visible consultation listed once,
a deferred one listed when its delay ends (never before, never skipped), no data value, and an
unsubscribe link in every e-mail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dlnuf.catalogue.services import catalogue_load
from dlnuf.outbox.models import OutgoingEmail
from dlnuf.people.models import NoticeSubscription
from dlnuf.people.notices import (
    notice_subscription_confirm,
    notice_subscription_end,
    notice_subscription_request,
    notices_send,
    subscription_for_confirmation,
    subscription_for_unsubscribe,
)
from tests.people.access_world import MARIE, PAUL, habilitation, organisations, person, record
from tests.people.report_world import outbox_to, report_world

pytestmark = pytest.mark.django_db
ADDRESS = "marie@exemple.fr"
DECREE = "Article L114-17 du code de la sécurité sociale"


@pytest.fixture
def world():
    return report_world()


def _subscribed(now=None) -> NoticeSubscription:
    subscription = notice_subscription_request(viewer=person(MARIE), email=ADDRESS)
    return notice_subscription_confirm(subscription=subscription, now=now)


def _digests() -> list[OutgoingEmail]:
    return [mail for mail in outbox_to(ADDRESS) if "consultation" in mail.subject]


def test_nothing_is_sent_before_the_address_is_confirmed(world):
    subscription = notice_subscription_request(viewer=person(MARIE), email=ADDRESS)
    (confirmation,) = outbox_to(ADDRESS)
    assert "Confirmez" in confirmation.subject
    assert "List-Unsubscribe" not in confirmation.headers
    record(MARIE, occurred_at=timezone.now(), grant=world.grant)
    assert notices_send() == 0
    assert outbox_to(ADDRESS) == [confirmation]
    token = confirmation.body.split("confirmer=")[1].split()[0]
    assert subscription_for_confirmation(token) == subscription
    assert subscription_for_confirmation(token + "x") is None


def test_only_consultations_after_confirmation_are_listed_once_with_an_unsubscribe_link(world):
    _subscribed()
    assert notices_send() == 0
    record(MARIE, occurred_at=timezone.now(), grant=world.grant)
    record(PAUL, occurred_at=timezone.now(), grant=world.grant)
    assert notices_send() == 1
    (digest,) = _digests()
    assert digest.subject == "Vos données : 1 nouvelle consultation"
    assert "Ville de Lyon" in digest.body
    assert "Inscription à la cantine" in digest.body
    # Neither the case reference (hidden by the habilitation) nor anything of Paul.
    assert "Dossier" not in digest.body
    token = digest.body.split("desabonner=")[1].split()[0]
    assert subscription_for_unsubscribe(token) is not None
    assert digest.headers["List-Unsubscribe"].startswith("<http")
    # A second run the same day sends nothing again.
    assert notices_send() == 0
    assert len(_digests()) == 1


def test_a_deferred_consultation_is_listed_when_its_delay_ends_and_later_ones_once(world):
    now = timezone.now()
    _subscribed(now=now - timedelta(days=1))
    investigating = habilitation(
        world.grant.organisation,
        subject_visibility_delay_days=10,
        subject_visibility_delay_reference=DECREE,
    )
    deferred = record(MARIE, occurred_at=now - timedelta(hours=12), grant=investigating)
    later = record(MARIE, occurred_at=now - timedelta(hours=1), grant=world.grant)
    assert deferred < later

    assert notices_send(now=now) == 1
    (first,) = _digests()
    assert "1 nouvelle consultation" in first.subject

    # The days of the delay: the later entry is not listed again, the deferred one not yet.
    assert notices_send(now=now + timedelta(days=5)) == 0
    # Once the delay has ended, the deferred one comes, alone.
    assert notices_send(now=now + timedelta(days=10)) == 1
    second = _digests()[1]
    assert "1 nouvelle consultation" in second.subject
    assert notices_send(now=now + timedelta(days=11)) == 0
    subscription = NoticeSubscription.objects.get()
    assert subscription.notified_through_index == later
    assert subscription.notified_beyond == []


def test_an_unsubscribed_address_gets_nothing_more(world):
    subscription = _subscribed()
    notice_subscription_end(subscription=subscription)
    record(MARIE, occurred_at=timezone.now(), grant=world.grant)
    assert notices_send() == 0
    assert _digests() == []


def test_confirming_again_replaces_the_earlier_address(world):
    first = _subscribed()
    second = notice_subscription_request(viewer=person(MARIE), email="autre@exemple.fr")
    notice_subscription_confirm(subscription=second)
    first.refresh_from_db()
    assert first.unsubscribed_at is not None
    record(MARIE, occurred_at=timezone.now(), grant=world.grant)
    assert notices_send() == 1
    assert _digests() == []


def test_the_first_entry_of_the_journal_is_listed_too():
    # The journal counts from 0: a subscription made on an empty journal must not skip it.
    catalogue_load()
    lyon, _ = organisations()
    _subscribed()
    assert record(MARIE, occurred_at=timezone.now(), grant=habilitation(lyon)) == 0
    assert notices_send() == 1
