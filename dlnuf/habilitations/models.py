from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from dlnuf.catalogue.models import Dataset, Scope
from dlnuf.organisations.models import Organisation


class Environment(models.TextChoices):
    SANDBOX = "sandbox", "bac à sable"
    PRODUCTION = "production", "production"


class Habilitation(models.Model):
    """The active right of a consumer organisation to exactly these scopes of one dataset."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="habilitations"
    )
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="habilitations")
    scopes = models.ManyToManyField(Scope, related_name="habilitations")
    purpose = models.TextField("finalité", blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_by_label = models.CharField(max_length=255, blank=True)
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"{self.organisation.siret} → {self.dataset.slug}"

    def is_active(self, at: datetime | None = None) -> bool:
        now = at or timezone.now()
        return self.revoked_at is None and self.granted_at <= now < self.expires_at


class Credential(models.Model):
    """A secret a consumer's software sends. Only its SHA-256 is stored; it is shown once."""

    habilitation = models.ForeignKey(
        Habilitation, on_delete=models.PROTECT, related_name="credentials"
    )
    environment = models.CharField(max_length=10, choices=Environment.choices)
    # The first characters of the secret, kept so that people can tell their credentials apart.
    prefix = models.CharField(max_length=20)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.get_environment_display()})"
