from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from dlnuf.append_only import AppendOnlyModel, AppendOnlyViolation
from dlnuf.organisations.validators import validate_siret


class Organisation(models.Model):
    """A public body (or a company, as a data subject's holder) identified by its SIRET."""

    siret = models.CharField("SIRET", max_length=14, unique=True, validators=[validate_siret])
    name = models.CharField("nom", max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "siret"]

    def __str__(self) -> str:
        return f"{self.name or 'Organisation'} ({self.siret})"

    @property
    def siren(self) -> str:
        return self.siret[:9]


class User(AbstractUser):
    """A person who signs in to the portal; tied to organisations through memberships.

    People sign in with their e-mail address (compared without case) or through ProConnect,
    which identifies them by a stable subject (``proconnect_sub``) even when their address changes.
    """

    email = models.EmailField("adresse électronique", unique=True)
    proconnect_sub = models.CharField(
        "identifiant ProConnect", max_length=255, unique=True, null=True, blank=True
    )

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="unique_user_email_ignoring_case"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Role(models.TextChoices):
    APPLICANT = "applicant", "demandeur"
    INSTRUCTOR = "instructor", "instructeur"
    REPORTER = "reporter", "rapporteur"
    EXPERT = "expert", "expert du guichet"
    ADMINISTRATOR = "administrator", "administrateur"


# Roles held for a consumer organisation, for a provider's datasets, or across the guichet.
ORGANISATION_ROLES = (Role.APPLICANT,)
PROVIDER_ROLES = (Role.INSTRUCTOR, Role.REPORTER)
GLOBAL_ROLES = (Role.EXPERT, Role.ADMINISTRATOR)


