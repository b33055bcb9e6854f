"""The exchange API contract: ``GET /api/v1/data/<slug>`` as client software sees it."""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from dlnuf.api.data import EXCHANGE_CODES
from dlnuf.exchange.errors import PROBLEMS
from dlnuf.habilitations.models import Credential
from dlnuf.habilitations.services import credential_revoke
from dlnuf.journal.errors import JournalUnavailable
from dlnuf.journal.models import JournalEntry
from dlnuf.journal.subjects import subject_key
from tests.exchange.factories import (
    PERSON_PATH,
    QUOTIENT_DATA,
    ScopeFactory,
    company_dataset,
    credential_for,
    person_dataset,
    person_query,
    valid_siret,
)
from tests.exchange.providers import (
    FakeProvider,
    envelope,
    fake_provider_running,
    refused_url,
    upstream_error,
)

pytestmark = pytest.mark.django_db

UPSTREAM_LINKS = {"self": "https://fournisseur.example/v3/quotient"}


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    with fake_provider_running() as provider:
        yield provider


@dataclass
class Consumer:
    client: Client
    provider: FakeProvider
    secret: str
    credential: Credential
    siret: str

    def get(
        self, slug: str = "quotient-test", *, secret: str | None = None, **params: object
    ) -> HttpResponse:
        query = person_query(self.siret, **params)
        token = self.secret if secret is None else secret
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.get(f"/api/v1/data/{slug}", query, headers=headers)


@pytest.fixture
def consumer(
    client: Client, fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> Consumer:
    monkeypatch.setenv("DLNUF_TEST_PROVIDER_TOKEN", "jeton-amont")
    fake_provider.answer(PERSON_PATH, envelope(QUOTIENT_DATA, UPSTREAM_LINKS))
    dataset = person_dataset(base_url=fake_provider.url)
    secret, credential = credential_for(dataset, ["qf", "ville"])
    return Consumer(
        client=client,
        provider=fake_provider,
        secret=secret,
        credential=credential,
        siret=credential.habilitation.organisation.siret,
    )


def test_success_answers_minimised_data_links_and_meta(consumer: Consumer) -> None:
    response = consumer.get()

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"data", "links", "meta"}
    assert body["data"] == {
        "adresse": {"code_postal_ville": "75002 PARIS"},
        "quotient_familial": QUOTIENT_DATA["quotient_familial"],
    }
    # No scope names a link: the upstream's never leave the gateway.
    assert body["links"] == {}
    assert set(body["meta"]) == {"provider", "exchange_id", "journal_index"}
    assert body["meta"]["provider"] == "cnaf-test"
    assert isinstance(body["meta"]["journal_index"], int)
    uuid.UUID(body["meta"]["exchange_id"])


def test_success_carries_rate_limit_and_cache_headers(consumer: Consumer) -> None:
    first = consumer.get()
    second = consumer.get()

    assert first["RateLimit-Limit"] == "1200"
    assert first["RateLimit-Remaining"] == "1199"
    assert 1 <= int(first["RateLimit-Reset"]) <= 60
    assert first["X-Response-Cached"] == "false"
    assert int(second["RateLimit-Remaining"]) in (1198, 1199)  # 1199 if a new minute began
    assert "Retry-After" not in first


def test_success_is_journaled_with_names_but_no_personal_values(consumer: Consumer) -> None:
    body = consumer.get().json()

    entry = JournalEntry.objects.get(index=body["meta"]["journal_index"])
    assert str(entry.exchange_id) == body["meta"]["exchange_id"]
    assert entry.consumer_siret == consumer.siret
    assert entry.credential_id == consumer.credential.pk
    assert entry.habilitation_id == consumer.credential.habilitation_id
    assert entry.dataset_slug == "quotient-test"
    assert entry.provider == "cnaf-test"
    assert entry.scopes == ("qf", "ville")
    assert entry.fields_returned == (
        "adresse.code_postal_ville",
        "quotient_familial.fournisseur",
        "quotient_familial.valeur",
        "quotient_familial.annee",
        "quotient_familial.mois",
    )
    assert (entry.status, entry.code) == (200, "ok")
    assert (entry.recipient, entry.context, entry.object) == (
        consumer.siret,
        "Tarification de la cantine scolaire",
        "dossier-2024-042",
    )
    expected_identity = {
        "nomNaissance": "LEFEBVRE",
        "prenoms": ["ALEXIS", "JEAN"],
        "sexeEtatCivil": "F",
        "anneeDateNaissance": "1982",
        "moisDateNaissance": "12",
        "jourDateNaissance": "27",
        "codeCogInseeCommuneNaissance": "08480",
        "codeCogInseePaysNaissance": "99100",
    }
    assert entry.subject_key == subject_key(expected_identity)
    stored = " ".join(
        str(value) for value in JournalEntry.objects.filter(pk=entry.pk).values().first().values()
    )
    for personal in ("LEFEBVRE", "ALEXIS", "1982", "08480", "2550", "PARIS"):
        assert personal not in stored


