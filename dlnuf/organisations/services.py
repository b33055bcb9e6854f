import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from dlnuf.catalogue.models import Provider
from dlnuf.organisations.emails import (
    account_request_refused_email_send,
    invitation_email_send,
    password_reset_email_send,
    proconnect_only_email_send,
    role_granted_email_send,
    site_link,
)
from dlnuf.organisations.models import (
    GLOBAL_ROLES,
    ORGANISATION_ROLES,
    PROVIDER_ROLES,
    REQUESTABLE_ROLES,
    AccountRequest,
    AccountRequestChange,
    AccountRequestState,
    Invitation,
    InvitationChange,
    InvitationState,
    Membership,
    Organisation,
    Role,
    RoleChange,
    RoleChangeAction,
    User,
)
from dlnuf.organisations.perms import can_decide_account_requests, may_invite_as
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
    _invitations_honour(user)
    return user


def _invitations_honour(user: User) -> None:
    """Someone invited who signs in with ProConnect instead of opening the link gets the roles
    they were invited to; the invitations are then used up."""
    invitations = Invitation.objects.select_for_update().filter(
        email__iexact=user.email, state=InvitationState.PENDING, expires_at__gt=timezone.now()
    )
    for invitation in invitations:
        membership_grant(
            user=user,
            role=Role(invitation.role),
            organisation=invitation.organisation,
            provider=invitation.provider,
            granted_by=invitation.invited_by,
            comment="Invitation acceptée par une connexion ProConnect",
        )
        invitation.state = InvitationState.ACCEPTED
        invitation.accepted_user = user
        invitation.save(update_fields=["state", "accepted_user"])
        _invitation_log(
            invitation, from_state=InvitationState.PENDING, to_state=invitation.state, actor=user
        )


# --- forgotten password ---------------------------------------------------------------------


def password_reset_send(*, email: str) -> int:
    """E-mail a link to choose a new password to the account of this address, if there is one.

    Runs in a background job, so that the page answers the same, in the same time, whether the
    address has an account or not. An account without a password (ProConnect) is told so.
    Returns how many e-mails were written (0 or 1).
    """
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return 0
    with transaction.atomic():
        if not user.has_usable_password():
            proconnect_only_email_send(user=user)
            return 1
        link = site_link(
            "password_reset_confirm",
            uidb64=urlsafe_base64_encode(force_bytes(user.pk)),
            token=default_token_generator.make_token(user),
        )
        password_reset_email_send(user=user, link=link)
    return 1


# --- invitations ------------------------------------------------------------------------------


class InvitationUnusable(Exception):
    """The link opens no invitation: unknown, expired, already used or withdrawn."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invitation_log(
    invitation: Invitation, *, from_state: str, to_state: str, actor: User | None
) -> None:
    InvitationChange.objects.create(
        invitation=invitation, from_state=from_state, to_state=to_state, actor=actor
    )


@transaction.atomic
def invitation_create(
    *,
    invited_by: User,
    email: str,
    first_name: str,
    last_name: str,
    role: Role,
    organisation: Organisation | None = None,
    provider: Provider | None = None,
) -> Invitation:
    """Invite a person to create their account with this role; the link goes by e-mail.

    Raises PermissionDenied when ``invited_by`` may not give this role here (an applicant
    invites applicants of their own organisations only).
    """
    role = Role(role)
    _check_role_scope(role, organisation, provider)
    if not may_invite_as(invited_by, role=role, organisation=organisation, provider=provider):
        raise PermissionDenied(
            "Vous ne pouvez inviter que des demandeurs de votre propre organisation."
        )
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            "Un compte existe déjà avec cette adresse électronique : un administrateur peut lui "
            "attribuer ce rôle depuis la page des rôles.",
            code="email_taken",
        )
    pending = Invitation.objects.filter(
        email__iexact=email, state=InvitationState.PENDING, expires_at__gt=timezone.now()
    )
    if pending.exists():
        raise ValidationError(
            "Une invitation est déjà en attente pour cette adresse électronique : retirez-la "
            "d'abord pour en envoyer une nouvelle.",
            code="invitation_pending",
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        organisation=organisation,
        provider=provider,
        token_hash=invitation_token_hash(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=settings.DLNUF_INVITATION_VALIDITY_DAYS),
    )
    _invitation_log(invitation, from_state="", to_state=InvitationState.PENDING, actor=invited_by)
    invitation_email_send(invitation=invitation, token=token)
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The pending, unexpired invitation this link opens; raises InvitationUnusable."""
    invitation = (
        Invitation.objects.select_related("organisation", "provider", "invited_by")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )
    _check_usable(invitation)
    assert invitation is not None
    return invitation


