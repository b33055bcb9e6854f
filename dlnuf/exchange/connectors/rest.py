"""Any JSON provider, described by catalogue data only.

The catalogue gives the base URL (or the name of the variable that holds it), the path template,
the authentication (none, a Bearer token or a dedicated header, the secret read from the variable
named in ``auth_secret_env``) and whether the trace parameters are sent. The answer may be a bare
JSON object (it is the data) or an ``{"data", "links", "meta"}`` envelope.
"""

import httpx

from dlnuf.exchange.connectors.apistration import envelope_answer
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

_ENVELOPE_KEYS = frozenset({"data", "links", "meta"})


class RestConnector(Connector):
    def trace_parameters(self, trace: Trace) -> list[tuple[str, str]]:
        if not self.settings.sends_trace_parameters:
            return []
        return [
            ("recipient", trace.recipient),
            ("context", trace.context),
            ("object", trace.object),
        ]

    def auth_headers(self, target: Target) -> dict[str, str]:
        kind = self.settings.auth_kind
        if target.is_sandbox:
            return {"Authorization": f"Bearer {target.secret}"}
        if kind == "none":
            return {}
        if not target.secret:
            raise ProviderFailure(
                "provider_unavailable",
                breaker_failure=False,
                detail="Le secret d'accès à ce fournisseur n'est pas configuré.",
            )
        if kind == "header":
            return {self.settings.auth_header or "X-Api-Key": target.secret}
        return {"Authorization": f"Bearer {target.secret}"}

    def _answer(self, response: httpx.Response) -> ProviderAnswer:
        status = response.status_code
        if 200 <= status < 300:
            body = decoded_json(response)
            if isinstance(body, dict) and "data" in body and body.keys() <= _ENVELOPE_KEYS:
                return envelope_answer(body)
            if isinstance(body, dict | list):
                return ProviderAnswer(data=body, links={})
            raise malformed("La réponse du fournisseur n'est ni un objet ni une liste JSON.")
        provider_code, provider_detail = None, ""
        first_error = error_envelope(json_or_none(response))
        if first_error is not None:
            provider_code, provider_detail = first_error
        raise failure_from_status(
            status,
            provider_code=provider_code,
            provider_detail=provider_detail,
            retry_after=retry_after_seconds(response),
        )
