"""The audit of the portal itself: ``manage.py audit_portal_accessibility`` crawls the running
portal in headless Chromium, runs axe-core on each page and stores an accessibility report that
the portal's statement is built from."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from dlnuf.organisations.models import Membership, Role
from dlnuf.toolbox.accessibility.crawler import CrawlFrontier, route_name
from dlnuf.toolbox.accessibility.portal import portal_audit_latest
from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from tests.organisations.factories import UserFactory

BASE = "http://portail.test"


def test_the_frontier_stays_on_the_site_and_skips_other_faces() -> None:
    frontier = CrawlFrontier(BASE, ["/"])
    frontier.add_links(
        [
            f"{BASE}/catalogue/",
            f"{BASE}/catalogue/#contenu",
            "https://ailleurs.example/catalogue/",
            f"{BASE}/api/v1/docs",
            f"{BASE}/static/www/portal.css",
            f"{BASE}/deconnexion/",
        ]
    )
    assert list(frontier) == [f"{BASE}/", f"{BASE}/catalogue/"]


def test_the_frontier_takes_one_page_per_template_when_asked() -> None:
    frontier = CrawlFrontier(BASE, ["/"], per_route=1)
    frontier.add_links(
        [
            f"{BASE}/catalogue/donnees/quotient-familial/",
            f"{BASE}/catalogue/donnees/statut-etudiant/",
            f"{BASE}/accompagnement/",
        ]
    )
    visited = list(frontier)
    assert len(visited) == 3
    assert route_name(visited[1]) == "www:dataset_detail"
    assert route_name(visited[2]) == "www:support_new"


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_signatory_in_french() -> None:
    with pytest.raises(CommandError, match=r"Aucun compte actif n'a l'adresse personne@x\.fr"):
        call_command("audit_portal_accessibility", "--as", "personne@x.fr", stdout=StringIO())


@pytest.mark.parametrize("count", ["0", "21", "beaucoup"])
def test_the_command_refuses_a_sample_size_outside_the_rgaa_sample(count: str) -> None:
    with pytest.raises(CommandError, match="--max-pages : un nombre de pages entre 1 et 20"):
        call_command(
            "audit_portal_accessibility", "--as", "a@b.fr", "--max-pages", count, stdout=StringIO()
        )


@pytest.mark.django_db
def test_the_command_refuses_a_base_url_that_is_not_an_address() -> None:
    expert = UserFactory()
    with pytest.raises(CommandError, match="--base-url : une adresse http"):
        call_command(
            "audit_portal_accessibility",
            "--as",
            expert.email,
            "--base-url",
            "portail.gouv.fr",
            stdout=StringIO(),
        )


@pytest.mark.django_db(transaction=True)
def test_the_command_audits_the_running_portal_and_the_statement_follows(
    chromium: str, live_server: Any
) -> None:
    expert = UserFactory()
    Membership.objects.create(user=expert, role=Role.EXPERT)
    out = StringIO()

    call_command(
        "audit_portal_accessibility",
        "--as",
        expert.email,
        "--base-url",
        live_server.url,
        "--max-pages",
        "3",
        stdout=out,
    )

    report = portal_audit_latest()
    assert report is not None
    assert report.kind == ToolKind.ACCESSIBILITY
    assert report.status == ReportStatus.DONE
    assert report.created_by == expert
    assert ToolReport.objects.count() == 1
    pages = report.results["pages"]
    assert len(pages) == 3
    assert pages[0]["url"] == live_server.url + "/"
    assert all(page["url"].startswith(live_server.url) for page in pages)
    # One page per template: the sample covers three different kinds of page.
    assert len({route_name(page["url"]) for page in pages}) == 3
    # axe-core really ran: every page has rules that passed, mapped to RGAA tests.
    assert report.results["axe_version"]
    assert all(page["passes"] and not page["error"] for page in pages)
    assert report.results["summary"]["remaining"] <= 106
    assert report.results["summary"]["level"] == ""
    assert f"rapport n° {report.pk}" in out.getvalue()
    assert "3 pages auditées" in out.getvalue()

    text = " ".join(Client().get("/accessibilite/").content.decode().split())
    assert "sur un échantillon de 3 pages" in text
    assert f"axe-core {report.results['axe_version']}" in text
    for page in pages:
        assert page["url"] in text

    # The statement, now showing an audit, passes axe-core itself.
    call_command(
        "audit_portal_accessibility",
        "--as",
        expert.email,
        "--base-url",
        live_server.url,
        "--start",
        "/accessibilite/",
        "--max-pages",
        "1",
        stdout=StringIO(),
    )
    latest = portal_audit_latest()
    assert latest is not None
    assert latest.pk != report.pk
    [statement_page] = latest.results["pages"]
    assert statement_page["url"] == live_server.url + "/accessibilite/"
    assert statement_page["violations"] == [], statement_page["violations"]
