"""What the guichet's form and follow page say about themselves: which fields are mandatory, exactly
as the form checks them; a quick person asked to confirm, never called a robot; a ministry named
only for a State body."""

import re
import time
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dlnuf.support.models import Channel, Ministry, SupportRequest
from dlnuf.support.services import support_request_create
from dlnuf.support.tokens import follow_token
from dlnuf.www.support_views.forms import SupportRequestForm, started_token

pytestmark = pytest.mark.django_db

NEW = "/accompagnement/"
# What the page asks for besides the starred fields: a name (or a SIRET) and a context (or a need).
EITHER_OR = ({"organisation_name", "siret"}, {"context", "need"})


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def text(html: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def marked_as_mandatory(page: str, name: str) -> bool:
    """Whether the label (or the legend of a group) of field ``name`` carries the asterisk."""
    label = re.search(rf'<label[^>]*for="id_{name}"[^>]*>(.*?)</label>', page, re.S)
    if label is None:
        legend = re.search(
            rf'<legend[^>]*id="id_{name}[^"]*"[^>]*>(.*?)</legend>', page, re.S
        ) or re.search(
            rf'<fieldset[^>]*id="id_{name}[^"]*".*?<legend[^>]*>(.*?)</legend>', page, re.S
        )
        assert legend is not None, f"no label nor legend for {name}"
        return "fr-required-marker" in legend.group(1)
    return "fr-required-marker" in label.group(1)


def minimal_answers() -> dict[str, Any]:
    """The starred fields, plus one field of each « one or the other » pair the page names."""
    return {
        "requester_email": "camille.riviere@lyon.fr",
        "subject": "Supprimer l'avis d'imposition de la cantine",
        "urgency": "normal",
        "organisation_name": "Ville de Lyon",
        "need": "Savoir quelle API remplace cette pièce.",
        "started": started_token(time.time() - 30),
    }


def test_the_page_says_exactly_which_fields_the_form_requires(client: Client) -> None:
    page = client.get(NEW).content.decode()
    form = SupportRequestForm()
    shown = [name for name, field in form.fields.items() if not field.widget.is_hidden]

    for name in shown:
        assert marked_as_mandatory(page, name) == form.fields[name].required, name
    sentence = text(page)
    assert "Les champs marqués d'un astérisque (*) sont obligatoires." in sentence
    assert (
        "Donnez aussi le nom de votre administration ou son SIRET, et décrivez votre contexte "
        "ou votre besoin : l'un des deux suffit. Les autres champs sont facultatifs." in sentence
    )
    assert "sauf ceux marqués « facultatif »" not in sentence

    # What the sentence calls optional is optional, and what it names is checked.
    starred = {name for name, field in form.fields.items() if field.required}
    assert starred == {"requester_email", "subject", "urgency"}

    for name in [*starred, *(pair for pair in EITHER_OR)]:
        names = name if isinstance(name, set) else {name}
        answers = {key: value for key, value in minimal_answers().items() if key not in names}
        response = client.post(NEW, answers)
        assert response.status_code == 200, names
        assert "Votre demande n'a pas été envoyée" in text(response.content.decode())

    assert client.post(NEW, minimal_answers()).status_code == 302
    assert SupportRequest.objects.count() == 1


def test_a_quick_person_is_asked_to_confirm_and_keeps_what_they_typed(client: Client) -> None:
    answers = {
        **minimal_answers(),
        "started": started_token(time.time()),
        "context": "La cantine demande l'avis d'imposition aux familles.",
    }

    response = client.post(NEW, answers)

    assert response.status_code == 200
    page = response.content.decode()
    start = page.index('<div class="fr-alert fr-alert--error')
    alert = text(page[start : page.index("</div>", start)])
    assert alert == (
        "Votre demande n'a pas été envoyée Votre demande n'est pas encore partie : le "
        "formulaire a été rempli en moins de 3 secondes, et un envoi aussi rapide doit être "
        "confirmé. Votre saisie est conservée ci-dessous : vérifiez-la, puis cliquez de nouveau "
        "sur « Envoyer ma demande »."
    )
    assert "robot" not in alert.lower()
    for typed in ("Supprimer l'avis d'imposition de la cantine", answers["context"]):
        assert typed in unescape(page)
    assert SupportRequest.objects.count() == 0


def a_request(ministry: str) -> SupportRequest:
    return support_request_create(
        channel=Channel.FORM,
        values={
            "requester_email": "camille.riviere@lyon.fr",
            "organisation_name": "Ville de Lyon",
            "ministry": ministry,
            "subject": "Quotient familial pour la cantine",
            "need": "Obtenir le quotient familial sans pièce justificative.",
        },
        attachments=[],
    )


@pytest.mark.parametrize(
    ("ministry", "shown"),
    [
        (Ministry.LOCAL_AUTHORITY, "Type d'organisme Collectivité territoriale"),
        (Ministry.SOCIAL_SECURITY, "Type d'organisme Organisme de sécurité sociale"),
        (Ministry.OPERATOR, "Type d'organisme Opérateur ou établissement public"),
        (Ministry.EDUCATION, "Ministère de rattachement Éducation nationale"),
        (Ministry.OTHER, "Rattachement Non précisé"),
    ],
)
def test_the_follow_page_names_a_ministry_only_for_a_state_body(
    client: Client, ministry: str, shown: str
) -> None:
    request = a_request(ministry)

    page = client.get(reverse("www:support_follow", kwargs={"token": follow_token(request)}))

    html = page.content.decode()
    assert shown in text(html)
    assert ("Ministère de rattachement" in html) == (ministry == Ministry.EDUCATION)


def test_the_form_offers_ministries_apart_from_other_bodies(client: Client) -> None:
    page = client.get(NEW).content.decode()
    select = page[page.index('<select name="ministry"') : page.index("</select>")]

    groups = dict(re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S))
    assert set(groups) == {"Ministère de rattachement", "Autre organisme"}
    assert "Collectivité territoriale" in groups["Autre organisme"]
    assert "Collectivité territoriale" not in groups["Ministère de rattachement"]
    assert "Éducation nationale" in groups["Ministère de rattachement"]
