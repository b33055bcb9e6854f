from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from dlnuf.catalogue.models import Provider
from dlnuf.organisations.models import (
    GLOBAL_ROLES,
    ORGANISATION_ROLES,
    PROVIDER_ROLES,
    Membership,
    Organisation,
    Role,
    RoleChange,
    RoleChangeAction,
    User,
)
from dlnuf.organisations.validators import validate_siret


@transaction.atomic
def organisation_get_or_create(*, siret: str, name: str = "") -> Organisation:
    """Return the organisation with this SIRET, creating it when unknown."""
    validate_siret(siret)
    organisation, created = Organisation.objects.get_or_create(siret=siret, defaults={"name": name})
    if not created and name and not organisation.name:
        organisation.name = name
        organisation.save(update_fields=["name"])
    return organisation


def _check_role_scope(
    role: Role, organisation: Organisation | None, provider: Provider | None
) -> None:
    if role in ORGANISATION_ROLES and (organisation is None or provider is not None):
        raise ValidationError(
            "Le rôle de demandeur s'exerce pour une organisation : indiquez son SIRET.",
            code="organisation_required",
        )
    if role in PROVIDER_ROLES and (provider is None or organisation is not None):
        raise ValidationError(
            "Les rôles d'instructeur et de rapporteur s'exercent pour un fournisseur de données : "
            "choisissez-le.",
            code="provider_required",
        )
    if role in GLOBAL_ROLES and (organisation is not None or provider is not None):
        raise ValidationError(
            "Les rôles d'expert et d'administrateur valent pour tout le guichet : n'indiquez ni "
            "organisation ni fournisseur.",
            code="no_scope_expected",
        )


@transaction.atomic
def membership_grant(
    *,
    user: User,
    role: Role,
    organisation: Organisation | None = None,
    provider: Provider | None = None,
    granted_by: User | None,
    comment: str = "",
) -> Membership:
    """Give ``user`` this role (idempotent); a new role is written to the role change log.

    ``granted_by`` is None when the product grants the role itself (ProConnect sign-in).
    """
    role = Role(role)
    _check_role_scope(role, organisation, provider)
    membership, created = Membership.objects.get_or_create(
        user=user, role=role, organisation=organisation, provider=provider
    )
    if created:
        RoleChange.objects.create(
            user=user,
            action=RoleChangeAction.GRANT,
            role=role,
            organisation=organisation,
            provider=provider,
            changed_by=granted_by,
            comment=comment,
        )
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership, revoked_by: User, comment: str = "") -> None:
    """Withdraw a role and log it. The guichet always keeps at least one administrator."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role == Role.ADMINISTRATOR:
        administrators = Membership.objects.select_for_update().filter(
            role=Role.ADMINISTRATOR, user__is_active=True
        )
        if not administrators.exclude(pk=locked.pk).exists():
            raise ValidationError(
                "C'est le dernier administrateur du guichet : attribuez d'abord ce rôle à une "
                "autre personne.",
                code="last_administrator",
            )
    RoleChange.objects.create(
        user_id=locked.user_id,
        action=RoleChangeAction.REVOKE,
        role=locked.role,
        organisation_id=locked.organisation_id,
        provider_id=locked.provider_id,
        changed_by=revoked_by,
        comment=comment,
    )
    locked.delete()


@transaction.atomic
def user_create(
    *, email: str, first_name: str = "", last_name: str = "", password: str | None = None
) -> User:
    """A local account; without a password it can only sign in through ProConnect."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            "Un compte existe déjà avec cette adresse électronique.", code="email_taken"
        )
    return User.objects.create_user(
        username=email,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
    )


@transaction.atomic
def user_password_change(*, user: User, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])


@dataclass(frozen=True)
class ProConnectIdentity:
    """What ProConnect says about an agent (already verified against its signature)."""

    sub: str
    email: str
    given_name: str
    usual_name: str
    siret: str


class ProConnectAccountConflict(Exception):
    """The address belongs to an account already tied to another ProConnect identity."""


@transaction.atomic
def user_sync_from_proconnect(*, identity: ProConnectIdentity) -> User:
    """The account of an agent who signed in through ProConnect, created or brought up to date,
    and made an applicant for the organisation of their SIRET (created when unknown).

    The account is found by its ProConnect subject, else by its address (a local account signing
    in through ProConnect for the first time keeps its roles).
    """
    validate_siret(identity.siret)
    email = User.objects.normalize_email(identity.email).lower()
    user = User.objects.select_for_update().filter(proconnect_sub=identity.sub).first()
    if user is None:
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        if user is not None and user.proconnect_sub:
            raise ProConnectAccountConflict(email)
    if user is None:
        user = User(username=f"proconnect:{identity.sub}"[:150], proconnect_sub=identity.sub)
        user.set_unusable_password()
    elif User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ProConnectAccountConflict(email)
    user.proconnect_sub = identity.sub
    user.email = email
    user.first_name = identity.given_name[:150]
    user.last_name = identity.usual_name[:150]
    user.save()
    organisation = organisation_get_or_create(siret=identity.siret)
    membership_grant(
        user=user,
        role=Role.APPLICANT,
        organisation=organisation,
        granted_by=None,
        comment=f"Connexion ProConnect avec le SIRET {identity.siret}",
    )
    return user
