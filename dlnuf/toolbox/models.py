"""Reports of the experts' toolbox: one row per run of a tool, its inputs and its results.

Quick tools (value, cost estimate) compute their results at once. Long ones (code quality,
accessibility, technology review) run as background jobs and record their progress here, so that
the report's page can show how far they are. A report may be attached to a mission of the guichet.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone


class ToolKind(models.TextChoices):
    MAREVA = "mareva", "Valeur du projet (MAREVA 2)"
    COSTING = "costing", "Revue d'un chiffrage"
    CODE_QUALITY = "code_quality", "Qualité du code"
    ACCESSIBILITY = "accessibility", "Accessibilité (RGAA)"
    TECH_REVIEW = "tech_review", "Revue des technologies"


class ReportStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Terminé"
    FAILED = "failed", "Échec"


# A background run still pending after this long was taken by no worker: its page says so.
UNCLAIMED_AFTER = timedelta(minutes=2)


def _source_upload_path(instance: models.Model, filename: str) -> str:
    # Stored under a random name; the name people gave the file is kept apart, for display only.
    return f"toolbox/{uuid.uuid4().hex}"


class ToolReport(models.Model):
    kind = models.CharField("outil", max_length=20, choices=ToolKind.choices)
    title = models.CharField("intitulé", max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tool_reports"
    )
    created_at = models.DateTimeField(default=timezone.now)
    mission = models.ForeignKey(
        "support.Mission",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tool_reports",
        verbose_name="mission",
    )
    # What the person gave (validated by the tool before the row is written) and what came out.
    inputs = models.JSONField(default=dict)
    results = models.JSONField(default=dict, blank=True)
    # An uploaded archive or manifest, for the tools that read one.
    source_file = models.FileField(upload_to=_source_upload_path, blank=True)
    source_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=20, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    progress_message = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.title}"

    @property
    def is_finished(self) -> bool:
        return self.status in {ReportStatus.DONE, ReportStatus.FAILED}

    @property
    def unclaimed_notice(self) -> str:
        """Why a background run has not started, once it has waited too long; "" otherwise."""
        if self.status != ReportStatus.PENDING:
            return ""
        waited = timezone.now() - self.created_at
        if waited < UNCLAIMED_AFTER:
            return ""
        minutes = int(waited.total_seconds() // 60)
        return (
            f"Aucun exécuteur n'a pris cette analyse depuis {minutes} minutes : l'exécuteur des "
            "analyses (manage.py db_worker) est-il démarré ? Si le problème persiste, prévenez "
            "l'administrateur du service."
        )
