"""Writes of the guichet's desk: requests, their thread, triage, and the mission workflow.

Every service runs in one transaction and logs what it changed in the request's history; e-mails
leave only after the commit (``emails.py``), so nothing is announced that did not happen.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from dlnuf.organisations.models import Organisation, User
from dlnuf.support import emails
from dlnuf.support.attachments import (
    IncomingFile,
    display_name,
    media_type,
    refusal,
    stored_content,
)
from dlnuf.support.models import (
    Channel,
    FramingItem,
    FramingTopic,
    HelpKind,
    InboundMail,
    MessageKind,
    Mission,
    Priority,
    Qualification,
    SupportAttachment,
    SupportMessage,
    SupportRequest,
    SupportTransition,
    Urgency,
)
from dlnuf.support.perms import can_work_on_support
from dlnuf.support.transitions import (
    MISSION_TRANSITIONS,
    REQUEST_TRANSITIONS,
    refusal_reason,
)


class TransitionRefused(Exception):
    """The action is not possible on the request or mission as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ActionForbidden(PermissionDenied):
    """Only guichet experts and administrators work on the desk."""


# Working days to a first answer, by urgency.
FIRST_ANSWER_WORKING_DAYS = {Urgency.HIGH: 1, Urgency.NORMAL: 3, Urgency.LOW: 5}

