"""What every connector shares: its settings, the call it makes, the answer or failure it gives."""

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
from django.conf import settings

from dlnuf.catalogue.selectors import ConnectorRule
from dlnuf.exchange.connectors.http import call_deadline, pooled_client
from dlnuf.exchange.parameters import Trace

USER_AGENT = "guichet-dlnuf"
# The sandbox wants a Bearer token but accepts any: upstream secrets never go there.
SANDBOX_BEARER = "sandbox"


@dataclass(frozen=True)
class Target:
    """Where one call goes: the upstream provider or the built-in sandbox."""

    base_url: str
    secret: str
    is_sandbox: bool
    breaker_name: str


@dataclass(frozen=True)
class ProviderCall:
    path: str
    params: tuple[tuple[str, str], ...]
    trace: Trace


@dataclass(frozen=True)
class ProviderAnswer:
    data: Any
    links: dict[str, Any]


class ProviderFailure(Exception):
    """The provider could not give the data; ``code`` is a problem code of the exchange API.

    ``breaker_failure`` tells whether the failure says something about the provider's health
    (timeouts, connection errors, 5xx, malformed answers) rather than about the subject.
    """

    def __init__(
        self,
        code: str,
        *,
        breaker_failure: bool,
        detail: str = "",
        provider_code: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.code = code
        self.breaker_failure = breaker_failure
        self.detail = detail
        self.provider_code = provider_code
        self.retry_after = retry_after
        super().__init__(code)


def configured_value(name: str) -> str:
    """A URL or secret named by the catalogue: a Django setting when one exists, else the
    environment variable of that name."""
    if not name:
        return ""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, "")
    return str(value)


def resolve_target(connector: ConnectorRule, *, sandbox_credential: bool) -> Target:
    """Where a call goes. A connector with a ``sandbox_path`` sends sandbox credentials, and every
    call while its upstream URL is unset, to the built-in sandbox; otherwise calls go upstream
    (a REST provider without a sandbox serves sandbox credentials itself)."""
    upstream_url = (configured_value(connector.base_url_env) or connector.base_url).rstrip("/")
    use_sandbox = bool(connector.sandbox_path) and (sandbox_credential or not upstream_url)
    if use_sandbox:
        sandbox_url = (
            f"{settings.DLNUF_SANDBOX_URL.rstrip('/')}/{connector.sandbox_path.strip('/')}"
        )
        return Target(
            base_url=sandbox_url,
            secret=SANDBOX_BEARER,
            is_sandbox=True,
            breaker_name=f"{connector.slug}:sandbox",
        )
    return Target(
        base_url=upstream_url,
        secret=configured_value(connector.auth_secret_env),
        is_sandbox=False,
        breaker_name=f"{connector.slug}:upstream",
    )


def _bounded_body(response: httpx.Response) -> bytes:
    """The decoded body, refused as soon as it is larger than the setting allows: an answer is
    never held whole in memory before its size is known."""
    limit = int(settings.DLNUF_PROVIDER_MAX_ANSWER_BYTES)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> ProviderFailure:
    return malformed(f"La réponse du fournisseur dépasse la taille permise ({limit} octets).")


def timeout_seconds(connector: ConnectorRule) -> float:
    return float(connector.timeout_seconds or settings.DLNUF_PROVIDER_TIMEOUT_SECONDS)


# Upstream error codes are a 2-digit provider prefix and a 3-digit subcode shared by providers.
_SUBCODE_PROBLEMS = {
    "001": "provider_unavailable",
    "002": "provider_timeout",
    "003": "subject_not_found",
    "008": "provider_rate_limited",
    "010": "provider_partial_answer",
    "011": "provider_unavailable",
    "020": "provider_unavailable",
}
_STATUS_PROBLEMS = {
    401: "provider_access_denied",
    403: "provider_access_denied",
    404: "subject_not_found",
    409: "provider_conflict",
    422: "provider_unprocessable",
    429: "provider_rate_limited",
    503: "provider_unavailable",
    504: "provider_timeout",
}
# The provider's own explanation helps the consumer only when it is about the subject.
_PROBLEMS_WITH_PROVIDER_DETAIL = {
    "subject_not_found",
    "provider_conflict",
    "provider_unprocessable",
}
_PROVIDER_DETAIL_MAX_LENGTH = 500


