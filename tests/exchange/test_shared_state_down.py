"""With the shared store (Redis) down, the gateway answers a clear 503 and sends nothing
uncounted; a cache or a breaker count lost after the provider answered loses no answer."""

import signal
import socket
from typing import Any

import pytest
import redis
from django.test import Client

from dlnuf.exchange import services
from dlnuf.journal.models import JournalEntry
from tests.exchange.factories import (
    COMPANY_PATH,
    PERSON_PATH,
    QUOTIENT_DATA,
    company_dataset,
    credential_for,
    person_dataset,
)
from tests.exchange.factories import person_query as query_for
from tests.exchange.providers import FakeProvider, envelope
from tests.live_stack import redis_as_cache, redis_server

pytestmark = pytest.mark.django_db

SIREN = "130025265"
UNIT = {"siren": SIREN, "personne_morale_attributs": {"raison_sociale": "DINUM"}}


def get(client: Client, secret: str, query: dict[str, object]) -> Any:
    return client.get(
        "/api/v1/data/quotient-test", query, headers={"Authorization": f"Bearer {secret}"}
    )


@pytest.fixture
def consumer(
    fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, dict[str, object]]:
    monkeypatch.setenv("DLNUF_TEST_PROVIDER_TOKEN", "jeton-amont")
    fake_provider.answer(PERSON_PATH, envelope(QUOTIENT_DATA))
    dataset = person_dataset(base_url=fake_provider.url, sandbox_path="api-test")
    secret, credential = credential_for(dataset, ["qf"])
    return secret, query_for(credential.habilitation.organisation.siret)


def test_redis_stopped_is_a_503_with_nothing_sent_and_the_refusal_journaled(
    client: Client,
    settings: Any,
    fake_provider: FakeProvider,
    consumer: tuple[str, dict[str, object]],
) -> None:
    secret, query = consumer
    with redis_server() as url, redis_as_cache(settings, url):
        assert get(client, secret, query).status_code == 200
        calls_while_up = len(fake_provider.requests)
        assert calls_while_up == 1
    # The server is stopped; the gateway's settings still point at it.
    response = get(client, secret, query)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "shared_state_unavailable"
    assert "data" not in problem
    assert response["Retry-After"] == "5"
    assert len(fake_provider.requests) == calls_while_up
    last = JournalEntry.objects.order_by("-index").first()
    assert last is not None
    assert (last.status, last.code) == (503, "shared_state_unavailable")


def failing(*args: object, **kwargs: object) -> None:
    raise redis.exceptions.ConnectionError("Connection refused")


@pytest.fixture
def company_consumer(
    fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, dict[str, object]]:
    """A dataset without personal data whose answers the gateway keeps in the shared cache."""
    monkeypatch.setenv("DLNUF_TEST_PROVIDER_TOKEN", "jeton-amont")
    fake_provider.answer(COMPANY_PATH.format(siren=SIREN), envelope(UNIT))
    dataset = company_dataset(base_url=fake_provider.url)
    dataset.cache_seconds = 60
    dataset.save()
    secret, credential = credential_for(dataset, ["unites_legales"])
    siret = credential.habilitation.organisation.siret
    return secret, {"siren": SIREN, "recipient": siret, "context": "Marché", "object": "lot 3"}


@pytest.mark.parametrize("step", ["response_cache_get", "response_cache_put", "breaker_success"])
def test_a_store_failing_after_the_count_loses_no_answer(
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    company_consumer: tuple[str, dict[str, object]],
    step: str,
) -> None:
    secret, query = company_consumer
    called: list[str] = []

    def fails(*args: object, **kwargs: object) -> None:
        called.append(step)
        failing()

    monkeypatch.setattr(services, step, fails)
    response = client.get(
        "/api/v1/data/entreprise-test", query, headers={"Authorization": f"Bearer {secret}"}
    )
    assert called == [step]
    assert response.status_code == 200
    assert response.json()["data"] == UNIT
    assert JournalEntry.objects.get().code == "ok"


def test_a_breaker_that_cannot_be_read_sends_nothing(
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    fake_provider: FakeProvider,
    consumer: tuple[str, dict[str, object]],
) -> None:
    secret, query = consumer
    monkeypatch.setattr(services, "breaker_permit", failing)
    response = get(client, secret, query)
    assert response.status_code == 503
    assert response.json()["code"] == "shared_state_unavailable"
    assert fake_provider.requests == []


def stuck(signum: int, frame: object) -> None:
    raise AssertionError("the call waited 30 s for a Redis that never answers")


def test_a_redis_that_accepts_and_never_answers_is_a_503_not_a_stuck_worker(
    client: Client,
    settings: Any,
    fake_provider: FakeProvider,
    consumer: tuple[str, dict[str, object]],
) -> None:
    secret, query = consumer
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{port}/0",
                "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
            }
        }
        # Without a socket timeout the call would wait for Redis forever: the alarm ends it.
        signal.signal(signal.SIGALRM, stuck)
        signal.alarm(30)
        try:
            response = get(client, secret, query)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
    assert response.status_code == 503
    assert response.json()["code"] == "shared_state_unavailable"
    assert fake_provider.requests == []
