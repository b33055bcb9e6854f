"""Writes of a mission's team beyond its workflow: the mission's details and agreement note, the
framing checklist and its deliverables, meetings, decisions, time spent, consultant costs, and
the experts' profiles.

Rows that are append-only (meetings, decisions, time, costs, deliverables) are the history
themselves; the other changes (details, checklist) write a ``SupportTransition`` row without a
change of state, so the request's history shows every write of the team.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from dlnuf.catalogue.models import Dataset
from dlnuf.organisations.models import User
from dlnuf.organisations.perms import is_administrator
from dlnuf.support.attachments import (
    IncomingFile,
    display_name,
    media_type,
    refusal,
    stored_content,
)
from dlnuf.support.knowledge import knowledge_entry_sync_mission
from dlnuf.support.models import (
    ConsultantCost,
    Decision,
    Expert,
    FramingItem,
    FramingStatus,
    FramingTopic,
    HelpKind,
    Meeting,
    Mission,
    MissionState,
    Skill,
    SupportAttachment,
    SupportTransition,
    TimeEntry,
)
from dlnuf.support.perms import can_work_on_support
from dlnuf.support.services import ActionForbidden, TransitionRefused

MIN_HOURS = Decimal("0.25")
MAX_HOURS = Decimal("24")
MAX_AMOUNT = Decimal("9999999999.99")
MAX_CAPACITY = 20

# Fields of a mission its team edits, with the label the history uses.
DETAIL_FIELDS = {
    "title": "intitulé",
    "help_kinds": "types d'aide",
    "director_name": "directeur ou directrice",
    "director_email": "adresse du directeur ou de la directrice",
    "project_lead_name": "chef de projet",
    "project_lead_email": "adresse du chef de projet",
}
AGREEMENT_FIELDS = {"agreement_note": "note d'accord", "agreed_until": "date de fin de l'accord"}
SUMMARY_FIELDS = {"closing_summary": "bilan"}
# What the knowledge base keeps: still editable once the mission is over, to refine the entry.
KNOWLEDGE_FIELDS = {
    "problem": "problème rencontré",
    "solution": "solution retenue",
    "datasets": "données utilisées",
}
EDITABLE_FIELDS = {**DETAIL_FIELDS, **AGREEMENT_FIELDS, **SUMMARY_FIELDS, **KNOWLEDGE_FIELDS}
_FINISHED = (MissionState.CLOSED, MissionState.CANCELLED)


def _require_expert(actor: User) -> None:
    if not can_work_on_support(actor):
        raise ActionForbidden("Cette action est réservée aux experts du guichet.")


def _require_ongoing(mission: Mission) -> None:
    if mission.state in _FINISHED:
        raise TransitionRefused(
            f"La mission est {mission.get_state_display().lower()} : elle ne se modifie plus."
        )


def _log(mission: Mission, action: str, actor: User, comment: str) -> SupportTransition:
    return SupportTransition.objects.create(
        request_id=mission.request_id,
        mission=mission,
        action=action,
        from_state=mission.state,
        to_state=mission.state,
        actor=actor,
        comment=comment,
    )


def _locked(mission: Mission) -> Mission:
    return Mission.objects.select_for_update(of=("self",)).get(pk=mission.pk)


# --- the mission's details ---------------------------------------------------------------------


def _clean_value(name: str, value: Any) -> Any:
    if name in {"director_email", "project_lead_email"}:
        value = (value or "").strip()
        if value:
            try:
                validate_email(value)
            except ValidationError as error:
                raise TransitionRefused(f"« {value} » n'est pas une adresse valide.") from error
        return value
    if name == "help_kinds":
        return [kind for kind in HelpKind.values if kind in set(value or ())]
    if name == "agreed_until":
        if value is not None and not isinstance(value, date):
            raise TransitionRefused("La date de fin de l'accord n'est pas une date.")
        return value
    if name == "title":
        title = (value or "").strip()
        if not title:
            raise TransitionRefused("L'intitulé de la mission est nécessaire.")
        return title
    return (value or "").strip()


@transaction.atomic
def mission_update(*, mission: Mission, actor: User, values: Mapping[str, Any]) -> Mission:
    """Change the editable fields of a mission; ``values`` holds only the fields to change.

    The agreement note and its date are the mission's contract: once the mission is agreed they
    no longer change (an amendment is recorded as a decision). Once the mission is over, only
    what the knowledge base keeps (problem, solution, datasets) may still be refined.
    ``datasets`` is a sequence of active ``Dataset``.
    """
    _require_expert(actor)
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Champs non modifiables : {', '.join(sorted(unknown))}")
    mission = _locked(mission)
    changed: list[str] = []
    new_datasets: list[Dataset] | None = None
    for name, value in values.items():
        if name == "datasets":
            new_datasets = list(value)
            if any(not dataset.is_active for dataset in new_datasets):
                raise TransitionRefused("Seules les données actives du catalogue se choisissent.")
            current = set(mission.datasets.values_list("pk", flat=True))
            if {dataset.pk for dataset in new_datasets} != current:
                changed.append(name)
            continue
        cleaned = _clean_value(name, value)
        if cleaned == getattr(mission, name):
            continue
        if name in AGREEMENT_FIELDS and mission.state != MissionState.PROPOSED:
            raise TransitionRefused(
                "La note d'accord ne se modifie plus une fois la mission convenue : consignez "
                "l'avenant dans une décision."
            )
        if mission.state in _FINISHED and name not in KNOWLEDGE_FIELDS:
            _require_ongoing(mission)
        setattr(mission, name, cleaned)
        changed.append(name)
    if not changed:
        return mission
    mission.save()
    if new_datasets is not None:
        mission.datasets.set(new_datasets)
    labels = ", ".join(EDITABLE_FIELDS[name] for name in changed)
    _log(mission, "mission_update", actor, f"Modifié : {labels}.")
    if mission.state == MissionState.CLOSED:
        knowledge_entry_sync_mission(mission=mission)
    return mission


# --- the framing checklist ---------------------------------------------------------------------


@transaction.atomic
def framing_item_update(
    *, item: FramingItem, actor: User, status: FramingStatus | str, notes: str
) -> FramingItem:
    """Set the status and notes of one topic of the checklist."""
    _require_expert(actor)
    if status not in FramingStatus.values:
        raise TransitionRefused("Ce statut n'existe pas.")
    item = FramingItem.objects.select_for_update().select_related("mission").get(pk=item.pk)
    _require_ongoing(item.mission)
    notes = notes.strip()
    if item.status == status and item.notes == notes:
        return item
    status_changed = item.status != status
    item.status = FramingStatus(status)
    item.notes = notes
    item.updated_at = timezone.now()
    item.updated_by = actor
    item.save()
    what = f"statut « {item.get_status_display()} »" if status_changed else "notes modifiées"
    _log(item.mission, "framing_update", actor, f"{item.get_topic_display()} : {what}.")
    return item


@transaction.atomic
def deliverable_add(
    *, mission: Mission, actor: User, topic: FramingTopic | str, file: IncomingFile
) -> SupportAttachment:
    """Attach a deliverable to one topic of the checklist (same file rules as requests)."""
    _require_expert(actor)
    if topic not in FramingTopic.values:
        raise TransitionRefused("Ce point du cadrage n'existe pas.")
    mission = _locked(mission)
    _require_ongoing(mission)
    reason = refusal(file)
    if reason is not None:
        raise TransitionRefused(reason)
    content, digest = stored_content(file)
    attachment = SupportAttachment(
        request_id=mission.request_id,
        original_name=display_name(file.name),
        content_type=media_type(file),
        size=len(file.data),
        sha256=digest,
        uploaded_by=actor,
        framing_topic=FramingTopic(topic),
    )
    attachment.file.save("livrable", content, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def framing_item_save(
    *,
    item: FramingItem,
    actor: User,
    status: FramingStatus | str,
    notes: str,
    deliverable: IncomingFile | None = None,
) -> FramingItem:
    """Status, notes and an optional deliverable of one topic, written together: a refused file
    leaves the notes unchanged too, so the person corrects and sends the whole again."""
    item = framing_item_update(item=item, actor=actor, status=status, notes=notes)
    if deliverable is not None:
        deliverable_add(mission=item.mission, actor=actor, topic=item.topic, file=deliverable)
    return item


# --- meetings, decisions, time, costs ----------------------------------------------------------


@transaction.atomic
def meeting_record(
    *,
    mission: Mission,
    actor: User,
    held_on: date,
    title: str,
    participants: str = "",
    notes: str = "",
) -> Meeting:
    _require_expert(actor)
    mission = _locked(mission)
    _require_ongoing(mission)
    if not title.strip():
        raise TransitionRefused("L'objet de la réunion est nécessaire.")
    return Meeting.objects.create(
        mission=mission,
        held_on=held_on,
        title=title.strip(),
        participants=participants.strip(),
        notes=notes.strip(),
        recorded_by=actor,
    )


@transaction.atomic
def decision_record(
    *,
    mission: Mission,
    actor: User,
    decided_on: date,
    text: str,
    meeting: Meeting | None = None,
) -> Decision:
    """A decision, possibly taken in a meeting; amendments to the agreement are recorded so."""
    _require_expert(actor)
    mission = _locked(mission)
    _require_ongoing(mission)
    if not text.strip():
        raise TransitionRefused("Le texte de la décision est nécessaire.")
    if meeting is not None and meeting.mission_id != mission.pk:
        raise TransitionRefused("Cette réunion n'appartient pas à la mission.")
    return Decision.objects.create(
        mission=mission,
        meeting=meeting,
        decided_on=decided_on,
        text=text.strip(),
        recorded_by=actor,
    )


def _decimal(value: Any, what: str) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", "."))
    except InvalidOperation as error:
        raise TransitionRefused(f"{what} n'est pas un nombre.") from error
    if not number.is_finite():
        raise TransitionRefused(f"{what} n'est pas un nombre.")
    if number != number.quantize(Decimal("0.01")):
        raise TransitionRefused(f"{what} : deux décimales au plus.")
    return number


@transaction.atomic
def time_entry_record(
    *,
    mission: Mission,
    actor: User,
    worked_on: date,
    hours: Decimal | str | float,
    note: str = "",
) -> TimeEntry:
    """Time the actor spent on the mission on one day (¼ h to 24 h, not in the future)."""
    _require_expert(actor)
    mission = _locked(mission)
    _require_ongoing(mission)
    amount = _decimal(hours, "Le nombre d'heures")
    if not MIN_HOURS <= amount <= MAX_HOURS:
        raise TransitionRefused("Le temps passé va d'un quart d'heure (0,25) à 24 heures par jour.")
    if worked_on > timezone.localdate():
        raise TransitionRefused(
            "Le temps passé se note une fois le travail fait : pas de date future."
        )
    return TimeEntry.objects.create(
        mission=mission, expert=actor, worked_on=worked_on, hours=amount, note=note.strip()
    )


@transaction.atomic
def consultant_cost_record(
    *,
    mission: Mission,
    actor: User,
    supplier: str,
    description: str,
    amount_eur: Decimal | str | float,
    incurred_on: date,
) -> ConsultantCost:
    """An external consultant's invoice: the only cost a mission has."""
    _require_expert(actor)
    mission = _locked(mission)
    _require_ongoing(mission)
    amount = _decimal(amount_eur, "Le montant")
    if amount <= 0:
        raise TransitionRefused("Le montant doit être supérieur à zéro.")
    if amount > MAX_AMOUNT:
        raise TransitionRefused("Ce montant est trop élevé pour être enregistré.")
    if not supplier.strip() or not description.strip():
        raise TransitionRefused("Le prestataire et la prestation sont nécessaires.")
    return ConsultantCost.objects.create(
        mission=mission,
        supplier=supplier.strip(),
        description=description.strip(),
        amount_eur=amount,
        incurred_on=incurred_on,
        recorded_by=actor,
    )


# --- experts' profiles -------------------------------------------------------------------------


@transaction.atomic
def expert_update(
    *,
    user: User,
    actor: User,
    skills: Sequence[str],
    capacity: int,
    is_available: bool,
) -> Expert:
    """An administrator sets what an expert knows and how much they can take on; the profile is
    created on its first edit."""
    if not is_administrator(actor):
        raise ActionForbidden("Seuls les administrateurs modifient le profil des experts.")
    if not can_work_on_support(user):
        raise TransitionRefused(f"{user} ne travaille pas au guichet.")
    unknown = set(skills) - set(Skill.values)
    if unknown:
        raise TransitionRefused("Compétence inconnue : " + ", ".join(sorted(unknown)) + ".")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise TransitionRefused(f"Le nombre de missions en parallèle va de 1 à {MAX_CAPACITY}.")
    expert, _ = Expert.objects.select_for_update().get_or_create(user=user)
    expert.skills = [skill for skill in Skill.values if skill in set(skills)]
    expert.capacity = capacity
    expert.is_available = is_available
    expert.save()
    return expert
