"""Irritants: blocking points between administrations, their impact, escalation and outcome.

An irritant is opened ``open``, may be escalated (and escalated again, higher, while it is
escalated), and ends ``resolved`` (with the resolution written) or ``abandoned`` (with the
reason); an ended irritant can be reopened. Updates of its description, parties or impact and
free notes do not change its state. Every step writes one ``IrritantEvent`` in the same
transaction as the change it records.

Impact, which orders the list: people affected per year first, then procedures affected, then
age (the oldest first). ``procedures_affected`` is the total: the procedures of the portal
linked to the irritant are counted automatically, and the number typed by the expert adds the
procedures that are not described in the portal.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from dlnuf.catalogue.models import Provider
from dlnuf.organisations.models import User
from dlnuf.procedures.models import Procedure
from dlnuf.support.models import (
    Irritant,
    IrritantEvent,
    IrritantKind,
    IrritantState,
    SupportRequest,
)
from dlnuf.support.perms import can_work_on_support
from dlnuf.support.services import ActionForbidden, TransitionRefused
from dlnuf.support.transitions import Transition, available_actions, refusal_reason

S = IrritantState
IRRITANT_TRANSITIONS: dict[str, Transition] = {
    row.action: row
    for row in (
        Transition("open", frozenset(), S.OPEN, "Ouvrir", "Irritant ouvert"),
        Transition(
            "escalate",
            frozenset({S.OPEN, S.ESCALATED}),
            S.ESCALATED,
            "Escalader",
            "Irritant escaladé",
        ),
        Transition(
            "resolve",
            frozenset({S.OPEN, S.ESCALATED}),
            S.RESOLVED,
            "Marquer comme résolu",
            "Irritant résolu",
            comment_required=True,
        ),
        Transition(
            "abandon",
            frozenset({S.OPEN, S.ESCALATED}),
            S.ABANDONED,
            "Abandonner",
            "Irritant abandonné",
            comment_required=True,
        ),
        Transition(
            "reopen",
            frozenset({S.RESOLVED, S.ABANDONED}),
            S.OPEN,
            "Rouvrir",
            "Irritant rouvert",
            comment_required=True,
        ),
    )
}
# Steps that leave the state as it is.
UPDATE = "update"
NOTE = "note"
EVENT_LABELS = {
    **{action: row.past for action, row in IRRITANT_TRANSITIONS.items()},
    UPDATE: "Irritant modifié",
    NOTE: "Note",
}
ACTIVE_STATES = (S.OPEN, S.ESCALATED)
ENDED_STATES = (S.RESOLVED, S.ABANDONED)
# People affected per year first, then procedures affected, then the oldest first.
IMPACT_ORDER = ("-people_affected_per_year", "-procedures_affected", "opened_at", "pk")
PARTIES_MISSING = (
    "Nommez la partie en cause : choisissez un fournisseur du catalogue ou saisissez le nom "
    "d'une autre administration."
)
REQUIRED_TEXT = {
    "resolve": "Décrivez la résolution : ce qui a levé le blocage.",
    "abandon": "Expliquez pourquoi l'irritant est abandonné.",
    "reopen": "Expliquez pourquoi l'irritant est rouvert.",
}


def parties_refusal(blocking_provider: Provider | None, blocking_party: str) -> str | None:
    """Why the parties in cause are not enough, or None: at least one must be named."""
    if blocking_provider is None and not blocking_party.strip():
        return PARTIES_MISSING
    return None


def irritant_event_label(action: str) -> str:
    return EVENT_LABELS.get(action, action)


# --- writes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Impact:
    procedures: list[Procedure]
    procedures_affected: int
    people_affected_per_year: int


def _checked_text(value: str, message: str) -> str:
    text = value.strip()
    if not text:
        raise TransitionRefused(message)
    return text


def _checked_impact(
    procedures: Iterable[Procedure], outside_portal: int, people_affected_per_year: int
) -> _Impact:
    if outside_portal < 0:
        raise TransitionRefused("Le nombre de démarches touchées ne peut pas être négatif.")
    if people_affected_per_year < 0:
        raise TransitionRefused("Le nombre d'usagers touchés ne peut pas être négatif.")
    linked = list(dict.fromkeys(procedures))
    return _Impact(linked, len(linked) + outside_portal, people_affected_per_year)


def _require_expert(actor: User) -> None:
    if not can_work_on_support(actor):
        raise ActionForbidden("Les irritants sont réservés aux experts du guichet.")


def _locked(irritant: Irritant) -> Irritant:
    # Two experts acting at once must not both apply a transition.
    return Irritant.objects.select_for_update(of=("self",)).get(pk=irritant.pk)


def _log(
    irritant: Irritant,
    action: str,
    from_state: str,
    *,
    actor: User,
    comment: str,
    at: datetime,
) -> IrritantEvent:
    return IrritantEvent.objects.create(
        irritant=irritant,
        action=action,
        from_state=from_state,
        to_state=irritant.state,
        actor=actor,
        comment=comment.strip(),
        occurred_at=at,
    )


def _check(irritant: Irritant, action: str, actor: User) -> None:
    _require_expert(actor)
    reason = refusal_reason(IRRITANT_TRANSITIONS, action, irritant)
    if reason is not None:
        raise TransitionRefused(reason)


@transaction.atomic
def irritant_open(
    *,
    actor: User,
    title: str,
    kind: str,
    description: str,
    blocked_party: str,
    blocking_provider: Provider | None = None,
    blocking_party: str = "",
    request: SupportRequest | None = None,
    procedures: Iterable[Procedure] = (),
    procedures_affected: int,
    people_affected_per_year: int,
) -> Irritant:
    """Record a blocking point. ``procedures_affected`` counts the affected procedures that are
    not in the portal; the linked ``procedures`` are added to it."""
    _require_expert(actor)
    if kind not in IrritantKind.values:
        raise TransitionRefused("Choisissez la nature du blocage dans la liste.")
    reason = parties_refusal(blocking_provider, blocking_party)
    if reason is not None:
        raise TransitionRefused(reason)
    impact = _checked_impact(procedures, procedures_affected, people_affected_per_year)
    now = timezone.now()
    irritant = Irritant.objects.create(
        title=_checked_text(title, "Donnez un intitulé à l'irritant."),
        kind=kind,
        description=_checked_text(description, "Décrivez le blocage."),
        blocked_party=_checked_text(blocked_party, "Indiquez l'administration bloquée."),
        blocking_provider=blocking_provider,
        blocking_party=blocking_party.strip(),
        request=request,
        procedures_affected=impact.procedures_affected,
        people_affected_per_year=impact.people_affected_per_year,
        opened_at=now,
        opened_by=actor,
    )
    irritant.procedures.set(impact.procedures)
    _log(irritant, "open", "", actor=actor, comment="", at=now)
    return irritant


@transaction.atomic
def irritant_update(
    *,
    irritant: Irritant,
    actor: User,
    title: str,
    kind: str,
    description: str,
    blocked_party: str,
    blocking_provider: Provider | None,
    blocking_party: str,
    procedures: Iterable[Procedure],
    procedures_affected: int,
    people_affected_per_year: int,
) -> Irritant:
    """Change the description, the parties or the impact of an irritant in progress.

    ``procedures_affected`` is again the number outside the portal. The history says which
    parts changed, with the old and new figures of the impact.
    """
    _require_expert(actor)
    irritant = _locked(irritant)
    if irritant.state not in ACTIVE_STATES:
        raise TransitionRefused(
            f"Un irritant « {irritant.get_state_display()} » ne se modifie plus : rouvrez-le "
            "d'abord."
        )
    if kind not in IrritantKind.values:
        raise TransitionRefused("Choisissez la nature du blocage dans la liste.")
    reason = parties_refusal(blocking_provider, blocking_party)
    if reason is not None:
        raise TransitionRefused(reason)
    impact = _checked_impact(procedures, procedures_affected, people_affected_per_year)
    new_values = {
        "title": _checked_text(title, "Donnez un intitulé à l'irritant."),
        "kind": kind,
        "description": _checked_text(description, "Décrivez le blocage."),
        "blocked_party": _checked_text(blocked_party, "Indiquez l'administration bloquée."),
        "blocking_provider_id": blocking_provider.pk if blocking_provider else None,
        "blocking_party": blocking_party.strip(),
        "procedures_affected": impact.procedures_affected,
        "people_affected_per_year": impact.people_affected_per_year,
    }
    old_procedures = set(irritant.procedures.values_list("pk", flat=True))
    changes = _describe_changes(irritant, new_values)
    if old_procedures != {procedure.pk for procedure in impact.procedures}:
        changes.append("démarches liées")
    if not changes:
        return irritant
    for name, value in new_values.items():
        setattr(irritant, name, value)
    irritant.save()
    irritant.procedures.set(impact.procedures)
    _log(
        irritant,
        UPDATE,
        irritant.state,
        actor=actor,
        comment="Modifié : " + " ; ".join(changes) + ".",
        at=timezone.now(),
    )
    return irritant


def _describe_changes(irritant: Irritant, new_values: Mapping[str, object]) -> list[str]:
    changes = []
    for name, label in (
        ("title", "intitulé"),
        ("kind", "nature"),
        ("description", "description"),
        ("blocked_party", "administration bloquée"),
    ):
        if getattr(irritant, name) != new_values[name]:
            changes.append(label)
    if (irritant.blocking_provider_id, irritant.blocking_party) != (
        new_values["blocking_provider_id"],
        new_values["blocking_party"],
    ):
        changes.append("partie en cause")
    for name, label in (
        ("people_affected_per_year", "usagers touchés par an"),
        ("procedures_affected", "démarches touchées"),
    ):
        if getattr(irritant, name) != new_values[name]:
            changes.append(f"{label} {getattr(irritant, name)} → {new_values[name]}")
    return changes


@transaction.atomic
def irritant_escalate(
    *, irritant: Irritant, actor: User, escalated_to: str, comment: str = ""
) -> Irritant:
    """Carry the irritant to someone who can lift it; while escalated, to someone higher."""
    irritant = _locked(irritant)
    _check(irritant, "escalate", actor)
    to = _checked_text(escalated_to, "Indiquez auprès de qui l'irritant est escaladé.")
    if irritant.state == S.ESCALATED and to.casefold() == irritant.escalated_to.casefold():
        raise TransitionRefused(f"L'irritant est déjà escaladé auprès de {irritant.escalated_to}.")
    from_state = irritant.state
    now = timezone.now()
    irritant.state = S.ESCALATED
    irritant.escalated_to = to
    irritant.escalated_at = now
    irritant.save()
    text = f"Auprès de : {to}"
    if comment.strip():
        text += f"\n{comment.strip()}"
    _log(irritant, "escalate", from_state, actor=actor, comment=text, at=now)
    return irritant


@transaction.atomic
def irritant_resolve(*, irritant: Irritant, actor: User, resolution: str) -> Irritant:
    irritant = _locked(irritant)
    _check(irritant, "resolve", actor)
    text = _checked_text(resolution, REQUIRED_TEXT["resolve"])
    from_state = irritant.state
    now = timezone.now()
    irritant.state = S.RESOLVED
    irritant.resolution = text
    irritant.resolved_at = now
    irritant.save()
    _log(irritant, "resolve", from_state, actor=actor, comment=text, at=now)
    return irritant


@transaction.atomic
def irritant_abandon(*, irritant: Irritant, actor: User, comment: str) -> Irritant:
    irritant = _locked(irritant)
    _check(irritant, "abandon", actor)
    text = _checked_text(comment, REQUIRED_TEXT["abandon"])
    from_state = irritant.state
    irritant.state = S.ABANDONED
    irritant.save()
    _log(irritant, "abandon", from_state, actor=actor, comment=text, at=timezone.now())
    return irritant


@transaction.atomic
def irritant_reopen(*, irritant: Irritant, actor: User, comment: str) -> Irritant:
    """Back to ``open``; the former resolution stays in the history only. The last
    escalation is kept, for the record, until the next one."""
    irritant = _locked(irritant)
    _check(irritant, "reopen", actor)
    text = _checked_text(comment, REQUIRED_TEXT["reopen"])
    from_state = irritant.state
    irritant.state = S.OPEN
    irritant.resolution = ""
    irritant.resolved_at = None
    irritant.save()
    _log(irritant, "reopen", from_state, actor=actor, comment=text, at=timezone.now())
    return irritant


@transaction.atomic
def irritant_note(*, irritant: Irritant, actor: User, comment: str) -> IrritantEvent:
    """A note in the history (a call made, an answer received), in any state."""
    _require_expert(actor)
    irritant = _locked(irritant)
    text = _checked_text(comment, "La note est vide.")
    return _log(irritant, NOTE, irritant.state, actor=actor, comment=text, at=timezone.now())


# --- reads -------------------------------------------------------------------------------------


def age_in_days(irritant: Irritant, now: datetime | None = None) -> int:
    """Whole days since the irritant was opened, by local calendar dates."""
    today = timezone.localdate(now or timezone.now())
    return (today - timezone.localdate(irritant.opened_at)).days


def procedures_outside_portal(irritant: Irritant) -> int:
    """The affected procedures not described in the portal (the number the expert typed)."""
    return max(0, irritant.procedures_affected - irritant.procedures.count())


@dataclass(frozen=True)
class ListedIrritant:
    irritant: Irritant
    age_days: int


def irritants_listed(
    *,
    states: Iterable[str] = ACTIVE_STATES,
    kind: str = "",
    provider: Provider | None = None,
    now: datetime | None = None,
) -> list[ListedIrritant]:
    """Irritants in ``states``, filtered by kind and provider in cause.

    Irritants in progress come by impact; ended ones by their end, the latest first.
    """
    wanted = set(states)
    irritants: QuerySet[Irritant] = Irritant.objects.filter(state__in=wanted).select_related(
        "blocking_provider"
    )
    if kind:
        irritants = irritants.filter(kind=kind)
    if provider is not None:
        irritants = irritants.filter(blocking_provider=provider)
    if wanted <= set(ACTIVE_STATES):
        irritants = irritants.order_by(*IMPACT_ORDER)
    else:
        irritants = irritants.order_by("-resolved_at", "-opened_at", "-pk")
    return [ListedIrritant(irritant, age_in_days(irritant, now)) for irritant in irritants]


def irritant_detail(pk: int) -> Irritant | None:
    return (
        Irritant.objects.select_related("blocking_provider", "request", "opened_by")
        .prefetch_related("procedures__organisation")
        .filter(pk=pk)
        .first()
    )


def irritant_history(irritant: Irritant) -> list[IrritantEvent]:
    """Every step, oldest first."""
    return list(irritant.events.select_related("actor").order_by("occurred_at", "pk"))


def irritant_actions(irritant: Irritant) -> list[Transition]:
    """The state changes possible now, in table order."""
    return available_actions(IRRITANT_TRANSITIONS, irritant)
