"""The request's page holds one form: nothing typed is lost whichever button is pressed; the
instructors' comments per field reach the applicant beside the fields; the submissions can be
compared; none of it is shown to another organisation."""

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dlnuf.french import date_fr
from dlnuf.habilitations import services
from dlnuf.habilitations.models import (
    AuthorizationRequest,
    RequestFieldComment,
    RequestMessage,
    RequestState,
)
from dlnuf.organisations.models import User
from tests.exchange.factories import OrganisationFactory, ProviderFactory
from tests.habilitations.factories import applicant, instructor, reporter
from tests.habilitations.workflow import Cast, cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def detail(item: AuthorizationRequest) -> str:
    return reverse("www:request_detail", kwargs={"pk": item.pk})


def versions(item: AuthorizationRequest) -> str:
    return reverse("www:request_versions", kwargs={"pk": item.pk})


def field_block(page: str, label: str) -> str:
    """The <dd> of the field whose <dt> is ``label`` on the request's page."""
    found = re.search(rf"<dt>{re.escape(label)}</dt><dd>(.*?)</dd>", page, re.S)
    assert found, label
    return found.group(1)


def sent_back(people: Cast) -> AuthorizationRequest:
    """A submitted request sent back with a general comment and two field comments."""
    item = people.submitted()
    services.authorization_request_request_changes(
        request=item,
        actor=people.instructor,
        comment="Deux points à reprendre.",
        field_comments={
            "purpose": "Précisez la <démarche> concernée.",
            "bloc:contacts": "Le DPO doit être joignable.",
        },
    )
    return item


def test_the_page_holds_one_form_and_every_button_submits_it() -> None:
    people = cast()
    item = people.submitted()
    page = client_for(people.instructor).get(detail(item)).content.decode()

    forms = re.findall(r"<form [^>]*method=\"post\"[^>]*>", page)
    request_forms = [form for form in forms if f"/habilitations/{item.pk}/" in form]
    assert request_forms == [
        f'<form method="post" action="{detail(item)}" id="formulaire-demande" '
        'class="fr-p-3w fr-background-alt--grey fr-mb-4w" novalidate>'
    ]
    buttons = re.findall(r'<button type="submit" name="action" value="([a-z_]+)"', page)
    assert buttons == ["message", "validate", "request_changes", "refuse"]
    # The comment boxes beside the fields sit outside the <form> element but belong to it.
    boxes = re.findall(r"<textarea [^>]*>", page)
    assert len(boxes) > 20
    assert all('form="formulaire-demande"' in box for box in boxes)


def test_a_refused_submit_shows_every_typed_value_back() -> None:
    people = cast()
    item = people.submitted()
    typed = {
        "comment": "Une analyse écrite longuement.",
        "commentaire_purpose": "La finalité est trop vague.",
        "commentaire_bloc_contacts": "Ajoutez un DPO.",
    }

    response = client_for(people.instructor).post(detail(item), {**typed, "action": "validate"})

    assert response.status_code == 200
    page = response.content.decode()
    for text in typed.values():
        assert text in page
    assert "partent seulement avec « Demander des modifications »" in page
    assert '<details class="fr-my-1w" open>' in page
    item.refresh_from_db()
    assert item.state == RequestState.SUBMITTED

    response = client_for(people.instructor).post(
        detail(item), {**typed, "comment": "", "action": "request_changes"}
    )
    page = response.content.decode()
    assert "expliquez la décision dans le commentaire." in page
    assert "La finalité est trop vague." in page
    assert not RequestFieldComment.objects.exists()


def test_a_message_is_sent_by_the_same_form() -> None:
    people = cast()
    item = people.submitted()
    response = client_for(people.applicant).post(
        detail(item), {"action": "message", "comment": "Le DPO est nommé."}
    )
    assert response.status_code == 302
    assert RequestMessage.objects.get(request=item).body == "Le DPO est nommé."
    empty = client_for(people.applicant).post(detail(item), {"action": "message", "comment": ""})
    assert "Écrivez un message avant de l&#x27;envoyer." in empty.content.decode()


