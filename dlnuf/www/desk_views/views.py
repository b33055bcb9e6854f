"""The experts' desk: the triage board, a request's page and its actions, missions and their
framing checklist, the experts' load, and the e-mails the intake could not read.

Only guichet experts and administrators see these pages (403 for everybody else signed in; the
permission is checked before any lookup, so ids reveal nothing). Actions are POST-only; a refusal
re-renders the page with the input kept and the reason in an alert.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dlnuf.organisations.models import User
from dlnuf.organisations.perms import is_administrator
from dlnuf.support import missions as mission_services
from dlnuf.support import services
from dlnuf.support.models import (
    FramingTopic,
    HelpKind,
    InboundMail,
    Mission,
    MissionState,
    Priority,
    Skill,
    SupportAttachment,
    SupportRequest,
)
from dlnuf.support.perms import can_work_on_support
from dlnuf.support.selectors import (
    OPEN_MISSION_STATES,
    OPEN_REQUEST_STATES,
    BoardFilters,
    FramingRow,
    board_counters,
    board_requests,
    desk_workers,
    expert_choices,
    experts_with_load,
    failed_inbound_mails,
    first_answer_deadline,
    framing_progress,
    mission_costs,
    mission_decisions,
    mission_for_desk,
    mission_framing,
    mission_meetings,
    mission_time_entries,
    mission_totals,
    missions_for_desk,
    needed_skills,
    request_files,
    request_for_desk,
    request_history,
    request_thread,
    suggested_team,
)
from dlnuf.support.transitions import (
    MISSION_TRANSITIONS,
    REQUEST_TRANSITIONS,
    available_actions,
    refusal_reason,
)
from dlnuf.www.desk_views.forms import (
    ALL,
    WITHOUT_LEAD,
    AgreementForm,
    AssignForm,
    BoardFilterForm,
    CommentForm,
    ConsultantCostForm,
    DecisionForm,
    ExpertProfileForm,
    FramingItemForm,
    KnowledgeForm,
    MeetingForm,
    MissionDetailsForm,
    MissionFilterForm,
    NoteForm,
    OpenMissionForm,
    QualifyForm,
    RedirectForm,
    ReplyForm,
    TimeEntryForm,
)
from dlnuf.www.forms import PortalForm


def _desk_user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not can_work_on_support(user):
        raise PermissionDenied("Le guichet est réservé à ses experts et aux administrateurs.")
    return user


def _breadcrumb(current: str, *links: tuple[str, str]) -> dict[str, Any]:
    return {
        "links": [{"url": reverse("www:desk"), "title": "Guichet"}]
        + [{"url": url, "title": title} for url, title in links],
        "current": current,
    }


@dataclass(frozen=True)
class Refusal:
    """Why an action was not taken, shown at the top of the page."""

    label: str
    message: str
    anchor: str


# --- the board ---------------------------------------------------------------------------------


def _board_filters(form: BoardFilterForm) -> BoardFilters:
    if not form.is_bound or not form.is_valid():
        return BoardFilters()
    data = form.cleaned_data
    state = data["state"]
    states: tuple[str, ...] = tuple(OPEN_REQUEST_STATES)
    if state == ALL:
        states = ()
    elif state:
        states = (state,)
    lead = data["lead_expert"]
    return BoardFilters(
        states=states,
        priority=data["priority"],
        help_kind=data["help_kind"],
        ministry=data["ministry"],
        lead_expert_id=int(lead) if lead and lead != WITHOUT_LEAD else None,
        without_lead=lead == WITHOUT_LEAD,
        overdue_only=data["overdue"],
    )


# Enough for a day's triage on one screen; the most urgent come first on page 1.
BOARD_PAGE_SIZE = 50


def desk(request: HttpRequest) -> HttpResponse:
    _desk_user(request)
    filters = request.GET.copy()
    filters.pop("page", None)
    form = BoardFilterForm(filters or None, experts=expert_choices())
    page = Paginator(board_requests(_board_filters(form)), BOARD_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "www/desk/board.html",
        {
            "title": "Guichet : demandes à traiter",
            "breadcrumb_data": {"links": [], "current": "Guichet"},
            "form": form,
            "filtered": bool(filters),
            "rows": page.object_list,
            "page_obj": page,
            "counters": board_counters(),
            "section": "board",
        },
    )


# --- mail the intake could not read ------------------------------------------------------------


def desk_inbound_mail(request: HttpRequest) -> HttpResponse:
    _desk_user(request)
    return render(
        request,
        "www/desk/inbound_mail.html",
        {
            "title": "Courriels illisibles à examiner",
            "breadcrumb_data": _breadcrumb("Courriels illisibles"),
            "mails": failed_inbound_mails(),
            "section": "mail",
        },
    )


def desk_inbound_mail_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """The message exactly as received, as a file to open in a mail client (never rendered)."""
    _desk_user(request)
    mail = get_object_or_404(InboundMail, pk=pk)
    response = HttpResponse(bytes(mail.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="courriel-{mail.pk}.eml"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def desk_attachment(request: HttpRequest, pk: int) -> FileResponse:
    _desk_user(request)
    attachment = get_object_or_404(SupportAttachment, pk=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- a request's page and its actions ----------------------------------------------------------

REQUEST_ACTION_LABELS = {
    "qualify": "Qualifier",
    "assign": "Choisir l'équipe",
    "open_mission": "Ouvrir une mission",
    "reply": "Répondre au demandeur",
    "note": "Ajouter une note interne",
    "redirect": "Réorienter",
    "close": "Clore la demande",
    "reopen": "Rouvrir",
}


def _request_or_404(pk: int) -> SupportRequest:
    item = request_for_desk(pk)
    if item is None:
        raise Http404("Demande inconnue")
    return item


def _open_mission(item: SupportRequest) -> Mission | None:
    mission = Mission.objects.filter(request=item).first()
    if mission is None or mission.state not in OPEN_MISSION_STATES:
        return None
    return mission


def _shown_actions(item: SupportRequest) -> list[str]:
    available = {row.action for row in available_actions(REQUEST_TRANSITIONS, item)}
    shown = []
    for action in REQUEST_ACTION_LABELS:
        if action in {"reply", "note"}:
            shown.append(action)
        elif action == "assign":
            if item.state in OPEN_REQUEST_STATES:
                shown.append(action)
        elif action == "close":
            if action in available and _open_mission(item) is None:
                shown.append(action)
        elif action in available:
            shown.append(action)
    return shown


def _request_form(
    action: str,
    item: SupportRequest,
    experts: QuerySet[User],
    suggestions: list[Any],
    data: Any = None,
    files: Any = None,
) -> PortalForm:
    prefix = action.replace("_", "-")
    team = list(item.team.all())
    if action == "qualify":
        return QualifyForm(data, prefix=prefix, initial={"priority": item.priority})
    if action == "assign":
        return AssignForm(
            data,
            prefix=prefix,
            experts=experts,
            suggestions=suggestions,
            initial={"lead_expert": item.lead_expert, "team": team, "priority": item.priority},
        )
    if action == "open_mission":
        return OpenMissionForm(
            data,
            prefix=prefix,
            experts=experts,
            suggestions=suggestions,
            initial={
                "title": item.subject,
                "lead_expert": item.lead_expert,
                "team": team,
                "help_kinds": item.help_kinds,
            },
        )
    if action == "reply":
        return ReplyForm(data, files, prefix=prefix)
    if action == "note":
        return NoteForm(data, prefix=prefix)
    if action == "redirect":
        return RedirectForm(data, prefix=prefix)
    return CommentForm(
        data,
        prefix=prefix,
        comment_required=REQUEST_TRANSITIONS[action].comment_required,
        label="Explication" if action == "reopen" else "Commentaire",
    )


def _apply_request_action(
    action: str, item: SupportRequest, user: User, data: dict[str, Any]
) -> tuple[str, str]:
    """Call the service; returns the success message and where to go next."""
    page = reverse("www:desk_request", kwargs={"pk": item.pk})
    if action == "qualify":
        services.support_request_qualify(
            request=item, actor=user, priority=Priority(data["priority"]), comment=data["comment"]
        )
        return "Demande qualifiée.", page
    if action == "assign":
        services.support_request_assign(
            request=item,
            actor=user,
            lead_expert=data["lead_expert"],
            team=data["team"],
            priority=Priority(data["priority"]),
        )
        return "Équipe et priorité enregistrées.", page
    if action == "open_mission":
        mission = services.mission_open(
            request=item,
            actor=user,
            title=data["title"],
            lead_expert=data["lead_expert"],
            team=data["team"],
            help_kinds=data["help_kinds"],
        )
        return (
            "Mission ouverte : rédigez la note d'accord pour la convenir.",
            reverse("www:desk_mission", kwargs={"pk": mission.pk}),
        )
    if action == "reply":
        services.support_reply_send(
            request=item, actor=user, body=data["body"], attachments=data["attachments"]
        )
        return "Réponse envoyée au demandeur.", page + "#fil"
    if action == "note":
        services.support_note_add(request=item, actor=user, body=data["body"])
        return "Note ajoutée.", page + "#fil"
    if action == "redirect":
        services.support_request_redirect(request=item, actor=user, explanation=data["explanation"])
        return "Demande réorientée ; l'explication est envoyée au demandeur.", page
    if action == "close":
        services.support_request_close(request=item, actor=user, comment=data["comment"])
        return "Demande close.", page
    services.support_request_reopen(request=item, actor=user, comment=data["comment"])
    return "Demande rouverte.", page


def desk_request(request: HttpRequest, pk: int) -> HttpResponse:
    _desk_user(request)
    return _render_request(request, _request_or_404(pk))


def _render_request(
    request: HttpRequest,
    item: SupportRequest,
    *,
    bound: tuple[str, PortalForm] | None = None,
    refusal: Refusal | None = None,
    status: int = 200,
) -> HttpResponse:
    loads = experts_with_load()
    suggestions = suggested_team(item, loads)
    experts = desk_workers()
    forms = {
        action: _request_form(action, item, experts, suggestions) for action in _shown_actions(item)
    }
    if bound is not None:
        forms[bound[0]] = bound[1]
    mission = Mission.objects.filter(request=item).first()
    return render(
        request,
        "www/desk/request.html",
        {
            "title": f"Demande {item.reference} — {item.subject}",
            "breadcrumb_data": _breadcrumb(f"Demande {item.reference}"),
            "item": item,
            "deadline": first_answer_deadline(item),
            "files": request_files(item),
            "thread": request_thread(item),
            "history": request_history(item),
            "mission": mission,
            "suggestions": suggestions,
            "needed_skills": [Skill(skill).label for skill in needed_skills(item.help_kinds)],
            "forms": [
                (action, REQUEST_ACTION_LABELS[action], form) for action, form in forms.items()
            ],
            "refusal": refusal,
            "section": "board",
        },
        status=status,
    )


@require_POST
def desk_request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _desk_user(request)
    item = _request_or_404(pk)
    if action not in REQUEST_ACTION_LABELS:
        raise Http404("Action inconnue")
    label = REQUEST_ACTION_LABELS[action]
    anchor = f"action-{action.replace('_', '-')}"
    form = _request_form(
        action, item, desk_workers(), suggested_team(item), request.POST, request.FILES
    )
    if not form.is_valid():
        refusal = Refusal(label, "Corrigez le formulaire ci-dessous.", anchor)
        return _render_request(request, item, bound=(action, form), refusal=refusal, status=400)
    try:
        message, target = _apply_request_action(action, item, user, form.cleaned_data)
    except services.TransitionRefused as refused:
        form.add_error(None, refused.message)
        refusal = Refusal(label, refused.message, anchor)
        item = _request_or_404(pk)
        return _render_request(request, item, bound=(action, form), refusal=refusal, status=400)
    messages.success(request, message)
    return redirect(target)


# --- missions ----------------------------------------------------------------------------------


def desk_missions(request: HttpRequest) -> HttpResponse:
    _desk_user(request)
    form = MissionFilterForm(request.GET or None, experts=expert_choices())
    state, lead = "", None
    if form.is_bound and form.is_valid():
        state = form.cleaned_data["state"]
        lead = int(form.cleaned_data["lead_expert"]) if form.cleaned_data["lead_expert"] else None
    return render(
        request,
        "www/desk/missions.html",
        {
            "title": "Missions du guichet",
            "breadcrumb_data": _breadcrumb("Missions"),
            "form": form,
            "filtered": bool(request.GET),
            "missions": missions_for_desk(state=state, lead_expert_id=lead),
            "topics": len(FramingTopic.values),
            "section": "missions",
        },
    )


def _mission_or_404(pk: int) -> Mission:
    mission = mission_for_desk(pk)
    if mission is None:
        raise Http404("Mission inconnue")
    return mission


WORKFLOW_ACTIONS = tuple(action for action, row in MISSION_TRANSITIONS.items() if row.sources)
# Each of these is a page of its own, reached from the mission's overview: a page holds one
# form, so what is typed in one never disappears when another is sent.
MISSION_FORM_LABELS = {
    "details": "Administration et direction",
    "agreement": "Note d'accord",
    "knowledge": "Bilan et connaissances",
    "meeting": "Consigner une réunion",
    "decision": "Consigner une décision",
    "time": "Noter du temps passé",
    "cost": "Ajouter un coût de prestataire",
}
MISSION_ANCHORS = {
    "details": "administration",
    "agreement": "accord",
    "knowledge": "bilan",
    "meeting": "reunions",
    "decision": "decisions",
    "time": "temps",
    "cost": "couts",
}
TASK_FORM_ID = "formulaire"
# Characters of a checklist item's notes shown in the overview.
FRAMING_SUMMARY_LENGTH = 160


def _finished(mission: Mission) -> bool:
    return mission.state not in OPEN_MISSION_STATES


def _mission_form(action: str, mission: Mission, data: Any = None) -> PortalForm:
    if action == "details":
        return MissionDetailsForm(
            data,
            prefix="details",
            initial={name: getattr(mission, name) for name in mission_services.DETAIL_FIELDS},
        )
    if action == "agreement":
        return AgreementForm(
            data,
            prefix="accord",
            initial={
                "agreement_note": mission.agreement_note,
                "agreed_until": mission.agreed_until,
            },
        )
    if action == "knowledge":
        return KnowledgeForm(
            data,
            prefix="bilan",
            with_summary=not _finished(mission),
            initial={
                "problem": mission.problem,
                "solution": mission.solution,
                "datasets": list(mission.datasets.all()),
                "closing_summary": mission.closing_summary,
            },
        )
    if action == "meeting":
        return MeetingForm(data, prefix="reunion")
    if action == "decision":
        return DecisionForm(data, prefix="decision", meetings=mission_meetings(mission))
    if action == "time":
        return TimeEntryForm(data, prefix="temps")
    if action == "cost":
        return ConsultantCostForm(data, prefix="cout")
    return CommentForm(
        data,
        prefix=f"etat-{action}",
        comment_required=MISSION_TRANSITIONS[action].comment_required,
    )


def _task_unavailable(action: str, mission: Mission) -> str | None:
    """Why the task cannot be done on the mission now (its page then says so), or None."""
    if action in WORKFLOW_ACTIONS:
        return refusal_reason(MISSION_TRANSITIONS, action, mission)
    if action == "agreement" and mission.state != MissionState.PROPOSED:
        return (
            "La note d'accord ne se modifie plus une fois la mission convenue : consignez "
            "l'avenant dans une décision."
        )
    if action != "knowledge" and _finished(mission):
        return f"La mission est {mission.get_state_display().lower()} : elle ne se modifie plus."
    return None


def _apply_mission_action(action: str, mission: Mission, user: User, data: dict[str, Any]) -> str:
    if action in WORKFLOW_ACTIONS:
        services.mission_transition(
            mission=mission, action=action, actor=user, comment=data["comment"]
        )
        return f"{MISSION_TRANSITIONS[action].past}."
    if action in {"details", "agreement", "knowledge"}:
        mission_services.mission_update(mission=mission, actor=user, values=data)
        return "Mission enregistrée."
    if action == "meeting":
        mission_services.meeting_record(mission=mission, actor=user, **data)
        return "Réunion consignée."
    if action == "decision":
        mission_services.decision_record(mission=mission, actor=user, **data)
        return "Décision consignée."
    if action == "time":
        mission_services.time_entry_record(mission=mission, actor=user, **data)
        return "Temps passé noté."
    mission_services.consultant_cost_record(mission=mission, actor=user, **data)
    return "Coût de prestataire ajouté."


def _mission_breadcrumb(mission: Mission, current: str) -> dict[str, Any]:
    return _breadcrumb(
        current,
        (reverse("www:desk_missions"), "Missions"),
        (reverse("www:desk_mission", kwargs={"pk": mission.pk}), mission.title),
    )


def desk_mission(request: HttpRequest, pk: int) -> HttpResponse:
    """The mission at a glance: state, checklist, meetings, time and costs, each with a link to
    the page where it changes."""
    _desk_user(request)
    mission = _mission_or_404(pk)
    workflow = []
    for action in WORKFLOW_ACTIONS:
        transition = MISSION_TRANSITIONS[action]
        if mission.state in transition.sources:
            workflow.append((transition, refusal_reason(MISSION_TRANSITIONS, action, mission)))
    done, total = framing_progress(mission)
    return render(
        request,
        "www/desk/mission.html",
        {
            "title": f"Mission « {mission.title} »",
            "breadcrumb_data": _breadcrumb(
                mission.title, (reverse("www:desk_missions"), "Missions")
            ),
            "mission": mission,
            "item": mission.request,
            "finished": _finished(mission),
            "help_kind_labels": [
                HelpKind(kind).label for kind in mission.help_kinds if kind in HelpKind.values
            ],
            "framing": mission_framing(mission),
            "framing_done": done,
            "framing_total": total,
            "summary_length": FRAMING_SUMMARY_LENGTH,
            "meetings": mission_meetings(mission),
            "decisions": mission_decisions(mission),
            "time_entries": mission_time_entries(mission),
            "costs": mission_costs(mission),
            "totals": mission_totals(mission),
            "workflow": workflow,
            "agreement_open": _task_unavailable("agreement", mission) is None,
            "section": "missions",
        },
    )


def _render_mission_task(
    request: HttpRequest,
    mission: Mission,
    action: str,
    *,
    form: PortalForm | None,
    refusal: Refusal | None = None,
    status: int = 200,
) -> HttpResponse:
    workflow = action in WORKFLOW_ACTIONS
    label = MISSION_TRANSITIONS[action].label if workflow else MISSION_FORM_LABELS[action]
    return render(
        request,
        "www/desk/mission_task.html",
        {
            "title": f"{label} — mission « {mission.title} »",
            "breadcrumb_data": _mission_breadcrumb(mission, label),
            "mission": mission,
            "action": action,
            "label": label,
            "transition": MISSION_TRANSITIONS[action] if workflow else None,
            "target_label": MissionState(MISSION_TRANSITIONS[action].target).label
            if workflow
            else "",
            "form": form,
            "form_id": TASK_FORM_ID,
            "unavailable": _task_unavailable(action, mission),
            "back_anchor": "etat" if workflow else MISSION_ANCHORS[action],
            "refusal": refusal,
            "section": "missions",
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def desk_mission_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One task on a mission, on its own page: GET shows its form, POST does it."""
    user = _desk_user(request)
    mission = _mission_or_404(pk)
    if action not in MISSION_FORM_LABELS and action not in WORKFLOW_ACTIONS:
        raise Http404("Action inconnue")
    if request.method == "GET":
        unavailable = _task_unavailable(action, mission)
        form = None if unavailable else _mission_form(action, mission)
        return _render_mission_task(request, mission, action, form=form)
    label = MISSION_TRANSITIONS[action].label if action in WORKFLOW_ACTIONS else None
    label = label or MISSION_FORM_LABELS[action]
    form = _mission_form(action, mission, request.POST)
    if not form.is_valid():
        refusal = Refusal(label, "Corrigez le formulaire ci-dessous.", TASK_FORM_ID)
        return _render_mission_task(
            request, mission, action, form=form, refusal=refusal, status=400
        )
    try:
        message = _apply_mission_action(action, mission, user, form.cleaned_data)
    except services.TransitionRefused as refused:
        form.add_error(None, refused.message)
        refusal = Refusal(label, refused.message, TASK_FORM_ID)
        mission = _mission_or_404(pk)
        return _render_mission_task(
            request, mission, action, form=form, refusal=refusal, status=400
        )
    messages.success(request, message)
    anchor = "etat" if action in WORKFLOW_ACTIONS else MISSION_ANCHORS[action]
    return redirect(reverse("www:desk_mission", kwargs={"pk": mission.pk}) + f"#{anchor}")


