"""Reads of the experts' desk: the triage board, a request's history, missions, experts' load.

Deadlines are counted in days, not hours: the requester is promised an answer "au plus tard le"
a date, so a request is late from the day after that date, and its lateness is told in working
days (Monday to Friday) so that a weekend does not make a request look worse than it is.
"""

import email
import email.errors
import email.policy
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from email.header import decode_header, make_header
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from dlnuf.organisations.models import Role, User
from dlnuf.support.models import (
    ConsultantCost,
    Decision,
    Expert,
    FramingItem,
    FramingStatus,
    FramingTopic,
    HelpKind,
    InboundMail,
    MailStatus,
    Meeting,
    MessageKind,
    Mission,
    MissionState,
    Priority,
    RequestState,
    Skill,
    SupportAttachment,
    SupportMessage,
    SupportRequest,
    SupportTransition,
    TimeEntry,
)
from dlnuf.support.transitions import MISSION_TRANSITIONS, REQUEST_TRANSITIONS

OPEN_REQUEST_STATES = (RequestState.NEW, RequestState.QUALIFIED, RequestState.IN_MISSION)
OPEN_MISSION_STATES = (
    MissionState.PROPOSED,
    MissionState.AGREED,
    MissionState.IN_PROGRESS,
    MissionState.SUSPENDED,
)
# Checklist topics that need no more work: done, or judged not relevant to the project.
FINISHED_FRAMING = (FramingStatus.DONE, FramingStatus.NOT_APPLICABLE)
# The capacity of an expert who has no profile yet (the model's default).
DEFAULT_CAPACITY = 4

# The skills each kind of help calls for. Framing follows the checklist's topics (scope and
# team → project management; budget → costing; value → MAREVA 2; architecture; legal).
# Sharing experience is about data, APIs and how other projects were run. A blocking point can
# be technical (architecture, code, accessibility, security), legal, or about a provider's API.
HELP_KIND_SKILLS: dict[str, tuple[str, ...]] = {
    HelpKind.FRAMING: (
        Skill.PROJECT_MANAGEMENT,
        Skill.COSTING,
        Skill.VALUE,
        Skill.ARCHITECTURE,
        Skill.LEGAL,
    ),
    HelpKind.EXPERIENCE: (Skill.DATA_API, Skill.ARCHITECTURE, Skill.PROJECT_MANAGEMENT),
    HelpKind.BLOCKING_POINT: (
        Skill.ARCHITECTURE,
        Skill.CODE_QUALITY,
        Skill.ACCESSIBILITY,
        Skill.SECURITY,
        Skill.LEGAL,
        Skill.DATA_API,
    ),
}

_PRIORITY_RANK = {Priority.HIGH: 0, Priority.NORMAL: 1, Priority.LOW: 2}


# --- deadlines ---------------------------------------------------------------------------------


def working_days_between(start: date, end: date) -> int:
    """Days from Monday to Friday after ``start`` up to and including ``end`` (0 if none)."""
    days = 0
    moment = start
    while moment < end:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days += 1
    return days


@dataclass(frozen=True)
class Deadline:
    """Where a request stands against its first-answer deadline."""

    due: date
    status: str  # "answered", "overdue", "today" or "upcoming"
    working_days_late: int = 0

    @property
    def is_overdue(self) -> bool:
        return self.status == "overdue"


def first_answer_deadline(request: SupportRequest, at: datetime | None = None) -> Deadline:
    today = timezone.localtime(at or timezone.now()).date()
    due = timezone.localtime(request.first_answer_due).date()
    if request.first_answered_at is not None or request.state not in OPEN_REQUEST_STATES:
        return Deadline(due=due, status="answered")
    if due < today:
        # Late on a Saturday after a Friday deadline is still late: at least one day.
        return Deadline(
            due=due, status="overdue", working_days_late=max(1, working_days_between(due, today))
        )
    if due == today:
        return Deadline(due=due, status="today")
    return Deadline(due=due, status="upcoming")


def _start_of_day(at: datetime | None) -> datetime:
    today = timezone.localtime(at or timezone.now()).date()
    return timezone.make_aware(datetime.combine(today, time.min))


def _overdue_q(at: datetime | None) -> Q:
    return Q(
        state__in=OPEN_REQUEST_STATES,
        first_answered_at__isnull=True,
        first_answer_due__lt=_start_of_day(at),
    )


