"""The account journeys in headless Chromium (fr-FR), as people follow them: forgotten password,
invitation, account request. Links are read from the e-mails stored in the outbox; every page
on the way is checked with axe-core."""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from dlnuf.organisations.models import Role
from dlnuf.organisations.services import membership_grant
from dlnuf.outbox.models import OutgoingEmail
from tests.exchange.factories import OrganisationFactory
from tests.organisations.factories import PASSWORD, UserFactory
from tests.www.browser import (
    AXE_SCRIPT,
    axe_violations,
    describe,
    documentation_picture,
    sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Une-phrase-de-passe-neuve-2026"
PARIS = "21750001600019"


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    settings.DLNUF_SITE_URL = str(live_server.url)
    return str(live_server.url)


@pytest.fixture
def other_browser(browser: Any) -> Iterator[Any]:
    """A second person's browser, with a session of its own."""
    context = browser.new_context(locale="fr-FR")
    context.add_init_script(path=str(AXE_SCRIPT))
    yield context.new_page()
    context.close()


def link_in_last_email(to: str, site: str) -> str:
    body = OutgoingEmail.objects.filter(to=[to]).latest("pk").body
    match = re.search(rf"{re.escape(site)}/\S+", body)
    assert match, body
    return match.group(0)


def submit(page: Any, label: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=label).click()


def audit(page: Any, failures: list[str]) -> None:
    failures.append(describe(page.url, axe_violations(page)))


def test_forgotten_password_journey(page, site):
    UserFactory(email="camille@exemple.gouv.fr", first_name="Camille", last_name="Martin")
    failures: list[str] = []

    page.goto(site + "/connexion/")
    with page.expect_navigation():
        page.get_by_role("link", name="Mot de passe oublié ?").click()
    audit(page, failures)
    page.get_by_label("Adresse électronique").fill("Camille@Exemple.gouv.fr")
    submit(page, "Recevoir le lien")
    assert "Regardez votre messagerie" in page.content()
    audit(page, failures)

    page.goto(link_in_last_email("camille@exemple.gouv.fr", site))
    assert page.get_by_role("heading", name="Choisir un nouveau mot de passe").is_visible()
    audit(page, failures)
    page.locator("input[name=new_password1]").fill("court")
    page.locator("input[name=new_password2]").fill("court")
    submit(page, "Enregistrer le nouveau mot de passe")
    assert "Ce mot de passe est trop court" in page.content()
    audit(page, failures)
    page.locator("input[name=new_password1]").fill(NEW_PASSWORD)
    page.locator("input[name=new_password2]").fill(NEW_PASSWORD)
    submit(page, "Enregistrer le nouveau mot de passe")
    assert "Votre mot de passe a été changé" in page.content()

    sign_in(page, site, "camille@exemple.gouv.fr", NEW_PASSWORD)
    assert "Camille Martin" in page.locator("header").inner_text()

    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)


def test_invitation_journey(page, other_browser, site):
    administrator = UserFactory(email="admin@guichet.fr", first_name="Jean", last_name="Garnier")
    membership_grant(user=administrator, role=Role.ADMINISTRATOR, granted_by=None)
    OrganisationFactory(siret=PARIS, name="Ville de Paris")
    failures: list[str] = []

    sign_in(page, site, "admin@guichet.fr", PASSWORD)
    page.goto(site + "/mon-compte/")
    with page.expect_navigation():
        page.get_by_role("link", name="Inviter des personnes").click()
    audit(page, failures)
    with page.expect_navigation():
        page.get_by_role("link", name="Inviter une personne").click()
    audit(page, failures)
    page.locator("input[name=first_name]").fill("Lou")
    page.locator("input[name=last_name]").fill("Girard")
    page.get_by_label("Adresse électronique").fill("lou.girard@paris.fr")
    page.locator("select[name=role]").select_option("applicant")
    page.locator("input[name=siret]").fill(PARIS)
    documentation_picture(page, "comptes-01-invitation.png", part=page.locator("main"))
    submit(page, "Envoyer l'invitation")
    assert "Invitation envoyée à lou.girard@paris.fr" in page.content()
    assert "lou.girard@paris.fr" in page.locator("table").inner_text()
    audit(page, failures)

    invited = other_browser
    invited.goto(link_in_last_email("lou.girard@paris.fr", site))
    assert "Jean Garnier vous invite" in invited.content()
    documentation_picture(invited, "comptes-02-invitation-recue.png", part=invited.locator("main"))
    audit(invited, failures)
    invited.locator("input[name=new_password1]").fill(NEW_PASSWORD)
    invited.locator("input[name=new_password2]").fill(NEW_PASSWORD)
    submit(invited, "Créer mon compte")
    assert "Votre compte est créé" in invited.content()
    assert "Ville de Paris" in invited.locator("main").inner_text()
    audit(invited, failures)

    page.goto(site + "/invitations/")
    assert "Aucune invitation en attente." in page.content()

    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)


def test_account_request_journey(page, other_browser, site):
    administrator = UserFactory(email="admin@guichet.fr")
    membership_grant(user=administrator, role=Role.ADMINISTRATOR, granted_by=None)
    failures: list[str] = []

    asker = other_browser
    asker.goto(site + "/connexion/")
    with asker.expect_navigation():
        asker.get_by_role("link", name="Demander un compte").click()
    audit(asker, failures)
    asker.locator("input[name=first_name]").fill("Noa")
    asker.locator("input[name=last_name]").fill("Morel")
    asker.get_by_label("Adresse électronique professionnelle").fill("noa.morel@paris.fr")
    asker.get_by_label("SIRET de votre organisation").fill("21750001600018")
    asker.get_by_label("Motif de la demande").fill("Démarche de la cantine.")
    submit(asker, "Envoyer ma demande")
    assert "n'est pas un SIRET valide" in asker.content()
    audit(asker, failures)
    asker.get_by_label("SIRET de votre organisation").fill(PARIS)
    documentation_picture(asker, "comptes-03-demande-de-compte.png", part=asker.locator("main"))
    submit(asker, "Envoyer ma demande")
    assert "Votre demande est enregistrée" in asker.content()

    sign_in(page, site, "admin@guichet.fr", PASSWORD)
    page.goto(site + "/mon-compte/")
    with page.expect_navigation():
        page.get_by_role("link", name="Demandes de compte").click()
    audit(page, failures)
    with page.expect_navigation():
        page.get_by_role("link", name="Noa Morel").click()
    audit(page, failures)
    submit(page, "Accepter et envoyer l'invitation")
    assert "Demande de Noa Morel acceptée" in page.content()

    asker.goto(link_in_last_email("noa.morel@paris.fr", site))
    asker.locator("input[name=new_password1]").fill(NEW_PASSWORD)
    asker.locator("input[name=new_password2]").fill(NEW_PASSWORD)
    submit(asker, "Créer mon compte")
    assert "Votre compte est créé" in asker.content()
    assert PARIS in asker.locator("main").inner_text()

    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)