def _render_framing_item(
    request: HttpRequest,
    mission: Mission,
    row: FramingRow,
    *,
    form: FramingItemForm | None,
    refusal: Refusal | None = None,
    status: int = 200,
) -> HttpResponse:
    topics = [FramingTopic(topic) for topic in FramingTopic.values]
    index = topics.index(FramingTopic(row.item.topic))
    return render(
        request,
        "www/desk/mission_framing_item.html",
        {
            "title": f"{row.item.get_topic_display()} — cadrage de « {mission.title} »",
            "breadcrumb_data": _mission_breadcrumb(mission, row.item.get_topic_display()),
            "mission": mission,
            "row": row,
            "form": form,
            "form_id": TASK_FORM_ID,
            # Browsers never fill a file input again: the person is told to choose it anew.
            "file_to_choose_again": form is not None and form.is_bound and bool(request.FILES),
            "finished": _finished(mission),
            "previous_topic": topics[index - 1] if index > 0 else None,
            "next_topic": topics[index + 1] if index + 1 < len(topics) else None,
            "refusal": refusal,
            "section": "missions",
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def desk_mission_framing(request: HttpRequest, pk: int, topic: str) -> HttpResponse:
    """One topic of the framing checklist: status, notes and deliverables, in one form."""
    user = _desk_user(request)
    mission = _mission_or_404(pk)
    row = next((row for row in mission_framing(mission) if row.item.topic == topic), None)
    if row is None:
        raise Http404("Point du cadrage inconnu")
    initial = {"status": row.item.status, "notes": row.item.notes}
    if request.method == "GET":
        form = None if _finished(mission) else FramingItemForm(prefix="cadrage", initial=initial)
        return _render_framing_item(request, mission, row, form=form)
    form = FramingItemForm(request.POST, request.FILES, prefix="cadrage", initial=initial)
    label = f"Cadrage : {row.item.get_topic_display()}"
    if not form.is_valid():
        refusal = Refusal(label, "Corrigez le formulaire ci-dessous.", TASK_FORM_ID)
        return _render_framing_item(request, mission, row, form=form, refusal=refusal, status=400)
    try:
        mission_services.framing_item_save(item=row.item, actor=user, **form.cleaned_data)
    except services.TransitionRefused as refused:
        form.add_error(None, refused.message)
        refusal = Refusal(label, refused.message, TASK_FORM_ID)
        return _render_framing_item(request, mission, row, form=form, refusal=refusal, status=400)
    messages.success(request, f"Point « {row.item.get_topic_display()} » enregistré.")
    return redirect(reverse("www:desk_mission", kwargs={"pk": mission.pk}) + f"#cadrage-{topic}")


# --- experts -----------------------------------------------------------------------------------


def desk_experts(request: HttpRequest) -> HttpResponse:
    _desk_user(request)
    return _render_experts(request)


def _render_experts(
    request: HttpRequest,
    *,
    bound: tuple[int, ExpertProfileForm] | None = None,
    refusal: Refusal | None = None,
    status: int = 200,
) -> HttpResponse:
    loads = experts_with_load()
    can_edit = is_administrator(request.user)
    forms = {}
    if can_edit:
        forms = {load.user.pk: ExpertProfileForm.for_expert(load) for load in loads}
        if bound is not None:
            forms[bound[0]] = bound[1]
    return render(
        request,
        "www/desk/experts.html",
        {
            "title": "Experts du guichet",
            "breadcrumb_data": _breadcrumb("Experts"),
            "experts": [(load, forms.get(load.user.pk)) for load in loads],
            "can_edit": can_edit,
            "refusal": refusal,
            "section": "experts",
        },
        status=status,
    )


@require_POST
def desk_expert_update(request: HttpRequest, pk: int) -> HttpResponse:
    user = _desk_user(request)
    if not is_administrator(user):
        raise PermissionDenied("Seuls les administrateurs modifient le profil des experts.")
    loads = {load.user.pk: load for load in experts_with_load()}
    if pk not in loads:
        raise Http404("Expert inconnu")
    expert = loads[pk]
    form = ExpertProfileForm.for_expert(expert, request.POST)
    anchor = f"expert-{pk}"
    label = f"Profil de {expert.user}"
    if not form.is_valid():
        refusal = Refusal(label, "Corrigez le formulaire ci-dessous.", anchor)
        return _render_experts(request, bound=(pk, form), refusal=refusal, status=400)
    try:
        mission_services.expert_update(user=expert.user, actor=user, **form.cleaned_data)
    except services.TransitionRefused as refused:
        form.add_error(None, refused.message)
        refusal = Refusal(label, refused.message, anchor)
        return _render_experts(request, bound=(pk, form), refusal=refusal, status=400)
    messages.success(request, f"Profil de {expert.user} enregistré.")
    return redirect(reverse("www:desk_experts") + f"#{anchor}")
