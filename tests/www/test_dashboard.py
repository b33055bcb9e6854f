"""The dashboard: figures from known journal entries, credentials and their actions."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dlnuf.habilitations import services
from dlnuf.habilitations.models import Credential, Environment, HabilitationEvent
from dlnuf.habilitations.selectors import usage_per_dataset, usage_per_day
from dlnuf.journal.outcomes import OutcomeCounts
from dlnuf.journal.services import journal_record
from dlnuf.organisations.models import Role, User
from tests.exchange.factories import OrganisationFactory
from tests.habilitations.factories import applicant, global_user, reporter
from tests.habilitations.workflow import cast
from tests.journal.factories import ExchangeRecordFactory

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


CODE_FOR_STATUS = {200: "ok", 404: "subject_not_found", 502: "provider_error"}


def record(siret: str, slug: str, at: datetime, status: int = 200) -> None:
    journal_record(
        ExchangeRecordFactory(
            consumer_siret=siret,
            dataset_slug=slug,
            occurred_at=at,
            status=status,
            code=CODE_FOR_STATUS[status],
        )
    )


@pytest.fixture
def usage() -> dict[str, Any]:
    people = cast()
    people.validated()
    other = OrganisationFactory()
    now = timezone.now()
    today = timezone.localtime(now).replace(hour=12, minute=0, second=0, microsecond=0)
    if today > now:
        today -= timedelta(days=1)
    mine, slug = people.organisation.siret, people.dataset.slug
    for at, status in [
        (today, 200),
        (today, 200),
        (today, 404),
        (today - timedelta(days=1), 200),
        (today - timedelta(days=1), 502),
        (today - timedelta(days=45), 200),
    ]:
        record(mine, slug, at, status)
    record(mine, "autre-donnee", today, 200)
    record(other.siret, slug, today, 200)
    return {"people": people, "today": today.date(), "now": now, "other": other}


def test_usage_selectors_count_calls_by_outcome_per_day_and_dataset(usage: dict[str, Any]) -> None:
    people, today = usage["people"], usage["today"]
    mine = [people.organisation.siret]

    per_day = usage_per_day(consumer_sirets=mine, days=30, now=usage["now"])
    per_dataset = usage_per_dataset(consumer_sirets=mine, days=30, now=usage["now"])

    # The 404 is a refusal, not an error: only the provider's 502 counts as one.
    assert [(row.day, row.dataset_slug, row.outcomes, row.errors) for row in per_day] == [
        (today - timedelta(days=1), people.dataset.slug, OutcomeCounts(1, 0, 1, 0), 1),
        (today, "autre-donnee", OutcomeCounts(1, 0, 0, 0), 0),
        (today, people.dataset.slug, OutcomeCounts(2, 1, 0, 0), 0),
    ]
    assert [(row.dataset_slug, row.outcomes, row.consumers) for row in per_dataset] == [
        ("autre-donnee", OutcomeCounts(1, 0, 0, 0), 1),
        (people.dataset.slug, OutcomeCounts(3, 1, 1, 0), 1),
    ]
    provider_side = usage_per_dataset(dataset_slugs=[people.dataset.slug], now=usage["now"])
    assert [(row.outcomes, row.consumers) for row in provider_side] == [
        (OutcomeCounts(4, 1, 1, 0), 2)
    ]


def test_consumer_dashboard_shows_requests_habilitations_credentials_and_calls(
    usage: dict[str, Any],
) -> None:
    people = usage["people"]
    response = client_for(people.applicant).get(reverse("www:dashboard"))

    assert response.status_code == 200
    consumer = response.context["consumer"]
    assert consumer["usage"]["chart"].total_calls == 6
    assert consumer["usage"]["chart"].total_errors == 1
    assert len(consumer["usage"]["chart"].bars) == 30
    assert len(consumer["credentials"]) == 2
    page = response.content.decode()
    assert people.dataset.title in page
    for credential in Credential.objects.filter(habilitation__organisation=people.organisation):
        assert f"{credential.prefix}…" in page
    assert "<td>5</td><td><strong>60\u202f%</strong>" in page
    assert response.context["provider"] is None


def test_provider_dashboard_shows_requests_to_decide_consumers_and_volumes(
    usage: dict[str, Any],
) -> None:
    people = usage["people"]
    waiting = cast(people.dataset).submitted()
    for user in (people.instructor, reporter(people.dataset.provider)):
        response = client_for(user).get(reverse("www:dashboard"))
        provider = response.context["provider"]
        assert [item.pk for item, _badge in provider["to_decide"]] == [waiting.pk]
        assert [row.habilitation.organisation for row in provider["consumers"]] == [
            people.organisation
        ]
        assert [
            (title, row.calls, row.consumers) for title, row in provider["usage"]["per_dataset"]
        ] == [(people.dataset.title, 6, 2)]
        assert response.context["consumer"] is None


def test_renew_is_offered_near_the_term_and_extends_habilitation_and_credentials() -> None:
    people = cast()
    habilitation = people.validated().habilitation
    assert habilitation is not None
    client = client_for(people.applicant)
    url = reverse("www:habilitation_renew", kwargs={"pk": habilitation.pk})

    response = client.post(url, follow=True)
    assert "Le renouvellement est possible dans les 90 jours" in response.content.decode()

    soon = timezone.now() + timedelta(days=20)
    type(habilitation).objects.filter(pk=habilitation.pk).update(expires_at=soon)
    habilitation.credentials.update(expires_at=soon)
    assert url in client.get(reverse("www:dashboard")).content.decode()
    client.post(url)

    habilitation.refresh_from_db()
    assert habilitation.expires_at - timezone.now() > timedelta(days=540)
    for credential in habilitation.credentials.all():
        assert credential.expires_at == habilitation.expires_at
    assert HabilitationEvent.objects.filter(habilitation=habilitation, kind="renewed").exists()


def test_rotate_issues_a_new_secret_and_keeps_the_old_one_for_the_grace_period() -> None:
    people = cast()
    habilitation = people.validated().habilitation
    assert habilitation is not None
    old = habilitation.credentials.get(environment=Environment.PRODUCTION)
    client = client_for(people.applicant)

    response = client.post(reverse("www:credential_rotate", kwargs={"pk": old.pk}))

    new = (
        habilitation.credentials.filter(environment=Environment.PRODUCTION).exclude(pk=old.pk).get()
    )
    assert response["Location"] == reverse("www:credential_reveal", kwargs={"pk": new.pk})
    old.refresh_from_db()
    assert old.revoked_at is None
    assert timedelta(hours=23) < old.expires_at - timezone.now() <= timedelta(hours=24)
    shown = client.post(response["Location"])
    assert shown.context["secret"].startswith("dlnuf_prd_")


def test_rotate_with_no_grace_revokes_at_once(settings: Any) -> None:
    settings.DLNUF_CREDENTIAL_ROTATION_GRACE_HOURS = 0
    people = cast()
    habilitation = people.validated().habilitation
    assert habilitation is not None
    old = habilitation.credentials.get(environment=Environment.SANDBOX)
    services.credential_rotate(credential=old, actor=people.applicant)
    old.refresh_from_db()
    assert old.revoked_at is not None


def test_revoke_a_credential_from_the_dashboard() -> None:
    people = cast()
    habilitation = people.validated().habilitation
    assert habilitation is not None
    credential = habilitation.credentials.get(environment=Environment.SANDBOX)
    url = reverse("www:credential_revoke", kwargs={"pk": credential.pk})

    assert client_for(applicant(OrganisationFactory())).post(url).status_code == 404
    assert client_for(global_user(Role.EXPERT)).post(url).status_code == 403
    client_for(people.applicant).post(url)

    credential.refresh_from_db()
    assert credential.revoked_at is not None


def test_someone_without_a_role_gets_an_explanation() -> None:
    from tests.habilitations.factories import UserFactory

    response = client_for(UserFactory()).get(reverse("www:dashboard"))
    assert "Aucune organisation ni aucun fournisseur" in response.content.decode()
