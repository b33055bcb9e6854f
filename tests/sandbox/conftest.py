import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from dlnuf.sandbox.endpoints import ENDPOINTS, SandboxEndpoint

# Public bodies that pass the SIRET check; neither is a subject of the sandbox cases.
RECIPIENT = "21690123100011"  # Ville de Lyon
TRACE = {"recipient": RECIPIENT, "context": "Test du bac à sable", "object": "dossier-42"}
BEARER = {"HTTP_AUTHORIZATION": "Bearer jeton-de-test"}


def endpoint_for_path(path_template: str) -> SandboxEndpoint:
    return next(endpoint for endpoint in ENDPOINTS if endpoint.path_template == path_template)


def sandbox_url(endpoint: SandboxEndpoint, params: Mapping[str, Any], **extra: Any) -> str:
    """The sandbox URL of a call with ``params`` (path parameters included) and trace values."""
    path = endpoint.path_template
    query: list[tuple[str, str]] = []
    for name, value in params.items():
        placeholder = "{" + name + "}"
        if placeholder in path:
            path = path.replace(placeholder, str(value))
            continue
        if isinstance(value, list):
            key = name if name.endswith("[]") else f"{name}[]"
            query.extend((key, str(item)) for item in value)
        else:
            query.append((name, str(value)))
    trace = {**TRACE, **extra}
    query.extend((name, value) for name, value in trace.items() if value is not None)
    return f"/sandbox/{endpoint.family}{path}?{urlencode(query)}"


def errors_of(response) -> list[dict]:
    return json.loads(response.content)["errors"]


@pytest.fixture
def client() -> Client:
    return Client(**BEARER)


@pytest.fixture(autouse=True)
def _no_real_delay(settings):
    settings.DLNUF_SANDBOX_SLOW_SECONDS = 0
