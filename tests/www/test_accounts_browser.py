"""Sign-in, "Mon compte" and roles pages in headless Chromium, as each demonstration role:
signed in through the real login form, every page checked with axe-core (zero violations)."""

from io import StringIO
from typing import Any

import pytest

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from dlnuf.organisations.models import User
from tests.www.browser import axe_violations, describe, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _audit(page: Any, base_url: str, path: str, status: int = 200) -> str:
    response = page.goto(base_url + path)
    assert response is not None
    assert response.status == status, f"{path}: {response.status}"
    return describe(path, axe_violations(page))


def _signed_in_as(page: Any) -> str:
    return page.locator("header").inner_text()


@pytest.fixture
def demo(live_server: Any) -> str:
    catalogue_load()
    load_demo(stdout=StringIO())
    return str(live_server.url)


@pytest.mark.parametrize("demo_user", DEMO_USERS, ids=lambda user: user.email.split("@")[0])
def test_each_role_signs_in_and_its_account_pages_pass_axe(page, demo, demo_user):
    sign_in(page, demo, demo_user.email.upper(), DEMO_PASSWORD)
    assert demo_user.last_name in _signed_in_as(page)

    failures = [
        _audit(page, demo, "/mon-compte/"),
        _audit(page, demo, "/mon-compte/mot-de-passe/"),
    ]
    page.fill("input[name=old_password]", "pas-le-bon")
    page.fill("input[name=new_password1]", "court")
    page.fill("input[name=new_password2]", "autre")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Votre ancien mot de passe est incorrect" in page.content()
    failures.append(describe("/mon-compte/mot-de-passe/ (erreurs)", axe_violations(page)))

    if demo_user.role == "administrator":
        failures.append(_audit(page, demo, "/administration/roles/"))
        failures.append(_audit(page, demo, "/administration/roles/?q=lyon"))
        failures.append(_audit(page, demo, "/administration/roles/?q=personne"))
        for person in User.objects.all():
            failures.append(_audit(page, demo, f"/administration/roles/{person.pk}/"))
        page.select_option("select[name=role]", "applicant")
        page.click("main form:not([action]) button[type=submit]")
        page.wait_for_load_state()
        assert "Indiquez le SIRET" in page.content()
        failures.append(describe("/administration/roles/… (erreurs)", axe_violations(page)))
    else:
        _audit(page, demo, "/administration/roles/", status=403)

    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)


def test_sign_in_pages_pass_axe(page, demo, settings):
    failures = [_audit(page, demo, "/connexion/")]

    page.fill("input[name=username]", "inconnu@exemple.gouv.fr")
    page.fill("input[name=password]", "mauvais")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Adresse électronique ou mot de passe incorrect." in page.content()
    failures.append(describe("/connexion/ (erreur)", axe_violations(page)))

    settings.DLNUF_LOGIN_ATTEMPTS_PER_WINDOW = 1
    page.fill("input[name=password]", "mauvais")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Trop de tentatives" in page.content()
    failures.append(describe("/connexion/ (bloquée)", axe_violations(page)))

    failures.append(_audit(page, demo, "/oidc/connexion/", status=404))
    settings.PROCONNECT_ISSUER = "http://127.0.0.1:9"
    settings.OIDC_RP_CLIENT_ID = "guichet"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    failures.append(_audit(page, demo, "/connexion/"))
    assert page.get_by_role("link", name="S’identifier avec ProConnect").is_visible()
    failures.append(_audit(page, demo, "/oidc/connexion/", status=503))

    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)
