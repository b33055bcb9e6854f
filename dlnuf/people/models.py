"""What people leave behind on « Mes données »: reports of a consultation, and their wish to be
told by e-mail of new consultations.

Neither keeps who the person is: a report holds the journal position it is about and the
guichet case that follows it; a notice subscription holds an e-mail address and the subject keys
(HMACs) of the person, never their identity.
"""

import secrets

from django.db import models
from django.utils import timezone

from dlnuf.support.models import SupportRequest


def _new_link_key() -> str:
    return secrets.token_hex(16)


class ConsultationReport(models.Model):
    """A person's report of one consultation, tracked at the guichet as a support request.

    The person follows it through the support request's signed follow link; the consumer's data
    protection officer is told by e-mail when the habilitation request named one.
    """

    support_request = models.OneToOneField(
        SupportRequest, on_delete=models.PROTECT, related_name="consultation_report"
    )
    journal_index = models.BigIntegerField("position dans le journal")
    consumer_siret = models.CharField("SIRET de l'administration", max_length=14)
    reasons = models.JSONField("motifs", default=list)
    # Empty when no data protection officer was known: the guichet then passes the report on.
    dpo_email = models.EmailField("délégué à la protection des données prévenu", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "signalement d'une consultation"
        verbose_name_plural = "signalements de consultations"

    def __str__(self) -> str:
        return f"Signalement de l'entrée {self.journal_index} ({self.support_request.reference})"


class NoticeSubscription(models.Model):
    """A daily e-mail listing the new consultations of one person's data, off until the address
    is confirmed through a signed link.

    Entries up to ``notified_through_index`` are done (sent, or older than the subscription);
    above it, ``notified_beyond`` lists the entries already sent while an earlier one waits for
    the end of its deferred visibility, so that nothing is sent twice nor skipped.
    """

    email = models.EmailField("adresse électronique")
    subject_keys = models.JSONField("clés d'usager")
    # SHA-256 of the sorted subject keys: finds the subscription of whoever is signed in.
    subject_keys_digest = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # The journal counts from 0: -1 is "nothing done yet".
    notified_through_index = models.BigIntegerField(default=-1)
    notified_beyond = models.JSONField(default=list)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    # Signs the confirmation and unsubscribe links together with the secret key.
    link_key = models.CharField(max_length=32, default=_new_link_key, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "avis par courriel"
        verbose_name_plural = "avis par courriel"

    def __str__(self) -> str:
        return f"Avis à {self.email}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None
