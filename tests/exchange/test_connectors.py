"""Connectors against a provider on loopback: upstream formats, faults and targets."""

import pytest

from dlnuf.catalogue.selectors import ConnectorRule
from dlnuf.exchange.connectors.base import (
    ProviderCall,
    ProviderFailure,
    Target,
    resolve_target,
)
from dlnuf.exchange.connectors.http import pooled_client
from dlnuf.exchange.connectors.registry import connector_for
from dlnuf.exchange.parameters import Trace
from tests.exchange.providers import FakeProvider, envelope, refused_url, upstream_error

TRACE = Trace(recipient="13002526500013", context="Aides publiques", object="dossier 42")
PATH = "/v3/test/unites_legales/130025265"


def settings_of(kind: str = "api_entreprise", **overrides: object) -> ConnectorRule:
    values: dict[str, object] = {
        "slug": f"test-{kind}",
        "kind": kind,
        "base_url": "",
        "base_url_env": "DLNUF_API_ENTREPRISE_URL",
        "sandbox_path": "api-entreprise",
        "auth_kind": "bearer",
        "auth_header": "",
        "auth_secret_env": "DLNUF_API_ENTREPRISE_TOKEN",
        "sends_trace_parameters": True,
        "timeout_seconds": None,
    }
    values.update(overrides)
    return ConnectorRule(**values)  # type: ignore[arg-type]


def fetch(
    provider: FakeProvider, connector: ConnectorRule | None = None, path: str = PATH
) -> object:
    connector = connector or settings_of()
    target = Target(base_url=provider.url, secret="jeton", is_sandbox=False, breaker_name="t")
    return connector_for(connector).fetch(ProviderCall(path=path, params=(), trace=TRACE), target)


def failure_of(provider: FakeProvider, connector: ConnectorRule | None = None) -> ProviderFailure:
    with pytest.raises(ProviderFailure) as failure:
        fetch(provider, connector)
    return failure.value


def test_success_envelope_gives_data_and_links(fake_provider: FakeProvider) -> None:
    fake_provider.answer(PATH, envelope({"siren": "130025265"}, {"siege": "https://x/y"}))

    answer = fetch(fake_provider)

    assert answer.data == {"siren": "130025265"}
    assert answer.links == {"siege": "https://x/y"}
    sent = fake_provider.requests[0]
    assert sent.headers["authorization"] == "Bearer jeton"
    assert sent.query == [
        ("recipient", TRACE.recipient),
        ("context", TRACE.context),
        ("object", TRACE.object),
    ]


def test_list_data_is_accepted(fake_provider: FakeProvider) -> None:
    fake_provider.answer(PATH, envelope([{"data": {"nom_certificat": "Qualibat"}}]))

    assert fetch(fake_provider).data == [{"data": {"nom_certificat": "Qualibat"}}]


@pytest.mark.parametrize(
    ("status", "body", "code", "breaker_failure"),
    [
        (404, upstream_error("04003"), "subject_not_found", False),
        (404, upstream_error("00404"), "subject_not_found", False),
        (409, upstream_error("00015"), "provider_conflict", False),
        (422, upstream_error("00366"), "provider_unprocessable", False),
        (401, upstream_error("00101"), "provider_access_denied", False),
        (403, upstream_error("00100"), "provider_access_denied", False),
        (429, upstream_error("00429"), "provider_rate_limited", False),
        (400, upstream_error("00203"), "provider_error", False),
        (500, upstream_error("37999"), "provider_error", True),
        (502, upstream_error("37999"), "provider_error", True),
        (502, upstream_error("04001"), "provider_unavailable", True),
        (503, upstream_error("04020"), "provider_unavailable", True),
        (503, upstream_error("00000"), "provider_unavailable", True),
        (502, upstream_error("04011"), "provider_unavailable", True),
        (504, upstream_error("30002"), "provider_timeout", True),
        (502, upstream_error("37008"), "provider_rate_limited", True),
        (502, upstream_error("37010"), "provider_partial_answer", True),
    ],
)
def test_upstream_errors_map_to_problems(
    fake_provider: FakeProvider, status: int, body: object, code: str, breaker_failure: bool
) -> None:
    fake_provider.answer(PATH, body, status=status)

    failure = failure_of(fake_provider)

    assert failure.code == code
    assert failure.breaker_failure is breaker_failure
    assert failure.provider_code == body["errors"][0]["code"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("status", "raw", "code"),
    [
        (200, b"<html>maintenance</html>", "provider_malformed_answer"),
        (200, b'{"donnees": {}}', "provider_malformed_answer"),
        (200, b'{"data": "texte"}', "provider_malformed_answer"),
        (200, b'{"data": {}, "links": ["x"]}', "provider_malformed_answer"),
        (200, b"[1, 2]", "provider_malformed_answer"),
        (404, b"<html>Not Found</html>", "provider_malformed_answer"),
        (422, b'{"erreur": "x"}', "provider_malformed_answer"),
        (502, b"<html>Bad gateway</html>", "provider_error"),
        (503, b"", "provider_unavailable"),
    ],
)
def test_answers_not_in_the_upstream_format_are_refused(
    fake_provider: FakeProvider, status: int, raw: bytes, code: str
) -> None:
    fake_provider.answer(PATH, None, status=status, raw=raw)

    failure = failure_of(fake_provider)

    assert failure.code == code
    assert failure.breaker_failure


