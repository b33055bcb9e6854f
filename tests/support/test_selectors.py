"""Reads of the desk: deadlines in working days, the board's filters and order, counters, experts'
load and the suggested team, a request's merged history, missions' totals, unreadable mail."""

import hashlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from dlnuf.support.models import (
    Decision,
    FramingStatus,
    HelpKind,
    InboundMail,
    MailStatus,
    Meeting,
    Ministry,
    MissionState,
    Priority,
    RequestState,
    Skill,
    TimeEntry,
)
from dlnuf.support.selectors import (
    BoardFilters,
    board_counters,
    board_requests,
    experts_with_load,
    failed_inbound_mails,
    first_answer_deadline,
    missions_for_desk,
    needed_skills,
    request_history,
    suggested_team,
    working_days_between,
)
from dlnuf.support.services import mission_transition
from tests.support.factories import (
    AdministratorUserFactory,
    ExpertFactory,
    ExpertUserFactory,
    FailedInboundMailFactory,
    MissionFactory,
    SupportRequestFactory,
    UserFactory,
    busy_desk,
)

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
# A Wednesday.
AT = datetime(2026, 3, 11, 10, 0, tzinfo=PARIS)


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=PARIS)


# --- deadlines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2026, 3, 6), date(2026, 3, 6), 0),
        (date(2026, 3, 6), date(2026, 3, 7), 0),  # Friday → Saturday
        (date(2026, 3, 6), date(2026, 3, 9), 1),  # Friday → Monday
        (date(2026, 3, 2), date(2026, 3, 13), 9),
        (date(2026, 3, 9), date(2026, 3, 6), 0),
    ],
)
def test_working_days_between(start: date, end: date, days: int) -> None:
    assert working_days_between(start, end) == days


@pytest.mark.parametrize(
    ("at", "status", "late"),
    [
        (_at(5), "upcoming", 0),
        (_at(6, 8), "today", 0),
        (_at(6, 23), "today", 0),  # promised "au plus tard le 06/03": still due that day
        (_at(7), "overdue", 1),  # a Saturday after a Friday deadline is late all the same
        (_at(9), "overdue", 1),
        (_at(11), "overdue", 3),
        (_at(16), "overdue", 6),
    ],
)
def test_deadline_of_a_request_due_on_a_friday(at: datetime, status: str, late: int) -> None:
    request = SupportRequestFactory(created_at=_at(3), first_answer_due=_at(6, 9))
    deadline = first_answer_deadline(request, at)
    assert (deadline.status, deadline.working_days_late, deadline.due) == (
        status,
        late,
        date(2026, 3, 6),
    )
    assert deadline.is_overdue == (status == "overdue")


def test_an_answered_or_finished_request_is_never_late() -> None:
    answered = SupportRequestFactory(first_answer_due=_at(2), first_answered_at=_at(3))
    redirected = SupportRequestFactory(first_answer_due=_at(2), state=RequestState.REDIRECTED)
    assert first_answer_deadline(answered, AT).status == "answered"
    assert first_answer_deadline(redirected, AT).status == "answered"


# --- the board ---------------------------------------------------------------------------------


@pytest.fixture
def board() -> dict[str, Any]:
    expert = ExpertUserFactory()
    return {
        "expert": expert,
        "late_low": SupportRequestFactory(
            subject="late low", priority=Priority.LOW, first_answer_due=_at(5)
        ),
        "late_high": SupportRequestFactory(
            subject="late high",
            priority=Priority.HIGH,
            first_answer_due=_at(9),
            ministry=Ministry.JUSTICE,
            help_kinds=[HelpKind.BLOCKING_POINT.value],
        ),
        "high": SupportRequestFactory(
            subject="high", priority=Priority.HIGH, first_answer_due=_at(13), lead_expert=expert
        ),
        "normal_later": SupportRequestFactory(
            subject="normal later", first_answer_due=_at(12), state=RequestState.QUALIFIED
        ),
        "normal_today": SupportRequestFactory(subject="normal today", first_answer_due=_at(11, 9)),
        "answered": SupportRequestFactory(
            subject="answered",
            first_answer_due=_at(6),
            first_answered_at=_at(5),
            state=RequestState.IN_MISSION,
            lead_expert=expert,
        ),
        "closed": SupportRequestFactory(
            subject="closed", first_answer_due=_at(2), state=RequestState.CLOSED
        ),
    }


def _subjects(filters: BoardFilters) -> list[str]:
    return [row.request.subject for row in board_requests(filters, AT)]


def test_the_board_shows_open_requests_late_first_then_by_priority_then_deadline(
    board: dict[str, Any],
) -> None:
    rows = board_requests(BoardFilters(), AT)
    assert [row.request.subject for row in rows] == [
        "late high",
        "late low",
        "high",
        "answered",
        "normal today",
        "normal later",
    ]
    assert [row.deadline.status for row in rows] == [
        "overdue",
        "overdue",
        "upcoming",
        "answered",
        "today",
        "upcoming",
    ]
    assert rows[1].deadline.working_days_late == 4


