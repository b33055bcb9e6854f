"""In Chromium (fr-FR): a person reports a consultation from its line, follows the report, asks
for the e-mail notices; an instructor sets the deferred visibility. Every state passes axe-core."""

from typing import Any

import pytest
from django.conf import settings

from dlnuf.outbox.models import OutgoingEmail
from dlnuf.support.models import SupportRequest
from tests.habilitations.factories import PASSWORD
from tests.habilitations.workflow import cast
from tests.people.access_world import MARIE, person_session_key
from tests.people.report_world import DPO_EMAIL, report_world
from tests.www.browser import axe_violations, describe, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def no_violations(page: Any) -> None:
    assert describe(page.url, axe_violations(page)) == ""


@pytest.fixture
def marie(page: Any, live_server: Any) -> Any:
    world = report_world()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": person_session_key(MARIE),
                "url": live_server.url,
            }
        ]
    )
    return world


def test_a_person_reports_a_consultation_and_asks_for_notices(
    page: Any, live_server: Any, marie: Any
) -> None:
    page.goto(f"{live_server.url}/mes-donnees/")
    page.locator(f"#acces-{marie.marie_entry}").get_by_role(
        "link", name="Signaler cette consultation"
    ).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Signaler une consultation"
    no_violations(page)

    page.get_by_label("Autre raison (précisez ci-dessous)").check(force=True)
    page.get_by_label("Votre adresse électronique").fill("marie@exemple.fr")
    page.get_by_role("button", name="Envoyer le signalement").click()
    assert "précisez-la en quelques mots" in page.content()
    assert page.get_by_label("Votre adresse électronique").input_value() == "marie@exemple.fr"
    assert page.get_by_label("Autre raison (précisez ci-dessous)").is_checked()
    no_violations(page)

    page.get_by_label("Précisions").fill("Je n'ai jamais habité Lyon.")
    page.get_by_role("button", name="Envoyer le signalement").click()
    case = SupportRequest.objects.get()
    assert page.get_by_role("heading", level=1).inner_text() == (
        f"Votre signalement {case.reference}"
    )
    assert OutgoingEmail.objects.filter(to=[DPO_EMAIL]).exists()
    no_violations(page)
    page.get_by_label("Votre message").fill("Merci de me répondre vite.")
    page.get_by_role("button", name="Envoyer le message").click()
    assert "Merci de me répondre vite." in page.content()
    no_violations(page)

    page.goto(f"{live_server.url}/mes-donnees/")
    page.get_by_role("link", name="Recevoir un courriel quand mes données sont consultées").click()
    page.get_by_label("Adresse électronique").wait_for()
    no_violations(page)
    page.get_by_label("Adresse électronique").fill("marie@")
    page.get_by_role("button", name="Recevoir les avis").click()
    assert page.get_by_label("Adresse électronique").input_value() == "marie@"
    no_violations(page)


def test_an_instructor_sets_the_deferred_visibility(page: Any, live_server: Any) -> None:
    people = cast()
    request = people.validated()
    sign_in(page, live_server.url, people.instructor.email, PASSWORD)
    page.goto(f"{live_server.url}/habilitations/{request.pk}/")
    page.get_by_role("link", name="Régler l'affichage aux usagers").click()
    no_violations(page)
    page.get_by_label("Délai avant affichage à l'usager, en jours").fill("trois cents")
    page.get_by_role("button", name="Enregistrer").click()
    assert "n'est pas un nombre" in page.content()
    no_violations(page)
    page.get_by_label("Délai avant affichage à l'usager, en jours").fill("1 095")
    page.get_by_label("Texte qui autorise ce délai").fill("Article L114-17 du CSS")
    page.get_by_role("button", name="Enregistrer").click()
    assert "consultations montrées 1\u202f095 jours après avoir eu lieu" in page.content()
