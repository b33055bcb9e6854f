"""The public pages of the guichet: the request form with its robot checks, the confirmation, the
SIRET lookup, and the follow pages opened by the signed link (thread, reply, satisfaction,
attachments)."""

import time
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import load_demo
from dlnuf.organisations.models import Organisation, User
from dlnuf.support import attachments as attachment_rules
from dlnuf.support.attachments import IncomingFile
from dlnuf.support.lookup import organisation_by_siret
from dlnuf.support.models import (
    Channel,
    InboundMail,
    MessageKind,
    Mission,
    Priority,
    SupportAttachment,
    SupportMessage,
    SupportRequest,
)
from dlnuf.support.services import (
    mission_open,
    mission_transition,
    support_note_add,
    support_reply_send,
    support_request_create,
    support_request_qualify,
)
from dlnuf.support.tokens import follow_token
from dlnuf.www.support_views.forms import HONEYPOT_FIELD, started_token

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% test\n"
NEW = "/accompagnement/"
DINUM_SIRET = "30613890001294"
# A SIRET of the SNCF's legal unit without an establishment case: found through its SIREN.
SNCF_OTHER_SIRET = "55204944700006"
UNKNOWN_SIRET = "99999999000008"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DLNUF_SITE_URL = "https://guichet.exemple.gouv.fr"
    return Path(settings.MEDIA_ROOT)


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organisation_name": "Direction du numérique, ville de Lyon",
        "siret": "",
        "ministry": "collectivite",
        "requester_name": "Camille Rivière",
        "requester_role": "Cheffe de projet",
        "requester_email": "camille.riviere@lyon.fr",
        "subject": "Supprimer l'avis d'imposition de la cantine",
        "context": "La démarche de cantine demande l'avis d'imposition.",
        "need": "Savoir quelle API remplace cette pièce.",
        "help_kinds": ["framing"],
        "urgency": "normal",
        "started": started_token(time.time() - 30),
    }
    data.update(overrides)
    return data


def post(client: Client, data: dict[str, Any], **extra: Any) -> Any:
    return client.post(NEW, data, **extra)


def assert_nothing_written(media_root: Path) -> None:
    assert SupportRequest.objects.count() == 0
    assert SupportMessage.objects.count() == 0
    assert SupportAttachment.objects.count() == 0
    assert not media_root.exists() or not any(media_root.rglob("*.*"))
    assert mail.outbox == []


# --- the form ----------------------------------------------------------------------------------


def test_the_form_is_public_and_carries_its_robot_checks(client: Client) -> None:
    response = client.get(NEW)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Demander un accompagnement" in html
    assert f'name="{HONEYPOT_FIELD}"' in html
    assert 'aria-hidden="true"' in html
    assert 'tabindex="-1"' in html
    assert 'class="fr-hidden"' in html
    assert 'name="started"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "Jusqu'à 10 fichiers de 10 Mo au plus chacun" in html
    assert reverse("www:support_new") == NEW