@pytest.mark.parametrize(
    ("filters", "subjects"),
    [
        (BoardFilters(overdue_only=True), ["late high", "late low"]),
        (BoardFilters(priority=Priority.HIGH), ["late high", "high"]),
        (BoardFilters(help_kind=HelpKind.BLOCKING_POINT), ["late high"]),
        (BoardFilters(ministry=Ministry.JUSTICE), ["late high"]),
        (BoardFilters(states=(RequestState.CLOSED,)), ["closed"]),
        (BoardFilters(states=(RequestState.QUALIFIED,)), ["normal later"]),
        (
            BoardFilters(without_lead=True, priority=Priority.NORMAL),
            ["normal today", "normal later"],
        ),
    ],
)
def test_board_filters(board: dict[str, Any], filters: BoardFilters, subjects: list[str]) -> None:
    assert _subjects(filters) == subjects


def test_board_filters_by_lead_expert_and_over_every_state(board: dict[str, Any]) -> None:
    expert = board["expert"]
    assert _subjects(BoardFilters(lead_expert_id=expert.pk)) == ["high", "answered"]
    assert len(_subjects(BoardFilters(states=()))) == 7


def test_board_counters(board: dict[str, Any]) -> None:
    MissionFactory()
    FailedInboundMailFactory()
    InboundMail.objects.create(
        raw=b"x", sha256="0" * 64, source="imap", status=MailStatus.PROCESSED
    )
    counters = board_counters(AT)
    # Factory requests: four new ones on the board, plus the mission's (now in mission).
    assert (counters.new, counters.overdue, counters.open_missions, counters.failed_mails) == (
        4,
        2,
        1,
        1,
    )


# --- experts' load and the suggested team ------------------------------------------------------


def test_load_counts_open_missions_led_or_joined_and_open_requests_without_mission() -> None:
    lead = ExpertFactory(capacity=2).user
    MissionFactory(lead_expert=lead)  # its request is led by the same expert: counted once
    MissionFactory(team=[lead])
    finished = MissionFactory(lead_expert=lead)
    mission_transition(mission=finished, action="cancel", actor=lead, comment="Arrêt.")
    SupportRequestFactory(state=RequestState.QUALIFIED, lead_expert=lead)
    SupportRequestFactory(state=RequestState.CLOSED, lead_expert=lead)
    admin = AdministratorUserFactory()
    outsider = UserFactory()

    loads = {load.user: load for load in experts_with_load()}

    assert outsider not in loads
    mine = loads[lead]
    assert (mine.missions, mine.requests, mine.load, mine.capacity) == (2, 1, 3, 2)
    assert mine.over_capacity
    assert mine.at_capacity
    assert mine.spare == -1
    theirs = loads[admin]
    assert theirs.is_administrator
    assert theirs.profile is None
    assert (theirs.load, theirs.capacity, theirs.is_available) == (0, 4, True)


def test_needed_skills_follow_the_kinds_of_help() -> None:
    assert needed_skills([HelpKind.EXPERIENCE]) == [
        Skill.ARCHITECTURE,
        Skill.DATA_API,
        Skill.PROJECT_MANAGEMENT,
    ]
    assert set(needed_skills([HelpKind.FRAMING, HelpKind.BLOCKING_POINT])) == {
        Skill.ARCHITECTURE,
        Skill.LEGAL,
        Skill.DATA_API,
        Skill.ACCESSIBILITY,
        Skill.CODE_QUALITY,
        Skill.COSTING,
        Skill.PROJECT_MANAGEMENT,
        Skill.VALUE,
        Skill.SECURITY,
    }
    assert needed_skills([]) == []


def test_suggested_team_ranks_by_room_left_then_matching_skills_then_spare_capacity() -> None:
    def expert(name: str, skills: list[str], capacity: int = 4, *, available: bool = True):
        profile = ExpertFactory(
            user=ExpertUserFactory(last_name=name),
            skills=skills,
            capacity=capacity,
            is_available=available,
        )
        return profile.user

    two_matches = expert("Deux", [Skill.LEGAL, Skill.COSTING])
    one_match = expert("Une", [Skill.ARCHITECTURE, Skill.SECURITY])
    one_match_busier = expert("Une-occupée", [Skill.ARCHITECTURE])
    no_match = expert("Aucune", [Skill.ACCESSIBILITY])
    full = expert("Pleine", [Skill.LEGAL, Skill.COSTING, Skill.VALUE], capacity=1)
    away = expert("Absente", [Skill.PROJECT_MANAGEMENT, Skill.LEGAL], available=False)
    for lead in (one_match_busier, one_match_busier, full):
        SupportRequestFactory(state=RequestState.QUALIFIED, lead_expert=lead)
    request = SupportRequestFactory(help_kinds=[HelpKind.FRAMING.value])

    ranking = suggested_team(request)

    assert [suggestion.expert.user for suggestion in ranking] == [
        two_matches,
        one_match,
        one_match_busier,
        no_match,
        full,
        away,
    ]
    assert ranking[0].matched_skills == (Skill.LEGAL, Skill.COSTING)
    assert ranking[1].matched_labels() == ["Architecture"]
    assert not ranking[3].matches


