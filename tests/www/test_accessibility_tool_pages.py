"""Pages of the accessibility audit: the form, the report, its PDF, decisions and the statement."""

from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from tests.support.factories import ExpertUserFactory, UserFactory
from tests.toolbox.accessibility.factories import finished_report
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
    # Full grid: 8.5 passes (title present) and 1.1, 3.2, 6.2, 8.3, 11.1 fail: 1 / 6 = 16.7 %.
    assert report.results["summary"]["rate"] == 16.7
    assert report.results["summary"]["level"] == "non conforme"
    page = client.get(response["Location"]).content.decode()
    assert "16,7 %" in page or "16.7 %" in page
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

    assert "50,0 %" in page or "50.0 %" in page
    assert "partiellement conforme" in page
    assert "Aide de image-alt (image-alt)" in page
    assert "Conforme (vérification automatique)" in page
    assert "À vérifier manuellement" in page
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
    assert report.results["decisions"]["11.1"]["status"] == "c"
    # Quick grid: 8.3, 8.5, 11.1 compliant, 1.1 not: 3 / 4 = 75 %.
    assert report.results["summary"]["rate"] == 75.0
    assert client.get(url).status_code == 405


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
