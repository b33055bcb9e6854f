"""The whole « Mes données » promise in one journey, in Chromium (fr-FR): the README's example
call goes through the gateway, a demonstration person signs in, finds it among the accesses the
demonstration data made about her, checks its proof in the page, downloads it, and the bundle
verifies offline with the documented command against the key the site publishes."""

import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.management import call_command

from dlnuf.catalogue.services import catalogue_load
from dlnuf.exchange.connectors.http import pooled_clients_close
from dlnuf.organisations.management.commands.load_demo_data import DEMO_GRANTS, EXAMPLE_QUERY
from dlnuf.people.demo import demo_person
from tests.www.browser import axe_violations, describe, verify_in_page

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sandbox(live_server: Any, settings: Any) -> Iterator[None]:
    settings.DLNUF_SANDBOX_URL = live_server.url + "/sandbox"
    settings.DLNUF_SITE_URL = live_server.url
    yield
    pooled_clients_close()


def test_a_demo_person_sees_the_readme_call_and_proves_it_offline(
    page: Any, live_server: Any, sandbox: None, tmp_path: Path
) -> None:
    catalogue_load()
    call_command("load_demo_data", stdout=StringIO())
    answer = httpx.get(
        f"{live_server.url}/api/v1/data/quotient-familial",
        params=list(EXAMPLE_QUERY),
        headers={"Authorization": f"Bearer {DEMO_GRANTS[0].secret}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    index = answer.json()["meta"]["journal_index"]

    person = demo_person("alexis-lefebvre")
    assert person is not None
    page.goto(live_server.url + "/mes-donnees/connexion/demonstration/")
    page.locator(f"input[value={person.slug}]").check(force=True)
    page.get_by_role("button", name="Voir ses données").click()
    page.wait_for_url(live_server.url + "/mes-donnees/")
    failures = [describe("/mes-donnees/", axe_violations(page))]
    content = page.content()
    assert person.pivot.display_name in content
    # Every access the demonstration made about her, and the README's call, each with its proof.
    assert page.locator("[data-proof-url]").count() == len(person.accesses) + 1
    assert page.locator(f'[data-proof-url$="/acces/{index}/preuve.json"]').count() == 1

    assert verify_in_page(page, index).startswith(f"Preuve vérifiée : l'accès n° {index} figure")
    with page.expect_download() as download_info:
        page.get_by_role(
            "link", name=f"Télécharger la preuve de la consultation n° {index} JSON"
        ).click()
    bundle = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(bundle)

    vkey = httpx.get(f"{live_server.url}/journal/vkey", timeout=10).text
    checked = subprocess.run(  # noqa: S603 - this interpreter, the documented command
        [sys.executable, "-m", "dlnuf.journal.verify_bundle", str(bundle), "--vkey", vkey],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    failures.append(describe("/mes-donnees/ après vérification", axe_violations(page)))
    assert not any(failures), "\n".join(failures)
