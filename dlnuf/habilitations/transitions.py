"""The workflow of a habilitation request, in one table.

Each row names an action, the states it may start from, the state it leads to, and who may take
it. The services in ``dlnuf.habilitations.services`` are the only code that applies a row; each
application writes a ``RequestTransition`` row in the same database transaction.

``reopen`` does not change the validated request: it opens a new draft that amends the
habilitation, which stays active until the amendment is validated (the validated request is then
``superseded``). ``validate_sandbox`` and ``request_production`` form the optional sandbox stage.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from dlnuf.habilitations.models import AuthorizationRequest, RequestState


class Actor(Enum):
    APPLICANT = "applicant"  # an applicant of the request's organisation
    INSTRUCTOR = "instructor"  # an instructor of the dataset's provider
    # Administrators may take every action (checked in perms).


def _always(request: AuthorizationRequest) -> str | None:
    return None


def _sandbox_stage_pending(request: AuthorizationRequest) -> str | None:
    if not request.sandbox_stage:
        return "Cette demande ne comporte pas d'étape de bac à sable."
    if request.sandbox_validated_at is not None:
        return "L'étape de bac à sable est déjà validée."
    return None


def _production_allowed(request: AuthorizationRequest) -> str | None:
    if request.sandbox_stage and request.sandbox_validated_at is None:
        return (
            "Cette demande passe d'abord par le bac à sable : validez l'étape de bac à sable "
            "avant la production."
        )
    return None


def _joined_solution_approved(request: AuthorizationRequest) -> str | None:
    # A client joins a vendor's solution on the strength of its approval: none, no access.
    adhesion = getattr(request, "solution_adhesion", None)
    if adhesion is not None and not adhesion.solution.is_approved():
        return (
            f"La solution « {adhesion.solution} » n'est plus habilitée : l'adhésion ne peut "
            "pas être validée."
        )
    return None


def _validation_allowed(request: AuthorizationRequest) -> str | None:
    return _joined_solution_approved(request) or _production_allowed(request)


def _sandbox_validation_allowed(request: AuthorizationRequest) -> str | None:
    return _joined_solution_approved(request) or _sandbox_stage_pending(request)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: RequestState
    actor: Actor
    label: str  # the button a person clicks
    past: str  # what the history says happened
    comment_required: bool = False
    # A further condition on the request; returns why the action is refused, or None.
    guard: Callable[[AuthorizationRequest], str | None] = _always


def _states(*states: RequestState) -> frozenset[str]:
    return frozenset(state.value for state in states)


S = RequestState
TRANSITIONS: dict[str, Transition] = {
    row.action: row
    for row in (
        Transition("create", _states(), S.DRAFT, Actor.APPLICANT, "Créer", "Demande créée"),
        Transition(
            "submit",
            _states(S.DRAFT, S.CHANGES_REQUESTED),
            S.SUBMITTED,
            Actor.APPLICANT,
            "Soumettre la demande",
            "Demande soumise",
        ),
        Transition(
            "request_changes",
            _states(S.SUBMITTED),
            S.CHANGES_REQUESTED,
            Actor.INSTRUCTOR,
            "Demander des modifications",
            "Modifications demandées",
            comment_required=True,
        ),
        Transition(
            "validate_sandbox",
            _states(S.SUBMITTED),
            S.SANDBOX_VALIDATED,
            Actor.INSTRUCTOR,
            "Valider pour le bac à sable",
            "Demande validée pour le bac à sable",
            guard=_sandbox_validation_allowed,
        ),
        Transition(
            "request_production",
            _states(S.SANDBOX_VALIDATED),
            S.SUBMITTED,
            Actor.APPLICANT,
            "Demander le passage en production",
            "Passage en production demandé",
        ),
        Transition(
            "validate",
            _states(S.SUBMITTED),
            S.VALIDATED,
            Actor.INSTRUCTOR,
            "Valider",
            "Demande validée",
            guard=_validation_allowed,
        ),
        Transition(
            "refuse",
            _states(S.SUBMITTED),
            S.REFUSED,
            Actor.INSTRUCTOR,
            "Refuser",
            "Demande refusée",
            comment_required=True,
        ),
        Transition(
            "revoke",
            _states(S.VALIDATED, S.SANDBOX_VALIDATED),
            S.REVOKED,
            Actor.INSTRUCTOR,
            "Révoquer l'habilitation",
            "Habilitation révoquée",
            comment_required=True,
        ),
        Transition(
            "reopen",
            _states(S.VALIDATED),
            S.DRAFT,
            Actor.APPLICANT,
            "Modifier l'habilitation",
            "Modification de l'habilitation ouverte",
        ),
        Transition(
            "supersede",
            _states(S.VALIDATED),
            S.SUPERSEDED,
            Actor.INSTRUCTOR,
            "Remplacer",
            "Remplacée par une modification validée",
        ),
    )
}

# States in which the applicant may still edit the form.
EDITABLE_STATES = _states(S.DRAFT, S.CHANGES_REQUESTED)
# States waiting for an instructor's decision.
AWAITING_DECISION_STATES = _states(S.SUBMITTED)
# States in which the request is still in progress (an amendment in these blocks another one).
OPEN_STATES = _states(S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED)
# Actions a person takes with a button on the request's page (the others happen as a side effect).
BUTTON_ACTIONS = (
    "submit",
    "request_production",
    "validate_sandbox",
    "validate",
    "request_changes",
    "refuse",
    "revoke",
    "reopen",
)


def refusal_reason(action: str, request: AuthorizationRequest) -> str | None:
    """Why ``action`` is not possible on ``request`` in its current state, or None."""
    transition = TRANSITIONS[action]
    if request.state not in transition.sources:
        return (
            f"Action « {transition.label} » impossible : la demande est à l'état "
            f"« {RequestState(request.state).label} »."
        )
    return transition.guard(request)
