"""The workflows of support requests and missions, each in one table.

A request is qualified (in the guichet's scope) or redirected with an explanation; a qualified
request is answered and closed, or becomes a mission. A mission is proposed, agreed (the agreement
note says who, what, until when), carried out, and closed with a summary, or cancelled. Only the
services in ``dlnuf.support.services`` apply a row, and each application writes a
``SupportTransition`` row in the same database transaction. Guichet experts (and administrators)
take every action; requesters act only through their follow link (replies, satisfaction).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dlnuf.support.models import Mission, MissionState, RequestState


def _always(subject: Any) -> str | None:
    return None


def _agreement_written(mission: Mission) -> str | None:
    if not mission.agreement_note.strip() or mission.agreed_until is None:
        return (
            "La note d'accord (qui, quoi, jusqu'à quand) et sa date de fin sont nécessaires "
            "avant de convenir de la mission."
        )
    return None


def _summary_written(mission: Mission) -> str | None:
    if not mission.closing_summary.strip():
        return "Rédigez le bilan de la mission avant de la clore."
    return None


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    label: str  # the button a person clicks
    past: str  # what the history says happened
    comment_required: bool = False
    # A further condition on the object; returns why the action is refused, or None.
    guard: Callable[[Any], str | None] = _always


def _states(*states: str) -> frozenset[str]:
    return frozenset(states)


R = RequestState
REQUEST_TRANSITIONS: dict[str, Transition] = {
    row.action: row
    for row in (
        Transition("receive", _states(), R.NEW, "Recevoir", "Demande reçue"),
        Transition("qualify", _states(R.NEW), R.QUALIFIED, "Qualifier", "Demande qualifiée"),
        Transition(
            "redirect",
            _states(R.NEW, R.QUALIFIED),
            R.REDIRECTED,
            "Réorienter",
            "Demande réorientée",
            comment_required=True,
        ),
        Transition(
            "open_mission",
            _states(R.QUALIFIED),
            R.IN_MISSION,
            "Ouvrir une mission",
            "Mission ouverte",
        ),
        Transition(
            "close",
            _states(R.QUALIFIED, R.IN_MISSION),
            R.CLOSED,
            "Clore la demande",
            "Demande close",
        ),
        Transition(
            "reopen",
            _states(R.REDIRECTED, R.CLOSED),
            R.QUALIFIED,
            "Rouvrir",
            "Demande rouverte",
            comment_required=True,
        ),
    )
}

M = MissionState
MISSION_TRANSITIONS: dict[str, Transition] = {
    row.action: row
    for row in (
        Transition("propose", _states(), M.PROPOSED, "Proposer", "Mission proposée"),
        Transition(
            "agree",
            _states(M.PROPOSED),
            M.AGREED,
            "Convenir de la mission",
            "Mission convenue",
            guard=_agreement_written,
        ),
        Transition("start", _states(M.AGREED), M.IN_PROGRESS, "Démarrer", "Mission démarrée"),
        Transition(
            "suspend",
            _states(M.IN_PROGRESS),
            M.SUSPENDED,
            "Suspendre",
            "Mission suspendue",
            comment_required=True,
        ),
        Transition("resume", _states(M.SUSPENDED), M.IN_PROGRESS, "Reprendre", "Mission reprise"),
        Transition(
            "close",
            _states(M.IN_PROGRESS),
            M.CLOSED,
            "Clore la mission",
            "Mission close",
            guard=_summary_written,
        ),
        Transition(
            "cancel",
            _states(M.PROPOSED, M.AGREED, M.IN_PROGRESS, M.SUSPENDED),
            M.CANCELLED,
            "Abandonner",
            "Mission abandonnée",
            comment_required=True,
        ),
    )
}


def refusal_reason(table: dict[str, Transition], action: str, subject: Any) -> str | None:
    """Why ``action`` cannot be taken on ``subject`` (a request or a mission) now, or None."""
    transition = table.get(action)
    if transition is None:
        return "Cette action n'existe pas."
    if subject.state not in transition.sources:
        return (
            f"L'action « {transition.label} » n'est pas possible dans l'état "
            f"« {subject.get_state_display()} »."
        )
    return transition.guard(subject)


def available_actions(table: dict[str, Transition], subject: Any) -> list[Transition]:
    """The actions a person may take now, in table order (for the buttons of a page)."""
    return [
        row
        for row in table.values()
        if row.sources and refusal_reason(table, row.action, subject) is None
    ]


def past_tense(action: str, *, mission: bool) -> str:
    table = MISSION_TRANSITIONS if mission else REQUEST_TRANSITIONS
    row = table.get(action)
    return row.past if row else action
