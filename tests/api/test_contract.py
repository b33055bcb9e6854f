"""The API against its own OpenAPI document: schemathesis, every check, on a live server.

The seed catalogue and the built-in sandbox are served by the live server on loopback; one
sandbox credential per dataset lets each operation reach its provider. Any finding fails.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations.models import Environment
from dlnuf.habilitations.services import credential_issue, habilitation_grant
from dlnuf.journal.services import journal_entries_append
from tests.exchange.factories import OrganisationFactory
from tests.journal.factories import ExchangeRecordFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent.parent
SEED = 20240917
EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def served(live_server: Any, settings: Any) -> dict[str, str]:
    settings.DLNUF_SANDBOX_URL = live_server.url + "/sandbox"
    settings.DLNUF_API_PARTICULIER_URL = ""
    settings.DLNUF_API_ENTREPRISE_URL = ""
    settings.DLNUF_SANDBOX_SLOW_SECONDS = 0
    settings.DLNUF_RATE_LIMIT_PER_MINUTE = 1_000_000
    catalogue_load()
    organisation = OrganisationFactory()
    credentials = {}
    for dataset in Dataset.objects.filter(is_active=True).prefetch_related("scopes"):
        habilitation = habilitation_grant(
            organisation=organisation,
            dataset=dataset,
            scope_slugs=[scope.slug for scope in dataset.scopes.all()],
        )
        issued = credential_issue(habilitation=habilitation, environment=Environment.SANDBOX)
        credentials[f"/api/v1/data/{dataset.slug}"] = issued.secret
    credentials["journal"] = next(iter(credentials.values()))
    # Proofs need a tree: the document bounds their parameters by its size.
    journal_entries_append(
        records=ExchangeRecordFactory.build_batch(5, consumer_siret=organisation.siret)
    )
    return {
        "url": live_server.url,
        "recipient": organisation.siret,
        "credentials": json.dumps(credentials),
    }


def test_schemathesis_finds_nothing_with_every_check(served: dict[str, str]) -> None:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "tests.api.contract_hooks",
        "DLNUF_CONTRACT_CREDENTIALS": served["credentials"],
        "DLNUF_CONTRACT_RECIPIENT": served["recipient"],
    }
    run = subprocess.run(  # noqa: S603 (the project's own test tool, fixed arguments)
        [
            str(Path(sys.executable).with_name("st")),
            "run",
            f"{served['url']}/api/v1/openapi.json",
            "--checks",
            "all",
            "--seed",
            str(SEED),
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--no-color",
            "--request-timeout",
            "20",
        ],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )

    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    tested = re.search(r"Tested: (\d+)", report)
    assert tested, report
    # Every dataset operation and the four journal operations.
    assert int(tested.group(1)) == len(json.loads(served["credentials"])) - 1 + 4, report
    assert re.search(r"\d+ generated", report), report
    assert not re.search(r"\d+ found|ST\d{3} ", report), report
