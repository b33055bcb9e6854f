from django.contrib.auth.models import AbstractUser
from django.db import models

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
    """A person who signs in to the portal; tied to organisations through memberships."""

    email = models.EmailField("adresse électronique", unique=True)


class Role(models.TextChoices):
    APPLICANT = "applicant", "demandeur"
    INSTRUCTOR = "instructor", "instructeur"
    REPORTER = "reporter", "rapporteur"
    EXPERT = "expert", "expert du guichet"
    ADMINISTRATOR = "administrator", "administrateur"


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="unique_membership_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation} ({self.get_role_display()})"
