"""The experts' desk pages: who sees them, the board's filters, actions on a request and on a
mission through their forms (refusals shown with the input kept), downloads, experts' profiles."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import load_demo
from dlnuf.organisations.models import User
from dlnuf.support.models import (
    Expert,
    FramingStatus,
    FramingTopic,
    MessageKind,
    Mission,
    MissionState,
    Priority,
    RequestState,
    SupportAttachment,
    SupportRequest,
)
from dlnuf.support.selectors import first_answer_deadline
from tests.support.factories import (
    PDF_BYTES,
    BusyDesk,
    ExpertFactory,
    ExpertUserFactory,
    SupportRequestFactory,
    busy_desk,
)

pytestmark = pytest.mark.django_db

EXPERT = "expert@demo.dlnuf.fr"
ADMIN = "admin@demo.dlnuf.fr"
OUTSIDERS = [
    "agent.lyon@demo.dlnuf.fr",
    "agent.paris@demo.dlnuf.fr",
    "instructeur.cnaf@demo.dlnuf.fr",
    "instructeur.insee@demo.dlnuf.fr",
    "rapporteur.cnaf@demo.dlnuf.fr",
]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def desk() -> BusyDesk:
    catalogue_load()
    load_demo(stdout=StringIO())
    return busy_desk(expert=User.objects.get(email=EXPERT))


def _client(email: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


def _pages(desk: BusyDesk) -> list[str]:
    return [
        reverse("www:desk"),
        reverse("www:desk_request", kwargs={"pk": desk.with_thread.pk}),
        reverse("www:desk_attachment", kwargs={"pk": SupportAttachment.objects.first().pk}),
        reverse("www:desk_inbound_mail"),
        reverse("www:desk_inbound_mail_raw", kwargs={"pk": desk.failed_mail.pk}),
        reverse("www:desk_missions"),
        reverse("www:desk_mission", kwargs={"pk": desk.mission.pk}),
        reverse("www:desk_mission_action", kwargs={"pk": desk.mission.pk, "action": "time"}),
        reverse("www:desk_mission_framing", kwargs={"pk": desk.mission.pk, "topic": "budget"}),
        reverse("www:desk_experts"),
    ]


def _actions(desk: BusyDesk) -> list[str]:
    expert = User.objects.get(email=EXPERT)
    return [
        reverse("www:desk_request_action", kwargs={"pk": desk.overdue.pk, "action": "qualify"}),
        reverse("www:desk_mission_action", kwargs={"pk": desk.mission.pk, "action": "time"}),
        reverse("www:desk_expert_update", kwargs={"pk": expert.pk}),
    ]


# --- who sees the desk -------------------------------------------------------------------------


@pytest.mark.parametrize("email", [EXPERT, ADMIN])
def test_experts_and_administrators_see_every_page(desk: BusyDesk, email: str) -> None:
    client = _client(email)
    for url in _pages(desk):
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            # Read to the end: the test client then closes the file it streams.
            b"".join(response.streaming_content)


@pytest.mark.parametrize("email", OUTSIDERS)
def test_everybody_else_signed_in_is_refused(desk: BusyDesk, email: str) -> None:
    client = _client(email)
    for url in _pages(desk):
        assert client.get(url).status_code == 403, url
    for url in _actions(desk):
        assert client.post(url, {}).status_code == 403, url
    assert desk.overdue.transitions.count() == 1


def test_anonymous_people_are_sent_to_sign_in(desk: BusyDesk) -> None:
    client = Client()
    for url in _pages(desk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/connexion/?next={url}"


def test_unknown_ids_are_not_found(desk: BusyDesk) -> None:
    client = _client(EXPERT)
    for name in (
        "www:desk_request",
        "www:desk_attachment",
        "www:desk_inbound_mail_raw",
        "www:desk_mission",
    ):
        assert client.get(reverse(name, kwargs={"pk": 999_999})).status_code == 404, name
    posts = [
        reverse("www:desk_request_action", kwargs={"pk": 999_999, "action": "qualify"}),
        reverse("www:desk_request_action", kwargs={"pk": desk.overdue.pk, "action": "explode"}),
        reverse("www:desk_mission_action", kwargs={"pk": 999_999, "action": "time"}),
        reverse("www:desk_mission_action", kwargs={"pk": desk.mission.pk, "action": "explode"}),
    ]
    for url in posts:
        assert client.post(url, {}).status_code == 404, url
    framing = reverse("www:desk_mission_framing", kwargs={"pk": desk.mission.pk, "topic": "cost"})
    assert client.get(framing).status_code == 404
    assert client.post(framing, {"cadrage-status": "done"}).status_code == 404
    admin = _client(ADMIN)
    assert admin.post(reverse("www:desk_expert_update", kwargs={"pk": 999_999})).status_code == 404
    outsider = User.objects.get(email=OUTSIDERS[0])
    assert (
        admin.post(reverse("www:desk_expert_update", kwargs={"pk": outsider.pk})).status_code == 404
    )


def test_actions_answer_only_to_post(desk: BusyDesk) -> None:
    client = _client(EXPERT)
    for url in _actions(desk):
        if "/missions/" in url:
            continue  # a mission's task is a page of its own: GET shows its form
        assert client.get(url).status_code == 405, url


def test_only_administrators_edit_experts_profiles(desk: BusyDesk) -> None:
    expert = User.objects.get(email=EXPERT)
    url = reverse("www:desk_expert_update", kwargs={"pk": expert.pk})
    data = {f"expert-{expert.pk}-capacity": "2", f"expert-{expert.pk}-skills": ["legal"]}

    assert _client(EXPERT).post(url, data).status_code == 403
    page = _client(EXPERT).get(reverse("www:desk_experts")).content.decode()
    assert "Enregistrer le profil" not in page

    response = _client(ADMIN).post(url, data)
    assert response.status_code == 302
    profile = Expert.objects.get(user=expert)
    assert (profile.skills, profile.capacity, profile.is_available) == (["legal"], 2, False)


# --- the board ---------------------------------------------------------------------------------


def test_the_board_lists_late_requests_first_with_counters(desk: BusyDesk) -> None:
    page = _client(EXPERT).get(reverse("www:desk")).content.decode()
    assert page.index(desk.overdue.reference) < page.index(desk.due_today.reference)
    late = first_answer_deadline(desk.overdue).working_days_late
    assert late >= 5
    assert f"En retard de {late} jours" in page
    assert "Échéance aujourd'hui" in page
    assert "courriel illisible à examiner" in page
    assert reverse("www:desk_inbound_mail") in page


def test_the_board_is_paginated_and_keeps_its_filters(desk: BusyDesk, monkeypatch: Any) -> None:
    from dlnuf.www.desk_views import views

    monkeypatch.setattr(views, "BOARD_PAGE_SIZE", 2)
    for _ in range(3):
        SupportRequestFactory(priority=Priority.HIGH)
    client = _client(EXPERT)
    high = SupportRequest.objects.filter(priority=Priority.HIGH, state__in=["new", "qualified"])
    first = client.get(reverse("www:desk"), {"priority": Priority.HIGH})
    assert first.context["page_obj"].paginator.count == high.count()
    assert len(first.context["rows"]) == 2
    page = first.content.decode()
    assert "page=2" in page
    assert "priority=high" in page.split("page=2")[0].rsplit("href", 1)[1]
    second = client.get(reverse("www:desk"), {"priority": Priority.HIGH, "page": 2})
    assert second.context["page_obj"].number == 2
    assert second.context["filtered"]
    shown = {row.request.pk for row in [*first.context["rows"], *second.context["rows"]]}
    assert len(shown) == 4
    unfiltered_page = client.get(reverse("www:desk"), {"page": 2})
    assert not unfiltered_page.context["filtered"]


def test_the_board_filters_by_get(desk: BusyDesk) -> None:
    client = _client(EXPERT)
    overdue = client.get(reverse("www:desk"), {"overdue": "on"}).content.decode()
    assert desk.overdue.reference in overdue
    assert desk.due_today.reference not in overdue

    high = client.get(reverse("www:desk"), {"priority": Priority.HIGH}).content.decode()
    assert desk.due_today.reference in high
    assert desk.overdue.reference not in high

    qualified = client.get(reverse("www:desk"), {"state": RequestState.QUALIFIED}).content.decode()
    assert desk.with_thread.reference in qualified
    assert desk.mission.request.reference not in qualified

    invalid = client.get(reverse("www:desk"), {"state": "perdu"})
    assert invalid.status_code == 200
    assert desk.overdue.reference in invalid.content.decode()


# --- a request's page and its actions ----------------------------------------------------------


def test_the_request_page_shows_the_thread_history_and_similar_experiences(desk: BusyDesk) -> None:
    page = _client(EXPERT).get(reverse("www:desk_request", kwargs={"pk": desk.with_thread.pk}))
    html = page.content.decode()
    assert "Bonjour, nous revenons vers vous avec une première analyse." in html
    assert "Voir avec la DGFiP." in html
    attachment = SupportAttachment.objects.get(original_name="analyse.pdf")
    assert reverse("www:desk_attachment", kwargs={"pk": attachment.pk}) in html
    assert "Demande qualifiée" in html
    assert "Nouvelle → Qualifiée" in html
    assert "Expériences similaires" in html


def test_qualifying_through_the_page(desk: BusyDesk) -> None:
    url = reverse("www:desk_request_action", kwargs={"pk": desk.overdue.pk, "action": "qualify"})
    response = _client(EXPERT).post(url, {"qualify-priority": "high", "qualify-comment": "OK"})
    assert response.status_code == 302
    assert response["Location"] == reverse("www:desk_request", kwargs={"pk": desk.overdue.pk})
    desk.overdue.refresh_from_db()
    assert (desk.overdue.state, desk.overdue.priority) == (RequestState.QUALIFIED, Priority.HIGH)


def test_a_refused_action_is_shown_with_the_input_kept(desk: BusyDesk) -> None:
    url = reverse("www:desk_request_action", kwargs={"pk": desk.overdue.pk, "action": "reopen"})
    response = _client(EXPERT).post(url, {"reopen-comment": "Le demandeur a relancé."})
    assert response.status_code == 400
    html = response.content.decode()
    assert "fr-alert--error" in html
    assert "Rouvrir : action non effectuée" in html
    assert (
        "L&#x27;action « Rouvrir » n&#x27;est pas possible dans l&#x27;état « Nouvelle »." in html
    )
    desk.overdue.refresh_from_db()
    assert desk.overdue.state == RequestState.NEW

    url = reverse("www:desk_request_action", kwargs={"pk": desk.overdue.pk, "action": "redirect"})
    response = _client(EXPERT).post(url, {"redirect-explanation": ""})
    assert response.status_code == 400
    assert "Expliquez au demandeur vers qui se tourner." in response.content.decode()

    url = reverse("www:desk_request_action", kwargs={"pk": desk.overdue.pk, "action": "note"})
    response = _client(EXPERT).post(url, {"note-body": "   "})
    assert response.status_code == 400


def test_the_reply_form_keeps_the_text_when_a_file_is_refused(desk: BusyDesk) -> None:
    url = reverse("www:desk_request_action", kwargs={"pk": desk.overdue.pk, "action": "reply"})
    response = _client(EXPERT).post(
        url,
        {
            "reply-body": "Voici notre réponse détaillée.",
            "reply-attachments": [SimpleUploadedFile("outil.exe", b"MZ")],
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Voici notre réponse détaillée." in html
    assert "ce type de fichier n&#x27;est pas accepté" in html
    assert not desk.overdue.messages.filter(kind=MessageKind.TO_REQUESTER).exists()


def test_replying_with_files_and_downloading_them(desk: BusyDesk) -> None:
    client = _client(EXPERT)
    url = reverse("www:desk_request_action", kwargs={"pk": desk.overdue.pk, "action": "reply"})
    response = client.post(
        url,
        {
            "reply-body": "Voici le modèle de convention.",
            "reply-attachments": [
                SimpleUploadedFile("convention.pdf", PDF_BYTES),
                SimpleUploadedFile("notes.txt", "Étapes à suivre".encode()),
            ],
        },
    )
    assert response.status_code == 302
    message = desk.overdue.messages.get(kind=MessageKind.TO_REQUESTER)
    names = sorted(message.attachments.values_list("original_name", flat=True))
    assert names == ["convention.pdf", "notes.txt"]
    desk.overdue.refresh_from_db()
    assert desk.overdue.first_answered_at is not None

    attachment = message.attachments.get(original_name="convention.pdf")
    download = client.get(reverse("www:desk_attachment", kwargs={"pk": attachment.pk}))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == PDF_BYTES


def test_assigning_with_load_and_skills_shown(desk: BusyDesk) -> None:
    colleague = ExpertFactory(
        user=ExpertUserFactory(first_name="Alix", last_name="Juriste"), skills=["legal"], capacity=1
    ).user
    SupportRequestFactory(state=RequestState.QUALIFIED, lead_expert=colleague)
    client = _client(EXPERT)
    page = client.get(reverse("www:desk_request", kwargs={"pk": desk.with_thread.pk}))
    html = page.content.decode()
    assert "Alix Juriste — charge 1/1 — capacité atteinte — correspond : Juridique" in html
    assert "Capacité atteinte" in html

    url = reverse("www:desk_request_action", kwargs={"pk": desk.with_thread.pk, "action": "assign"})
    expert = User.objects.get(email=EXPERT)
    response = client.post(
        url,
        {"assign-lead_expert": expert.pk, "assign-team": [colleague.pk], "assign-priority": "low"},
    )
    assert response.status_code == 302
    desk.with_thread.refresh_from_db()
    assert desk.with_thread.lead_expert == expert
    assert list(desk.with_thread.team.all()) == [colleague]
    assert desk.with_thread.priority == Priority.LOW


def test_opening_a_mission_from_the_page(desk: BusyDesk) -> None:
    expert = User.objects.get(email=EXPERT)
    url = reverse(
        "www:desk_request_action", kwargs={"pk": desk.with_thread.pk, "action": "open_mission"}
    )
    response = _client(EXPERT).post(
        url,
        {
            "open-mission-title": "Refonte des aides",
            "open-mission-lead_expert": expert.pk,
            "open-mission-help_kinds": ["framing"],
        },
    )
    mission = Mission.objects.get(request=desk.with_thread)
    assert response.status_code == 302
    assert response["Location"] == reverse("www:desk_mission", kwargs={"pk": mission.pk})
    assert (mission.title, mission.lead_expert, mission.help_kinds) == (
        "Refonte des aides",
        expert,
        ["framing"],
    )


# --- the mission page --------------------------------------------------------------------------


def _mission_post(desk: BusyDesk, action: str, data: dict[str, Any]) -> Any:
    url = reverse("www:desk_mission_action", kwargs={"pk": desk.mission.pk, "action": action})
    return _client(EXPERT).post(url, data)


def test_the_mission_page_shows_checklist_meetings_time_and_costs(desk: BusyDesk) -> None:
    html = _client(EXPERT).get(reverse("www:desk_mission", kwargs={"pk": desk.mission.pk}))
    page = html.content.decode()
    assert "Cadrage (2/8)" in page
    assert "perimetre.pdf" in page
    assert "Réunion de lancement" in page
    assert "Commencer par le périmètre." in page
    assert "Temps passé : 2,50 h" in page
    assert "Coûts de prestataires : 1\xa0250,50 €" in page
    assert "La note d&#x27;accord (qui, quoi, jusqu&#x27;à quand)" in page


def test_the_mission_overview_holds_no_form_and_links_one_page_per_task(desk: BusyDesk) -> None:
    expert = User.objects.get(email=EXPERT)
    html = _client(EXPERT).get(reverse("www:desk_mission", kwargs={"pk": desk.mission.pk}))
    page = html.content.decode()
    assert "<form" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    scope = reverse("www:desk_mission_framing", kwargs={"pk": desk.mission.pk, "topic": "scope"})
    assert f'href="{scope}"' in page
    # The checklist at a glance: state, a summary of the notes, who changed it and when.
    row = page[page.index('id="cadrage-scope"') :].split("</tr>", 1)[0]
    assert "Fait" in row
    assert "Validé." in row
    assert f"par {expert}" in row
    for action in ("details", "agreement", "meeting", "decision", "time", "cost", "knowledge"):
        url = reverse("www:desk_mission_action", kwargs={"pk": desk.mission.pk, "action": action})
        assert f'href="{url}"' in page, action

    task = _client(EXPERT).get(
        reverse("www:desk_mission_action", kwargs={"pk": desk.mission.pk, "action": "meeting"})
    )
    assert task.status_code == 200
    assert task.content.decode().count("<form") - page.count("<form") == 1
    assert 'name="reunion-title"' in task.content.decode()


def test_a_finished_mission_shows_its_checklist_without_forms(desk: BusyDesk) -> None:
    Mission.objects.filter(pk=desk.mission.pk).update(state=MissionState.CLOSED)
    client = _client(EXPERT)
    item = client.get(
        reverse("www:desk_mission_framing", kwargs={"pk": desk.mission.pk, "topic": "scope"})
    )
    assert item.status_code == 200
    assert "Validé." in item.content.decode()
    assert 'name="cadrage-notes"' not in item.content.decode()
    time = client.get(
        reverse("www:desk_mission_action", kwargs={"pk": desk.mission.pk, "action": "time"})
    )
    assert "La mission est close : elle ne se modifie plus." in time.content.decode()
    assert 'name="temps-hours"' not in time.content.decode()


def test_writing_the_agreement_then_agreeing_locks_it(desk: BusyDesk) -> None:
    until = (timezone.localdate() + timedelta(days=90)).isoformat()
    response = _mission_post(
        desk,
        "agreement",
        {
            "accord-agreement_note": "La DINUM accompagne jusqu'en juin.",
            "accord-agreed_until": until,
        },
    )
    assert response.status_code == 302
    assert _mission_post(desk, "agree", {"etat-agree-comment": ""}).status_code == 302
    desk.mission.refresh_from_db()
    assert desk.mission.state == MissionState.AGREED

    response = _mission_post(
        desk,
        "agreement",
        {"accord-agreement_note": "Autre chose", "accord-agreed_until": until},
    )
    assert response.status_code == 400
    assert "consignez l&#x27;avenant dans une décision" in response.content.decode()
    page = _client(EXPERT).get(
        reverse("www:desk_mission_action", kwargs={"pk": desk.mission.pk, "action": "agreement"})
    )
    assert page.status_code == 200
    assert 'name="accord-agreement_note"' not in page.content.decode()
    assert "consignez l&#x27;avenant dans une décision" in page.content.decode()


def test_checklist_deliverables_meetings_time_and_costs_through_the_page(desk: BusyDesk) -> None:
    today = timezone.localdate().isoformat()
    budget = reverse("www:desk_mission_framing", kwargs={"pk": desk.mission.pk, "topic": "budget"})
    client = _client(EXPERT)
    response = client.post(
        budget,
        {
            "cadrage-status": "done",
            "cadrage-notes": "Chiffré.",
            "cadrage-deliverable": SimpleUploadedFile("devis.pdf", PDF_BYTES),
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#cadrage-budget")
    item = desk.mission.framing_items.get(topic=FramingTopic.BUDGET)
    assert (item.status, item.notes) == (FramingStatus.DONE, "Chiffré.")
    assert SupportAttachment.objects.filter(
        framing_topic="budget", original_name="devis.pdf"
    ).exists()

    # A refused file refuses the whole submit, and shows the notes typed with it again.
    response = client.post(
        budget,
        {
            "cadrage-status": "in_progress",
            "cadrage-notes": "Devis à revoir.",
            "cadrage-deliverable": SimpleUploadedFile("devis.pdf", b"faux"),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "son contenu ne correspond pas à son extension" in page
    assert "Devis à revoir.</textarea>" in page
    assert '<option value="in_progress" selected>' in page
    assert "choisissez de nouveau le livrable" in page
    item.refresh_from_db()
    assert (item.status, item.notes) == (FramingStatus.DONE, "Chiffré.")

    assert (
        _mission_post(
            desk, "meeting", {"reunion-held_on": today, "reunion-title": "Point d'étape"}
        ).status_code
        == 302
    )
    assert (
        _mission_post(
            desk, "decision", {"decision-decided_on": today, "decision-text": "Report d'un mois."}
        ).status_code
        == 302
    )
    assert (
        _mission_post(desk, "time", {"temps-worked_on": today, "temps-hours": "1,75"}).status_code
        == 302
    )
    assert (
        _mission_post(
            desk,
            "cost",
            {
                "cout-supplier": "Cabinet",
                "cout-description": "Revue juridique",
                "cout-amount_eur": "800",
                "cout-incurred_on": today,
            },
        ).status_code
        == 302
    )
    page = _client(EXPERT).get(reverse("www:desk_mission", kwargs={"pk": desk.mission.pk}))
    html = page.content.decode()
    assert "Temps passé : 4,25 h" in html
    assert "Coûts de prestataires : 2\xa0050,50 €" in html
    history = _client(EXPERT).get(
        reverse("www:desk_request", kwargs={"pk": desk.mission.request.pk})
    )
    text = history.content.decode()
    assert "Point d&#x27;étape" in text
    assert "Report d&#x27;un mois." in text
    assert "Livrable ajouté : Estimation budgétaire" in text


def test_time_refused_keeps_the_input(desk: BusyDesk) -> None:
    response = _mission_post(
        desk, "time", {"temps-worked_on": timezone.localdate().isoformat(), "temps-hours": "30"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Le temps passé va d&#x27;un quart d&#x27;heure (0,25) à 24 heures par jour." in html
    assert 'value="30"' in html
    assert not desk.mission.time_entries.filter(hours=30).exists()


def test_workflow_buttons_follow_the_transition_table(desk: BusyDesk) -> None:
    page = _client(EXPERT).get(reverse("www:desk_mission", kwargs={"pk": desk.mission.pk}))
    html = page.content.decode()
    assert "Abandonner" in html
    assert (
        reverse("www:desk_mission_action", kwargs={"pk": desk.mission.pk, "action": "cancel"})
        in html
    )
    assert (
        reverse("www:desk_mission_action", kwargs={"pk": desk.mission.pk, "action": "start"})
        not in html
    )

    response = _mission_post(desk, "start", {"etat-start-comment": ""})
    assert response.status_code == 400
    assert "n&#x27;est pas possible dans l&#x27;état « Proposée »" in response.content.decode()


def test_satisfaction_is_shown_once_answered(desk: BusyDesk) -> None:
    Mission.objects.filter(pk=desk.mission.pk).update(
        state=MissionState.CLOSED, satisfaction=5, satisfaction_comment="Parfait."
    )
    html = _client(EXPERT).get(reverse("www:desk_mission", kwargs={"pk": desk.mission.pk}))
    page = html.content.decode()
    assert "Avis du demandeur" in page
    assert "5/5" in page
    assert "Parfait." in page


# --- missions list, failed mail, experts -------------------------------------------------------


def test_missions_list_with_progress_and_hours(desk: BusyDesk) -> None:
    client = _client(EXPERT)
    page = client.get(reverse("www:desk_missions")).content.decode()
    assert "2/8" in page
    assert "2,50 h" in page
    empty = client.get(
        reverse("www:desk_missions"), {"state": MissionState.CLOSED}
    ).content.decode()
    assert desk.mission.title not in empty


def test_failed_mail_is_listed_and_downloaded_never_rendered(desk: BusyDesk) -> None:
    client = _client(EXPERT)
    page = client.get(reverse("www:desk_inbound_mail")).content.decode()
    assert desk.failed_mail.error in page.replace("&#x27;", "'")
    assert "<b>corps</b>" not in page
    assert "Subject" in page

    raw = client.get(reverse("www:desk_inbound_mail_raw", kwargs={"pk": desk.failed_mail.pk}))
    assert raw["Content-Type"] == "message/rfc822"
    assert (
        raw["Content-Disposition"] == f'attachment; filename="courriel-{desk.failed_mail.pk}.eml"'
    )
    assert raw.content == bytes(desk.failed_mail.raw)


def test_experts_page_shows_skills_and_load(desk: BusyDesk) -> None:
    Expert.objects.filter(user__email=EXPERT).delete()
    expert = ExpertFactory(
        user=User.objects.get(email=EXPERT), skills=["legal", "value"], capacity=1
    ).user
    SupportRequestFactory(state=RequestState.QUALIFIED, lead_expert=expert)
    page = _client(ADMIN).get(reverse("www:desk_experts")).content.decode()
    assert "Juridique, Valeur (MAREVA 2)" in page
    assert "Au-delà de sa capacité" in page
    assert "Enregistrer le profil" in page
