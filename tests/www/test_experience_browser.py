"""The experience sharing pages pass axe-core for everyone who can see them: the knowledge base
and its search (with a form error and a search without meaning), the similar cases of a request
(with a refused proposal and after a proposal, a solved case and a diagnosed procedure each
named truthfully), and the public answer page of an introduction before and after answering."""

from io import StringIO
from typing import Any
from urllib.parse import urljoin

import pytest
from django.urls import reverse

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import DEMO_PASSWORD, load_demo
from dlnuf.support.introductions import Side, consent_token
from dlnuf.support.models import (
    HelpKind,
    Introduction,
    KnowledgeEntry,
    KnowledgeSource,
    SupportRequest,
)
from tests.support.factories import ExpertUserFactory, SupportRequestFactory
from tests.www.browser import axe_violations, describe, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def support_request() -> SupportRequest:
    catalogue_load()
    load_demo(stdout=StringIO())
    KnowledgeEntry.objects.create(
        source=KnowledgeSource.MISSION,
        organisation_name="Ville de Montval",
        contact_name="Camille Durand",
        contact_email="camille.durand@montval.fr",
        title="Tarif de la cantine selon le quotient familial",
        problem="L'inscription à la cantine exigeait l'attestation CAF des familles.",
        solution="Le quotient familial est lu par API Particulier à l'inscription.",
        dataset_slugs=["quotient-familial"],
    )
    KnowledgeEntry.objects.create(
        source=KnowledgeSource.DIAGNOSTIC,
        organisation_name="Ville de Lyon",
        title="Tarif réduit des bibliothèques",
        problem="La démarche demande aux usagers : « Carte d'étudiant ».",
        solution="Les données « Statut étudiant » remplacent « Carte d'étudiant ».",
        dataset_slugs=["statut-etudiant"],
    )
    return SupportRequestFactory(
        organisation_name="Mairie de Saint-Aubin",
        help_kinds=[HelpKind.EXPERIENCE.value],
        subject="Cantine : ne plus demander l'avis d'imposition",
        context="Les familles joignent l'attestation CAF ou l'avis d'imposition.",
        need="Obtenir le quotient familial directement.",
    )


def _assert_axe(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, describe(page.url, violations)


@pytest.mark.parametrize("email", ["expert@demo.dlnuf.fr", "admin@demo.dlnuf.fr"])
def test_the_knowledge_base_and_its_search_pass_axe(
    page: Any, live_server: Any, support_request: SupportRequest, email: str
) -> None:
    sign_in(page, live_server.url, email, DEMO_PASSWORD)

    page.goto(urljoin(live_server.url, reverse("www:experience_list")))
    assert "Cas connus (2)" in page.inner_text("main")
    _assert_axe(page)

    page.fill("input[name=q]", "tarif de la cantine et quotient familial")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Cas les plus proches (2)" in page.inner_text("main")
    assert "Méthode : modèle" in page.inner_text("main")
    _assert_axe(page)

    page.fill("input[name=q]", "Bonjour, est-ce que c'est pour nous ? 2026")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Cas les plus proches (0)" in page.inner_text("main")
    assert "ne contient aucun mot porteur de sens" in page.inner_text("main")
    _assert_axe(page)

    page.goto(urljoin(live_server.url, reverse("www:experience_list") + "?source=inconnue"))
    assert "Choisissez une origine de la liste." in page.inner_text("main")
    _assert_axe(page)


@pytest.mark.parametrize("email", ["expert@demo.dlnuf.fr", "admin@demo.dlnuf.fr"])
def test_the_similar_cases_of_a_request_pass_axe(
    page: Any, live_server: Any, support_request: SupportRequest, email: str
) -> None:
    sign_in(page, live_server.url, email, DEMO_PASSWORD)
    url = urljoin(
        live_server.url, reverse("www:experience_similar", kwargs={"pk": support_request.pk})
    )
    page.goto(url)
    assert "Mêmes données" in page.inner_text("main")
    # The mission solved its problem; the procedure was only diagnosed, and says so.
    solved = page.locator("main article", has_text="Tarif de la cantine selon le quotient")
    assert "Résolu par une mission du guichet" in (solved.text_content() or "")
    assert "Solution retenue" in (solved.text_content() or "")
    diagnosed = page.locator("main article", has_text="Tarif réduit des bibliothèques")
    assert "Démarche diagnostiquée" in (diagnosed.text_content() or "")
    assert "Solution retenue" not in (diagnosed.text_content() or "")
    assert "Ce que le diagnostic a trouvé" in (diagnosed.text_content() or "")
    _assert_axe(page)

    first_case = page.locator("main article").first
    first_case.locator("textarea").fill("")
    first_case.get_by_role("button", name="Proposer une mise en relation").click()
    page.wait_for_load_state()
    assert "Expliquez en quelques mots" in page.inner_text("main")
    _assert_axe(page)

    page.locator("main article").first.locator("textarea").fill("Même besoin : la cantine.")
    page.locator("main article").first.get_by_role(
        "button", name="Proposer une mise en relation"
    ).click()
    page.wait_for_load_state()
    assert "Mises en relation de cette demande (1)" in page.inner_text("main")
    _assert_axe(page)


def test_the_answer_page_of_an_introduction_passes_axe_before_and_after_answering(
    page: Any, live_server: Any, support_request: SupportRequest
) -> None:
    introduction = Introduction.objects.create(
        request=support_request,
        knowledge=KnowledgeEntry.objects.get(organisation_name="Ville de Montval"),
        reason="Même besoin : la cantine et le quotient familial.",
        proposed_by=ExpertUserFactory(),
    )
    for side in Side:
        token = consent_token(introduction, side)
        page.goto(
            urljoin(live_server.url, reverse("www:introduction_consent", kwargs={"token": token}))
        )
        assert "Proposition de mise en relation" in page.inner_text("main")
        _assert_axe(page)

        page.get_by_role("button", name="J'accepte").click()
        page.wait_for_load_state()
        _assert_axe(page)

    # The second side to accept is told the details were sent, not that they will be.
    text = page.inner_text("body")
    assert "Les deux parties ont accepté" in text
    assert "viennent d'être envoyées à l'autre par courriel" in text
    assert "dès que l'autre partie aura accepté" not in text
