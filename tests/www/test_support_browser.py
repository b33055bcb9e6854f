"""The guichet's public pages pass axe-core in headless Chromium: the request form (empty and with
errors), the confirmation, and the follow page with a thread, a reply refused, and the
satisfaction form."""

from datetime import date
from io import StringIO
from typing import Any
from urllib.parse import urljoin

import pytest
from django.urls import reverse

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import DEMO_PASSWORD, load_demo
from dlnuf.organisations.models import User
from dlnuf.support.attachments import IncomingFile
from dlnuf.support.models import Channel, Priority, SupportRequest
from dlnuf.support.services import (
    mission_open,
    mission_transition,
    support_note_add,
    support_reply_send,
    support_request_create,
    support_request_qualify,
)
from dlnuf.support.tokens import follow_token
from dlnuf.www.support_views import forms as support_forms
from tests.www.browser import axe_violations, describe, sign_in

pytestmark = pytest.mark.django_db(transaction=True)
PDF = b"%PDF-1.4\n"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def expert() -> User:
    catalogue_load()
    load_demo(stdout=StringIO())
    return User.objects.get(email="expert@demo.dlnuf.fr")


def assert_axe(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, describe(page.url, violations)


def a_request(expert: User, subject: str) -> SupportRequest:
    request = support_request_create(
        channel=Channel.FORM,
        values={
            "requester_email": "camille.riviere@lyon.fr",
            "requester_name": "Camille Rivière",
            "organisation_name": "Ville de Lyon",
            "subject": subject,
            "context": "La cantine demande l'avis d'imposition.",
            "need": "Obtenir le quotient familial par API.",
            "help_kinds": ["framing", "experience"],
        },
        attachments=[IncomingFile("cahier.pdf", PDF)],
    )
    support_note_add(request=request, actor=expert, body="Note interne à ne pas montrer.")
    support_reply_send(
        request=request,
        actor=expert,
        body="Bonjour,\nl'API de la CNAF répond à votre besoin.",
        attachments=[IncomingFile("fiche.pdf", PDF)],
    )
    return request


def test_the_request_form_empty_with_errors_and_confirmed_passes_axe(
    page: Any, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The browser fills the form faster than a person: the time check is for robots.
    monkeypatch.setattr(support_forms, "MIN_FILL_SECONDS", 0)
    page.goto(urljoin(live_server.url, reverse("www:support_new")))
    assert_axe(page)

    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    text = page.inner_text("main")
    assert "Indiquez votre adresse électronique" in text
    assert "Décrivez votre contexte ou votre besoin" in text
    assert page.title().startswith("Erreur : ")
    assert_axe(page)

    page.fill("input[name=siret]", "30613890001294")
    page.fill("input[name=requester_email]", "camille.riviere@lyon.fr")
    page.fill("input[name=subject]", "Supprimer l'avis d'imposition")
    page.fill("textarea[name=need]", "Savoir quelle API utiliser.")
    page.click("label[for=id_help_kinds_0]")
    page.set_input_files(
        "input[name=attachments]",
        files=[{"name": "note.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.click("main form button[type=submit]")
    page.wait_for_load_state()

    assert "Votre demande est envoyée" in page.inner_text("main")
    request = SupportRequest.objects.get()
    assert request.organisation_name == "DIRECTION INTERMINISTERIELLE DU NUMERIQUE"
    assert request.attachments.get().original_name == "note.pdf"
    assert request.reference in page.inner_text("main")
    assert_axe(page)


def test_the_follow_page_with_a_thread_and_a_refused_reply_passes_axe(
    page: Any, live_server: Any, expert: User
) -> None:
    request = a_request(expert, "Quotient familial pour la cantine")
    url = urljoin(
        live_server.url, reverse("www:support_follow", kwargs={"token": follow_token(request)})
    )

    page.goto(url)
    text = page.inner_text("main")
    assert "l'API de la CNAF répond à votre besoin." in text
    assert "Note interne" not in text
    assert_axe(page)

    page.click("form:has(input[value=reply]) button[type=submit]")
    page.wait_for_load_state()
    assert "Écrivez votre message avant de l'envoyer." in page.inner_text("main")
    assert_axe(page)

    page.fill("textarea[name=reply-body]", "Merci, voici notre calendrier.")
    page.click("form:has(input[value=reply]) button[type=submit]")
    page.wait_for_load_state()
    assert "Votre message a été transmis au guichet." in page.inner_text("main")
    assert_axe(page)


def test_the_follow_page_with_the_satisfaction_form_passes_axe(
    page: Any, live_server: Any, expert: User
) -> None:
    request = a_request(expert, "Attestation fiscale des fournisseurs")
    support_request_qualify(request=request, actor=expert, priority=Priority.HIGH)
    mission = mission_open(
        request=request, actor=expert, title="Cadrage des attestations", lead_expert=expert
    )
    mission.agreement_note = "Deux ateliers avec la direction des achats."
    mission.agreed_until = date(2027, 6, 30)
    mission.save()
    for action in ("agree", "start"):
        mission = mission_transition(mission=mission, action=action, actor=expert)
    mission.closing_summary = "Attestations lues par API ; plus de pièce demandée."
    mission.save()
    mission_transition(mission=mission, action="close", actor=expert)
    url = urljoin(
        live_server.url, reverse("www:support_follow", kwargs={"token": follow_token(request)})
    )

    page.goto(url)
    assert "Votre avis sur l'accompagnement" in page.inner_text("main")
    assert_axe(page)

    page.click("form:has(input[value=satisfaction]) button[type=submit]")
    page.wait_for_load_state()
    assert "Choisissez une note de 1 à 5." in page.inner_text("main")
    assert_axe(page)

    page.click("label[for=id_satisfaction-score_0]")
    page.click("form:has(input[value=satisfaction]) button[type=submit]")
    page.wait_for_load_state()
    assert "Merci pour votre avis" in page.inner_text("main")
    mission.refresh_from_db()
    assert mission.satisfaction == 5
    assert_axe(page)


@pytest.mark.parametrize("email", ["agent.lyon@demo.dlnuf.fr", "expert@demo.dlnuf.fr"])
def test_the_public_pages_pass_axe_for_signed_in_people_too(
    page: Any, live_server: Any, expert: User, email: str
) -> None:
    request = a_request(expert, "Justificatif de domicile")
    sign_in(page, live_server.url, email, DEMO_PASSWORD)

    page.goto(urljoin(live_server.url, reverse("www:support_new")))
    assert_axe(page)
    page.goto(
        urljoin(
            live_server.url, reverse("www:support_follow", kwargs={"token": follow_token(request)})
        )
    )
    assert "Justificatif de domicile" in page.inner_text("main")
    assert_axe(page)
