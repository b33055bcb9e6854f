"""Who may see and act on requests, habilitations and credentials (object-level predicates).

Built on the role predicates of ``dlnuf.organisations.perms``: applicants act for their
organisation's requests, instructors decide on their provider's, reporters and guichet experts
read, administrators do everything.
"""

from dlnuf.habilitations.models import (
    AuthorizationRequest,
    Credential,
    Habilitation,
    RequestState,
)
from dlnuf.habilitations.transitions import EDITABLE_STATES, TRANSITIONS, Actor, refusal_reason
from dlnuf.organisations.perms import (
    AnyUser,
    can_instruct,
    can_read_provider,
    is_administrator,
    is_applicant_for,
    sees_everything,
)


def can_read_request(user: AnyUser, request: AuthorizationRequest) -> bool:
    """Drafts stay with their organisation until submitted; the provider's side reads the rest."""
    return (
        sees_everything(user)
        or is_applicant_for(user, request.organisation)
        or (
            request.state != RequestState.DRAFT
            and can_read_provider(user, request.dataset.provider)
        )
    )


def has_role_for(user: AnyUser, action: str, request: AuthorizationRequest) -> bool:
    """Whether the user holds the role the action needs on this request, whatever its state."""
    if is_administrator(user):
        return True
    if TRANSITIONS[action].actor is Actor.APPLICANT:
        return is_applicant_for(user, request.organisation)
    return can_instruct(user, request.dataset.provider)


def can_take(user: AnyUser, action: str, request: AuthorizationRequest) -> bool:
    return has_role_for(user, action, request) and refusal_reason(action, request) is None


def can_edit_request(user: AnyUser, request: AuthorizationRequest) -> bool:
    return request.state in EDITABLE_STATES and (
        is_administrator(user) or is_applicant_for(user, request.organisation)
    )


def can_post_message(user: AnyUser, request: AuthorizationRequest) -> bool:
    """The thread is between the organisation's applicants and the provider's instructors."""
    return (
        is_administrator(user)
        or is_applicant_for(user, request.organisation)
        or can_instruct(user, request.dataset.provider)
    )


def can_read_habilitation(user: AnyUser, habilitation: Habilitation) -> bool:
    return (
        sees_everything(user)
        or is_applicant_for(user, habilitation.organisation)
        or can_read_provider(user, habilitation.dataset.provider)
    )


def can_manage_credentials(user: AnyUser, habilitation: Habilitation) -> bool:
    """Renew, rotate and revoke: the holder organisation's applicants and administrators."""
    return is_administrator(user) or is_applicant_for(user, habilitation.organisation)


def can_reveal_credential(user: AnyUser, credential: Credential) -> bool:
    """Only the holder organisation's applicants ever see a secret, administrators included."""
    return is_applicant_for(user, credential.habilitation.organisation)


def can_set_subject_visibility(user: AnyUser, habilitation: Habilitation) -> bool:
    """What people see of the consultations is decided on the provider's side, where the legal
    texts allowing a delay are checked."""
    return can_instruct(user, habilitation.dataset.provider)