REQUEST_FIELDS = (
    "organisation_name",
    "siret",
    "ministry",
    "requester_name",
    "requester_role",
    "requester_email",
    "subject",
    "context",
    "need",
    "help_kinds",
    "urgency",
)


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` moved forward by ``days`` days from Monday to Friday."""
    moment = start
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            remaining -= 1
    return moment


# --- requests and their thread ---------------------------------------------------------------


@transaction.atomic
def support_request_create(
    *,
    channel: Channel,
    values: Mapping[str, Any],
    attachments: Sequence[IncomingFile] = (),
    inbound_mail: InboundMail | None = None,
    message_id: str = "",
) -> SupportRequest:
    """Record a request from the form or from a first e-mail, and acknowledge it.

    ``values`` holds the fields of ``REQUEST_FIELDS``; unknown keys are refused so that a typo
    cannot drop information silently.
    """
    unknown = set(values) - set(REQUEST_FIELDS)
    if unknown:
        raise ValueError(f"Champs inconnus : {', '.join(sorted(unknown))}")
    fields = dict(values)
    fields["help_kinds"] = [kind for kind in fields.get("help_kinds", []) if kind in HelpKind]
    siret = str(fields.get("siret", "") or "")
    organisation = Organisation.objects.filter(siret=siret).first() if siret else None
    now = timezone.now()
    urgency = Urgency(fields.get("urgency") or Urgency.NORMAL)
    request = SupportRequest.objects.create(
        channel=channel,
        organisation=organisation,
        created_at=now,
        first_answer_due=add_working_days(now, FIRST_ANSWER_WORKING_DAYS[urgency]),
        priority=Priority.HIGH if urgency == Urgency.HIGH else Priority.NORMAL,
        thread_message_id=message_id,
        **fields,
    )
    _log(request, "receive", "", actor=None, comment="")
    body = "\n\n".join(
        part
        for part in (
            f"Contexte :\n{request.context}" if request.context else "",
            f"Besoin :\n{request.need}" if request.need else "",
        )
        if part
    )
    message = SupportMessage.objects.create(
        request=request,
        kind=MessageKind.FROM_REQUESTER,
        author_email=request.requester_email,
        body=body or request.subject,
        message_id=message_id,
        inbound_mail=inbound_mail,
        sent_at=now,
    )
    _attach_all(request, message, attachments, uploaded_by=None)
    emails.notify_on_commit(lambda: emails.send_acknowledgement(request_id=request.pk))
    return request


@transaction.atomic
def support_message_from_requester(
    *,
    request: SupportRequest,
    body: str,
    author_email: str,
    attachments: Sequence[IncomingFile] = (),
    message_id: str = "",
    inbound_mail: InboundMail | None = None,
) -> SupportMessage:
    """A message of the requester on their request (reply by e-mail or through the follow link)."""
    message = SupportMessage.objects.create(
        request=request,
        kind=MessageKind.FROM_REQUESTER,
        author_email=author_email,
        body=body.strip() or "(message sans texte)",
        message_id=message_id,
        inbound_mail=inbound_mail,
    )
    _attach_all(request, message, attachments, uploaded_by=None)
    return message


@transaction.atomic
def support_reply_send(
    *,
    request: SupportRequest,
    actor: User,
    body: str,
    attachments: Sequence[IncomingFile] = (),
) -> SupportMessage:
    """An answer of the team to the requester, sent by e-mail after the commit."""
    _require_expert(actor)
    if not body.strip():
        raise TransitionRefused("Le message est vide.")
    request = _locked(request)
    message = SupportMessage.objects.create(
        request=request,
        kind=MessageKind.TO_REQUESTER,
        author=actor,
        author_email=actor.email,
        body=body.strip(),
        message_id=emails.new_message_id(),
    )
    _attach_all(request, message, attachments, uploaded_by=actor)
    if request.first_answered_at is None:
        request.first_answered_at = message.sent_at
        request.save(update_fields=["first_answered_at"])
    emails.notify_on_commit(lambda: emails.send_reply(message_id=message.pk))
    return message


@transaction.atomic
def support_note_add(*, request: SupportRequest, actor: User, body: str) -> SupportMessage:
    """An internal note of the team: kept in the history, never sent."""
    _require_expert(actor)
    if not body.strip():
        raise TransitionRefused("La note est vide.")
    return SupportMessage.objects.create(
        request=request, kind=MessageKind.NOTE, author=actor, body=body.strip()
    )


def _attach_all(
    request: SupportRequest,
    message: SupportMessage,
    attachments: Sequence[IncomingFile],
    *,
    uploaded_by: User | None,
    framing_topic: str = "",
) -> list[SupportAttachment]:
    """Store the accepted files; note in the history each one set aside, and why."""
    stored = []
    set_aside = []
    for incoming in attachments:
        reason = refusal(incoming)
        if reason is not None:
            set_aside.append(reason)
            continue
        content, digest = stored_content(incoming)
        attachment = SupportAttachment(
            request=request,
            message=message,
            original_name=display_name(incoming.name),
            content_type=media_type(incoming),
            size=len(incoming.data),
            sha256=digest,
            uploaded_by=uploaded_by,
            framing_topic=framing_topic,
        )
        attachment.file.save("piece", content, save=False)
        attachment.save()
        stored.append(attachment)
    if set_aside:
        SupportMessage.objects.create(
            request=request,
            kind=MessageKind.NOTE,
            body="Pièces jointes non retenues (le message d'origine reste conservé) :\n"
            + "\n".join(f"- {reason}" for reason in set_aside),
        )
    return stored


# --- triage ------------------------------------------------------------------------------------


@transaction.atomic
def support_request_qualify(
    *, request: SupportRequest, actor: User, priority: Priority, comment: str = ""
) -> SupportRequest:
    """The request is in the guichet's scope."""
    request = _locked(request)
    _check(REQUEST_TRANSITIONS, request, "qualify", actor, comment)
    request.qualification = Qualification.IN_SCOPE
    request.priority = priority
    return _move(request, "qualify", actor, comment)


@transaction.atomic
def support_request_redirect(
    *, request: SupportRequest, actor: User, explanation: str
) -> SupportRequest:
    """Out of scope: the requester is told where to turn, and why (this is a first answer)."""
    request = _locked(request)
    _check(REQUEST_TRANSITIONS, request, "redirect", actor, explanation)
    request.qualification = Qualification.REDIRECTED
    request.redirect_explanation = explanation.strip()
    request.closed_at = timezone.now()
    _move(request, "redirect", actor, explanation)
    support_reply_send(request=request, actor=actor, body=explanation)
    return request


@transaction.atomic
def support_request_assign(
    *,
    request: SupportRequest,
    actor: User,
    lead_expert: User | None,
    team: Iterable[User] = (),
    priority: Priority | None = None,
) -> SupportRequest:
    """Choose the lead expert and the team (and the priority); logged without a change of state."""
    _require_expert(actor)
    request = _locked(request)
    for person in [lead_expert, *team]:
        if person is not None and not can_work_on_support(person):
            raise TransitionRefused(f"{person} n'est pas expert du guichet.")
    request.lead_expert = lead_expert
    if priority is not None:
        request.priority = priority
    request.save()
    members = list(team)
    request.team.set(members)
    names = ", ".join(str(person) for person in members) or "aucune"
    comment = f"Référent : {lead_expert or 'aucun'} ; équipe : {names} ; priorité : " + str(
        request.get_priority_display()
    )
    _log(request, "assign", request.state, actor=actor, comment=comment)
    return request


@transaction.atomic
def support_request_close(
    *, request: SupportRequest, actor: User, comment: str = ""
) -> SupportRequest:
    request = _locked(request)
    _check(REQUEST_TRANSITIONS, request, "close", actor, comment)
    if hasattr(request, "mission") and request.mission.state not in {"closed", "cancelled"}:
        raise TransitionRefused("La mission de cette demande est encore ouverte.")
    request.closed_at = timezone.now()
    return _move(request, "close", actor, comment)


@transaction.atomic
def support_request_reopen(*, request: SupportRequest, actor: User, comment: str) -> SupportRequest:
    request = _locked(request)
    _check(REQUEST_TRANSITIONS, request, "reopen", actor, comment)
    request.closed_at = None
    return _move(request, "reopen", actor, comment)


# --- missions ----------------------------------------------------------------------------------


@transaction.atomic
def mission_open(
    *,
    request: SupportRequest,
    actor: User,
    title: str,
    lead_expert: User,
    team: Iterable[User] = (),
    help_kinds: Sequence[str] = (),
) -> Mission:
    """Take a qualified request on as a mission, with its framing checklist to fill in."""
    request = _locked(request)
    _check(REQUEST_TRANSITIONS, request, "open_mission", actor, "")
    for person in [lead_expert, *team]:
        if not can_work_on_support(person):
            raise TransitionRefused(f"{person} n'est pas expert du guichet.")
    mission = Mission.objects.create(
        request=request,
        title=title.strip() or request.subject,
        help_kinds=[kind for kind in (help_kinds or request.help_kinds) if kind in HelpKind],
        lead_expert=lead_expert,
        project_lead_name=request.requester_name,
        project_lead_email=request.requester_email,
    )
    mission.team.set(list(team))
    FramingItem.objects.bulk_create(
        FramingItem(mission=mission, topic=topic) for topic in FramingTopic
    )
    request.lead_expert = lead_expert
    _move(request, "open_mission", actor, "")
    _log(request, "propose", "", actor=actor, comment="", mission=mission)
    return mission


@transaction.atomic
def mission_transition(*, mission: Mission, action: str, actor: User, comment: str = "") -> Mission:
    """Apply one row of the mission workflow (agree, start, suspend, resume, close, cancel).

    Closing the mission closes its request, asks the requester for their satisfaction and adds
    the mission to the knowledge base.
    """
    mission = Mission.objects.select_for_update().get(pk=mission.pk)
    _check(MISSION_TRANSITIONS, mission, action, actor, comment)
    from_state = mission.state
    mission.state = MISSION_TRANSITIONS[action].target
    now = timezone.now()
    if action in {"close", "cancel"}:
        mission.closed_at = now
    if action == "close":
        mission.satisfaction_requested_at = now
    mission.save()
    _log(mission.request, action, from_state, actor=actor, comment=comment, mission=mission)
    if action in {"close", "cancel"}:
        request = _locked(mission.request)
        request.closed_at = now
        _move(request, "close", actor, MISSION_TRANSITIONS[action].past)
    if action == "close":
        from dlnuf.support.knowledge import knowledge_entry_sync_mission

        knowledge_entry_sync_mission(mission=mission)
        emails.notify_on_commit(lambda: emails.send_satisfaction_request(mission_id=mission.pk))
    return mission


@transaction.atomic
def mission_satisfaction_record(*, mission: Mission, score: int, comment: str = "") -> Mission:
    """The requester's answer through their follow link; the last answer counts."""
    if not 1 <= score <= 5:
        raise TransitionRefused("La note va de 1 à 5.")
    mission = Mission.objects.select_for_update().get(pk=mission.pk)
    if mission.state != "closed":
        raise TransitionRefused("La satisfaction se donne une fois la mission close.")
    mission.satisfaction = score
    mission.satisfaction_comment = comment.strip()
    mission.save(update_fields=["satisfaction", "satisfaction_comment"])
    _log(
        mission.request,
        "satisfaction",
        mission.state,
        actor=None,
        comment=f"Satisfaction : {score}/5",
        mission=mission,
    )
    return mission


# --- shared steps ------------------------------------------------------------------------------


def _require_expert(actor: User) -> None:
    if not can_work_on_support(actor):
        raise ActionForbidden("Cette action est réservée aux experts du guichet.")


def _check(table: Mapping[str, Any], subject: Any, action: str, actor: User, comment: str) -> None:
    _require_expert(actor)
    reason = refusal_reason(dict(table), action, subject)
    if reason is not None:
        raise TransitionRefused(reason)
    if table[action].comment_required and not comment.strip():
        raise TransitionRefused(
            f"Action « {table[action].label} » : une explication est nécessaire."
        )


def _move(request: SupportRequest, action: str, actor: User | None, comment: str) -> SupportRequest:
    from_state = request.state
    request.state = REQUEST_TRANSITIONS[action].target
    request.save()
    _log(request, action, from_state, actor=actor, comment=comment)
    return request


def _log(
    request: SupportRequest,
    action: str,
    from_state: str,
    *,
    actor: User | None,
    comment: str,
    mission: Mission | None = None,
) -> SupportTransition:
    return SupportTransition.objects.create(
        request=request,
        mission=mission,
        action=action,
        from_state=from_state,
        to_state=mission.state if mission is not None else request.state,
        actor=actor,
        comment=comment.strip(),
    )


def _locked(request: SupportRequest) -> SupportRequest:
    # Two experts clicking at once must not both apply a transition.
    return SupportRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
