"""API Particulier and API Entreprise, as their OpenAPI specifications define them.

Both answer ``{"data", "links", "meta"}`` on success and ``{"errors": [{"code", "title", "detail",
"source", "meta"}]}`` with the HTTP status on failure. API Particulier takes ``recipient`` as its
only trace parameter; API Entreprise also requires ``context`` and ``object``.
"""

import httpx

from dlnuf.exchange.connectors.base import (
    Connector,
    ProviderAnswer,
    ProviderFailure,
    Target,
    decoded_json,
    error_envelope,
    failure_from_status,
    json_or_none,
    malformed,
    retry_after_seconds,
)
from dlnuf.exchange.parameters import Trace


class ApistrationConnector(Connector):
    def trace_parameters(self, trace: Trace) -> list[tuple[str, str]]:
        if self.settings.kind == "api_particulier":
            return [("recipient", trace.recipient)]
        return [
            ("recipient", trace.recipient),
            ("context", trace.context),
            ("object", trace.object),
        ]

    def auth_headers(self, target: Target) -> dict[str, str]:
        if not target.secret:
            raise ProviderFailure(
                "provider_unavailable",
                breaker_failure=False,
                detail="Le jeton d'accès à ce fournisseur n'est pas configuré.",
            )
        return {"Authorization": f"Bearer {target.secret}"}

    def _answer(self, response: httpx.Response) -> ProviderAnswer:
        status = response.status_code
        if 200 <= status < 300:
            return envelope_answer(decoded_json(response))
        first_error = error_envelope(json_or_none(response))
        if first_error is None:
            # A saturated provider or its proxy often says so without the envelope.
            if status >= 500 or status == 429:
                # A proxy's error page in front of a failing provider says enough.
                raise failure_from_status(status, retry_after=retry_after_seconds(response))
            raise malformed("La réponse d'erreur du fournisseur n'a pas le format attendu.")
        provider_code, provider_detail = first_error
        raise failure_from_status(
            status,
            provider_code=provider_code,
            provider_detail=provider_detail,
            retry_after=retry_after_seconds(response),
        )


def envelope_answer(body: object) -> ProviderAnswer:
    """The data and links of an upstream success envelope, or a malformed-answer failure."""
    if not isinstance(body, dict) or "data" not in body:
        raise malformed("La réponse du fournisseur ne contient pas de données (« data »).")
    data = body["data"]
    if not isinstance(data, dict | list) and data is not None:
        raise malformed("Les données du fournisseur ne sont ni un objet ni une liste.")
    links = body.get("links") or {}
    if not isinstance(links, dict):
        raise malformed("Les liens (« links ») du fournisseur ne sont pas un objet.")
    return ProviderAnswer(data=data, links=links)
