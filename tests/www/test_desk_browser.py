"""The experts' desk passes axe-core in headless Chromium for the two roles that see it, on every
page (the mission's overview and the pages where each of its parts changes) and with forms shown
with their errors."""

from io import StringIO
from typing import Any
from urllib.parse import urljoin

import pytest
from django.urls import reverse

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import DEMO_PASSWORD, load_demo
from dlnuf.organisations.models import User
from tests.support.factories import BusyDesk, ExpertFactory, busy_desk
from tests.www.browser import axe_violations, describe, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

EXPERT = "expert@demo.dlnuf.fr"
ADMIN = "admin@demo.dlnuf.fr"


@pytest.fixture
def desk(settings: Any, tmp_path: Any) -> BusyDesk:
    settings.MEDIA_ROOT = tmp_path
    catalogue_load()
    load_demo(stdout=StringIO())
    expert = User.objects.get(email=EXPERT)
    ExpertFactory(user=expert, skills=["architecture", "legal"], capacity=1)
    return busy_desk(expert=expert)


def _assert_axe(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, describe(page.url, violations)


def _pages(desk: BusyDesk) -> list[str]:
    return [
        reverse("www:desk"),
        reverse("www:desk") + "?state=toutes&priority=high&overdue=on",
        reverse("www:desk_request", kwargs={"pk": desk.with_thread.pk}),
        reverse("www:desk_request", kwargs={"pk": desk.mission.request.pk}),
        reverse("www:desk_missions"),
        reverse("www:desk_mission", kwargs={"pk": desk.mission.pk}),
        reverse("www:desk_mission_framing", kwargs={"pk": desk.mission.pk, "topic": "scope"}),
        reverse("www:desk_mission_action", kwargs={"pk": desk.mission.pk, "action": "knowledge"}),
        reverse("www:desk_inbound_mail"),
        reverse("www:desk_experts"),
    ]


@pytest.mark.parametrize("email", [EXPERT, ADMIN])
def test_desk_pages_pass_axe(page: Any, live_server: Any, desk: BusyDesk, email: str) -> None:
    sign_in(page, live_server.url, email, DEMO_PASSWORD)
    for path in _pages(desk):
        response = page.goto(urljoin(live_server.url, path))
        assert response is not None
        assert response.status == 200, path
        _assert_axe(page)


def test_forms_with_errors_pass_axe(page: Any, live_server: Any, desk: BusyDesk) -> None:
    sign_in(page, live_server.url, ADMIN, DEMO_PASSWORD)

    page.goto(urljoin(live_server.url, reverse("www:desk_request", args=[desk.with_thread.pk])))
    page.locator("#action-redirect button[type=submit]").click()
    page.wait_for_load_state()
    assert "Réorienter : action non effectuée" in page.inner_text("main")
    assert "Expliquez au demandeur vers qui se tourner." in page.inner_text("main")
    _assert_axe(page)

    mission = reverse("www:desk_mission", args=[desk.mission.pk])
    page.goto(urljoin(live_server.url, mission))
    page.get_by_role("link", name="Noter mon temps passé").click()
    page.wait_for_load_state()
    page.fill("input[name=temps-worked_on]", "2020-01-06")
    page.fill("input[name=temps-hours]", "30")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "d'un quart d'heure (0,25) à 24 heures" in page.inner_text("main")
    assert page.input_value("input[name=temps-hours]") == "30"
    _assert_axe(page)

    page.goto(urljoin(live_server.url, mission))
    page.locator("#etat").get_by_role("link", name="Abandonner").click()
    page.wait_for_load_state()
    page.locator("main form button[type=submit]", has_text="Abandonner").click()
    page.wait_for_load_state()
    assert "Une explication est nécessaire." in page.inner_text("main")
    _assert_axe(page)

    page.goto(urljoin(live_server.url, mission))
    page.get_by_role("link", name="Estimation budgétaire").click()
    page.wait_for_load_state()
    page.fill("textarea[name=cadrage-notes]", "Devis attendu.")
    page.set_input_files(
        "input[name=cadrage-deliverable]",
        files=[{"name": "devis.pdf", "mimeType": "application/pdf", "buffer": b"pas un PDF"}],
    )
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "son contenu ne correspond pas à son extension" in page.inner_text("main")
    assert page.input_value("textarea[name=cadrage-notes]") == "Devis attendu."
    _assert_axe(page)

    page.goto(urljoin(live_server.url, reverse("www:desk_experts")))
    expert = User.objects.get(email=EXPERT)
    page.fill(f"input[name=expert-{expert.pk}-capacity]", "0")
    page.locator(f"#expert-{expert.pk} button[type=submit]").click()
    page.wait_for_load_state()
    assert "Au moins une mission." in page.inner_text("main")
    _assert_axe(page)
