"""Pages of the accessibility audit: the form, the report, its PDF, decisions and the statement."""

from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from tests.support.factories import ExpertUserFactory, UserFactory
from tests.toolbox.accessibility.factories import (
    complete_audit_results,
    finished_report,
    quick_audit_results,
    report_with,
)
from tests.toolbox.accessibility.pages import BAD_PAGE
from tests.toolbox.accessibility.served import Site, chromium, site

pytestmark = pytest.mark.django_db

# The loopback web server and the browser of the audit tests.
__all__ = ["chromium", "site"]


def test_the_form_refuses_internal_addresses_and_creates_nothing(client: Client) -> None:
    client.force_login(UserFactory())
    response = client.post(
        reverse("www:accessibility_new"),
        {
            "site_name": "Intranet",
            "organisation": "Mairie",
            "pages": "http://169.254.169.254/latest/meta-data/",
            "grid": "quick",
        },
    )

    assert response.status_code == 200
    assert "adresse interne" in response.content.decode()
    assert not ToolReport.objects.exists()


def test_the_form_runs_an_audit_in_the_background_up_to_a_report(
    client: Client,
    site: Site,
    chromium: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    site.pages["/demarche"] = (200, {}, BAD_PAGE)
    client.force_login(UserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("www:accessibility_new"),
            {
                "site_name": "Cantine",
                "organisation": "Mairie de Testville",
                "pages": f"Démarche | {site.url('/demarche')}",
                "grid": "full",
                "contact_email": "a11y@testville.fr",
            },
        )

    report = ToolReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("www:accessibility_report", args=[report.pk])
    assert report.status == ReportStatus.DONE, report.error
    assert report.kind == ToolKind.ACCESSIBILITY
    assert report.results["criteria"]["11.1"]["status"] == "nc"
    # Full grid: axe fails 1.1, 3.2, 6.2, 8.3 and 11.1; the title it finds present (8.5) is
    # left to a person. 0 / 5, provisional, and no level before the 106 criteria are decided.
    assert report.results["summary"]["rate"] == 0.0
    assert report.results["summary"]["provisional"] is True
    assert report.results["summary"]["level"] == ""
    page = client.get(response["Location"]).content.decode()
    assert "Audit incomplet : 5 critères sur 106 évalués, 101 restent à vérifier" in page
    assert "Taux provisoire : <strong>0,0\u00a0%</strong> sur 5 critères applicables" in page
    assert "Projet de déclaration d'accessibilité" in page


def test_a_chromium_missing_on_the_server_fails_the_report_in_french(
    client: Client, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DLNUF_CHROMIUM_PATH = "/nonexistent/chromium"
    settings.DLNUF_TOOLBOX_URL_ALLOWLIST = ["www.testville.fr"]
    client.force_login(UserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("www:accessibility_new"),
            {
                "site_name": "Cantine",
                "organisation": "Mairie",
                "pages": "https://www.testville.fr/",
                "grid": "quick",
            },
        )

    report = ToolReport.objects.get()
    assert report.status == ReportStatus.FAILED
    assert "Chromium est introuvable" in report.error


def test_a_report_is_read_by_its_owner_and_experts_only(client: Client) -> None:
    owner = UserFactory()
    report = finished_report(owner)
    urls = [
        reverse(name, args=[report.pk])
        for name in (
            "www:accessibility_report",
            "www:accessibility_statement",
            "www:accessibility_statement_text",
        )
    ]
    client.force_login(owner)
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
    client.force_login(UserFactory())
    assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    client.force_login(ExpertUserFactory())
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]


def test_the_report_shows_rate_criteria_issues_and_statement(client: Client) -> None:
    owner = UserFactory()
    report = finished_report(owner)
    client.force_login(owner)

    page = client.get(reverse("www:accessibility_report", args=[report.pk])).content.decode()

    # Full grid: axe fails 1.1 and 11.1 and finds the title and language present (8.5, 8.3),
    # which decides nothing: 0 conforming of 2, provisional.
    assert "Audit incomplet : 2 critères sur 106 évalués, 104 restent à vérifier" in page
    assert "0,0\u00a0%" in page
    assert "partiellement conforme" not in page
    assert "totalement conforme" not in page
    assert "Aide de image-alt (image-alt)" in page
    assert "Non conforme (erreur relevée automatiquement)" in page
    assert "À vérifier (aucune erreur automatique, vérification humaine nécessaire)" in page
    assert "À vérifier manuellement" in page
    assert "(s)" not in page
    assert "http://10.0.0.1/x.png" in page
    assert "Voies de recours" in page
    assert 'name="criterion"' in page


def test_a_decision_is_recorded_by_the_owner_and_refused_to_others(client: Client) -> None:
    owner = UserFactory()
    report = finished_report(owner, grid="quick")
    url = reverse("www:accessibility_decision", args=[report.pk])
    decision = {"criterion": "11.1", "status": "c", "note": "Étiquettes vérifiées."}

    client.force_login(UserFactory())
    assert client.post(url, decision).status_code == 404
    report.refresh_from_db()
    assert report.results["decisions"] == {}

    client.force_login(owner)
    response = client.post(url, decision)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.results["decisions"]["11.1"]["pages"] == {
        "https://www.testville.fr/": "c",
        "https://www.testville.fr/inscription": "c",
    }
    # Quick grid: 11.1 decided compliant on every page, 1.1 failed by axe: 1 / 2 = 50 %.
    assert report.results["summary"]["rate"] == 50.0
    assert client.get(url).status_code == 405


def test_the_quick_audit_of_the_defect_shows_no_level_and_what_remains(client: Client) -> None:
    owner = UserFactory()
    report = report_with(owner, quick_audit_results(), datetime(2026, 12, 4, 9, tzinfo=UTC))
    client.force_login(owner)

    page = client.get(reverse("www:accessibility_report", args=[report.pk])).content.decode()
    text = client.get(reverse("www:accessibility_statement_text", args=[report.pk]))
    statement = text.content.decode()

    assert "totalement conforme" not in page
    assert "totalement conforme" not in statement
    assert "Audit incomplet : 3 critères sur 106 évalués, 103 restent à vérifier" in page
    assert (
        "Taux provisoire : <strong>100,0\u00a0%</strong> sur 3 critères applicables décidés" in page
    )
    assert "Critères restant à vérifier (103)" in page
    # 8.3, 8.4 and 8.5 are in the grid; axe passed 8.3 and 8.5, which decides nothing.
    assert "8. Éléments obligatoires (3 critères)</h4>" in page
    assert "<li>8.5 — Chaque page web a-t-elle un titre de page ?</li>" in page
    assert "Hors de la grille de cet audit : seul un audit complet les couvre" in page
    assert "<li>12.1 — " in page
    assert "Cantine en ligne est non conforme avec" in statement
    assert "audit en cours" in statement
    assert "Audit réalisé le 4 décembre 2026" in statement
    assert "Contrôles automatiques du 4 décembre 2026" in page


def test_a_complete_audit_shows_its_level_with_the_evidence(client: Client) -> None:
    owner = UserFactory()
    report = report_with(owner, complete_audit_results(), datetime(2026, 12, 4, 9, tzinfo=UTC))
    client.force_login(owner)

    page = client.get(reverse("www:accessibility_report", args=[report.pk])).content.decode()
    statement = client.get(
        reverse("www:accessibility_statement_text", args=[report.pk])
    ).content.decode()

    # 88 conforming of 92 applicable (hand calculation in test_scoring): 95,7 %.
    assert "le site est <strong>partiellement conforme</strong>" in page
    assert "taux de conformité <strong>95,7\u00a0%</strong>" in page
    assert "88 critères conformes sur 92 critères applicables" in page
    assert "Audit incomplet" not in page
    assert "Accueil : non applicable ; Formulaire : non conforme" in page  # criterion 4.1
    assert "Cantine en ligne est partiellement conforme avec" in statement
    assert "du 4 décembre 2026 au 9 décembre 2026" in statement


def test_a_decision_on_one_page_of_the_sample(client: Client) -> None:
    owner = UserFactory()
    report = finished_report(owner, grid="quick")
    form_page = report.results["pages"][1]["url"]
    client.force_login(owner)

    response = client.post(
        reverse("www:accessibility_decision", args=[report.pk]),
        {"criterion": "8.5", "status": "na", "page": form_page},
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.results["decisions"]["8.5"]["pages"] == {form_page: "na"}
    page = client.get(reverse("www:accessibility_report", args=[report.pk])).content.decode()
    assert "Accueil : non vérifié ; Formulaire : non applicable" in page


def test_the_statement_downloads_as_html_and_text(client: Client) -> None:
    owner = UserFactory()
    report = finished_report(owner)
    client.force_login(owner)

    html = client.get(reverse("www:accessibility_statement", args=[report.pk]))
    text = client.get(reverse("www:accessibility_statement_text", args=[report.pk]))

    assert html["Content-Disposition"] == f'attachment; filename="declaration-{report.pk}.html"'
    assert '<html lang="fr">' in html.content.decode()
    assert text["Content-Type"] == "text/plain; charset=utf-8"
    assert "Voies de recours\n----------------" in text.content.decode()


def test_the_pdf_renders_a_title_in_ink(client: Client) -> None:
    import pypdfium2

    owner = UserFactory()
    report = finished_report(owner)
    client.force_login(owner)

    response = client.get(reverse("www:accessibility_pdf", args=[report.pk]))

    assert response["Content-Type"] == "application/pdf"
    document = pypdfium2.PdfDocument(BytesIO(response.content))
    assert len(document) >= 2
    image = document[0].render(scale=1).to_pil().convert("L")
    width, height = image.size
    title_area = image.crop((0, 0, width, height // 5))
    dark = sum(title_area.histogram()[:100])  # pixels darker than 100 on a 0–255 grey scale
    assert dark > 200
    text = "".join(document[page].get_textpage().get_text_range() for page in range(len(document)))
    document.close()
    assert "Audit d'accessibilité" in text or "Audit d’accessibilité" in text
    assert "Voies de recours" in text
