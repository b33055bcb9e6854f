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
