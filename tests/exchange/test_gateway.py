"""The exchange service end to end against a provider on loopback: breakers, response cache,
catalogue changes, sandbox routing and the journal's part."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from dlnuf.catalogue.selectors import forget_dataset_rules
from dlnuf.habilitations.models import Environment
from dlnuf.journal.errors import JournalUnavailable
from dlnuf.journal.models import JournalEntry
from tests.exchange.factories import (
    COMPANY_PATH,
    PERSON_PATH,
    QUOTIENT_DATA,
    company_dataset,
    credential_for,
    person_dataset,
    person_query,
)
from tests.exchange.providers import FakeProvider, envelope, upstream_error

pytestmark = pytest.mark.django_db

SIREN = "130025265"
UNIT = {"siren": SIREN, "personne_morale_attributs": {"raison_sociale": "DINUM"}}


def get(client: Client, slug: str, secret: str, query: dict[str, object], **headers: str) -> Any:
    return client.get(
        f"/api/v1/data/{slug}", query, headers={"Authorization": f"Bearer {secret}", **headers}
    )


@pytest.fixture
def person(
    fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[str, dict[str, object]]]:
    monkeypatch.setenv("DLNUF_TEST_PROVIDER_TOKEN", "jeton-amont")
    fake_provider.answer(PERSON_PATH, envelope(QUOTIENT_DATA))
    dataset = person_dataset(base_url=fake_provider.url, sandbox_path="api-test")

    def consumer(scopes: list[str] | None = None, **options: Any) -> tuple[str, dict[str, object]]:
        secret, credential = credential_for(dataset, scopes or ["qf"], **options)
        return secret, person_query(credential.habilitation.organisation.siret)

    return consumer


def company_query(siret: str) -> dict[str, object]:
    return {"siren": SIREN, "recipient": siret, "context": "Marché public", "object": "lot 3"}


@pytest.fixture
def company(
    fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[str, dict[str, object]]]:
    monkeypatch.setenv("DLNUF_TEST_PROVIDER_TOKEN", "jeton-amont")
    fake_provider.answer(COMPANY_PATH.format(siren=SIREN), envelope(UNIT))

    def consumer(**dataset_options: Any) -> tuple[str, dict[str, object]]:
        dataset = company_dataset(base_url=fake_provider.url)
        for name, value in dataset_options.items():
            setattr(dataset, name, value)
        dataset.save()
        secret, credential = credential_for(dataset, ["unites_legales"])
        return secret, company_query(credential.habilitation.organisation.siret)

    return consumer


# --- circuit breaker ---------------------------------------------------------------------------


@pytest.fixture
def quick_breaker(settings: Any) -> None:
    settings.DLNUF_BREAKER_FAILURE_THRESHOLD = 2
    settings.DLNUF_BREAKER_RESET_SECONDS = 0.05


@pytest.mark.usefixtures("quick_breaker")
def test_breaker_opens_then_half_open_trial_closes_it(
    client: Client, fake_provider: FakeProvider, person: Callable[..., Any]
) -> None:
    secret, query = person()
    fake_provider.answer(PERSON_PATH, upstream_error("37999"), status=500)
    assert [get(client, "quotient-test", secret, query).status_code for _ in range(2)] == [502, 502]

    refused = get(client, "quotient-test", secret, query)
    assert (refused.status_code, refused.json()["code"]) == (503, "circuit_open")
    assert int(refused["Retry-After"]) >= 1
    assert len(fake_provider.requests) == 2

    fake_provider.answer(PERSON_PATH, envelope(QUOTIENT_DATA))
    time.sleep(0.1)
    assert get(client, "quotient-test", secret, query).status_code == 200
    assert get(client, "quotient-test", secret, query).status_code == 200
    assert len(fake_provider.requests) == 4


@pytest.mark.usefixtures("quick_breaker")
def test_failed_half_open_trial_opens_the_breaker_again(
    client: Client, fake_provider: FakeProvider, person: Callable[..., Any]
) -> None:
    secret, query = person()
    fake_provider.answer(PERSON_PATH, upstream_error("37999"), status=503)
    for _ in range(2):
        get(client, "quotient-test", secret, query)

    time.sleep(0.1)
    trial = get(client, "quotient-test", secret, query)
    after_trial = get(client, "quotient-test", secret, query)

    assert trial.json()["code"] == "provider_unavailable"
    assert after_trial.json()["code"] == "circuit_open"
    assert len(fake_provider.requests) == 3


@pytest.mark.usefixtures("quick_breaker")
def test_answers_about_the_subject_do_not_trip_the_breaker(
    client: Client, fake_provider: FakeProvider, person: Callable[..., Any]
) -> None:
    secret, query = person()
    fake_provider.answer(PERSON_PATH, upstream_error("37003"), status=404)

    codes = [get(client, "quotient-test", secret, query).json()["code"] for _ in range(4)]

    assert codes == ["subject_not_found"] * 4


@pytest.mark.usefixtures("quick_breaker")
def test_sandbox_and_upstream_have_separate_breakers(
    client: Client, fake_provider: FakeProvider, person: Callable[..., Any], settings: Any
) -> None:
    settings.DLNUF_SANDBOX_URL = fake_provider.url + "/sandbox"
    secret, query = person()
    sandbox_secret, sandbox_query = person(environment=Environment.SANDBOX)
    fake_provider.answer(PERSON_PATH, upstream_error("37999"), status=500)
    fake_provider.answer("/sandbox/api-test" + PERSON_PATH, envelope(QUOTIENT_DATA))
    for _ in range(3):
        get(client, "quotient-test", secret, query)

    assert get(client, "quotient-test", secret, query).json()["code"] == "circuit_open"
    assert get(client, "quotient-test", sandbox_secret, sandbox_query).status_code == 200


# --- sandbox routing ---------------------------------------------------------------------------


def test_sandbox_credential_is_served_by_the_sandbox_without_the_upstream_token(
    client: Client, fake_provider: FakeProvider, person: Callable[..., Any], settings: Any
) -> None:
    settings.DLNUF_SANDBOX_URL = fake_provider.url + "/sandbox"
    fake_provider.answer(
        "/sandbox/api-test" + PERSON_PATH, envelope({"quotient_familial": {"valeur": 1}})
    )
    secret, query = person(environment=Environment.SANDBOX)

    response = get(client, "quotient-test", secret, query)

    assert response.json()["data"] == {"quotient_familial": {"valeur": 1}}
    sent = fake_provider.requests[0]
    assert sent.path == "/sandbox/api-test" + PERSON_PATH
    assert sent.headers["authorization"] != "Bearer jeton-amont"


# --- response cache ----------------------------------------------------------------------------


def test_company_answers_are_reused_and_each_reuse_is_journaled(
    client: Client, fake_provider: FakeProvider, company: Callable[..., Any]
) -> None:
    secret, query = company(cache_seconds=60)

    first = get(client, "entreprise-test", secret, query)
    second = get(client, "entreprise-test", secret, query | {"object": "lot 4"})

    assert (first["X-Response-Cached"], second["X-Response-Cached"]) == ("false", "true")
    assert first.json()["data"] == second.json()["data"] == UNIT
    assert len(fake_provider.requests) == 1
    entries = JournalEntry.objects.order_by("index")
    assert [(e.code, e.object) for e in entries] == [("ok", "lot 3"), ("ok", "lot 4")]
    assert entries[0].subject_key == entries[1].subject_key


def test_no_cache_header_bypasses_the_response_cache(
    client: Client, fake_provider: FakeProvider, company: Callable[..., Any]
) -> None:
    secret, query = company(cache_seconds=60)
    get(client, "entreprise-test", secret, query)

    response = get(client, "entreprise-test", secret, query, **{"Cache-Control": "no-cache"})

    assert response["X-Response-Cached"] == "false"
    assert len(fake_provider.requests) == 2


def test_the_platform_wide_cache_setting_applies_to_non_personal_data(
    client: Client, fake_provider: FakeProvider, company: Callable[..., Any], settings: Any
) -> None:
    settings.DLNUF_RESPONSE_CACHE_SECONDS = 60
    secret, query = company()

    get(client, "entreprise-test", secret, query)
    response = get(client, "entreprise-test", secret, query)

    assert response["X-Response-Cached"] == "true"
    assert len(fake_provider.requests) == 1


def test_personal_data_is_never_cached(
    client: Client, fake_provider: FakeProvider, company: Callable[..., Any], settings: Any
) -> None:
    settings.DLNUF_RESPONSE_CACHE_SECONDS = 60
    secret, query = company(cache_seconds=60, holds_personal_data=True)

    get(client, "entreprise-test", secret, query)
    response = get(client, "entreprise-test", secret, query)

    assert response["X-Response-Cached"] == "false"
    assert len(fake_provider.requests) == 2


def test_failures_are_not_cached(
    client: Client, fake_provider: FakeProvider, company: Callable[..., Any]
) -> None:
    secret, query = company(cache_seconds=60)
    fake_provider.answer(COMPANY_PATH.format(siren=SIREN), upstream_error("04003"), status=404)
    get(client, "entreprise-test", secret, query)
    fake_provider.answer(COMPANY_PATH.format(siren=SIREN), envelope(UNIT))

    response = get(client, "entreprise-test", secret, query)

    assert (response.status_code, response["X-Response-Cached"]) == (200, "false")


# --- catalogue changes and the journal ---------------------------------------------------------


def test_a_catalogue_change_reaches_the_gateway(
    client: Client, fake_provider: FakeProvider, person: Callable[..., Any]
) -> None:
    secret, query = person(["qf"])
    assert set(get(client, "quotient-test", secret, query).json()["data"]) == {"quotient_familial"}

    from dlnuf.catalogue.models import Scope

    Scope.objects.filter(dataset__slug="quotient-test", slug="qf").update(
        fields=["quotient_familial", "enfants"]
    )
    forget_dataset_rules(["quotient-test"])

    data = get(client, "quotient-test", secret, query).json()["data"]
    assert set(data) == {"quotient_familial", "enfants"}


def test_journal_failure_on_a_refusal_still_answers_503(
    client: Client, person: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret, query = person()

    def unavailable(record: object) -> int:
        raise JournalUnavailable("disque plein")

    monkeypatch.setattr("dlnuf.exchange.services.journal_record", unavailable)

    response = get(client, "quotient-test", secret, query | {"sexeEtatCivil": "X"})

    assert (response.status_code, response.json()["code"]) == (503, "journal_unavailable")


def test_unknown_credentials_leave_no_journal_entry(
    client: Client, person: Callable[..., Any]
) -> None:
    _, query = person()

    response = get(client, "quotient-test", "dlnuf_prd_invente", query)

    assert response.status_code == 401
    assert not JournalEntry.objects.exists()


def test_a_slug_that_cannot_exist_is_journaled_without_it(
    client: Client, person: Callable[..., Any]
) -> None:
    secret, query = person()

    response = get(client, "jeu%00%C3%A9", secret, query)

    assert response.json()["code"] == "dataset_unknown"
    assert JournalEntry.objects.get().dataset_slug == ""


def test_rate_limited_exchanges_are_journaled(client: Client, person: Callable[..., Any]) -> None:
    secret, query = person(rate_limit_per_minute=1)

    statuses = [get(client, "quotient-test", secret, query).status_code for _ in range(3)]

    assert 429 in statuses
    assert JournalEntry.objects.filter(code="rate_limited", status=429).count() == statuses.count(
        429
    )
    assert JournalEntry.objects.count() == 3


def test_unexpected_fields_are_removed_counted_and_flagged_in_the_journal(
    client: Client, fake_provider: FakeProvider, person: Callable[..., Any]
) -> None:
    secret, query = person(["qf", "ville"])
    fake_provider.answer(
        PERSON_PATH,
        envelope(
            {
                **QUOTIENT_DATA,
                "quotient_familial": {"valeur": 2550, "nested_secret": "NIR 1 82 12"},
                "adresse": "1 RUE MONTORGUEIL 75002 PARIS",
            },
            {"leak": [{"nom_naissance": "LEFEBVRE"}], "adresse": {"ville": "PARIS"}},
        ),
    )

    response = get(client, "quotient-test", secret, query)

    body = response.json()
    assert body["data"] == {"quotient_familial": {"valeur": 2550}}
    assert body["links"] == {}
    entry = JournalEntry.objects.get(exchange_id=body["meta"]["exchange_id"])
    assert entry.unexpected_fields_removed
    assert entry.fields_returned == ("quotient_familial.valeur",)


def test_a_well_formed_answer_is_not_flagged(client: Client, person: Callable[..., Any]) -> None:
    secret, query = person(["qf", "allocataires", "ville"])

    body = get(client, "quotient-test", secret, query).json()

    assert body["data"] == {
        "quotient_familial": QUOTIENT_DATA["quotient_familial"],
        "allocataires": QUOTIENT_DATA["allocataires"],
        "adresse": {"code_postal_ville": "75002 PARIS"},
    }
    entry = JournalEntry.objects.get(exchange_id=body["meta"]["exchange_id"])
    assert not entry.unexpected_fields_removed


# Outside a test transaction: on PostgreSQL the refused statement would abort it, as it never does
# in the gateway, which runs each exchange outside any transaction.
@pytest.mark.django_db(transaction=True)
def test_a_database_error_after_authentication_answers_503_without_data(
    client: Client, person: Callable[..., Any], settings: Any
) -> None:
    secret, query = person()
    # Counters kept in the database, in a table that is not there: the database itself refuses.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "table_absente",
        }
    }

    response = get(client, "quotient-test", secret, query)

    assert (response.status_code, response.json()["code"]) == (503, "journal_unavailable")
    assert "data" not in response.json()
    assert not JournalEntry.objects.exists()
