from django.db.models import Q, QuerySet

from dlnuf.catalogue.models import Provider
from dlnuf.organisations.models import (
    AccountRequest,
    AccountRequestState,
    Invitation,
    InvitationState,
    Membership,
    RoleChange,
    User,
)
from dlnuf.organisations.perms import is_administrator, organisations_of


def users_search(*, query: str = "") -> QuerySet[User]:
    """People whose address or name contains ``query`` (all of them when empty)."""
    users = User.objects.all()
    for word in query.split():
        users = users.filter(
            Q(email__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)
        )
    return users.prefetch_related("memberships__organisation", "memberships__provider").order_by(
        "last_name", "first_name", "email"
    )


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("organisation", "provider")
        .order_by("role", "organisation__name", "provider__name")
    )


def role_changes_of(user: User) -> QuerySet[RoleChange]:
    return RoleChange.objects.filter(user=user).select_related(
        "organisation", "provider", "changed_by"
    )


def providers_for_roles() -> QuerySet[Provider]:
    return Provider.objects.order_by("name")


def pending_invitations_for(user: User) -> QuerySet[Invitation]:
    """Invitations still waiting for their person: every one for administrators, those of
    their own organisations for applicants."""
    invitations = Invitation.objects.filter(state=InvitationState.PENDING).select_related(
        "organisation", "provider", "invited_by"
    )
    if is_administrator(user):
        return invitations
    return invitations.filter(organisation__in=organisations_of(user))


def account_requests_pending() -> QuerySet[AccountRequest]:
    return AccountRequest.objects.filter(state=AccountRequestState.PENDING).select_related(
        "provider"
    )


def account_requests_decided() -> QuerySet[AccountRequest]:
    return AccountRequest.objects.exclude(state=AccountRequestState.PENDING).select_related(
        "provider", "decided_by"
    )
