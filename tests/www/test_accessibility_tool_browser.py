"""The accessibility tool's own pages pass axe-core: the form empty and with errors, a finished
report (with its decision form and statement) and a report still running."""

from datetime import UTC, datetime
from io import StringIO
from typing import Any
from urllib.parse import urljoin

import pytest
from django.urls import reverse

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import DEMO_PASSWORD, load_demo
from dlnuf.organisations.models import User
from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from tests.toolbox.accessibility.factories import (
    INPUTS,
    finished_report,
    quick_audit_results,
    report_with,
)
from tests.www.browser import axe_violations, describe, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

AGENT = "agent.lyon@demo.dlnuf.fr"


@pytest.fixture
def agent() -> User:
    catalogue_load()
    load_demo(stdout=StringIO())
    return User.objects.get(email=AGENT)


def _assert_axe(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, describe(page.url, violations)


def test_the_form_empty_and_with_errors_passes_axe(
    page: Any, live_server: Any, agent: User
) -> None:
    sign_in(page, live_server.url, AGENT, DEMO_PASSWORD)
    page.goto(urljoin(live_server.url, reverse("www:accessibility_new")))
    _assert_axe(page)

    page.fill("textarea[name=pages]", "http://10.0.0.1/\nfile:///etc/passwd")
    page.fill("input[name=contact_email]", "pas-une-adresse")
    with page.expect_navigation():
        page.click("text=Lancer l'audit")

    assert "adresse interne" in page.content()
    _assert_axe(page)


def test_a_finished_report_and_a_running_one_pass_axe(
    page: Any, live_server: Any, agent: User
) -> None:
    finished = finished_report(agent, grid="quick")
    running = ToolReport.objects.create(
        kind=ToolKind.ACCESSIBILITY,
        title="Cantine",
        created_by=agent,
        inputs=INPUTS,
        status=ReportStatus.RUNNING,
        progress=40,
        progress_message="Page 1 sur 2 auditée",
    )
    sign_in(page, live_server.url, AGENT, DEMO_PASSWORD)

    page.goto(urljoin(live_server.url, reverse("www:accessibility_report", args=[finished.pk])))
    assert "Projet de déclaration d'accessibilité" in page.content()
    _assert_axe(page)

    page.click("label[for=id_status_1]")
    page.fill("textarea[name=note]", "Alternative absente sur le plan.")
    with page.expect_navigation():
        page.click("text=Enregistrer la décision")
    assert "est enregistrée" in page.content()
    _assert_axe(page)

    page.goto(urljoin(live_server.url, reverse("www:accessibility_report", args=[running.pk])))
    _assert_axe(page)


def test_a_quick_audit_shows_the_criteria_left_to_verify_and_no_level(
    page: Any, live_server: Any, agent: User
) -> None:
    report = report_with(agent, quick_audit_results(), datetime(2026, 12, 4, 9, tzinfo=UTC))
    sign_in(page, live_server.url, AGENT, DEMO_PASSWORD)

    page.goto(urljoin(live_server.url, reverse("www:accessibility_report", args=[report.pk])))

    alert = page.locator("#audit-incomplet")
    assert alert.inner_text().startswith(
        "Audit incomplet : 3 critères sur 106 évalués, 103 restent à vérifier"
    )
    remaining = page.locator("#restant-a-verifier")
    assert remaining.inner_text() == "Critères restant à vérifier (103)"
    # The 103 criteria are listed, each once, under their topic.
    listed = page.locator("#criteres-restants h4 + ul > li").all_inner_texts()
    assert len(listed) == 103
    assert "8.5 — Chaque page web a-t-elle un titre de page ?" in listed
    assert not any(item.startswith(("1.1 —", "7.1 —", "11.1 —")) for item in listed)
    body = page.locator("main").inner_text()
    assert "totalement conforme" not in body
    assert "Cantine en ligne est non conforme avec" in body
    assert "Contrôles automatiques du 4 décembre 2026" in body
    _assert_axe(page)