def test_the_instructor_comments_fields_and_the_applicant_sees_them_beside_them() -> None:
    people = cast()
    item = people.submitted()
    response = client_for(people.instructor).post(
        detail(item),
        {
            "action": "request_changes",
            "comment": "Deux points à reprendre.",
            "commentaire_purpose": "Précisez la <démarche> concernée.",
            "commentaire_bloc_contacts": "Le DPO doit être joignable.",
            "scopes": [],
            "term_months": "18",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == RequestState.CHANGES_REQUESTED

    page = client_for(people.applicant).get(detail(item)).content.decode()
    purpose = field_block(page, "Description et finalité")
    assert "Précisez la &lt;démarche&gt; concernée." in purpose
    assert "Précisez la" not in field_block(page, "Intitulé")
    contacts = page.split('<h3 class="fr-h5">Contacts</h3>')[1].split("<dl>")[0]
    assert "Le DPO doit être joignable." in contacts
    assert "Deux points à reprendre." in page

    edit_page = client_for(people.applicant).get(
        reverse("www:request_edit", kwargs={"pk": item.pk})
    )
    edit_html = edit_page.content.decode()
    purpose_input = edit_html.index('name="purpose"')
    comment_at = edit_html.index("Précisez la &lt;démarche&gt; concernée.")
    assert purpose_input < comment_at < edit_html.index('name="procedure_names"')
    assert "Le DPO doit être joignable." in edit_html


def test_the_instructor_sees_exactly_the_fields_changed_since_the_request_for_changes() -> None:
    people = cast()
    item = sent_back(people)
    services.authorization_request_update(
        request=item,
        actor=people.applicant,
        values={"purpose": "Calculer le tarif de la cantine pour l'inscription en ligne."},
    )
    services.authorization_request_submit(request=item, actor=people.applicant)

    page = client_for(people.instructor).get(detail(item)).content.decode()

    review = item.transitions.get(action="request_changes")
    assert f"Modifié depuis votre demande de modifications du {date_fr(review.occurred_at)}" in (
        page
    )
    assert page.count("dlnuf-changed") == 1
    assert "dlnuf-changed" in field_block(page, "Description et finalité")
    # Answered comments leave the fields and stay in the history.
    assert "Précisez la &lt;démarche&gt; concernée." not in field_block(
        page, "Description et finalité"
    )
    assert "soumission n° 2" in page
    applicant_page = client_for(people.applicant).get(detail(item)).content.decode()
    assert "Modifié depuis la demande de modifications du" in applicant_page


def test_the_applicant_compares_two_submissions() -> None:
    people = cast()
    item = sent_back(people)
    services.authorization_request_update(
        request=item,
        actor=people.applicant,
        values={
            "title": "Cantine <b>2027</b>",
            "go_live_date": timezone.localdate() + timedelta(60),
        },
        scope_slugs=["qf"],
    )
    services.authorization_request_submit(request=item, actor=people.applicant)

    response = client_for(people.applicant).get(versions(item))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Du n° 1 au n° 2" in page
    rows = re.findall(r'<tr data-field="([a-z_]+)">', page)
    assert rows == ["title", "scopes", "go_live_date"]
    assert "<ins>Cantine &lt;b&gt;2027&lt;/b&gt;</ins>" in page
    dropped = people.dataset.scopes.get(slug="allocataires").label
    assert f"<del>{dropped}</del>" in page

    same = client_for(people.applicant).get(versions(item), {"before": "2", "after": "2"})
    assert "Choisissez deux versions différentes." in same.content.decode()
    unknown = client_for(people.applicant).get(versions(item), {"before": "1", "after": "9"})
    assert unknown.status_code == 200
    assert "Choisissez une version de cette demande." in unknown.content.decode()


def test_a_single_submission_has_nothing_to_compare() -> None:
    people = cast()
    item = people.submitted()
    page = client_for(people.applicant).get(versions(item)).content.decode()
    assert "Une seule soumission pour l'instant" in page


def test_another_organisation_sees_neither_comments_nor_versions() -> None:
    people = cast()
    item = sent_back(people)
    outsiders = [applicant(OrganisationFactory()), instructor(ProviderFactory())]
    for outsider in outsiders:
        client = client_for(outsider)
        assert client.get(detail(item)).status_code == 404
        assert client.get(versions(item)).status_code == 404
        refused = client.post(
            detail(item),
            {"action": "request_changes", "comment": "x", "commentaire_purpose": "intrus"},
        )
        assert refused.status_code == 404
    assert client_for(reporter(people.dataset.provider)).get(versions(item)).status_code == 200
    assert RequestFieldComment.objects.filter(text="intrus").count() == 0


def test_only_instructors_can_comment_fields() -> None:
    people = cast()
    item = people.submitted()
    response = client_for(people.applicant).post(
        detail(item),
        {"action": "request_changes", "comment": "x", "commentaire_purpose": "moi-même"},
    )
    assert response.status_code == 403
    page = client_for(people.applicant).get(detail(item)).content.decode()
    assert "commentaire_purpose" not in page