# --- the board ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFilters:
    """What the board shows; empty values mean "any"."""

    states: tuple[str, ...] = tuple(OPEN_REQUEST_STATES)
    priority: str = ""
    help_kind: str = ""
    ministry: str = ""
    lead_expert_id: int | None = None
    without_lead: bool = False
    overdue_only: bool = False


@dataclass(frozen=True)
class BoardRow:
    request: SupportRequest
    deadline: Deadline


def board_requests(filters: BoardFilters, at: datetime | None = None) -> list[BoardRow]:
    """The requests to handle: late ones first, then by priority, then by deadline."""
    requests = SupportRequest.objects.select_related("organisation", "lead_expert").annotate(
        late=Case(
            When(_overdue_q(at), then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
        priority_rank=Case(
            *(When(priority=value, then=Value(rank)) for value, rank in _PRIORITY_RANK.items()),
            default=Value(len(_PRIORITY_RANK)),
            output_field=IntegerField(),
        ),
    )
    if filters.states:
        requests = requests.filter(state__in=filters.states)
    if filters.priority:
        requests = requests.filter(priority=filters.priority)
    if filters.ministry:
        requests = requests.filter(ministry=filters.ministry)
    if filters.without_lead:
        requests = requests.filter(lead_expert__isnull=True)
    elif filters.lead_expert_id is not None:
        requests = requests.filter(lead_expert_id=filters.lead_expert_id)
    if filters.overdue_only:
        requests = requests.filter(_overdue_q(at))
    rows = [
        BoardRow(request=request, deadline=first_answer_deadline(request, at))
        for request in requests.order_by("late", "priority_rank", "first_answer_due", "pk")
    ]
    if filters.help_kind:
        # A JSON list: filtered here, the same way on SQLite and PostgreSQL.
        rows = [row for row in rows if filters.help_kind in row.request.help_kinds]
    return rows


@dataclass(frozen=True)
class BoardCounters:
    new: int
    overdue: int
    open_missions: int
    failed_mails: int


def board_counters(at: datetime | None = None) -> BoardCounters:
    return BoardCounters(
        new=SupportRequest.objects.filter(state=RequestState.NEW).count(),
        overdue=SupportRequest.objects.filter(_overdue_q(at)).count(),
        open_missions=Mission.objects.filter(state__in=OPEN_MISSION_STATES).count(),
        failed_mails=InboundMail.objects.filter(status=MailStatus.FAILED).count(),
    )


# --- inbound mail that could not be read --------------------------------------------------------


@dataclass(frozen=True)
class FailedMail:
    mail: InboundMail
    size: int
    headers: list[tuple[str, str]]


SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID")


def _header_text(value: Any) -> str:
    try:
        return str(make_header(decode_header(str(value))))
    except (UnicodeError, LookupError, ValueError, email.errors.HeaderParseError):
        return str(value)


def failed_inbound_mails() -> list[FailedMail]:
    """Messages the intake could not read, with the few headers that say where they came from.

    Only headers are read, as plain text: the body comes from outside and is never shown.
    """
    shown = []
    for mail in InboundMail.objects.filter(status=MailStatus.FAILED).order_by("-received_at"):
        raw = bytes(mail.raw)
        parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
        headers = [
            (name, _header_text(parsed[name])[:500]) for name in SHOWN_HEADERS if parsed[name]
        ]
        shown.append(FailedMail(mail=mail, size=len(raw), headers=headers))
    return shown


# --- a request's page --------------------------------------------------------------------------


def request_for_desk(pk: int) -> SupportRequest | None:
    return (
        SupportRequest.objects.select_related("organisation", "lead_expert")
        .prefetch_related("team")
        .filter(pk=pk)
        .first()
    )


def request_thread(request: SupportRequest) -> list[SupportMessage]:
    """The messages of a request, oldest first, each with its attachments."""
    return list(
        request.messages.select_related("author")
        .prefetch_related("attachments")
        .order_by("sent_at", "pk")
    )


def request_files(request: SupportRequest) -> list[SupportAttachment]:
    """Files sent with the request itself or its messages (not the mission's deliverables)."""
    return list(request.attachments.filter(framing_topic="").order_by("added_at", "pk"))


# Actions logged without a row in the transition tables.
_OTHER_ACTIONS = {
    "assign": "Équipe et priorité choisies",
    "satisfaction": "Satisfaction du demandeur recueillie",
    "mission_update": "Mission modifiée",
    "framing_update": "Point du cadrage mis à jour",
}
_MESSAGE_TITLES = {
    MessageKind.FROM_REQUESTER: "Message du demandeur",
    MessageKind.TO_REQUESTER: "Réponse envoyée au demandeur",
    MessageKind.NOTE: "Note interne",
}


@dataclass(frozen=True)
class HistoryRow:
    """One line of a request's history, whatever row of the desk it comes from."""

    kind: str  # transition, message, meeting, decision, time, cost, deliverable
    at: datetime
    title: str
    actor: str
    detail: str = ""
    from_state: str = ""
    to_state: str = ""
    attachment: SupportAttachment | None = None


def _actor(user: User | None, fallback: str) -> str:
    return str(user) if user is not None else fallback


def _state_label(state: str, *, mission: bool) -> str:
    choices = MissionState if mission else RequestState
    return str(choices(state).label) if state in choices.values else state


def _transition_row(row: SupportTransition) -> HistoryRow:
    is_mission = row.mission_id is not None
    table = MISSION_TRANSITIONS if is_mission else REQUEST_TRANSITIONS
    title = table[row.action].past if row.action in table else _OTHER_ACTIONS.get(row.action)
    changed = row.from_state != row.to_state
    return HistoryRow(
        kind="transition",
        at=row.occurred_at,
        title=title or row.action,
        actor=_actor(row.actor, "Demandeur ou système"),
        detail=row.comment,
        from_state=_state_label(row.from_state, mission=is_mission) if changed else "",
        to_state=_state_label(row.to_state, mission=is_mission) if changed else "",
    )


def request_history(request: SupportRequest) -> list[HistoryRow]:
    """Everything that happened to the request and its mission, oldest first.

    The history is made of the desk's append-only rows: state changes, messages and notes,
    meetings, decisions, time entries, consultant costs and deliverables.
    """
    rows = [
        _transition_row(row)
        for row in request.transitions.select_related("actor").order_by("occurred_at", "pk")
    ]
    for message in request.messages.select_related("author").order_by("sent_at", "pk"):
        rows.append(
            HistoryRow(
                kind="message",
                at=message.sent_at,
                title=_MESSAGE_TITLES[MessageKind(message.kind)],
                actor=_actor(message.author, message.author_email or "Système"),
                detail=message.body,
            )
        )
    mission = Mission.objects.filter(request=request).first()
    if mission is not None:
        rows.extend(_mission_rows(mission))
    rows.extend(
        HistoryRow(
            kind="deliverable",
            at=attachment.added_at,
            title=f"Livrable ajouté : {FramingTopic(attachment.framing_topic).label}",
            actor=_actor(attachment.uploaded_by, "Système"),
            detail=attachment.original_name,
            attachment=attachment,
        )
        for attachment in request.attachments.exclude(framing_topic="")
        .select_related("uploaded_by")
        .order_by("added_at", "pk")
    )
    # Stable: rows of one kind keep their order when two share a moment.
    return sorted(rows, key=lambda row: row.at)


def _mission_rows(mission: Mission) -> Iterable[HistoryRow]:
    for meeting in mission.meetings.select_related("recorded_by"):
        yield HistoryRow(
            kind="meeting",
            at=meeting.recorded_at,
            title=f"Réunion du {meeting.held_on:%d/%m/%Y} consignée : {meeting.title}",
            actor=str(meeting.recorded_by),
            detail=meeting.notes,
        )
    for decision in mission.decisions.select_related("recorded_by"):
        yield HistoryRow(
            kind="decision",
            at=decision.recorded_at,
            title=f"Décision du {decision.decided_on:%d/%m/%Y}",
            actor=str(decision.recorded_by),
            detail=decision.text,
        )
    for entry in mission.time_entries.select_related("expert"):
        yield HistoryRow(
            kind="time",
            at=entry.recorded_at,
            title=f"Temps passé : {_hours(entry.hours)} h le {entry.worked_on:%d/%m/%Y}",
            actor=str(entry.expert),
            detail=entry.note,
        )
    for cost in mission.consultant_costs.select_related("recorded_by"):
        yield HistoryRow(
            kind="cost",
            at=cost.recorded_at,
            title=f"Coût de prestataire : {_euros(cost.amount_eur)} ({cost.supplier})",
            actor=str(cost.recorded_by),
            detail=cost.description,
        )


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def _euros(value: Decimal) -> str:
    whole, _, cents = f"{value:.2f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", "\xa0")
    return f"{grouped},{cents} €"


# --- experts and their load --------------------------------------------------------------------


@dataclass(frozen=True)
class ExpertLoad:
    """An expert of the desk, their profile (or its defaults), and what they carry now."""

    user: User
    profile: Expert | None
    skills: tuple[str, ...]
    capacity: int
    is_available: bool
    is_administrator: bool
    missions: int  # open missions led or joined
    requests: int  # open requests led that have no open mission yet

    @property
    def load(self) -> int:
        return self.missions + self.requests

    @property
    def spare(self) -> int:
        return self.capacity - self.load

    @property
    def over_capacity(self) -> bool:
        return self.load > self.capacity

    @property
    def at_capacity(self) -> bool:
        return self.load >= self.capacity

    def skill_labels(self) -> list[str]:
        return [Skill(skill).label for skill in self.skills]


def desk_workers() -> QuerySet[User]:
    """People who work on the desk: guichet experts and administrators."""
    global_roles = Q(
        memberships__role__in=[Role.EXPERT, Role.ADMINISTRATOR],
        memberships__organisation__isnull=True,
        memberships__provider__isnull=True,
    )
    return (
        User.objects.filter(global_roles | Q(is_superuser=True), is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "email")
    )


def experts_with_load() -> list[ExpertLoad]:
    """Every person of the desk with skills, capacity, availability and current load.

    A request that has become a mission counts once, through its mission.
    """
    users = list(desk_workers())
    ids = [user.pk for user in users]
    profiles = {profile.user_id: profile for profile in Expert.objects.filter(user_id__in=ids)}
    administrators = set(
        User.objects.filter(
            Q(pk__in=ids)
            & (
                Q(is_superuser=True)
                | Q(
                    memberships__role=Role.ADMINISTRATOR,
                    memberships__organisation__isnull=True,
                    memberships__provider__isnull=True,
                )
            )
        ).values_list("pk", flat=True)
    )
    missions: dict[int, set[int]] = defaultdict(set)
    open_missions = Mission.objects.filter(state__in=OPEN_MISSION_STATES)
    for mission_id, lead_id in open_missions.values_list("pk", "lead_expert_id"):
        missions[lead_id].add(mission_id)
    for mission_id, member_id in Mission.team.through.objects.filter(
        mission__state__in=OPEN_MISSION_STATES
    ).values_list("mission_id", "user_id"):
        missions[member_id].add(mission_id)
    requests = dict(
        SupportRequest.objects.filter(
            state__in=[RequestState.NEW, RequestState.QUALIFIED], lead_expert_id__in=ids
        )
        .values("lead_expert_id")
        .annotate(total=Count("pk"))
        .values_list("lead_expert_id", "total")
    )
    loads = []
    for user in users:
        profile = profiles.get(user.pk)
        loads.append(
            ExpertLoad(
                user=user,
                profile=profile,
                skills=tuple(
                    skill for skill in (profile.skills if profile else []) if skill in Skill.values
                ),
                capacity=profile.capacity if profile else DEFAULT_CAPACITY,
                is_available=profile.is_available if profile else True,
                is_administrator=user.pk in administrators,
                missions=len(missions.get(user.pk, ())),
                requests=requests.get(user.pk, 0),
            )
        )
    return loads


def needed_skills(help_kinds: Sequence[str]) -> list[str]:
    """The skills the kinds of help call for, in the order of ``Skill``."""
    wanted = {skill for kind in help_kinds for skill in HELP_KIND_SKILLS.get(kind, ())}
    return [skill for skill in Skill.values if skill in wanted]


@dataclass(frozen=True)
class Suggestion:
    expert: ExpertLoad
    matched_skills: tuple[str, ...] = field(default=())

    @property
    def matches(self) -> bool:
        return bool(self.matched_skills)

    def matched_labels(self) -> list[str]:
        return [Skill(skill).label for skill in self.matched_skills]


def suggested_team(
    request: SupportRequest, experts: Sequence[ExpertLoad] | None = None
) -> list[Suggestion]:
    """Every expert, best suited first.

    Available experts with room left come first; among them, those whose skills cover more of
    what the kinds of help need, then those with more spare capacity. Experts who are full or
    unavailable follow, ranked the same way, so that the list still says who would fit.
    """
    help_kinds = request.mission.help_kinds if hasattr(request, "mission") else request.help_kinds
    needed = set(needed_skills(help_kinds or request.help_kinds))
    suggestions = [
        Suggestion(
            expert=expert,
            matched_skills=tuple(skill for skill in expert.skills if skill in needed),
        )
        for expert in (experts if experts is not None else experts_with_load())
    ]
    return sorted(
        suggestions,
        key=lambda suggestion: (
            not suggestion.expert.is_available,
            suggestion.expert.at_capacity,
            -len(suggestion.matched_skills),
            -suggestion.expert.spare,
            str(suggestion.expert.user).lower(),
        ),
    )


# --- missions ----------------------------------------------------------------------------------


def _hours_subquery() -> Subquery:
    return Subquery(
        TimeEntry.objects.filter(mission=OuterRef("pk"))
        .values("mission")
        .annotate(total=Sum("hours"))
        .values("total")[:1],
        output_field=DecimalField(max_digits=9, decimal_places=2),
    )


def _finished_items_subquery() -> Subquery:
    return Subquery(
        FramingItem.objects.filter(mission=OuterRef("pk"), status__in=FINISHED_FRAMING)
        .values("mission")
        .annotate(total=Count("pk"))
        .values("total")[:1],
        output_field=IntegerField(),
    )


def missions_for_desk(*, state: str = "", lead_expert_id: int | None = None) -> QuerySet[Mission]:
    """Missions with their total hours (``hours_total``) and finished checklist topics
    (``framing_done``), most recent first."""
    missions = (
        Mission.objects.select_related("request", "request__organisation", "lead_expert")
        .annotate(
            hours_total=Coalesce(
                _hours_subquery(), Value(Decimal("0")), output_field=DecimalField()
            ),
            framing_done=Coalesce(_finished_items_subquery(), Value(0)),
        )
        .order_by("-opened_at", "-pk")
    )
    if state:
        missions = missions.filter(state=state)
    if lead_expert_id is not None:
        missions = missions.filter(lead_expert_id=lead_expert_id)
    return missions


def mission_for_desk(pk: int) -> Mission | None:
    return (
        Mission.objects.select_related("request", "request__organisation", "lead_expert")
        .prefetch_related("team", "datasets")
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class FramingRow:
    item: FramingItem
    deliverables: list[SupportAttachment]


def mission_framing(mission: Mission) -> list[FramingRow]:
    """The eight topics of the checklist in the order of ``FramingTopic``, with their files."""
    items = {item.topic: item for item in mission.framing_items.select_related("updated_by")}
    files: dict[str, list[SupportAttachment]] = defaultdict(list)
    for attachment in mission.request.attachments.exclude(framing_topic="").order_by(
        "added_at", "pk"
    ):
        files[attachment.framing_topic].append(attachment)
    return [
        FramingRow(item=items[topic], deliverables=files[topic])
        for topic in FramingTopic.values
        if topic in items
    ]


def framing_progress(mission: Mission) -> tuple[int, int]:
    """Finished topics (done or not applicable) and the number of topics."""
    items = mission.framing_items.all()
    return items.filter(status__in=FINISHED_FRAMING).count(), items.count()


@dataclass(frozen=True)
class MissionTotals:
    hours: Decimal
    hours_by_expert: list[tuple[User, Decimal]]
    costs: Decimal


def mission_totals(mission: Mission) -> MissionTotals:
    by_expert = (
        mission.time_entries.values("expert")
        .annotate(total=Sum("hours"))
        .order_by("expert__last_name", "expert__first_name", "expert")
    )
    users = User.objects.in_bulk([row["expert"] for row in by_expert])
    hours_by_expert = [(users[row["expert"]], row["total"]) for row in by_expert]
    return MissionTotals(
        hours=sum((total for _, total in hours_by_expert), Decimal("0")),
        hours_by_expert=hours_by_expert,
        costs=mission.consultant_costs.aggregate(
            total=Coalesce(Sum("amount_eur"), Value(Decimal("0")), output_field=DecimalField())
        )["total"],
    )


def mission_meetings(mission: Mission) -> QuerySet[Meeting]:
    return mission.meetings.select_related("recorded_by").order_by("held_on", "pk")


def mission_decisions(mission: Mission) -> QuerySet[Decision]:
    return mission.decisions.select_related("recorded_by", "meeting").order_by("decided_on", "pk")


def mission_time_entries(mission: Mission) -> QuerySet[TimeEntry]:
    return mission.time_entries.select_related("expert").order_by("worked_on", "pk")


def mission_costs(mission: Mission) -> QuerySet[ConsultantCost]:
    return mission.consultant_costs.select_related("recorded_by").order_by("incurred_on", "pk")


def expert_choices() -> list[tuple[int, str]]:
    """People of the desk as (id, name) for filters."""
    return [(user.pk, str(user)) for user in desk_workers()]
