"""Who may do what, as predicates every view and selector asks (object-level permissions).

- applicant: acts for the consumer organisations they are a member of;
- instructor: decides on requests for their provider's datasets; reporter: reads them;
- guichet expert: reads everything to help, decides nothing;
- administrator: everything.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from dlnuf.catalogue.models import Provider
from dlnuf.organisations.models import Membership, Organisation, Role, User

AnyUser = User | AnonymousUser


def _roles(user: AnyUser) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user_id=user.pk)


def is_administrator(user: AnyUser) -> bool:
    return bool(
        user.is_authenticated and (user.is_superuser or _has_global(user, Role.ADMINISTRATOR))
    )


def is_expert(user: AnyUser) -> bool:
    return _has_global(user, Role.EXPERT)


def _has_global(user: AnyUser, role: Role) -> bool:
    return _roles(user).filter(role=role, organisation__isnull=True, provider__isnull=True).exists()


def sees_everything(user: AnyUser) -> bool:
    """Administrators and guichet experts read every organisation's and provider's records."""
    return is_administrator(user) or is_expert(user)


def organisations_of(user: AnyUser) -> QuerySet[Organisation]:
    """Consumer organisations the user acts for as an applicant."""
    return Organisation.objects.filter(
        memberships__in=_roles(user).filter(role=Role.APPLICANT)
    ).distinct()


def is_applicant_for(user: AnyUser, organisation: Organisation) -> bool:
    return _roles(user).filter(role=Role.APPLICANT, organisation=organisation).exists()


def providers_instructed_by(user: AnyUser) -> QuerySet[Provider]:
    if is_administrator(user):
        return Provider.objects.all()
    return Provider.objects.filter(
        memberships__in=_roles(user).filter(role=Role.INSTRUCTOR)
    ).distinct()


def providers_reported_to(user: AnyUser) -> QuerySet[Provider]:
    """Providers whose requests and usage the user may read (instructors and reporters)."""
    if sees_everything(user):
        return Provider.objects.all()
    return Provider.objects.filter(
        memberships__in=_roles(user).filter(role__in=[Role.INSTRUCTOR, Role.REPORTER])
    ).distinct()


def can_instruct(user: AnyUser, provider: Provider) -> bool:
    return (
        is_administrator(user)
        or _roles(user).filter(role=Role.INSTRUCTOR, provider=provider).exists()
    )


def can_read_provider(user: AnyUser, provider: Provider) -> bool:
    return (
        sees_everything(user)
        or _roles(user)
        .filter(role__in=[Role.INSTRUCTOR, Role.REPORTER], provider=provider)
        .exists()
    )


def can_manage_roles(user: AnyUser) -> bool:
    """Only administrators grant and withdraw roles."""
    return is_administrator(user)


def can_invite(user: AnyUser) -> bool:
    """Administrators invite anyone; applicants invite colleagues of their own organisations."""
    return is_administrator(user) or _roles(user).filter(role=Role.APPLICANT).exists()


def may_invite_as(
    user: AnyUser, *, role: str, organisation: Organisation | None, provider: Provider | None
) -> bool:
    """Whether ``user`` may give this role through an invitation: an applicant grants no role
    above their own, and only for an organisation they act for."""
    if is_administrator(user):
        return True
    return (
        role == Role.APPLICANT
        and provider is None
        and organisation is not None
        and is_applicant_for(user, organisation)
    )


def can_decide_account_requests(user: AnyUser) -> bool:
    return is_administrator(user)