def test_upstream_receives_its_own_parameters_and_the_platform_token(consumer: Consumer) -> None:
    consumer.get()

    sent = consumer.provider.requests[-1]
    assert sent.path == PERSON_PATH
    assert ("prenoms[]", "ALEXIS") in sent.query
    assert ("prenoms[]", "JEAN") in sent.query
    assert ("nomNaissance", "LEFEBVRE") in sent.query
    assert ("recipient", consumer.siret) in sent.query
    # API Particulier takes recipient as its only trace parameter.
    assert {name for name, _ in sent.query} & {"context", "object"} == set()
    assert sent.headers["authorization"] == "Bearer jeton-amont"


def test_every_answer_after_authentication_carries_rate_limit_headers(consumer: Consumer) -> None:
    response = consumer.get(recipient=valid_siret("1300252650001"))

    assert response.status_code == 403
    assert response["RateLimit-Limit"] == "1200"
    assert "RateLimit-Remaining" in response


def test_rate_limited_answer_says_when_to_retry(consumer: Consumer) -> None:
    Credential.objects.filter(pk=consumer.credential.pk).update(rate_limit_per_minute=1)
    responses = [consumer.get() for _ in range(3)]

    assert responses[0].status_code == 200
    limited = next(r for r in responses if r.status_code == 429)
    assert limited.json()["code"] == "rate_limited"
    assert limited["RateLimit-Limit"] == "1"
    assert limited["RateLimit-Remaining"] == "0"
    assert limited["Retry-After"] == limited["RateLimit-Reset"]
    assert 1 <= int(limited["Retry-After"]) <= 60