def test_provider_retry_after_is_passed_on(fake_provider: FakeProvider) -> None:
    fake_provider.answer(PATH, upstream_error("00429"), status=429, headers={"Retry-After": "17"})

    assert failure_of(fake_provider).retry_after == 17


def test_slow_provider_times_out_after_the_connector_timeout(fake_provider: FakeProvider) -> None:
    fake_provider.answer(PATH, envelope({}), delay=1.0)

    failure = failure_of(fake_provider, settings_of(timeout_seconds=0.1))

    assert (failure.code, failure.breaker_failure) == ("provider_timeout", True)


def test_default_timeout_comes_from_the_settings(
    fake_provider: FakeProvider, settings: object
) -> None:
    settings.DLNUF_PROVIDER_TIMEOUT_SECONDS = 0.1
    fake_provider.answer(PATH, envelope({}), delay=1.0)

    assert failure_of(fake_provider).code == "provider_timeout"


def test_refused_connection_means_provider_unavailable() -> None:
    target = Target(base_url=refused_url(), secret="jeton", is_sandbox=False, breaker_name="t")

    with pytest.raises(ProviderFailure) as failure:
        connector_for(settings_of()).fetch(ProviderCall(path=PATH, params=(), trace=TRACE), target)

    assert (failure.value.code, failure.value.breaker_failure) == ("provider_unavailable", True)


def test_api_particulier_sends_recipient_only(fake_provider: FakeProvider) -> None:
    fake_provider.answer(PATH, envelope({}))

    fetch(fake_provider, settings_of("api_particulier"))

    assert fake_provider.requests[0].query == [("recipient", TRACE.recipient)]


def test_unset_upstream_url_means_the_sandbox_serves(settings: object) -> None:
    settings.DLNUF_API_ENTREPRISE_URL = ""
    settings.DLNUF_SANDBOX_URL = "http://127.0.0.1:8000/sandbox"

    target = resolve_target(settings_of(), sandbox_credential=False)

    assert target.base_url == "http://127.0.0.1:8000/sandbox/api-entreprise"
    assert target.is_sandbox
    assert target.breaker_name == "test-api_entreprise:sandbox"


def test_production_credential_goes_upstream_with_the_platform_token(settings: object) -> None:
    settings.DLNUF_API_ENTREPRISE_URL = "https://entreprise.api.gouv.fr"
    settings.DLNUF_API_ENTREPRISE_TOKEN = "jeton-plateforme"

    upstream = resolve_target(settings_of(), sandbox_credential=False)
    sandbox = resolve_target(settings_of(), sandbox_credential=True)

    assert (upstream.base_url, upstream.secret, upstream.is_sandbox) == (
        "https://entreprise.api.gouv.fr",
        "jeton-plateforme",
        False,
    )
    assert sandbox.is_sandbox
    assert sandbox.secret != "jeton-plateforme"


def test_missing_upstream_token_is_a_configuration_failure(fake_provider: FakeProvider) -> None:
    target = Target(base_url=fake_provider.url, secret="", is_sandbox=False, breaker_name="t")

    with pytest.raises(ProviderFailure) as failure:
        connector_for(settings_of()).fetch(ProviderCall(path=PATH, params=(), trace=TRACE), target)

    assert (failure.value.code, failure.value.breaker_failure) == ("provider_unavailable", False)
    assert fake_provider.requests == []


def test_one_pooled_client_per_connector() -> None:
    assert pooled_client("api-test") is pooled_client("api-test")
    assert pooled_client("api-test") is not pooled_client("autre")
