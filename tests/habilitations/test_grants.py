"""The gateway's view of a credential is read from the database on every call.

These tests run inside one transaction that is never committed, so no commit hook runs: what
the gateway sees here is what any other worker of any node sees after a change committed
elsewhere, whatever the cache.
"""

from datetime import timedelta
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from dlnuf.habilitations import services
from dlnuf.habilitations.models import Credential, Habilitation
from dlnuf.habilitations.selectors import Grant, grant_for_secret_hash
from dlnuf.habilitations.services import credential_hash
from tests.exchange.factories import credential_for, person_dataset
from tests.habilitations.factories import applicant

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued() -> tuple[str, Credential]:
    return credential_for(person_dataset(), ["qf"])


def prepared_lookups() -> int:
    """How many credential lookups this connection has prepared on the server."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements"
            " WHERE statement LIKE %s AND statement LIKE %s",
            ["%habilitations_credential%", "%secret_hash%"],
        )
        (count,) = cursor.fetchone()
    return int(count)


def read(secret: str) -> Grant:
    grant = grant_for_secret_hash(credential_hash(secret))
    assert grant is not None
    return grant


def test_a_grant_costs_one_query_and_unknown_secrets_are_none(
    issued: tuple[str, Credential], django_assert_num_queries: Any
) -> None:
    secret, _ = issued
    with django_assert_num_queries(1):
        grant = read(secret)
    assert (grant.dataset_slug, grant.scope_slugs, grant.revoked) == (
        "quotient-test",
        {"qf"},
        False,
    )
    with django_assert_num_queries(1):
        assert grant_for_secret_hash(credential_hash("dlnuf_prd_inconnu")) is None


def test_one_query_brings_every_scope_or_none(django_assert_num_queries: Any) -> None:
    dataset = person_dataset()
    secret, credential = credential_for(dataset, ["qf", "enfants", "ville"])
    with django_assert_num_queries(1):
        grant = read(secret)
    assert grant.scope_slugs == {"qf", "enfants", "ville"}
    assert grant.credential_id == credential.pk
    credential.habilitation.scopes.clear()
    with django_assert_num_queries(1):
        assert read(secret).scope_slugs == frozenset()


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_database_closed_is_replaced_once(
    issued: tuple[str, Credential],
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a server that ends a connection is PostgreSQL's case")
    secret, _ = issued
    assert not read(secret).revoked
    assert prepared_lookups() == 1  # the connection about to end holds the prepared lookup
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    # The server ends the connection, as after a restart or a failover, while the gateway's
    # worker holds it open between calls.
    with psycopg.connect(
        **{
            key: value
            for key, value in connection.get_connection_params().items()
            if key in {"dbname", "user", "password", "host", "port"}
        },
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    for _ in range(3):
        assert not read(secret).revoked
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
    # The new connection prepared the lookup again, on its own.
    assert prepared_lookups() == 1


def test_on_postgresql_the_lookup_is_planned_once_per_connection(
    issued: tuple[str, Credential], django_assert_num_queries: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    secret, credential = issued
    assert prepared_lookups() == 0
    for _ in range(3):
        assert read(secret).credential_id == credential.pk
    assert prepared_lookups() == 1
    # Prepared, it still reads what is committed now, in one query.
    credential.revoked_at = timezone.now()
    credential.save(update_fields=["revoked_at"])
    with django_assert_num_queries(1):
        assert read(secret).revoked
    assert grant_for_secret_hash(credential_hash("dlnuf_prd_inconnu")) is None
    assert prepared_lookups() == 1


def test_revocations_written_elsewhere_apply_to_the_next_read(
    issued: tuple[str, Credential],
) -> None:
    secret, credential = issued
    assert not read(secret).revoked

    Credential.objects.filter(pk=credential.pk).update(revoked_at=timezone.now())
    assert read(secret).revoked

    Credential.objects.filter(pk=credential.pk).update(revoked_at=None)
    assert not read(secret).revoked
    Habilitation.objects.filter(pk=credential.habilitation_id).update(revoked_at=timezone.now())
    assert read(secret).revoked


def test_expiry_and_scopes_written_elsewhere_apply_to_the_next_read(
    issued: tuple[str, Credential],
) -> None:
    secret, credential = issued
    first = read(secret)
    soon = timezone.now() + timedelta(minutes=5)

    Credential.objects.filter(pk=credential.pk).update(expires_at=soon)
    credential.habilitation.scopes.add(credential.habilitation.dataset.scopes.get(slug="enfants"))

    again = read(secret)
    assert first.expires_at > soon
    assert again.expires_at == soon
    assert again.scope_slugs == {"qf", "enfants"}


def test_a_rotated_out_credential_ends_with_its_grace_period(
    issued: tuple[str, Credential], settings: Any
) -> None:
    settings.DLNUF_CREDENTIAL_ROTATION_GRACE_HOURS = 1
    secret, credential = issued
    holder = applicant(credential.habilitation.organisation)
    assert read(secret).expires_at > timezone.now() + timedelta(days=1)

    services.credential_rotate(credential=credential, actor=holder)

    # The gateway refuses a grant once expires_at has passed: one hour from now, not later.
    assert read(secret).expires_at <= timezone.now() + timedelta(hours=1)
    assert not read(secret).revoked


def test_a_credential_rotated_without_grace_is_refused_at_once(
    issued: tuple[str, Credential], settings: Any
) -> None:
    settings.DLNUF_CREDENTIAL_ROTATION_GRACE_HOURS = 0
    secret, credential = issued
    holder = applicant(credential.habilitation.organisation)
    assert not read(secret).revoked

    services.credential_rotate(credential=credential, actor=holder)

    assert read(secret).revoked
