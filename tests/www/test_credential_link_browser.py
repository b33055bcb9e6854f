"""In Chromium (fr-FR), the technical contact opens the link from the e-mail, confirms, copies
the secret once, and finds the link spent afterwards; each page passes axe-core."""

import hashlib
import re
from typing import Any

import pytest

from dlnuf.habilitations.models import Environment
from dlnuf.outbox.models import OutgoingEmail
from tests.habilitations.workflow import cast
from tests.www.browser import axe_violations, describe

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_technical_contact_reveals_the_secret_once(
    page: Any, live_server: Any, settings: Any
) -> None:
    settings.DLNUF_SITE_URL = live_server.url
    people = cast()
    item = people.validated()
    assert item.habilitation is not None
    credential = item.habilitation.credentials.get(environment=Environment.PRODUCTION)
    email = OutgoingEmail.objects.get(to=["technique@ville.fr"], body__contains=credential.prefix)
    (url,) = set(re.findall(re.escape(live_server.url) + r"/\S+/jetons/lien/\S+/", email.body))

    response = page.goto(url)
    assert response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in response.headers["cache-control"]
    assert page.locator("h1").inner_text().startswith("Afficher votre jeton production")
    assert describe(url, axe_violations(page)) == ""
    assert page.locator("#jeton").count() == 0

    page.get_by_role("button", name="Afficher le jeton maintenant").click()
    page.get_by_role("heading", name="Copiez ce jeton maintenant").wait_for()
    secret = page.locator("#jeton").input_value()
    assert hashlib.sha256(secret.encode()).hexdigest() == credential.secret_hash
    assert page.get_by_role("button", name="Copier le jeton").is_visible()
    assert describe(url, axe_violations(page)) == ""

    again = page.goto(url)
    assert again.status == 410
    assert page.locator("h1").inner_text() == "Lien déjà utilisé"
    assert secret not in page.content()
    assert describe(url, axe_violations(page)) == ""
