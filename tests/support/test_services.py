"""The core services of the desk: intake with its deadline in working days, the thread (replies,
notes, files set aside), assignment, and the requester's satisfaction."""

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from dlnuf.organisations.models import User
from dlnuf.support import services
from dlnuf.support.attachments import IncomingFile
from dlnuf.support.models import (
    Channel,
    MessageKind,
    MissionState,
    Priority,
    RequestState,
    SupportAttachment,
    Urgency,
)
from tests.support.factories import (
    PDF_BYTES,
    ExpertUserFactory,
    MissionFactory,
    SupportRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def expert() -> User:
    return ExpertUserFactory()


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (datetime(2026, 3, 2, 10, tzinfo=PARIS), 3, datetime(2026, 3, 5, 10, tzinfo=PARIS)),
        # Friday + 1 working day is Monday; + 3 is Wednesday.
        (datetime(2026, 3, 6, 10, tzinfo=PARIS), 1, datetime(2026, 3, 9, 10, tzinfo=PARIS)),
        (datetime(2026, 3, 6, 10, tzinfo=PARIS), 3, datetime(2026, 3, 11, 10, tzinfo=PARIS)),
        # Received on a Saturday: the count starts on Monday.
        (datetime(2026, 3, 7, 10, tzinfo=PARIS), 5, datetime(2026, 3, 13, 10, tzinfo=PARIS)),
    ],
)
def test_add_working_days_skips_weekends(start: datetime, days: int, expected: datetime) -> None:
    assert services.add_working_days(start, days) == expected


VALUES = {
    "organisation_name": "Mairie de Villeneuve",
    "requester_email": "chef.projet@villeneuve.fr",
    "subject": "Obtenir le quotient familial",
    "context": "La cantine demande l'attestation CAF.",
    "need": "Savoir comment appeler l'API.",
    "help_kinds": ["framing", "not-a-kind"],
}