class Membership(models.Model):
    """A role of a user: applicant for an organisation, instructor or reporter for a provider's
    datasets, or guichet expert / administrator (neither organisation nor provider)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        null=True,
        blank=True,
    )
    provider = models.ForeignKey(
        "catalogue.Provider",
        on_delete=models.CASCADE,
        related_name="memberships",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organisation"],
                condition=models.Q(organisation__isnull=False),
                name="unique_organisation_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "provider"],
                condition=models.Q(provider__isnull=False),
                name="unique_provider_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(organisation__isnull=True, provider__isnull=True),
                name="unique_global_role",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        role__in=ORGANISATION_ROLES,
                        organisation__isnull=False,
                        provider__isnull=True,
                    )
                    | models.Q(
                        role__in=PROVIDER_ROLES, organisation__isnull=True, provider__isnull=False
                    )
                    | models.Q(
                        role__in=GLOBAL_ROLES, organisation__isnull=True, provider__isnull=True
                    )
                ),
                name="membership_scope_matches_role",
            ),
        ]

    def __str__(self) -> str:
        target = self.organisation or self.provider or "guichet"
        return f"{self.user} — {target} ({self.get_role_display()})"


class RoleChangeAction(models.TextChoices):
    GRANT = "grant", "attribution"
    REVOKE = "revoke", "retrait"


class RoleChangeForbidden(AppendOnlyViolation):
    """Raised on any attempt to change or remove a row of the role change log."""


class RoleChange(AppendOnlyModel):
    """One role granted or withdrawn: who, which role, where, by whom, when. Append-only.

    ``changed_by`` is empty when the product itself granted the role (a first sign-in through
    ProConnect ties the agent to the organisation of their SIRET).
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_changes")
    action = models.CharField(max_length=10, choices=RoleChangeAction.choices)
    role = models.CharField(max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    provider = models.ForeignKey(
        "catalogue.Provider", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    changed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="role_changes_made", null=True, blank=True
    )
    comment = models.CharField("commentaire", max_length=500, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    append_only_error = RoleChangeForbidden
    append_only_name = "Le journal des rôles"

    class Meta:
        ordering = ["-occurred_at", "-pk"]

    def __str__(self) -> str:
        target = self.organisation or self.provider or "guichet"
        return f"{self.get_action_display()} {self.get_role_display()} — {self.user} — {target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RoleChangeForbidden(
                "Le journal des rôles est en ajout seul : aucune modification."
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RoleChangeForbidden("Le journal des rôles est en ajout seul : aucune suppression.")


class InvitationState(models.TextChoices):
    PENDING = "pending", "en attente"
    ACCEPTED = "accepted", "acceptée"
    WITHDRAWN = "withdrawn", "retirée"


class Invitation(models.Model):
    """A person invited to create their account with a role, through a single-use signed link.

    Only the SHA-256 of the link's secret is kept: whoever reads the database cannot open it.
    An invitation past ``expires_at`` stays pending in the table but can no longer be accepted.
    """

    email = models.EmailField("adresse électronique")
    first_name = models.CharField("prénom", max_length=150)
    last_name = models.CharField("nom", max_length=150)
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="invitations", null=True, blank=True
    )
    provider = models.ForeignKey(
        "catalogue.Provider",
        on_delete=models.PROTECT,
        related_name="invitations",
        null=True,
        blank=True,
    )
    token_hash = models.CharField(max_length=64, unique=True)
    state = models.CharField(
        max_length=20, choices=InvitationState.choices, default=InvitationState.PENDING
    )
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations_sent")
    accepted_user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="invitations_accepted", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Invitation de {self.email} ({self.get_role_display()})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_expired(self) -> bool:
        return self.state == InvitationState.PENDING and self.expires_at <= timezone.now()


class InvitationChange(AppendOnlyModel):
    """One transition of an invitation (sent, accepted, withdrawn): who, when. Append-only."""

    invitation = models.ForeignKey(Invitation, on_delete=models.PROTECT, related_name="changes")
    from_state = models.CharField(max_length=20, choices=InvitationState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=InvitationState.choices)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    occurred_at = models.DateTimeField(default=timezone.now)

    append_only_name = "L'historique des invitations"

    class Meta:
        ordering = ["occurred_at", "pk"]


class AccountRequestState(models.TextChoices):
    PENDING = "pending", "à examiner"
    ACCEPTED = "accepted", "acceptée"
    REFUSED = "refused", "refusée"


# Roles a person may ask for without an account: for their organisation, or for a provider.
REQUESTABLE_ROLES = (Role.APPLICANT, Role.INSTRUCTOR, Role.REPORTER)


class AccountRequest(models.Model):
    """Someone without an account asks for one, for their organisation (by SIRET)."""

    first_name = models.CharField("prénom", max_length=150)
    last_name = models.CharField("nom", max_length=150)
    email = models.EmailField("adresse électronique")
    siret = models.CharField("SIRET", max_length=14, validators=[validate_siret])
    role = models.CharField(
        "rôle souhaité",
        max_length=20,
        choices=[(role.value, role.label) for role in REQUESTABLE_ROLES],
    )
    provider = models.ForeignKey(
        "catalogue.Provider",
        on_delete=models.PROTECT,
        related_name="account_requests",
        null=True,
        blank=True,
    )
    reason = models.TextField("motif")
    state = models.CharField(
        max_length=20, choices=AccountRequestState.choices, default=AccountRequestState.PENDING
    )
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decision_comment = models.TextField("commentaire de la décision", blank=True)
    invitation = models.OneToOneField(
        Invitation,
        on_delete=models.PROTECT,
        related_name="account_request",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Demande de compte de {self.first_name} {self.last_name} ({self.email})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class AccountRequestChange(AppendOnlyModel):
    """One transition of an account request (submitted, accepted, refused). Append-only."""

    account_request = models.ForeignKey(
        AccountRequest, on_delete=models.PROTECT, related_name="changes"
    )
    from_state = models.CharField(max_length=20, choices=AccountRequestState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=AccountRequestState.choices)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    comment = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    append_only_name = "L'historique des demandes de compte"

    class Meta:
        ordering = ["occurred_at", "pk"]