def _check_usable(invitation: Invitation | None) -> None:
    if invitation is None:
        raise InvitationUnusable("unknown")
    if invitation.state != InvitationState.PENDING:
        raise InvitationUnusable(invitation.state)
    if invitation.is_expired:
        raise InvitationUnusable("expired")


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Create the invited person's account with the password they chose, and give the role.

    The invitation is locked first, so that a link opened twice at once creates one account.
    """
    invitation = (
        Invitation.objects.select_for_update()
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )
    _check_usable(invitation)
    assert invitation is not None
    user = user_create(
        email=invitation.email,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
        password=password,
    )
    membership_grant(
        user=user,
        role=Role(invitation.role),
        organisation=invitation.organisation,
        provider=invitation.provider,
        granted_by=invitation.invited_by,
        comment="Invitation acceptée",
    )
    invitation.state = InvitationState.ACCEPTED
    invitation.accepted_user = user
    invitation.save(update_fields=["state", "accepted_user"])
    _invitation_log(
        invitation, from_state=InvitationState.PENDING, to_state=invitation.state, actor=user
    )
    return user


@transaction.atomic
def invitation_withdraw(*, invitation: Invitation, withdrawn_by: User) -> None:
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.state != InvitationState.PENDING:
        raise ValidationError(
            "Cette invitation n'est plus en attente : elle ne peut plus être retirée.",
            code="invitation_not_pending",
        )
    locked.state = InvitationState.WITHDRAWN
    locked.save(update_fields=["state"])
    _invitation_log(
        locked, from_state=InvitationState.PENDING, to_state=locked.state, actor=withdrawn_by
    )


# --- account requests -------------------------------------------------------------------------


def _account_request_log(
    account_request: AccountRequest,
    *,
    from_state: str,
    actor: User | None,
    comment: str = "",
) -> None:
    AccountRequestChange.objects.create(
        account_request=account_request,
        from_state=from_state,
        to_state=account_request.state,
        actor=actor,
        comment=comment,
    )


@transaction.atomic
def account_request_submit(
    *,
    first_name: str,
    last_name: str,
    email: str,
    siret: str,
    role: Role,
    reason: str,
    provider: Provider | None = None,
) -> AccountRequest:
    """Record the request of someone without an account; administrators decide on it."""
    validate_siret(siret)
    role = Role(role)
    if role not in REQUESTABLE_ROLES:
        raise ValidationError("Ce rôle ne se demande pas.", code="role_not_requestable")
    if role in PROVIDER_ROLES and provider is None:
        raise ValidationError(
            "Choisissez le fournisseur de données pour lequel vous instruisez ou suivez les "
            "demandes.",
            code="provider_required",
        )
    account_request = AccountRequest.objects.create(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=User.objects.normalize_email(email).strip().lower(),
        siret=siret,
        role=role,
        provider=provider if role in PROVIDER_ROLES else None,
        reason=reason.strip(),
    )
    _account_request_log(account_request, from_state="", actor=None)
    return account_request


@transaction.atomic
def account_request_decide(
    *, account_request: AccountRequest, decided_by: User, accept: bool, comment: str = ""
) -> AccountRequest:
    """Accept (the person receives an invitation, or the role when they already have an
    account) or refuse (they are told why); either way they get an e-mail."""
    if not can_decide_account_requests(decided_by):
        raise PermissionDenied("Seuls les administrateurs du guichet décident des demandes.")
    locked = AccountRequest.objects.select_for_update().get(pk=account_request.pk)
    if locked.state != AccountRequestState.PENDING:
        raise ValidationError(
            "Cette demande a déjà reçu une décision.", code="account_request_decided"
        )
    locked.state = AccountRequestState.ACCEPTED if accept else AccountRequestState.REFUSED
    locked.decided_by = decided_by
    locked.decided_at = timezone.now()
    locked.decision_comment = comment.strip()
    if accept:
        role = Role(locked.role)
        provider = locked.provider if role in PROVIDER_ROLES else None
        organisation = (
            None if role in PROVIDER_ROLES else organisation_get_or_create(siret=locked.siret)
        )
        existing = User.objects.filter(email__iexact=locked.email).first()
        if existing is not None:
            membership_grant(
                user=existing,
                role=role,
                granted_by=decided_by,
                comment="Demande de compte acceptée",
                organisation=organisation,
                provider=provider,
            )
            role_granted_email_send(account_request=locked)
        else:
            locked.invitation = invitation_create(
                invited_by=decided_by,
                email=locked.email,
                first_name=locked.first_name,
                last_name=locked.last_name,
                role=role,
                organisation=organisation,
                provider=provider,
            )
    else:
        account_request_refused_email_send(account_request=locked)
    locked.save()
    _account_request_log(
        locked,
        from_state=AccountRequestState.PENDING,
        actor=decided_by,
        comment=locked.decision_comment,
    )
    return locked
