"""Pages of the value calculator: the form, its checks, the report, who reads it, the PDF."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dlnuf.toolbox.mareva.compute import CRITERION_KEYS, YEAR_ROW_KEYS
from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from tests.support.factories import ExpertUserFactory, MissionFactory, UserFactory
from tests.www.pdf import render_pdf

pytestmark = pytest.mark.django_db


def form_data(horizon: int = 3, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Portail des aides",
        "horizon": horizon,
        "columns": horizon,
        "discount_rate": "4",
        "year_zero": "start",
        "build_etpt_cost": "90000",
        "agent_etpt_cost": "60000",
        "weight_necessity": "30",
        "weight_strategic": "30",
        "weight_profitability": "40",
    }
    for key in YEAR_ROW_KEYS:
        for year in range(1, horizon + 1):
            data[f"{key}_{year}"] = "0"
    data["build_external_1"] = "100"
    data["gain_state_2"] = "60"
    data["gain_state_3"] = "60"
    for key in CRITERION_KEYS:
        data[f"score_{key}"] = "2"
    data.update(changes)
    return data


def create(client: Client, **changes: Any) -> ToolReport:
    response = client.post(reverse("www:mareva_new"), form_data(**changes))
    assert response.status_code == 302, response.content.decode()[:3000]
    return ToolReport.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_the_form_shows_the_grid_and_the_stated_assumptions(client: Client) -> None:
    client.force_login(UserFactory())
    page = client.get(reverse("www:mareva_new")).content.decode()
    assert "n'est pas public" in page
    assert '<th scope="col">Année 5</th>' in page
    assert 'for="id_build_external_5"' in page
    assert 'name="mission"' not in page


def test_the_example_prefills_the_form(client: Client) -> None:
    client.force_login(UserFactory())
    page = client.get(reverse("www:mareva_new") + "?exemple=1").content.decode()
    assert 'value="250000"' in page


def test_a_valid_form_creates_a_finished_report(client: Client) -> None:
    alice = UserFactory()
    client.force_login(alice)
    report = create(client)
    assert report.kind == ToolKind.MAREVA
    assert report.status == ReportStatus.DONE
    assert report.created_by == alice
    # Same cash flow as the domain test: NPV 13.1657 € at 4 %.
    assert report.results["npv"] == pytest.approx(13.1657, abs=1e-4)
    assert report.inputs["assumptions"]["discount_rate"] == pytest.approx(0.04)
    page = client.get(reverse("www:mareva_report", args=[report.pk])).content.decode()
    assert "Valeur actuelle nette" in page
    assert "Cygne noir" in page or "cygne noir" in page
    assert f"?depuis={report.pk}" in page


def test_negative_amounts_and_a_bad_horizon_are_refused_in_french(client: Client) -> None:
    client.force_login(UserFactory())
    response = client.post(reverse("www:mareva_new"), form_data(build_external_2="-5"))
    assert response.status_code == 200
    assert "Un montant ne peut pas être négatif." in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    response = client.post(reverse("www:mareva_new"), {**form_data(), "horizon": "20"})
    assert "horizon ne peut dépasser 15 ans." in response.content.decode()
    response = client.post(reverse("www:mareva_new"), {**form_data(), "horizon": "2"})
    assert "horizon doit être d&#x27;au moins 3 ans." in response.content.decode()
    assert not ToolReport.objects.exists()


def test_changing_the_horizon_resizes_the_grid_before_computing(client: Client) -> None:
    client.force_login(UserFactory())
    response = client.post(reverse("www:mareva_new"), {**form_data(), "horizon": "6"})
    page = response.content.decode()
    assert "adaptée à un horizon de 6 ans" in page
    assert '<th scope="col">Année 6</th>' in page
    assert not ToolReport.objects.exists()


def test_modify_and_recompute_prefills_from_the_report(client: Client) -> None:
    client.force_login(UserFactory())
    report = create(client, title="Premier calcul")
    page = client.get(reverse("www:mareva_new") + f"?depuis={report.pk}").content.decode()
    assert 'value="Premier calcul"' in page
    assert 'value="100"' in page


def test_reports_are_read_by_their_author_and_experts_only(client: Client) -> None:
    alice = UserFactory()
    client.force_login(alice)
    report = create(client)
    url = reverse("www:mareva_report", args=[report.pk])
    assert client.get(url).status_code == 200
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert client.get(reverse("www:mareva_pdf", args=[report.pk])).status_code == 404
    client.force_login(ExpertUserFactory())
    assert client.get(url).status_code == 200
    client.force_login(UserFactory())
    assert client.get(reverse("www:mareva_new") + f"?depuis={report.pk}").status_code == 404
    client.logout()
    assert client.get(reverse("www:mareva_new")).status_code == 302


def test_experts_attach_the_report_to_a_mission_from_the_form(client: Client) -> None:
    expert = ExpertUserFactory()
    mission = MissionFactory()
    client.force_login(expert)
    assert 'name="mission"' in client.get(reverse("www:mareva_new")).content.decode()
    report = create(client, mission=str(mission.pk))
    assert report.mission == mission


def test_the_pdf_is_drawn_for_its_author_and_experts(client: Client) -> None:
    client.force_login(UserFactory())
    report = create(client)
    client.force_login(ExpertUserFactory())
    response = client.get(reverse("www:mareva_pdf", args=[report.pk]))
    assert response["Content-Type"] == "application/pdf"
    rendered = render_pdf(response.content)
    assert rendered.pages >= 2
    assert rendered.dark_pixels_in_title > 200
