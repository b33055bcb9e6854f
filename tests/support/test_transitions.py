"""Every row of the request and mission workflows: taken from its sources, refused (in French)
from every other state, comments and guards enforced, one history row per change, experts only."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from dlnuf.organisations.models import User
from dlnuf.support import services
from dlnuf.support.models import (
    KnowledgeEntry,
    Mission,
    MissionState,
    Priority,
    RequestState,
    SupportRequest,
    SupportTransition,
)
from dlnuf.support.transitions import (
    MISSION_TRANSITIONS,
    REQUEST_TRANSITIONS,
    available_actions,
    refusal_reason,
)
from tests.support.factories import (
    AdministratorUserFactory,
    ExpertUserFactory,
    MissionFactory,
    SupportRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

RequestAction = Callable[[SupportRequest, User, str], Any]

REQUEST_ACTIONS: dict[str, RequestAction] = {
    "qualify": lambda request, actor, comment: services.support_request_qualify(
        request=request, actor=actor, priority=Priority.HIGH, comment=comment
    ),
    "redirect": lambda request, actor, comment: services.support_request_redirect(
        request=request, actor=actor, explanation=comment
    ),
    "open_mission": lambda request, actor, comment: services.mission_open(
        request=request, actor=actor, title="Accompagnement", lead_expert=actor
    ),
    "close": lambda request, actor, comment: services.support_request_close(
        request=request, actor=actor, comment=comment
    ),
    "reopen": lambda request, actor, comment: services.support_request_reopen(
        request=request, actor=actor, comment=comment
    ),
}
REQUEST_CASES = [
    (action, state, state in REQUEST_TRANSITIONS[action].sources)
    for action in REQUEST_ACTIONS
    for state in RequestState.values
]
MISSION_CASES = [
    (action, state, state in row.sources)
    for action, row in MISSION_TRANSITIONS.items()
    if row.sources
    for state in MissionState.values
]


@pytest.fixture
def expert() -> User:
    return ExpertUserFactory()


def test_every_row_of_the_request_table_has_a_service_here() -> None:
    assert set(REQUEST_ACTIONS) == {
        action for action, row in REQUEST_TRANSITIONS.items() if row.sources
    }


@pytest.mark.parametrize(("action", "state", "allowed"), REQUEST_CASES)
def test_request_action_from_each_state(
    expert: User, action: str, state: str, allowed: bool
) -> None:
    request = SupportRequestFactory(state=state)
    before = set(SupportTransition.objects.values_list("pk", flat=True))
    row = REQUEST_TRANSITIONS[action]

    if not allowed:
        with pytest.raises(services.TransitionRefused) as refused:
            REQUEST_ACTIONS[action](request, expert, "Parce que.")
        label = RequestState(state).label
        assert refused.value.message == (
            f"L'action « {row.label} » n'est pas possible dans l'état « {label} »."
        )
        assert not SupportTransition.objects.exclude(pk__in=before).exists()
        request.refresh_from_db()
        assert request.state == state
        return

    REQUEST_ACTIONS[action](request, expert, "Parce que.")
    request.refresh_from_db()
    assert request.state == row.target
    logged = SupportTransition.objects.exclude(pk__in=before).filter(mission__isnull=True)
    assert list(logged.values_list("action", "from_state", "to_state", "actor")) == [
        (action, state, row.target, expert.pk)
    ]


@pytest.mark.parametrize("action", ["redirect", "reopen"])
def test_request_actions_that_need_an_explanation(expert: User, action: str) -> None:
    source = next(iter(REQUEST_TRANSITIONS[action].sources))
    request = SupportRequestFactory(state=source)
    assert REQUEST_TRANSITIONS[action].comment_required

    with pytest.raises(services.TransitionRefused) as refused:
        REQUEST_ACTIONS[action](request, expert, "   ")

    label = REQUEST_TRANSITIONS[action].label
    assert refused.value.message == f"Action « {label} » : une explication est nécessaire."
    request.refresh_from_db()
    assert request.state == source


def test_redirecting_answers_the_requester_once_committed(
    expert: User, django_capture_on_commit_callbacks: Any
) -> None:
    request = SupportRequestFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.support_request_redirect(
            request=request, actor=expert, explanation="Adressez-vous à la préfecture."
        )
    request.refresh_from_db()
    assert request.first_answered_at is not None
    assert request.redirect_explanation == "Adressez-vous à la préfecture."
    assert [message.to for message in mail.outbox] == [[request.requester_email]]
    assert "Adressez-vous à la préfecture." in mail.outbox[0].body


def test_opening_a_mission_logs_the_proposal_on_the_mission(expert: User) -> None:
    request = SupportRequestFactory(state=RequestState.QUALIFIED)
    mission = services.mission_open(
        request=request, actor=expert, title="Cadrage", lead_expert=expert
    )
    rows = SupportTransition.objects.filter(mission=mission)
    assert list(rows.values_list("action", "from_state", "to_state", "actor")) == [
        ("propose", "", MissionState.PROPOSED, expert.pk)
    ]
    assert mission.framing_items.count() == 8


def test_a_request_in_mission_closes_only_with_its_mission(expert: User) -> None:
    mission = MissionFactory(lead_expert=expert)
    with pytest.raises(services.TransitionRefused) as refused:
        services.support_request_close(request=mission.request, actor=expert)
    assert refused.value.message == "La mission de cette demande est encore ouverte."


# --- missions ----------------------------------------------------------------------------------


def _mission_in(state: str, expert: User) -> Mission:
    mission = MissionFactory(lead_expert=expert)
    Mission.objects.filter(pk=mission.pk).update(
        state=state,
        agreement_note="La DINUM accompagne la ville jusqu'à la mise en production.",
        agreed_until=timezone.localdate() + timedelta(days=90),
        closing_summary="Le quotient familial est obtenu par API.",
    )
    mission.refresh_from_db()
    return mission


@pytest.mark.parametrize(("action", "state", "allowed"), MISSION_CASES)
def test_mission_action_from_each_state(
    expert: User, action: str, state: str, allowed: bool
) -> None:
    mission = _mission_in(state, expert)
    row = MISSION_TRANSITIONS[action]
    before = set(SupportTransition.objects.values_list("pk", flat=True))

    if not allowed:
        with pytest.raises(services.TransitionRefused) as refused:
            services.mission_transition(
                mission=mission, action=action, actor=expert, comment="Parce que."
            )
        label = MissionState(state).label
        assert refused.value.message == (
            f"L'action « {row.label} » n'est pas possible dans l'état « {label} »."
        )
        assert not SupportTransition.objects.exclude(pk__in=before).exists()
        return

    services.mission_transition(mission=mission, action=action, actor=expert, comment="Parce que.")
    mission.refresh_from_db()
    assert mission.state == row.target
    logged = SupportTransition.objects.exclude(pk__in=before).filter(mission=mission)
    assert list(logged.values_list("action", "from_state", "to_state", "actor", "comment")) == [
        (action, state, row.target, expert.pk, "Parce que.")
    ]


@pytest.mark.parametrize("action", ["suspend", "cancel"])
def test_mission_actions_that_need_an_explanation(expert: User, action: str) -> None:
    mission = _mission_in(MissionState.IN_PROGRESS, expert)
    with pytest.raises(services.TransitionRefused) as refused:
        services.mission_transition(mission=mission, action=action, actor=expert, comment="")
    label = MISSION_TRANSITIONS[action].label
    assert refused.value.message == f"Action « {label} » : une explication est nécessaire."


@pytest.mark.parametrize(
    ("note", "until"),
    [("", timezone.localdate()), ("La DINUM accompagne la ville.", None), ("  ", None)],
)
def test_agreeing_needs_the_note_and_its_end_date(expert: User, note: str, until: Any) -> None:
    mission = MissionFactory(lead_expert=expert)
    Mission.objects.filter(pk=mission.pk).update(agreement_note=note, agreed_until=until)
    mission.refresh_from_db()

    with pytest.raises(services.TransitionRefused) as refused:
        services.mission_transition(mission=mission, action="agree", actor=expert)

    assert "La note d'accord (qui, quoi, jusqu'à quand)" in refused.value.message
    assert "agree" not in {row.action for row in available_actions(MISSION_TRANSITIONS, mission)}
    mission.refresh_from_db()
    assert mission.state == MissionState.PROPOSED


def test_closing_needs_the_summary(expert: User) -> None:
    mission = _mission_in(MissionState.IN_PROGRESS, expert)
    Mission.objects.filter(pk=mission.pk).update(closing_summary="")
    mission.refresh_from_db()

    with pytest.raises(services.TransitionRefused) as refused:
        services.mission_transition(mission=mission, action="close", actor=expert)

    assert refused.value.message == "Rédigez le bilan de la mission avant de la clore."
    assert refusal_reason(MISSION_TRANSITIONS, "close", mission) == refused.value.message


def test_closing_a_mission_closes_its_request_feeds_the_knowledge_base_and_asks_for_an_opinion(
    expert: User, django_capture_on_commit_callbacks: Any
) -> None:
    mission = _mission_in(MissionState.IN_PROGRESS, expert)
    request = mission.request

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.mission_transition(mission=mission, action="close", actor=expert)
    assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()

    mission.refresh_from_db()
    request.refresh_from_db()
    assert mission.closed_at is not None
    assert mission.satisfaction_requested_at is not None
    assert request.state == RequestState.CLOSED
    assert request.closed_at is not None
    closing = request.transitions.get(action="close", mission__isnull=True)
    assert (closing.from_state, closing.to_state, closing.actor) == (
        RequestState.IN_MISSION,
        RequestState.CLOSED,
        expert,
    )
    entry = KnowledgeEntry.objects.get(mission=mission)
    assert entry.title == mission.title
    assert entry.solution == "Le quotient familial est obtenu par API."
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [request.requester_email]
    assert "Mission close : votre avis" in mail.outbox[0].subject
    assert "Le quotient familial est obtenu par API." in mail.outbox[0].body


def test_cancelling_a_mission_closes_the_request_without_asking_for_an_opinion(
    expert: User, django_capture_on_commit_callbacks: Any
) -> None:
    mission = _mission_in(MissionState.AGREED, expert)
    with django_capture_on_commit_callbacks(execute=True):
        services.mission_transition(
            mission=mission, action="cancel", actor=expert, comment="Projet arrêté."
        )
    mission.refresh_from_db()
    assert mission.request.state == RequestState.CLOSED
    assert mission.satisfaction_requested_at is None
    assert not KnowledgeEntry.objects.filter(mission=mission).exists()
    assert mail.outbox == []


# --- who may act -------------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(REQUEST_ACTIONS))
def test_only_experts_act_on_requests(action: str) -> None:
    source = next(iter(REQUEST_TRANSITIONS[action].sources))
    request = SupportRequestFactory(state=source)
    with pytest.raises(services.ActionForbidden):
        REQUEST_ACTIONS[action](request, UserFactory(), "Parce que.")
    request.refresh_from_db()
    assert request.state == source


@pytest.mark.parametrize(
    "action", [action for action, row in MISSION_TRANSITIONS.items() if row.sources]
)
def test_only_experts_act_on_missions(action: str) -> None:
    expert = ExpertUserFactory()
    source = next(iter(MISSION_TRANSITIONS[action].sources))
    mission = _mission_in(source, expert)
    with pytest.raises(services.ActionForbidden):
        services.mission_transition(
            mission=mission, action=action, actor=UserFactory(), comment="Parce que."
        )
    mission.refresh_from_db()
    assert mission.state == source


def test_administrators_act_like_experts() -> None:
    admin = AdministratorUserFactory()
    request = SupportRequestFactory()
    services.support_request_qualify(request=request, actor=admin, priority=Priority.LOW)
    request.refresh_from_db()
    assert (request.state, request.priority) == (RequestState.QUALIFIED, Priority.LOW)
