"""The code quality pages pass axe-core (the form empty and with errors, finished reports) and a
report reads in French in a French browser."""

from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import DEMO_PASSWORD, load_demo
from dlnuf.organisations.models import User
from tests.toolbox.code_quality.repos import bad_repository, good_repository
from tests.toolbox.code_quality.test_known_truth import KNOWN_TRUTH
from tests.www.browser import axe_violations, describe, sign_in
from tests.www.test_code_quality_pages import finished_report

pytestmark = pytest.mark.django_db(transaction=True)


def _assert_axe(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, describe(page.url, violations)


def test_the_form_and_a_report_pass_axe(page: Any, live_server: Any, tmp_path: Path) -> None:
    catalogue_load()
    load_demo(stdout=StringIO())
    agent = User.objects.get(email="agent.lyon@demo.dlnuf.fr")
    finished_report(agent, good_repository(tmp_path / "good"), title="Ancien")
    report = finished_report(agent, bad_repository(tmp_path / "bad"))
    sign_in(page, live_server.url, "agent.lyon@demo.dlnuf.fr", DEMO_PASSWORD)

    page.goto(urljoin(live_server.url, "/boite-a-outils/qualite-du-code/"))
    _assert_axe(page)

    page.fill("input[name=url]", "http://127.0.0.1/depot.git")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "https://" in page.inner_text("main")
    _assert_axe(page)

    page.goto(urljoin(live_server.url, f"/boite-a-outils/qualite-du-code/{report.pk}/"))
    assert "Les dix endroits à corriger d'abord" in page.inner_text("main")
    _assert_axe(page)


def test_a_report_reads_in_french(page: Any, live_server: Any) -> None:
    catalogue_load()
    load_demo(stdout=StringIO())
    agent = User.objects.get(email="agent.lyon@demo.dlnuf.fr")
    report = finished_report(agent, KNOWN_TRUTH, title="Vérité connue")
    sign_in(page, live_server.url, "agent.lyon@demo.dlnuf.fr", DEMO_PASSWORD)

    page.goto(urljoin(live_server.url, f"/boite-a-outils/qualite-du-code/{report.pk}/"))
    text = page.inner_text("main")
    assert "relevé des cycles de vie du 1 juin 2025" in text
    assert "47,1 % du code est dupliqué (40 lignes sur 85)" in text
    assert "src/known/invoices.py:8-27" in text
    # Ruff's rules explained in French, its English message kept beside.
    rules = page.inner_text("table:has(caption:text('Règles les plus souvent enfreintes'))")
    assert "if qui réécrit min() ou max()." in rules
    assert "Module importé mais jamais utilisé." in rules
    assert "Jeton du guichet DLNUF (production)" in text
    assert "dlnuf_prd_FAKE" not in page.content()
    _assert_axe(page)