@pytest.mark.parametrize(
    ("urgency", "working_days", "priority"),
    [
        (Urgency.HIGH, 1, Priority.HIGH),
        (Urgency.NORMAL, 3, Priority.NORMAL),
        (Urgency.LOW, 5, Priority.NORMAL),
    ],
)
def test_a_new_request_gets_its_deadline_from_its_urgency(
    urgency: Urgency, working_days: int, priority: Priority, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request = services.support_request_create(
            channel=Channel.FORM, values={**VALUES, "urgency": urgency}
        )
    assert request.first_answer_due == services.add_working_days(request.created_at, working_days)
    assert request.priority == priority
    assert request.help_kinds == ["framing"]
    assert list(request.transitions.values_list("action", "to_state", "actor")) == [
        ("receive", RequestState.NEW, None)
    ]
    first = request.messages.get()
    assert first.kind == MessageKind.FROM_REQUESTER
    assert "La cantine demande l'attestation CAF." in first.body
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["chef.projet@villeneuve.fr"]
    assert request.reference in mail.outbox[0].subject


def test_unknown_fields_are_refused_rather_than_dropped() -> None:
    with pytest.raises(ValueError, match="Champs inconnus : telephone"):
        services.support_request_create(channel=Channel.FORM, values={**VALUES, "telephone": "01"})


def test_a_reply_is_the_first_answer_and_leaves_after_the_commit(
    expert: User, django_capture_on_commit_callbacks: Any
) -> None:
    request = SupportRequestFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.support_reply_send(
            request=request,
            actor=expert,
            body="Bonjour, voici la marche à suivre.",
            attachments=[IncomingFile("guide.pdf", PDF_BYTES)],
        )
        services.support_reply_send(request=request, actor=expert, body="Un complément.")
    request.refresh_from_db()
    assert request.first_answered_at == first.sent_at
    assert len(mail.outbox) == 2
    assert "Bonjour, voici la marche à suivre." in mail.outbox[0].body
    assert "Un complément." in mail.outbox[1].body
    attachment = first.attachments.get()
    assert (attachment.original_name, attachment.content_type, attachment.uploaded_by) == (
        "guide.pdf",
        "application/pdf",
        expert,
    )


def test_an_empty_reply_or_note_is_refused(expert: User) -> None:
    request = SupportRequestFactory()
    with pytest.raises(services.TransitionRefused, match=re.escape("Le message est vide.")):
        services.support_reply_send(request=request, actor=expert, body="  ")
    with pytest.raises(services.TransitionRefused, match=re.escape("La note est vide.")):
        services.support_note_add(request=request, actor=expert, body="\n")


def test_files_refused_are_noted_in_the_history_and_the_others_kept(expert: User) -> None:
    request = SupportRequestFactory()
    services.support_reply_send(
        request=request,
        actor=expert,
        body="Voici les pièces.",
        attachments=[
            IncomingFile("note.pdf", PDF_BYTES),
            IncomingFile("virus.exe", b"MZ..."),
            IncomingFile("faux.pdf", b"pas un pdf"),
        ],
    )
    assert list(SupportAttachment.objects.values_list("original_name", flat=True)) == ["note.pdf"]
    note = request.messages.get(kind=MessageKind.NOTE)
    assert "« virus.exe » : ce type de fichier n'est pas accepté" in note.body
    assert "« faux.pdf » : son contenu ne correspond pas à son extension." in note.body


def test_a_note_is_never_sent(expert: User, django_capture_on_commit_callbacks: Any) -> None:
    request = SupportRequestFactory()
    with django_capture_on_commit_callbacks(execute=True):
        note = services.support_note_add(request=request, actor=expert, body="À voir avec la CNAF.")
    assert note.kind == MessageKind.NOTE
    assert mail.outbox == []
    request.refresh_from_db()
    assert request.first_answered_at is None


def test_assigning_sets_the_team_and_is_logged_without_a_change_of_state(expert: User) -> None:
    request = SupportRequestFactory()
    colleague = ExpertUserFactory(first_name="Alix", last_name="Martin")
    services.support_request_assign(
        request=request, actor=expert, lead_expert=expert, team=[colleague], priority=Priority.HIGH
    )
    request.refresh_from_db()
    assert request.lead_expert == expert
    assert list(request.team.all()) == [colleague]
    assert request.priority == Priority.HIGH
    row = request.transitions.get(action="assign")
    assert (row.from_state, row.to_state, row.actor) == (RequestState.NEW, RequestState.NEW, expert)
    assert "Alix Martin" in row.comment
    assert "Haute" in row.comment


def test_only_desk_people_can_be_assigned(expert: User) -> None:
    request = SupportRequestFactory()
    outsider = UserFactory(first_name="Camille", last_name="Dehors")
    with pytest.raises(services.TransitionRefused, match="Camille Dehors n'est pas expert"):
        services.support_request_assign(
            request=request, actor=expert, lead_expert=expert, team=[outsider]
        )
    with pytest.raises(services.ActionForbidden):
        services.support_request_assign(request=request, actor=outsider, lead_expert=expert)
    assert not request.transitions.filter(action="assign").exists()


def test_satisfaction_is_given_once_the_mission_is_closed(expert: User) -> None:
    mission = MissionFactory(lead_expert=expert)
    with pytest.raises(services.TransitionRefused, match="une fois la mission close"):
        services.mission_satisfaction_record(mission=mission, score=5)

    mission.state = MissionState.CLOSED
    mission.save(update_fields=["state"])
    with pytest.raises(services.TransitionRefused, match=re.escape("La note va de 1 à 5.")):
        services.mission_satisfaction_record(mission=mission, score=6)
    services.mission_satisfaction_record(mission=mission, score=4, comment=" Très utile ")

    mission.refresh_from_db()
    assert (mission.satisfaction, mission.satisfaction_comment) == (4, "Très utile")
    row = mission.transitions.get(action="satisfaction")
    assert row.actor is None
    assert row.comment == "Satisfaction : 4/5"
