"""Irritant and steering pages in headless Chromium: axe-core finds nothing to fix, for each role
that sees them, including forms shown with their errors and pages reached by submitting them."""

import zoneinfo
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import pytest
from django.utils import timezone

from dlnuf.catalogue.models import Provider
from dlnuf.organisations.services import organisation_get_or_create
from dlnuf.procedures.models import Procedure
from dlnuf.support.irritants import (
    irritant_escalate,
    irritant_note,
    irritant_open,
    irritant_resolve,
)
from dlnuf.support.models import HelpKind, IrritantKind, Ministry, Mission, MissionState
from tests.support.factories import (
    PASSWORD,
    AdministratorUserFactory,
    ExpertUserFactory,
    MissionFactory,
    QualifiedRequestFactory,
    SupportRequestFactory,
)
from tests.www.browser import axe_violations, crawl_within, describe, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PARIS_TZ = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def desk() -> dict[str, Any]:
    expert = ExpertUserFactory(email="expert.axe@guichet.gouv.fr")
    admin = AdministratorUserFactory(email="admin.axe@guichet.gouv.fr")
    provider = Provider.objects.create(slug="cnaf-msa", name="CNAF et MSA", acronym="CNAF")
    lyon = organisation_get_or_create(siret="21690123100011", name="Ville de Lyon")
    cantine = Procedure.objects.create(
        organisation=lyon, name="Cantine", yearly_volume=18_000, created_by=expert
    )
    escalated = irritant_open(
        actor=expert,
        title="Le quotient familial MSA manque",
        kind=IrritantKind.MISSING_API,
        description="Les familles MSA déposent encore leur attestation.",
        blocked_party="Ville de Lyon",
        blocking_provider=provider,
        procedures=[cantine],
        procedures_affected=3,
        people_affected_per_year=18_000,
    )
    irritant_escalate(
        irritant=escalated, actor=expert, escalated_to="Direction de la sécurité sociale"
    )
    irritant_note(irritant=escalated, actor=expert, comment="Relance envoyée.")
    resolved = irritant_open(
        actor=expert,
        title="Lecture juridique de l'avis d'imposition",
        kind=IrritantKind.LEGAL_READING,
        description="Le service juridique refusait l'appel.",
        blocked_party="Département de la Gironde",
        blocking_party="Service juridique",
        procedures_affected=1,
        people_affected_per_year=900,
    )
    irritant_resolve(irritant=resolved, actor=expert, resolution="Note juridique partagée.")
    now = timezone.now()
    requests = []
    for days, ministry, kinds in (
        (40, Ministry.ECONOMY, [HelpKind.FRAMING, HelpKind.EXPERIENCE]),
        (20, Ministry.LOCAL_AUTHORITY, [HelpKind.BLOCKING_POINT]),
        (5, Ministry.LOCAL_AUTHORITY, []),
    ):
        created = now - timedelta(days=days)
        requests.append(
            SupportRequestFactory(
                created_at=created,
                first_answered_at=created + timedelta(hours=30),
                first_answer_due=created + timedelta(days=2),
                ministry=ministry,
                help_kinds=kinds,
            )
        )
    request = QualifiedRequestFactory(
        created_at=datetime(2025, 6, 1, tzinfo=PARIS_TZ), organisation=lyon, qualified__by=expert
    )
    mission = MissionFactory(request=request, lead_expert=expert)
    Mission.objects.filter(pk=mission.pk).update(
        state=MissionState.CLOSED, closed_at=now - timedelta(days=3), satisfaction=5
    )
    return {"expert": expert, "admin": admin, "escalated": escalated, "request": requests[0]}


def _assert_axe(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, describe(page.url, violations)


@pytest.mark.parametrize("who", ["expert", "admin"])
def test_irritant_and_steering_pages_pass_axe(
    page: Any, live_server: Any, desk: dict[str, Any], who: str
) -> None:
    sign_in(page, live_server.url, desk[who].email, PASSWORD)

    irritants = crawl_within(page, live_server.url, ("/guichet/irritants/",))
    steering = crawl_within(page, live_server.url, ("/guichet/pilotage/",))

    for report in (irritants, steering):
        assert not report.failures(), report.failures()
        assert all(status == 200 for status in report.statuses.values()), report.statuses
    visited = {url.removeprefix(live_server.url) for url in irritants.visited}
    escalated = desk["escalated"].pk
    assert {
        "/guichet/irritants/",
        "/guichet/irritants/?etat=resolved",
        "/guichet/irritants/nouveau/",
        f"/guichet/irritants/{escalated}/",
        f"/guichet/irritants/{escalated}/modifier/",
    } <= visited


def test_forms_with_errors_and_their_outcome_pass_axe(
    page: Any, live_server: Any, desk: dict[str, Any]
) -> None:
    sign_in(page, live_server.url, desk["expert"].email, PASSWORD)

    page.goto(urljoin(live_server.url, f"/guichet/irritants/nouveau/?demande={desk['request'].pk}"))
    assert desk["request"].reference in page.inner_text("main")
    _assert_axe(page)

    page.goto(urljoin(live_server.url, "/guichet/irritants/nouveau/"))
    page.fill("input[name=title]", "Pas d'API pour le statut boursier")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    text = page.inner_text("main")
    assert "Nommez la partie en cause" in text
    assert "Décrivez le blocage." in text
    _assert_axe(page)

    page.select_option("select[name=kind]", "missing_api")
    page.fill("textarea[name=description]", "Les familles déposent la notification de bourse.")
    page.fill("input[name=blocked_party]", "Département de la Gironde")
    page.fill("input[name=blocking_party]", "Ministère de l'Éducation nationale")
    page.fill("input[name=people_affected_per_year]", "12000")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Irritant enregistré." in page.inner_text("main")
    _assert_axe(page)

    page.click("#action-resolution button[type=submit]")
    page.wait_for_load_state()
    assert "Décrivez la résolution" in page.inner_text("main")
    _assert_axe(page)

    page.fill("input[name=escalade-escalated_to]", "Rectorat de Bordeaux")
    page.click("#action-escalade button[type=submit]")
    page.wait_for_load_state()
    text = page.inner_text("main")
    assert "Irritant escaladé." in text
    assert "Auprès de : Rectorat de Bordeaux" in text
    _assert_axe(page)

    page.goto(urljoin(live_server.url, "/guichet/pilotage/?du=2026-03-31&au=2026-01-01"))
    assert "La fin de la période doit suivre son début." in page.inner_text("main")
    _assert_axe(page)
