"""In Chromium (fr-FR): an instructor comments two fields and the request as a whole, a wrong
button loses nothing, the applicant answers one comment and resubmits, the instructor sees that
field, and only that one, marked as changed."""

from typing import Any
from urllib.parse import urljoin

import pytest
from django.urls import reverse

from dlnuf.french import date_fr
from dlnuf.habilitations.models import RequestState
from tests.habilitations.factories import PASSWORD
from tests.habilitations.workflow import cast
from tests.www.browser import axe_violations, describe, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _dd(page: Any, label: str) -> Any:
    return page.locator(f"dt:text-is('{label}') + dd")


def test_comments_per_field_reach_the_applicant_and_the_change_reaches_the_instructor(
    page: Any, live_server: Any
) -> None:
    people = cast()
    item = people.submitted()
    url = urljoin(live_server.url, reverse("www:request_detail", kwargs={"pk": item.pk}))

    sign_in(page, live_server.url, people.instructor.email, PASSWORD)
    page.goto(url)
    page.locator(
        "summary", has_text="Commenter ce champ : Commentaire sur « Description et finalité »"
    ).click()
    page.fill("textarea[name=commentaire_purpose]", "Nommez la démarche en ligne.")
    page.locator(
        "summary",
        has_text="Commenter ce champ : Commentaire sur « Durée de conservation (en mois) »",
    ).click()
    page.fill("textarea[name=commentaire_retention_months]", "Pourquoi douze mois ?")
    page.fill("textarea[name=comment]", "Deux précisions avant validation.")
    found = axe_violations(page)
    assert not found, describe(page.url, found)

    # The wrong button first: the page comes back with everything typed.
    with page.expect_navigation():
        page.click("button[value=validate]")
    assert "partent seulement avec « Demander des modifications »" in page.content()
    assert page.input_value("textarea[name=comment]") == "Deux précisions avant validation."
    assert page.input_value("textarea[name=commentaire_purpose]") == "Nommez la démarche en ligne."
    assert page.input_value("textarea[name=commentaire_retention_months]") == (
        "Pourquoi douze mois ?"
    )
    with page.expect_navigation():
        page.click("button[value=request_changes]")
    item.refresh_from_db()
    assert item.state == RequestState.CHANGES_REQUESTED

    page.context.clear_cookies()
    sign_in(page, live_server.url, people.applicant.email, PASSWORD)
    page.goto(url)
    assert "Nommez la démarche en ligne." in _dd(page, "Description et finalité").inner_text()
    assert "Pourquoi douze mois ?" in _dd(page, "Durée de conservation").inner_text()
    assert "Deux précisions avant validation." in page.content()
    found = axe_violations(page)
    assert not found, describe(page.url, found)

    page.click("text=Modifier la demande")
    purpose_group = page.locator(".fr-fieldset__element", has=page.locator("[name=purpose]"))
    assert "Nommez la démarche en ligne." in purpose_group.inner_text()
    found = axe_violations(page)
    assert not found, describe(page.url, found)
    page.fill(
        "textarea[name=purpose]", "Tarif de la cantine, démarche « Inscription à la cantine »."
    )
    with page.expect_navigation():
        page.click("button[name=submit]")
    item.refresh_from_db()
    assert item.state == RequestState.SUBMITTED

    page.context.clear_cookies()
    sign_in(page, live_server.url, people.instructor.email, PASSWORD)
    page.goto(url)
    review = item.transitions.get(action="request_changes")
    heading = f"Modifié depuis votre demande de modifications du {date_fr(review.occurred_at)}"
    assert page.locator(f"text={heading}").is_visible()
    marked = page.locator(".dlnuf-changed")
    assert marked.count() == 1
    assert _dd(page, "Description et finalité").locator(".dlnuf-changed").count() == 1
    found = axe_violations(page)
    assert not found, describe(page.url, found)

    page.click("text=Voir le détail des modifications")
    assert page.locator("tr[data-field]").count() == 1
    added = " ".join(page.locator("tr[data-field=purpose] ins").all_inner_texts())
    assert "Inscription à la" in added
    found = axe_violations(page)
    assert not found, describe(page.url, found)
