"""The sandbox as the gateway reaches it: a real HTTP server on loopback."""

import httpx
import pytest

from .conftest import BEARER, endpoint_for_path, sandbox_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_sandbox_answers_over_http(live_server):
    endpoint = endpoint_for_path("/v3/insee/sirene/unites_legales/{siren}")
    headers = {"Authorization": BEARER["HTTP_AUTHORIZATION"]}

    with httpx.Client(base_url=live_server.url, headers=headers, timeout=10) as client:
        found = client.get(sandbox_url(endpoint, {"siren": "552049447"}))
        refused = client.get(
            sandbox_url(endpoint, {"siren": "552049447"}), headers={"Authorization": ""}
        )

    assert found.status_code == 200
    assert found.headers["content-type"].startswith("application/json")
    assert found.json()["data"]["siren"] == "552049447"
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["code"] == "00101"
