"""Signing in to « Mes données » in headless Chromium: with FranceConnect (the provider on
loopback) and as a demonstration person, every page checked with axe-core (zero violations)."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from dlnuf.catalogue.services import catalogue_load
from dlnuf.people.demo import DEMO_PEOPLE
from tests.www.browser import axe_violations, describe
from tests.www.oidc_providers import (
    FRANCECONNECT_SUB,
    Provider,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]


def _axe(page: Any, label: str) -> str:
    return describe(label, axe_violations(page))


def _franceconnect(request: Any, settings: Any, live_server: Any) -> Provider:
    settings.DLNUF_SITE_URL = live_server.url
    started: Provider = request.getfixturevalue("franceconnect")
    return started


def test_a_person_signs_in_with_franceconnect_in_the_browser(
    page: Any, live_server: Any, settings: Any, request: Any
) -> None:
    fc_provider = _franceconnect(request, settings, live_server)
    page.goto(live_server.url + "/mes-donnees/connexion/")
    failures = [_axe(page, "/mes-donnees/connexion/")]

    page.get_by_role("link", name="S’identifier avec FranceConnect").click()
    page.wait_for_url(f"{fc_provider.issuer}/oauth2/authorize?**")
    page.fill("input[name=sub]", FRANCECONNECT_SUB)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(live_server.url + "/mes-donnees/")

    assert "Alexis Gérôme Jean-Philippe LEFEBVRE" in page.content()
    assert not any(failures), "\n".join(failures)


def test_a_refusal_at_franceconnect_is_explained(
    page: Any, live_server: Any, settings: Any, request: Any
) -> None:
    _franceconnect(request, settings, live_server)
    page.goto(live_server.url + "/mes-donnees/connexion/franceconnect/")
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(live_server.url + "/mes-donnees/connexion/franceconnect/retour/**")

    assert "Connexion annulée" in page.content()
    failures = [_axe(page, "refus")]
    page.get_by_role("link", name="Retour à la page de connexion").click()
    page.wait_for_url(live_server.url + "/mes-donnees/connexion/")
    assert not any(failures), "\n".join(failures)


def test_a_demo_person_is_chosen_then_signs_out(page: Any, live_server: Any) -> None:
    catalogue_load()
    call_command("load_demo_data", stdout=StringIO())
    page.goto(live_server.url + "/mes-donnees/connexion/")
    page.get_by_role("link", name="Choisir une personne de démonstration").click()
    page.wait_for_url(live_server.url + "/mes-donnees/connexion/demonstration/")
    failures = [_axe(page, "choix")]

    page.get_by_role("button", name="Voir ses données").click()
    page.wait_for_load_state()
    assert "Choisissez une personne de démonstration." in page.content()
    failures.append(_axe(page, "choix (erreur)"))

    person = DEMO_PEOPLE[0]
    page.locator(f"input[value={person.slug}]").check(force=True)
    page.get_by_role("button", name="Voir ses données").click()
    page.wait_for_url(live_server.url + "/mes-donnees/")
    assert person.pivot.display_name in page.content()
    assert "Tarification de la restauration" in page.content()

    page.get_by_role("button", name="Se déconnecter de « Mes données »").click()
    page.wait_for_url(live_server.url + "/mes-donnees/connexion/")
    assert "Vous êtes déconnecté de « Mes données »." in page.content()
    assert not any(failures), "\n".join(failures)
