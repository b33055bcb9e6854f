"""The toolbox's own pages: the index of tools and reports, the progress of a run, attaching a
report to a mission."""

import html
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from tests.support.factories import ExpertUserFactory, MissionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _report(owner, **fields) -> ToolReport:
    return ToolReport.objects.create(
        kind=fields.pop("kind", ToolKind.CODE_QUALITY),
        title=fields.pop("title", "Dépôt du portail"),
        created_by=owner,
        **fields,
    )


def test_the_index_lists_the_tools_and_only_ones_own_reports(client: Client) -> None:
    alice, bob = UserFactory(), UserFactory()
    _report(alice, title="Rapport pour Alice")
    _report(bob, title="Rapport pour Bob")
    client.force_login(alice)
    page = client.get(reverse("www:toolbox")).content.decode()
    for label in ("Valeur du projet (MAREVA 2)", "Qualité du code", "Accessibilité (RGAA)"):
        assert label in page
    assert "Rapport pour Alice" in page
    assert "Rapport pour Bob" not in page


def test_experts_see_every_report_in_the_index(client: Client) -> None:
    _report(UserFactory(), title="Rapport pour Alice")
    client.force_login(ExpertUserFactory())
    assert "Rapport pour Alice" in client.get(reverse("www:toolbox")).content.decode()


def test_the_progress_of_a_run_is_read_by_its_owner_only(client: Client) -> None:
    alice = UserFactory()
    report = _report(
        alice, status=ReportStatus.RUNNING, progress=35, progress_message="Mesure de la complexité"
    )
    url = reverse("www:toolbox_report_status", args=[report.pk])
    client.force_login(alice)
    assert client.get(url).json() == {
        "status": "running",
        "status_label": "En cours",
        "progress": 35,
        "message": "Mesure de la complexité",
        "finished": False,
        "notice": "",
    }
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(ExpertUserFactory())
    assert client.get(url).status_code == 200
    assert client.get(reverse("www:toolbox_report_status", args=[987654])).status_code == 404


def test_attaching_a_report_to_a_mission_is_for_experts(client: Client) -> None:
    alice, expert = UserFactory(), ExpertUserFactory()
    report = _report(alice, kind=ToolKind.MAREVA)
    mission = MissionFactory()
    url = reverse("www:toolbox_report_attach", args=[report.pk])
    client.force_login(alice)
    assert client.post(url, {"mission": mission.pk}).status_code == 404
    report.refresh_from_db()
    assert report.mission is None
    client.force_login(expert)
    assert client.get(url).status_code == 405
    client.post(url, {"mission": mission.pk})
    report.refresh_from_db()
    assert report.mission == mission
    client.post(url, {"mission": "pas-un-nombre"})
    report.refresh_from_db()
    assert report.mission == mission


def test_pdf_reports_read_our_static_files_and_nothing_from_the_network() -> None:
    from weasyprint.urls import URLFetchingError

    from dlnuf.www.toolbox_views.pdf import _local_static_only

    css = _local_static_only("http://rapport.local/static/www/report-print.css")
    assert b"@page" in css.read()
    for url in (
        "https://site-audite.example.fr/logo.png",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "http://rapport.local/static/../../config/settings.py",
    ):
        with pytest.raises(URLFetchingError):
            _local_static_only(url)


def test_a_run_no_worker_took_says_why_it_waits(client: Client) -> None:
    owner = UserFactory()
    fresh = _report(owner, status=ReportStatus.PENDING)
    stale = _report(
        owner,
        status=ReportStatus.PENDING,
        created_at=timezone.now() - timedelta(minutes=7, seconds=10),
    )
    client.force_login(owner)
    notice = (
        "Aucun exécuteur n'a pris cette analyse depuis 7 minutes : l'exécuteur des analyses "
        "(manage.py db_worker) est-il démarré ?"
    )

    state = client.get(reverse("www:toolbox_report_status", args=[stale.pk])).json()
    assert state["notice"].startswith(notice)
    page = client.get(reverse("www:code_quality_report", args=[stale.pk])).content.decode()
    assert notice in html.unescape(page)

    # Just enqueued: nothing to worry about yet.
    assert client.get(reverse("www:toolbox_report_status", args=[fresh.pk])).json()["notice"] == ""
    page = client.get(reverse("www:code_quality_report", args=[fresh.pk])).content.decode()
    assert "Aucun exécuteur" not in page