def test_a_good_request_is_recorded_acknowledged_and_confirmed(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    upload = SimpleUploadedFile("note.pdf", PDF, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, form_data(attachments=[upload]))

    assert response.status_code == 302
    assert response["Location"] == reverse("www:support_sent")
    request = SupportRequest.objects.get()
    assert request.channel == Channel.FORM
    assert request.organisation_name == "Direction du numérique, ville de Lyon"
    assert request.requester_email == "camille.riviere@lyon.fr"
    assert request.ministry == "collectivite"
    assert request.help_kinds == ["framing"]
    attachment = request.attachments.get()
    assert attachment.original_name == "note.pdf"
    with attachment.file.open("rb") as stored:
        assert stored.read() == PDF
    (acknowledgement,) = mail.outbox
    assert acknowledgement.to == ["camille.riviere@lyon.fr"]
    assert request.reference in acknowledgement.subject

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert request.reference in html
    assert "Un courriel de confirmation part à l'adresse" in html
    assert reverse("www:support_follow", kwargs={"token": follow_token(request)}) in html
    assert page["Referrer-Policy"] == "same-origin"
    assert "noindex" in page["X-Robots-Tag"]


def test_the_confirmation_page_without_a_request_leads_back_to_the_form(client: Client) -> None:
    response = client.get(reverse("www:support_sent"))

    assert response.status_code == 302
    assert response["Location"] == NEW


def test_missing_email_is_refused_in_french_and_nothing_is_written(
    client: Client, media_root: Path
) -> None:
    upload = SimpleUploadedFile("note.pdf", PDF, content_type="application/pdf")
    response = post(client, form_data(requester_email="", attachments=[upload]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Indiquez votre adresse électronique" in html
    assert "Votre demande n'a pas été envoyée" in html
    assert 'href="#id_requester_email"' in html
    # The file was not kept: the page says to choose it again.
    assert "choisissez-les de nouveau" in html
    assert_nothing_written(media_root)


def test_missing_need_and_context_is_refused_with_a_clear_message(
    client: Client, media_root: Path
) -> None:
    response = post(client, form_data(need="  ", context=""))

    assert "Décrivez votre contexte ou votre besoin" in response.content.decode()
    assert_nothing_written(media_root)


def test_either_need_or_context_is_enough(client: Client) -> None:
    response = post(client, form_data(need=""))

    assert response.status_code == 302
    assert SupportRequest.objects.get().context


def test_a_bad_siret_is_refused(client: Client, media_root: Path) -> None:
    response = post(client, form_data(siret="12345678901234"))

    assert "n&#x27;est pas un SIRET valide" in response.content.decode()
    assert_nothing_written(media_root)


def test_a_refused_file_type_says_which_file_and_why(client: Client, media_root: Path) -> None:
    good = SimpleUploadedFile("note.pdf", PDF, content_type="application/pdf")
    bad = SimpleUploadedFile("outil.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = post(client, form_data(attachments=[good, bad]))

    html = response.content.decode()
    assert "« outil.exe » : ce type de fichier n&#x27;est pas accepté" in html
    assert "note.pdf" not in html
    assert_nothing_written(media_root)


def test_a_file_too_big_is_refused(
    client: Client, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attachment_rules, "MAX_ATTACHMENT_BYTES", 1024 * 1024)
    big = SimpleUploadedFile(
        "annexe.pdf", PDF + b"0" * (1024 * 1024), content_type="application/pdf"
    )
    response = post(client, form_data(attachments=[big]))

    assert "« annexe.pdf » dépasse 1 Mo." in response.content.decode()
    assert_nothing_written(media_root)


def test_too_many_files_are_refused(client: Client, media_root: Path) -> None:
    files = [
        SimpleUploadedFile(f"piece{index}.pdf", PDF, content_type="application/pdf")
        for index in range(attachment_rules.MAX_ATTACHMENTS + 1)
    ]
    response = post(client, form_data(attachments=files))

    assert "Joignez au plus 10 fichiers" in response.content.decode()
    assert_nothing_written(media_root)


def test_a_filled_honeypot_is_refused_and_the_person_told_what_to_do(
    client: Client, media_root: Path
) -> None:
    response = post(client, form_data(**{HONEYPOT_FIELD: "https://promo.example"}))

    html = response.content.decode()
    assert "Il a été vidé et votre saisie est conservée" in html
    # A person whose browser filled the field is not called a robot.
    assert "robot" not in html.split("<main", 1)[1]
    # Shown again empty, so a person whose browser filled it can send at once.
    assert "https://promo.example" not in html
    assert_nothing_written(media_root)


def test_a_form_sent_within_seconds_is_refused_then_accepted_once_time_has_passed(
    client: Client, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown_at = time.time()
    token = started_token(shown_at)
    response = post(client, form_data(started=token))

    assert "rempli en moins de 3 secondes" in response.content.decode()
    assert_nothing_written(media_root)
    # The page keeps the same time stamp: sending again a little later goes through.
    assert started_token_from(response) == token
    monkeypatch.setattr(time, "time", lambda: shown_at + 5)
    assert post(client, form_data(started=token)).status_code == 302


def started_token_from(response: Any) -> str:
    html = response.content.decode()
    marker = 'name="started" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@pytest.mark.parametrize("kind", ["older-than-a-day", "forged", "missing"])
def test_an_old_or_forged_time_stamp_is_refused(
    client: Client, media_root: Path, kind: str
) -> None:
    started = {
        "older-than-a-day": started_token(time.time() - 2 * 24 * 3600),
        "forged": "1:forged",
        "missing": "",
    }[kind]
    response = post(client, form_data(started=started))

    html = response.content.decode()
    assert "ce formulaire a été ouvert il y a plus d&#x27;un jour" in html
    # A fresh time stamp is given, so the person can send the form again.
    assert started_token_from(response) != started
    assert_nothing_written(media_root)


def test_submissions_are_limited_per_client_address(
    client: Client, settings: Any, media_root: Path
) -> None:
    settings.DLNUF_SUPPORT_FORM_SUBMISSIONS_PER_HOUR = 2
    assert post(client, form_data(subject="Première")).status_code == 302
    assert post(client, form_data(**{HONEYPOT_FIELD: "robot"})).status_code == 200

    response = post(client, form_data(subject="Troisième"))

    assert response.status_code == 429
    html = response.content.decode()
    assert "Trop de demandes envoyées depuis votre connexion" in html
    assert "Troisième" in html  # what was typed is kept
    assert list(SupportRequest.objects.values_list("subject", flat=True)) == ["Première"]
    other = post(client, form_data(subject="Ailleurs"), REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 302


def test_form_errors_do_not_count_against_the_limit(client: Client, settings: Any) -> None:
    settings.DLNUF_SUPPORT_FORM_SUBMISSIONS_PER_HOUR = 1
    for _ in range(3):
        assert post(client, form_data(subject="")).status_code == 200

    assert post(client, form_data()).status_code == 302


# --- SIRET lookup --------------------------------------------------------------------------------


def test_a_siret_known_to_the_portal_names_and_links_the_organisation(client: Client) -> None:
    organisation = Organisation.objects.create(siret="21690123100011", name="Ville de Lyon")

    found = organisation_by_siret("21690123100011")
    assert found is not None
    assert (found.name, found.source, found.organisation) == (
        "Ville de Lyon",
        "portal",
        organisation,
    )

    response = post(client, form_data(organisation_name="", siret="216 901 231 00011"))
    assert response.status_code == 302
    request = SupportRequest.objects.get()
    assert request.organisation == organisation
    assert request.organisation_name == "Ville de Lyon"
    assert request.siret == "21690123100011"


def test_a_siret_of_the_company_directory_is_named_from_the_sandbox_data(client: Client) -> None:
    found = organisation_by_siret(DINUM_SIRET)
    assert found is not None
    assert (found.name, found.source) == ("DIRECTION INTERMINISTERIELLE DU NUMERIQUE", "directory")
    by_siren = organisation_by_siret(SNCF_OTHER_SIRET)
    assert by_siren is not None
    assert by_siren.name == "SOCIETE NATIONALE SNCF"
    # A sole trader's name is never shown; an unknown or invalid SIRET finds nobody.
    assert organisation_by_siret("35004292500031") is None
    assert organisation_by_siret(UNKNOWN_SIRET) is None
    assert organisation_by_siret("12345678901234") is None

    response = post(client, form_data(organisation_name="", siret=DINUM_SIRET, subject=""))
    html = response.content.decode()
    assert "SIRET reconnu : <strong>DIRECTION INTERMINISTERIELLE DU NUMERIQUE</strong>" in html
    assert 'value="DIRECTION INTERMINISTERIELLE DU NUMERIQUE"' in html  # prefilled

    assert post(client, form_data(organisation_name="", siret=DINUM_SIRET)).status_code == 302
    request = SupportRequest.objects.get()
    assert request.organisation_name == "DIRECTION INTERMINISTERIELLE DU NUMERIQUE"
    assert request.organisation is None


def test_a_typed_name_is_kept_when_the_siret_is_found(client: Client) -> None:
    post(client, form_data(organisation_name="DINUM, pôle API", siret=DINUM_SIRET))

    assert SupportRequest.objects.get().organisation_name == "DINUM, pôle API"


def test_an_unknown_siret_without_a_name_asks_for_the_name(
    client: Client, media_root: Path
) -> None:
    response = post(client, form_data(organisation_name="", siret=UNKNOWN_SIRET))
    assert "ce SIRET n&#x27;est pas dans nos données" in response.content.decode()

    response = post(client, form_data(organisation_name="", siret=""))
    assert "Indiquez le nom de votre administration (ou son SIRET)" in response.content.decode()
    assert_nothing_written(media_root)


# --- the follow pages ----------------------------------------------------------------------------


@pytest.fixture
def expert(db: None) -> User:
    catalogue_load()
    load_demo(stdout=StringIO())
    return User.objects.get(email="expert@demo.dlnuf.fr")


def a_request(subject: str = "Quotient familial pour la cantine", **values: Any) -> SupportRequest:
    return support_request_create(
        channel=Channel.FORM,
        values={
            "requester_email": "camille.riviere@lyon.fr",
            "requester_name": "Camille Rivière",
            "organisation_name": "Ville de Lyon",
            "subject": subject,
            "need": "Obtenir le quotient familial sans pièce justificative.",
            **values,
        },
        attachments=[IncomingFile("cahier.pdf", PDF)],
    )


def follow_url(request: SupportRequest, token: str | None = None) -> str:
    return reverse("www:support_follow", kwargs={"token": token or follow_token(request)})


def test_the_follow_page_shows_the_request_and_its_thread_but_never_notes(
    client: Client, expert: User
) -> None:
    request = a_request()
    support_note_add(request=request, actor=expert, body="Note interne : demandeur pressé.")
    support_reply_send(
        request=request,
        actor=expert,
        body="Bonjour, l'API de la CNAF répond à votre besoin.",
        attachments=[IncomingFile("fiche.pdf", PDF)],
    )

    response = client.get(follow_url(request))

    assert response.status_code == 200
    html = response.content.decode()
    assert request.reference in html
    assert "Nouvelle" in html
    assert "Quotient familial pour la cantine" in html
    assert "Obtenir le quotient familial sans pièce justificative." in html
    assert "l&#x27;API de la CNAF répond à votre besoin." in html
    assert "cahier.pdf" in html
    assert "fiche.pdf" in html
    assert "Note interne" not in html
    assert "demandeur pressé" not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_an_altered_or_revoked_link_answers_404(client: Client) -> None:
    request = a_request()
    token = follow_token(request)

    assert (
        client.get(
            follow_url(request, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
        ).status_code
        == 404
    )
    assert client.get(follow_url(request, "nimportequoi")).status_code == 404

    request.follow_key = "0" * 32
    request.save(update_fields=["follow_key"])
    assert client.get(follow_url(request, token)).status_code == 404
    assert client.get(follow_url(request)).status_code == 200


def test_a_link_opens_its_own_request_only(client: Client) -> None:
    first = a_request("Première demande")
    second = a_request("Seconde demande")

    html = client.get(follow_url(first)).content.decode()

    assert "Première demande" in html
    assert "Seconde demande" not in html
    other_file = second.attachments.get()
    url = reverse(
        "www:support_follow_attachment",
        kwargs={"token": follow_token(first), "pk": other_file.pk},
    )
    assert client.get(url).status_code == 404


def test_attachments_download_with_safe_headers(client: Client) -> None:
    request = a_request()
    attachment = request.attachments.get()
    url = reverse(
        "www:support_follow_attachment",
        kwargs={"token": follow_token(request), "pk": attachment.pk},
    )

    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "cahier.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert client.post(url).status_code == 405


def test_files_of_the_team_outside_the_thread_are_not_served(client: Client, expert: User) -> None:
    request = a_request()
    deliverable = SupportAttachment(
        request=request,
        original_name="note-interne.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
        uploaded_by=expert,
        framing_topic="scope",
    )
    deliverable.file.save("piece", SimpleUploadedFile("piece", PDF), save=False)
    deliverable.save()
    url = reverse(
        "www:support_follow_attachment",
        kwargs={"token": follow_token(request), "pk": deliverable.pk},
    )

    assert client.get(url).status_code == 404
    assert "note-interne.pdf" not in client.get(follow_url(request)).content.decode()


def test_the_requester_replies_from_the_follow_page(client: Client) -> None:
    request = a_request()
    upload = SimpleUploadedFile("budget.ods", b"PK\x03\x04rest", content_type="application/zip")

    response = client.post(
        follow_url(request),
        {"action": "reply", "reply-body": "Voici le budget prévu.", "reply-attachments": [upload]},
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#echanges")
    message = request.messages.filter(kind=MessageKind.FROM_REQUESTER).last()
    assert message is not None
    assert message.body == "Voici le budget prévu."
    assert message.author_email == "camille.riviere@lyon.fr"
    assert message.attachments.get().original_name == "budget.ods"
    page = client.get(response["Location"]).content.decode()
    assert "Votre message a été transmis au guichet." in page
    assert "Voici le budget prévu." in page


def test_a_reply_with_a_refused_file_keeps_nothing(client: Client) -> None:
    request = a_request()
    before = SupportMessage.objects.count()
    upload = SimpleUploadedFile("script.sh", b"#!/bin/sh\n", content_type="text/x-sh")

    response = client.post(
        follow_url(request),
        {"action": "reply", "reply-body": "Voici un script.", "reply-attachments": [upload]},
    )

    assert response.status_code == 400
    assert "« script.sh » : ce type de fichier" in response.content.decode()
    assert SupportMessage.objects.count() == before
    empty = client.post(follow_url(request), {"action": "reply", "reply-body": " "})
    assert "Écrivez votre message avant de l&#x27;envoyer." in empty.content.decode()
    assert SupportMessage.objects.count() == before


def close_mission(request: SupportRequest, expert: User) -> Mission:
    support_request_qualify(request=request, actor=expert, priority=Priority.NORMAL)
    mission = mission_open(
        request=request, actor=expert, title="Cadrage cantine", lead_expert=expert
    )
    mission.agreement_note = "Deux ateliers avec la DSI, puis une note de cadrage."
    mission.agreed_until = date(2027, 6, 30)
    mission.save()
    for action in ("agree", "start"):
        mission = mission_transition(mission=mission, action=action, actor=expert)
    mission.closing_summary = "API CNAF branchée, avis d'imposition supprimé."
    mission.save()
    return mission_transition(mission=mission, action="close", actor=expert)


def test_the_mission_and_the_satisfaction_form_once_it_is_closed(
    client: Client, expert: User
) -> None:
    request = a_request()
    support_request_qualify(request=request, actor=expert, priority=Priority.NORMAL)
    mission = mission_open(
        request=request, actor=expert, title="Cadrage cantine", lead_expert=expert
    )
    html = client.get(follow_url(request)).content.decode()
    assert "Cadrage cantine" in html
    assert "Proposée" in html
    assert 'name="satisfaction-score"' not in html
    refused = client.post(
        follow_url(request), {"action": "satisfaction", "satisfaction-score": "5"}
    )
    assert refused.status_code == 400
    mission.refresh_from_db()
    assert mission.satisfaction is None

    other = a_request("Autre demande")
    mission = close_mission(other, expert)
    html = client.get(follow_url(other)).content.decode()
    assert "Deux ateliers avec la DSI" in html
    assert "API CNAF branchée" in html
    assert 'name="satisfaction-score"' in html

    response = client.post(
        follow_url(other),
        {"action": "satisfaction", "satisfaction-score": "4", "satisfaction-comment": "Utile."},
    )
    assert response.status_code == 302
    mission.refresh_from_db()
    assert (mission.satisfaction, mission.satisfaction_comment) == (4, "Utile.")
    assert "Votre note actuelle : 4 sur 5" in client.get(follow_url(other)).content.decode()

    bad = client.post(follow_url(other), {"action": "satisfaction", "satisfaction-score": "9"})
    assert bad.status_code == 400
    mission.refresh_from_db()
    assert mission.satisfaction == 4


def test_the_follow_pages_are_public_and_the_form_needs_no_account(
    client: Client, expert: User
) -> None:
    request = a_request()
    for url in (NEW, follow_url(request)):
        assert client.get(url).status_code == 200
    client.force_login(expert)
    assert client.get(NEW).status_code == 200
    assert InboundMail.objects.count() == 0


def test_the_form_and_the_follow_page_both_check_csrf() -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(NEW, form_data()).status_code == 403
    assert SupportRequest.objects.count() == 0

    request = a_request()
    # The signed link is a secret, yet a forged cross-site post must not speak for the requester.
    response = strict.post(
        follow_url(request),
        {"action": "reply", "reply-body": "Sans jeton CSRF."},
        HTTP_ORIGIN="https://ailleurs.example",
    )
    assert response.status_code == 403
    assert not request.messages.filter(body="Sans jeton CSRF.").exists()