# --- a request's history -----------------------------------------------------------------------


def test_history_merges_every_row_of_the_desk_in_time_order(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    expert = ExpertUserFactory()
    desk = busy_desk(expert=expert)
    history = request_history(desk.mission.request)

    kinds = {row.kind for row in history}
    assert kinds == {"transition", "message", "meeting", "decision", "time", "cost", "deliverable"}
    assert [row.at for row in history] == sorted(row.at for row in history)
    titles = [row.title for row in history]
    assert titles[:2] == ["Demande reçue", "Message du demandeur"]
    assert "Mission proposée" in titles
    assert "Livrable ajouté : Périmètre" in titles
    assert "Coût de prestataire : 1\xa0250,50 € (Cabinet Conseil)" in titles
    assert any(title.startswith("Temps passé : 2,5 h le ") for title in titles)
    qualified = next(row for row in history if row.title == "Demande qualifiée")
    assert (qualified.from_state, qualified.to_state) == ("Nouvelle", "Qualifiée")
    update = next(row for row in history if row.title == "Point du cadrage mis à jour")
    assert (update.from_state, update.to_state, update.actor) == ("", "", str(expert))


def test_history_orders_rows_of_different_kinds_by_their_moment() -> None:
    expert = ExpertUserFactory()
    mission = MissionFactory(lead_expert=expert)
    later = timezone.now() + timedelta(hours=2)
    Decision.objects.create(
        mission=mission,
        decided_on=date(2026, 3, 1),
        text="D",
        recorded_by=expert,
        recorded_at=later,
    )
    Meeting.objects.create(
        mission=mission,
        held_on=date(2026, 3, 1),
        title="M",
        recorded_by=expert,
        recorded_at=later - timedelta(hours=1),
    )
    TimeEntry.objects.create(
        mission=mission,
        expert=expert,
        worked_on=date(2026, 3, 1),
        hours=Decimal("1"),
        recorded_at=later + timedelta(hours=1),
    )
    kinds = [row.kind for row in request_history(mission.request)]
    assert kinds[-3:] == ["meeting", "decision", "time"]


# --- missions ----------------------------------------------------------------------------------


def test_missions_carry_their_hours_and_checklist_progress_without_double_counting() -> None:
    expert = ExpertUserFactory()
    mission = MissionFactory(lead_expert=expert)
    other = MissionFactory()
    for hours in ("1", "2", "0.5"):
        TimeEntry.objects.create(
            mission=mission, expert=expert, worked_on=date(2026, 3, 2), hours=Decimal(hours)
        )
    items = list(mission.framing_items.order_by("pk"))
    for item, status in zip(
        items,
        [
            FramingStatus.DONE,
            FramingStatus.DONE,
            FramingStatus.NOT_APPLICABLE,
            FramingStatus.IN_PROGRESS,
        ],
        strict=False,
    ):
        item.status = status
        item.save()

    listed = {row.pk: row for row in missions_for_desk()}
    assert (listed[mission.pk].hours_total, listed[mission.pk].framing_done) == (Decimal("3.5"), 3)
    assert (listed[other.pk].hours_total, listed[other.pk].framing_done) == (0, 0)
    assert [row.pk for row in missions_for_desk(lead_expert_id=expert.pk)] == [mission.pk]
    mission_transition(mission=other, action="cancel", actor=expert, comment="Arrêt.")
    assert [row.pk for row in missions_for_desk(state=MissionState.CANCELLED)] == [other.pk]


# --- unreadable mail ---------------------------------------------------------------------------


def test_failed_mail_shows_decoded_headers_only() -> None:
    raw = (
        b"From: =?utf-8?q?Ren=C3=A9e?= <renee@exemple.fr>\r\n"
        b"Subject: =?utf-8?q?Demande_d=27aide_=C3=A9t=C3=A9?=\r\n"
        b"Content-Type: text/html\r\n\r\n<script>alert(1)</script>\r\n"
    )
    InboundMail.objects.create(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        source="imap",
        status=MailStatus.FAILED,
        error="Aucune adresse d'expéditeur.",
    )
    InboundMail.objects.create(
        raw=b"ok", sha256="1" * 64, source="imap", status=MailStatus.PROCESSED
    )

    [failed] = failed_inbound_mails()

    assert failed.size == len(raw)
    assert dict(failed.headers) == {
        "From": "Renée <renee@exemple.fr>",
        "Subject": "Demande d'aide été",
    }
    assert all("script" not in value for _, value in failed.headers)