def test_revocation_takes_effect_at_once(
    consumer: Consumer, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    assert consumer.get().status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        credential_revoke(credential=consumer.credential)

    response = consumer.get()
    assert response.status_code == 401
    assert response.json()["code"] == "credential_revoked"


def test_expiry_takes_effect_at_its_date(consumer: Consumer) -> None:
    Credential.objects.filter(pk=consumer.credential.pk).update(
        expires_at=timezone.now() + timedelta(seconds=1)
    )
    assert consumer.get().status_code == 200

    later = timezone.now() + timedelta(seconds=2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("dlnuf.exchange.services.timezone.now", lambda: later)
        response = consumer.get()

    assert response.status_code == 401
    assert response.json()["code"] == "credential_expired"


# --- every problem code ----------------------------------------------------------------------


@dataclass
class Scenario:
    consumer: Consumer
    settings: object
    monkeypatch: pytest.MonkeyPatch


def _company_consumer(scenario: Scenario) -> Consumer:
    provider = scenario.consumer.provider
    dataset = company_dataset(base_url=provider.url)
    secret, credential = credential_for(dataset, ["unites_legales"], siret=scenario.consumer.siret)
    return Consumer(scenario.consumer.client, provider, secret, credential, scenario.consumer.siret)


def _company_params(siren: str) -> dict[str, object]:
    return {
        name: None for name in person_query("x") if name not in ("recipient", "context", "object")
    } | {"siren": siren}


def _answer(scenario: Scenario, status: int, body: object, **options: object) -> HttpResponse:
    scenario.consumer.provider.answer(PERSON_PATH, body, status=status, **options)
    return scenario.consumer.get()


def _expired(scenario: Scenario) -> HttpResponse:
    Credential.objects.filter(pk=scenario.consumer.credential.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    return scenario.consumer.get()


def _revoked(scenario: Scenario) -> HttpResponse:
    credential_revoke(credential=scenario.consumer.credential)
    return scenario.consumer.get()


def _other_dataset(scenario: Scenario) -> HttpResponse:
    person_dataset(base_url=scenario.consumer.provider.url, slug="autre-jeu")
    return scenario.consumer.get("autre-jeu")


def _scopes_withdrawn(scenario: Scenario) -> HttpResponse:
    dataset = scenario.consumer.credential.habilitation.dataset
    dataset.scopes.filter(slug__in=["qf", "ville"]).delete()
    ScopeFactory(dataset=dataset, slug="nouveau", fields=["quotient_familial"])
    return scenario.consumer.get()


def _rate_limited(scenario: Scenario) -> HttpResponse:
    Credential.objects.filter(pk=scenario.consumer.credential.pk).update(rate_limit_per_minute=1)
    responses = [scenario.consumer.get() for _ in range(3)]
    return next(r for r in responses if r.status_code == 429)


def _refused(scenario: Scenario) -> HttpResponse:
    dataset = scenario.consumer.credential.habilitation.dataset
    type(dataset.connector).objects.filter(pk=dataset.connector_id).update(base_url=refused_url())
    return scenario.consumer.get()


def _circuit_open(scenario: Scenario) -> HttpResponse:
    scenario.settings.DLNUF_BREAKER_FAILURE_THRESHOLD = 2
    scenario.consumer.provider.answer(PERSON_PATH, upstream_error("37999"), status=500)
    assert [scenario.consumer.get().status_code for _ in range(2)] == [502, 502]
    calls_before = len(scenario.consumer.provider.requests)
    response = scenario.consumer.get()
    assert len(scenario.consumer.provider.requests) == calls_before
    return response


def _journal_down(scenario: Scenario) -> HttpResponse:
    def unavailable(record: object) -> int:
        raise JournalUnavailable("base indisponible")

    scenario.monkeypatch.setattr("dlnuf.exchange.services.journal_record", unavailable)
    return scenario.consumer.get()


def _shared_state_down(scenario: Scenario) -> HttpResponse:
    # Redis stopped for real: tests/exchange/test_shared_state_down.py.
    def unreachable(**kwargs: object) -> None:
        raise redis.exceptions.ConnectionError("Connection refused")

    scenario.monkeypatch.setattr("dlnuf.exchange.services.rate_limit_hit", unreachable)
    calls_before = len(scenario.consumer.provider.requests)
    response = scenario.consumer.get()
    assert len(scenario.consumer.provider.requests) == calls_before
    return response


def _timeout(scenario: Scenario) -> HttpResponse:
    dataset = scenario.consumer.credential.habilitation.dataset
    type(dataset.connector).objects.filter(pk=dataset.connector_id).update(timeout_seconds=0.2)
    return _answer(scenario, 200, envelope(QUOTIENT_DATA), delay=1.0)


SCENARIOS: dict[str, Callable[[Scenario], HttpResponse]] = {
    "missing_parameter": lambda s: s.consumer.get(nomNaissance=None),
    "invalid_parameter": lambda s: s.consumer.get(sexeEtatCivil="X"),
    "unknown_parameter": lambda s: s.consumer.get(numeroFiscal="123"),
    "repeated_parameter": lambda s: s.consumer.get(nomNaissance=["DUPONT", "DURAND"]),
    "recipient_is_subject": lambda s: _company_consumer(s).get(
        "entreprise-test", **_company_params(s.consumer.siret[:9])
    ),
    "credential_missing": lambda s: s.consumer.get(secret=""),
    "credential_unknown": lambda s: s.consumer.get(secret="dlnuf_prd_inconnu"),
    "credential_expired": _expired,
    "credential_revoked": _revoked,
    "dataset_not_granted": _other_dataset,
    "scope_not_granted": _scopes_withdrawn,
    "recipient_mismatch": lambda s: s.consumer.get(recipient=valid_siret("1300252650001")),
    "dataset_unknown": lambda s: s.consumer.get("jeu-inexistant"),
    "subject_not_found": lambda s: _answer(s, 404, upstream_error("37003")),
    "provider_conflict": lambda s: _answer(s, 409, upstream_error("00015")),
    "provider_unprocessable": lambda s: _answer(s, 422, upstream_error("00366")),
    "rate_limited": _rate_limited,
    "provider_error": lambda s: _answer(s, 500, upstream_error("37999")),
    "provider_malformed_answer": lambda s: _answer(s, 200, None, raw=b"<html>oups</html>"),
    "provider_partial_answer": lambda s: _answer(s, 502, upstream_error("37010")),
    "provider_access_denied": lambda s: _answer(s, 403, upstream_error("00100")),
    "provider_unavailable": _refused,
    "provider_rate_limited": lambda s: _answer(
        s, 429, upstream_error("00429"), headers={"Retry-After": "30"}
    ),
    "circuit_open": _circuit_open,
    "journal_unavailable": _journal_down,
    "shared_state_unavailable": _shared_state_down,
    "provider_timeout": _timeout,
}

UNJOURNALED = {
    "credential_missing",
    "credential_unknown",
    "credential_expired",
    "credential_revoked",
}


def test_every_problem_code_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(EXCHANGE_CODES)


@pytest.mark.parametrize("code", sorted(SCENARIOS))
def test_problem_answer(
    code: str, consumer: Consumer, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries_before = JournalEntry.objects.count()

    response = SCENARIOS[code](Scenario(consumer, settings, monkeypatch))

    kind = PROBLEMS[code]
    assert response.status_code == kind.status
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code
    assert problem["status"] == kind.status
    assert problem["title"] == kind.title
    assert problem["detail"]
    assert "data" not in problem
    if kind.status == 400:
        assert problem["parameter"]
    if kind.status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    new_entries = JournalEntry.objects.filter(index__gte=entries_before)
    if code in UNJOURNALED or code == "journal_unavailable":
        assert not new_entries.filter(code=code).exists()
        assert "exchange_id" not in problem
    else:
        entry = new_entries.get(exchange_id=problem["exchange_id"])
        assert (entry.status, entry.code) == (kind.status, code)


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("nomNaissance", "DUP0NT"),
        ("nomNaissance", "x" * 101),
        ("prenoms[]", "JEAN3"),
        ("prenoms[]", ["A", "B", "C", "D"]),
        ("sexeEtatCivil", "H"),
        ("anneeDateNaissance", "82"),
        ("anneeDateNaissance", "2999"),
        ("moisDateNaissance", "13"),
        ("moisDateNaissance", "0"),
        ("jourDateNaissance", "32"),
        ("jourDateNaissance", "31"),  # 31 December exists; 31 + month 2 below does not
        ("codeCogInseeCommuneNaissance", "75"),
        ("codeCogInseeCommuneNaissance", "2C004"),
        ("codeCogInseePaysNaissance", "10099"),
        ("recipient", "13002526500014"),
        ("recipient", "ABC"),
        ("context", "x" * 256),
        ("context", "ligne\nsuivante"),
        ("object", "x" * 256),
        ("object", "tab\tulation"),
    ],
)
def test_bad_value_is_refused_naming_the_parameter(
    consumer: Consumer, parameter: str, value: object
) -> None:
    overrides: dict[str, object] = {parameter: value}
    if (parameter, value) == ("jourDateNaissance", "31"):
        overrides["moisDateNaissance"] = "2"

    response = consumer.get(**overrides)

    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "invalid_parameter"
    assert problem["parameter"] == parameter
    assert str(value) not in problem["detail"]
    assert consumer.provider.requests == []


@pytest.mark.parametrize(
    "parameter", ["recipient", "context", "object", "nomNaissance", "prenoms[]"]
)
def test_missing_parameter_is_named(consumer: Consumer, parameter: str) -> None:
    response = consumer.get(**{parameter: None})

    assert response.status_code == 400
    assert response.json()["code"] == "missing_parameter"
    assert response.json()["parameter"] == parameter


def test_unknown_parameters_are_all_listed(consumer: Consumer) -> None:
    response = consumer.get(siren="130025265", foo="1")

    problem = response.json()
    assert (response.status_code, problem["code"]) == (400, "unknown_parameter")
    assert problem["parameter"] == "foo"
    assert "foo, siren" in problem["detail"]


def test_provider_error_passes_the_provider_code(consumer: Consumer) -> None:
    consumer.provider.answer(
        PERSON_PATH, upstream_error("37003", "Allocataire inconnu."), status=404
    )

    problem = consumer.get().json()

    assert problem["provider_code"] == "37003"
    assert problem["detail"] == "Allocataire inconnu."


def test_company_dataset_sends_every_trace_parameter(consumer: Consumer) -> None:
    company = _company_consumer(Scenario(consumer, None, pytest.MonkeyPatch()))
    siren = "130025265"
    consumer.provider.answer(f"/v3/test/unites_legales/{siren}", envelope({"siren": siren}))

    response = company.get("entreprise-test", **_company_params(siren))

    assert response.status_code == 200
    assert response.json()["data"] == {"siren": siren}
    sent = consumer.provider.requests[-1]
    assert sent.path == f"/v3/test/unites_legales/{siren}"
    assert dict(sent.query) == {
        "recipient": consumer.siret,
        "context": "Tarification de la cantine scolaire",
        "object": "dossier-2024-042",
    }
    entry = JournalEntry.objects.get(exchange_id=response.json()["meta"]["exchange_id"])
    assert entry.subject_key == subject_key({"siren": siren})


def test_recipient_equal_to_the_queried_siret_is_refused(consumer: Consumer) -> None:
    company = _company_consumer(Scenario(consumer, None, pytest.MonkeyPatch()))

    response = company.get("entreprise-test", **_company_params(consumer.siret[:9]))

    assert response.status_code == 400
    assert response.json()["parameter"] == "recipient"
