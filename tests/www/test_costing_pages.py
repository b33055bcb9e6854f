"""Pages of the cost review: the form, its checks, the report, who reads it, the PDF."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dlnuf.toolbox.costing import cocomo
from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from tests.support.factories import ExpertUserFactory, MissionFactory, UserFactory
from tests.www.pdf import render_pdf

pytestmark = pytest.mark.django_db


def form_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Refonte du portail",
        "cost": "100000",
        "months": "12",
        "phase": "build",
        "contingency": "0",
        "ministry": "",
        "daily_rate": "500",
        "hours_per_pm": "152",
        "hours_per_day": "7.6",
        "p80_margin": "30",
        "unit": "days",
        "distribution": "beta_pert",
        "size_mode": "none",
        "language": "java",
        "package_1_name": "Lot 1",
        "package_1_optimistic": "100",
        "package_1_most_likely": "160",
        "package_1_pessimistic": "280",
    }
    for index in range(1, 15):
        data[f"gsc_{index}"] = "3"
    for name in cocomo.scale_factor_names() + cocomo.effort_multiplier_names():
        data[f"cocomo_{name}"] = "N"
    data.update(changes)
    return data


def create(client: Client, **changes: Any) -> ToolReport:
    response = client.post(reverse("www:costing_new"), form_data(**changes))
    assert response.status_code == 302, response.content.decode()[:5000]
    return ToolReport.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_the_form_lists_every_section(client: Client) -> None:
    client.force_login(UserFactory())
    page = client.get(reverse("www:costing_new")).content.decode()
    for text in ("Lots de travaux", "Fonctions comptées", "Facteurs d'échelle", "(SCED)"):
        assert text in page
    assert 'for="id_package_6_pessimistic"' in page
    assert 'for="id_fp_EIF_high"' in page


def test_a_valid_form_creates_a_finished_report(client: Client) -> None:
    client.force_login(UserFactory())
    report = create(client)
    assert report.kind == ToolKind.COSTING
    assert report.status == ReportStatus.DONE
    methods = {method["key"]: method for method in report.results["methods"]}
    # PERT: E = 170 days × 500 € = 85 000 €; P80 = 85 000 + 0.8416 × 15 000 = 97 624 €.
    assert methods["pert"]["cost_p80"] == pytest.approx(97_624)
    page = client.get(reverse("www:costing_report", args=[report.pk])).content.decode()
    assert "Verdict : chiffrage optimiste" in page
    assert "queue épaisse" in page
    assert f"?depuis={report.pk}" in page


def test_an_ifpug_count_feeds_cocomo(client: Client) -> None:
    client.force_login(UserFactory())
    report = create(client, size_mode="ifpug", fp_EI_low="2", fp_ILF_avg="2", cocomo_CPLX="H")
    size = report.results["cocomo"]["size"]
    # UFP = 2 × 3 + 2 × 10 = 26; VAF = 0.65 + 0.42 = 1.07 → 27.82 points × 53 = 1.47446 KSLOC.
    assert size["ufp"] == 26
    assert size["ksloc"] == pytest.approx(27.82 * 53 / 1000)
    assert report.results["cocomo"]["product_em"] == pytest.approx(1.17)
    page = client.get(reverse("www:costing_report", args=[report.pk])).content.decode()
    assert "Complexité du produit (CPLX) : Élevé" in page


def test_bad_inputs_are_refused_in_french(client: Client) -> None:
    client.force_login(UserFactory())
    response = client.post(
        reverse("www:costing_new"),
        form_data(cost="-3", package_1_most_likely="400", size_mode="ksloc"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Cette valeur ne peut pas être négative." in page
    assert "Il faut optimiste ≤ probable ≤ pessimiste." in page
    assert "Indiquez la taille en milliers de lignes de code." in page
    assert 'aria-invalid="true"' in page
    assert not ToolReport.objects.exists()


def test_modify_and_recompute_prefills_from_the_report(client: Client) -> None:
    client.force_login(UserFactory())
    report = create(client, title="Premier chiffrage", cocomo_TEAM="VH")
    page = client.get(reverse("www:costing_new") + f"?depuis={report.pk}").content.decode()
    assert 'value="Premier chiffrage"' in page
    assert 'value="280"' in page
    assert '<option value="VH" selected>' in page


def test_reports_are_read_by_their_author_and_experts_only(client: Client) -> None:
    alice = UserFactory()
    client.force_login(alice)
    report = create(client)
    url = reverse("www:costing_report", args=[report.pk])
    assert client.get(url).status_code == 200
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert client.get(reverse("www:costing_pdf", args=[report.pk])).status_code == 404
    assert client.get(reverse("www:costing_new") + f"?depuis={report.pk}").status_code == 404
    client.force_login(ExpertUserFactory())
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(reverse("www:costing_new")).status_code == 302


def test_experts_attach_the_report_to_a_mission_from_the_form(client: Client) -> None:
    mission = MissionFactory()
    client.force_login(ExpertUserFactory())
    report = create(client, mission=str(mission.pk))
    assert report.mission == mission


def test_the_pdf_is_drawn_for_its_author_and_experts(client: Client) -> None:
    client.force_login(UserFactory())
    report = create(client)
    client.force_login(ExpertUserFactory())
    response = client.get(reverse("www:costing_pdf", args=[report.pk]))
    assert response["Content-Type"] == "application/pdf"
    rendered = render_pdf(response.content)
    assert rendered.pages >= 2
    assert rendered.dark_pixels_in_title > 200
