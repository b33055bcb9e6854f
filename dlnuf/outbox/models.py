"""Every e-mail the guichet sends, stored with what it announces and delivered afterwards."""

from django.db import models


class EmailStatus(models.TextChoices):
    PENDING = "pending", "À envoyer"
    SENDING = "sending", "En cours d'envoi"
    SENT = "sent", "Envoyé"
    FAILED = "failed", "En échec définitif"


class OutgoingEmail(models.Model):
    """The whole message as Django built it, so that delivery can rebuild it exactly."""

    from_email = models.CharField(max_length=320)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list)
    bcc = models.JSONField(default=list)
    reply_to = models.JSONField(default=list)
    subject = models.TextField()
    body = models.TextField()
    # [[content, mimetype], …]: the HTML version of a notice.
    alternatives = models.JSONField(default=list)
    # Message-ID, In-Reply-To, References, Auto-Submitted…; the Message-ID is fixed when stored so
    # that a retried delivery is recognisably the same message.
    headers = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "courriel sortant"
        verbose_name_plural = "courriels sortants"

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"