def failure_from_status(
    status: int,
    *,
    provider_code: str | None = None,
    provider_detail: str = "",
    retry_after: int | None = None,
) -> ProviderFailure:
    """Map an upstream error answer to the problem the consumer receives."""
    code = None
    if provider_code and len(provider_code) == 5 and not provider_code.startswith("00"):
        code = _SUBCODE_PROBLEMS.get(provider_code[2:])
    if code is None:
        code = _STATUS_PROBLEMS.get(status, "provider_error")
    detail = ""
    if code in _PROBLEMS_WITH_PROVIDER_DETAIL and provider_detail:
        detail = provider_detail[:_PROVIDER_DETAIL_MAX_LENGTH]
    return ProviderFailure(
        code,
        breaker_failure=status >= 500,
        detail=detail,
        provider_code=provider_code,
        retry_after=retry_after,
    )


def malformed(detail: str) -> ProviderFailure:
    return ProviderFailure("provider_malformed_answer", breaker_failure=True, detail=detail)


def error_envelope(body: Any) -> tuple[str, str] | None:
    """``(code, detail)`` of the first error of an upstream error envelope, or None."""
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None
    first = errors[0]
    code = first.get("code")
    if not isinstance(code, str) or not code:
        return None
    detail = first.get("detail")
    return code, detail if isinstance(detail, str) else ""


def retry_after_seconds(response: httpx.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else None


def json_or_none(response: httpx.Response) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def decoded_json(response: httpx.Response) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise malformed("La réponse du fournisseur n'est pas du JSON.") from None


class Connector(ABC):
    """One provider API family; a stateless object shared by every call of the process."""

    def __init__(self, connector: ConnectorRule) -> None:
        self.settings = connector

    def fetch(self, call: ProviderCall, target: Target) -> ProviderAnswer:
        """Make the call, or raise ProviderFailure."""
        if not target.base_url:
            raise ProviderFailure(
                "provider_unavailable",
                breaker_failure=False,
                detail="Le connecteur de ce fournisseur n'est pas configuré.",
            )
        response = self._send(call, target)
        return self._answer(response)

    def _send(self, call: ProviderCall, target: Target) -> httpx.Response:
        """The upstream answer, read whole within one deadline (connect, headers and body) and
        up to ``DLNUF_PROVIDER_MAX_ANSWER_BYTES``."""
        client = pooled_client(self.settings.slug)
        # The query is encoded here: httpx merging a parameter list costs more.
        query = urlencode([*call.params, *self.trace_parameters(call.trace)])
        headers = {"User-Agent": USER_AGENT, **self.auth_headers(target)}
        seconds = timeout_seconds(self.settings)
        try:
            with (
                call_deadline(seconds),
                client.stream(
                    "GET",
                    f"{target.base_url}{call.path}?{query}"
                    if query
                    else target.base_url + call.path,
                    headers=headers,
                    timeout=seconds,
                ) as response,
            ):
                body = _bounded_body(response)
        except httpx.TimeoutException:
            raise ProviderFailure("provider_timeout", breaker_failure=True) from None
        except httpx.HTTPError:
            raise ProviderFailure("provider_unavailable", breaker_failure=True) from None
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    @abstractmethod
    def trace_parameters(self, trace: Trace) -> list[tuple[str, str]]: ...

    @abstractmethod
    def auth_headers(self, target: Target) -> dict[str, str]: ...

    @abstractmethod
    def _answer(self, response: httpx.Response) -> ProviderAnswer: ...
