"""End to end in a real browser: an agent asks the guichet for help without an account, an expert
qualifies the request and answers, the agent reads the answer through the link of the
acknowledgement e-mail and replies, and the expert sees the reply in the request's thread.

Every page on the way passes axe-core. With DLNUF_SCREENSHOTS_DIR set, the main steps are saved
as pictures, like the journey of the portal.
"""

import re
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import load_demo
from dlnuf.support.models import MessageKind, RequestState, SupportRequest
from dlnuf.www.support_views import forms as support_forms
from tests.www.test_journey import Journey

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTER = "camille.riviere@mairie-exemple.fr"
SUBJECT = "Ne plus demander l'avis d'imposition pour la cantine"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_asking_the_guichet_answering_and_following_by_the_signed_link(
    page: Any, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue_load()
    load_demo(stdout=StringIO())
    # The browser fills the form faster than a person: the time check is for robots.
    monkeypatch.setattr(support_forms, "MIN_FILL_SECONDS", 0)
    journey = Journey(page, live_server.url)

    # 1. No account: the menu leads to the request form.
    journey.go("/")
    journey.menu("Demander de l'aide")
    page.get_by_label("Nom de votre administration").fill("Mairie d'Exemple-sur-Loire")
    page.get_by_label("Vos prénom et nom").fill("Camille Rivière")
    page.get_by_label("Votre adresse électronique").fill(REQUESTER)
    page.get_by_label("Objet de votre demande").fill(SUBJECT)
    page.get_by_label("Votre besoin").fill(
        "Les familles joignent leur avis d'imposition ; nous voudrions le quotient familial."
    )
    page.locator("label", has_text="Cadrage du projet").click()
    journey.picture("guichet-01-demande.png")
    sent = journey.click(page.get_by_role("button", name="Envoyer ma demande"))
    request = SupportRequest.objects.get(requester_email=REQUESTER)
    assert request.reference in sent
    assert request.state == RequestState.NEW

    # 2. The acknowledgement carries the signed follow link.
    acknowledgement = mail.outbox[-1]
    assert acknowledgement.to == [REQUESTER]
    assert request.reference in acknowledgement.subject
    found = re.search(r"https?://\S+/accompagnement/suivi/\S+/", acknowledgement.body)
    assert found is not None
    follow_path = urlsplit(found.group(0)).path

    # 3. An expert finds it on the board, qualifies it and answers.
    journey.sign_in("expert@demo.dlnuf.fr")
    board = journey.menu("Guichet")
    assert SUBJECT in board
    journey.click(page.get_by_role("link", name=request.reference))
    journey.picture("guichet-02-demande-cote-expert.png")
    journey.click(page.get_by_role("button", name="Qualifier"))
    request.refresh_from_db()
    assert request.state == RequestState.QUALIFIED
    page.get_by_label("Message au demandeur").fill(
        "Bonjour, l'API « Quotient familial » remplace l'avis d'imposition pour ce tarif."
    )
    answered = journey.click(page.get_by_role("button", name="Répondre au demandeur"))
    assert "l'API « Quotient familial » remplace" in answered
    request.refresh_from_db()
    assert request.first_answered_at is not None
    assert mail.outbox[-1].to == [REQUESTER]
    assert "Quotient familial" in mail.outbox[-1].body
    journey.sign_out()

    # 4. The requester follows the link, reads the answer and replies.
    followed = journey.go(follow_path)
    assert "l'API « Quotient familial » remplace" in followed
    journey.picture("guichet-03-suivi.png")
    page.get_by_label("Votre message").fill("Merci ! Quelles démarches pour l'habilitation ?")
    journey.click(page.get_by_role("button", name="Envoyer le message"))
    reply = request.messages.filter(kind=MessageKind.FROM_REQUESTER).latest("sent_at")
    assert reply.body == "Merci ! Quelles démarches pour l'habilitation ?"

    # 5. The expert sees the reply in the request's thread.
    journey.sign_in("expert@demo.dlnuf.fr")
    journey.menu("Guichet")
    thread = journey.click(page.get_by_role("link", name=request.reference))
    assert "Quelles démarches pour l'habilitation ?" in thread
