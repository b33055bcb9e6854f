import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from dlnuf.append_only import AppendOnlyModel, AppendOnlyViolation
from dlnuf.catalogue.models import Dataset, Provider, Scope, TermsVersion, UseCaseTemplate
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
    # What the people whose data is consulted see of it on « Mes données ». The law may let an
    # investigation hide its consultations for a while (set by the provider's instructor, with the
    # text that allows it); the case reference (`object`) is shown only when the consumer allows it.
    subject_visibility_delay_days = models.PositiveIntegerField(
        "délai avant affichage à l'usager (jours)", null=True, blank=True
    )
    subject_visibility_delay_reference = models.CharField(
        "texte autorisant le délai", max_length=500, blank=True
    )
    subject_sees_case_reference = models.BooleanField(
        "l'usager voit la référence du dossier", default=False
    )

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subject_visibility_delay_days__isnull=True)
                | ~models.Q(subject_visibility_delay_reference=""),
                name="visibility_delay_has_legal_reference",
            ),
        ]

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


class AppendOnlyError(AppendOnlyViolation):
    """Raised on any attempt to change or remove an audit row of habilitations."""


class HabilitationHistory(AppendOnlyModel):
    append_only_error = AppendOnlyError
    append_only_name = "L'historique des habilitations"

    class Meta:
        abstract = True


class RequestState(models.TextChoices):
    DRAFT = "draft", "brouillon"
    SUBMITTED = "submitted", "soumise"
    CHANGES_REQUESTED = "changes_requested", "modifications demandées"
    SANDBOX_VALIDATED = "sandbox_validated", "validée pour le bac à sable"
    VALIDATED = "validated", "validée"
    REFUSED = "refused", "refusée"
    REVOKED = "revoked", "révoquée"
    SUPERSEDED = "superseded", "remplacée par une modification"


class LegalBasisNature(models.TextChoices):
    CRPA_PERSONS = (
        "crpa_l114_8",
        "CRPA, articles L114-8 et R114-9-3 (échanges sur les particuliers)",
    )
    CRPA_COMPANIES = "crpa_r114_9_1", "CRPA, articles R114-9-1 et R114-9-2 (entreprises)"
    DECREE_2019_33 = (
        "decret_2019_33",
        "Décret n° 2019-33 du 18 janvier 2019 (pièces justificatives)",
    )
    PUBLIC_PROCUREMENT = "commande_publique", "Code de la commande publique"
    SPECIFIC_TEXT = "texte_specifique", "Décret ou arrêté spécifique"
    OTHER = "autre", "Autre texte"


def _private_upload_path(instance: models.Model, filename: str) -> str:
    # The stored name is random: the name people gave the file is kept apart, for display only.
    return f"habilitations/{uuid.uuid4().hex}.pdf"


class AuthorizationRequest(models.Model):
    """A consumer organisation's request for scopes of one dataset, with its workflow state.

    A draft may be incomplete; completeness is checked when it is submitted.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="authorization_requests"
    )
    dataset = models.ForeignKey(
        Dataset, on_delete=models.PROTECT, related_name="authorization_requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    procedure = models.ForeignKey(
        "procedures.Procedure",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="authorization_requests",
    )
    state = models.CharField(
        "état", max_length=20, choices=RequestState.choices, default=RequestState.DRAFT
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    sandbox_validated_at = models.DateTimeField(null=True, blank=True)

    # Description and purpose
    title = models.CharField("intitulé", max_length=255, blank=True)
    purpose = models.TextField("description et finalité", blank=True)
    procedure_names = models.TextField("démarches concernées", blank=True)

    # Legal basis
    legal_basis_nature = models.CharField(
        "nature du texte", max_length=30, choices=LegalBasisNature.choices, blank=True
    )
    legal_basis_article = models.CharField("article", max_length=255, blank=True)
    legal_basis_url = models.URLField("adresse du texte", max_length=500, blank=True)
    legal_basis_document = models.FileField(
        "texte en PDF", upload_to=_private_upload_path, max_length=255, blank=True
    )
    legal_basis_document_name = models.CharField(max_length=255, blank=True)

    requested_scopes = models.ManyToManyField(
        Scope, related_name="authorization_requests", blank=True
    )

    # Personal data
    data_recipients = models.TextField("destinataires des données", blank=True)
    retention_months = models.PositiveSmallIntegerField(
        "durée de conservation (mois)", null=True, blank=True
    )
    retention_justification = models.TextField("justification de la durée", blank=True)

    # Contacts
    business_contact_name = models.CharField("responsable métier", max_length=255, blank=True)
    business_contact_email = models.EmailField("courriel du responsable métier", blank=True)
    technical_contact_name = models.CharField("contact technique", max_length=255, blank=True)
    technical_contact_email = models.EmailField("courriel du contact technique", blank=True)
    dpo_name = models.CharField("délégué à la protection des données", max_length=255, blank=True)
    dpo_email = models.EmailField("courriel du délégué", blank=True)
    controller_name = models.CharField("responsable de traitement", max_length=255, blank=True)
    controller_email = models.EmailField("courriel du responsable de traitement", blank=True)

    # Volume and planning
    expected_calls_per_minute = models.PositiveIntegerField(
        "appels par minute attendus", null=True, blank=True
    )
    volume_justification = models.TextField("justification de la volumétrie", blank=True)
    go_live_date = models.DateField("mise en production prévue", null=True, blank=True)

    # Security approval, where the provider asks for it
    security_approval_date = models.DateField("date d'homologation", null=True, blank=True)
    security_approval_document = models.FileField(
        "décision d'homologation en PDF", upload_to=_private_upload_path, max_length=255, blank=True
    )
    security_approval_document_name = models.CharField(max_length=255, blank=True)

    sandbox_stage = models.BooleanField("étape de bac à sable avant la production", default=False)

    # A request that changes an active habilitation; the habilitation stays valid meanwhile.
    amends = models.ForeignKey(
        Habilitation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendments",
    )
    # The habilitation this request granted (or amended) once validated.
    habilitation = models.ForeignKey(
        Habilitation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
    )

    # The terms of use the applicant accepted: the version, who and when.
    terms_version = models.ForeignKey(
        TermsVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    terms_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    # The use-case template the request started from; its name and the values it prefilled are
    # copied, so the instructor still sees what changed after the template is edited or removed.
    use_case = models.ForeignKey(
        UseCaseTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    use_case_name = models.CharField("cas d'usage", max_length=255, blank=True)
    use_case_values = models.JSONField("valeurs proposées par le cas d'usage", default=dict)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "dataset"], name="request_state_dataset_idx"),
            # The request lists sort by either date and filter on the submission date.
            models.Index(fields=["updated_at", "id"], name="request_updated_idx"),
            models.Index(fields=["submitted_at", "id"], name="request_submitted_idx"),
        ]

    def __str__(self) -> str:
        return f"Demande n° {self.pk} — {self.dataset.title}"

    @property
    def contact_emails(self) -> list[str]:
        emails = [self.business_contact_email, self.technical_contact_email]
        return list(dict.fromkeys(email for email in emails if email))


class RequestTransition(HabilitationHistory):
    """One change of state of a request: who, from, to, when, why."""

    request = models.ForeignKey(
        AuthorizationRequest, on_delete=models.PROTECT, related_name="transitions"
    )
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=20, choices=RequestState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=RequestState.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_state or '∅'} → {self.to_state}"


class RequestMessage(HabilitationHistory):
    """A message of the thread between applicants and instructors on one request."""

    request = models.ForeignKey(
        AuthorizationRequest, on_delete=models.PROTECT, related_name="messages"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField("message")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "pk"]

    def __str__(self) -> str:
        return f"Message {self.pk} sur la demande {self.request_id}"


class CredentialReveal(models.Model):
    """A new credential's secret, encrypted, waiting to be shown once to an applicant.

    The ciphertext is erased when the secret is shown, or is useless once ``expires_at`` passes.
    """

    credential = models.OneToOneField(Credential, on_delete=models.CASCADE, related_name="reveal")
    ciphertext = models.BinaryField(default=bytes)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revealed_at = models.DateTimeField(null=True, blank=True)
    revealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Affichage du jeton {self.credential_id}"


class HabilitationEventKind(models.TextChoices):
    GRANTED = "granted", "habilitation accordée"
    AMENDED = "amended", "habilitation modifiée"
    RENEWED = "renewed", "habilitation renouvelée"
    REVOKED = "revoked", "habilitation révoquée"
    CREDENTIAL_ISSUED = "credential_issued", "jeton émis"
    CREDENTIAL_ROTATED = "credential_rotated", "jeton remplacé"
    CREDENTIAL_REVOKED = "credential_revoked", "jeton révoqué"
    CREDENTIAL_REVEALED = "credential_revealed", "jeton affiché"
    CREDENTIAL_LINK_SENT = "credential_link_sent", "lien d'affichage du jeton envoyé"


class HabilitationEvent(HabilitationHistory):
    """What happened to a habilitation and its credentials after the decision."""

    habilitation = models.ForeignKey(Habilitation, on_delete=models.PROTECT, related_name="events")
    credential = models.ForeignKey(
        Credential, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=30, choices=HabilitationEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.habilitation_id})"


class ExpiryReminder(models.Model):
    """A reminder sent before a habilitation's term, so that each threshold is sent once per
    term (renewing starts a new term, hence ``expires_at`` in the key)."""

    habilitation = models.ForeignKey(
        Habilitation, on_delete=models.CASCADE, related_name="expiry_reminders"
    )
    threshold_days = models.PositiveSmallIntegerField()
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["habilitation", "threshold_days", "expires_at"],
                name="unique_expiry_reminder",
            )
        ]

    def __str__(self) -> str:
        return f"Rappel J-{self.threshold_days} ({self.habilitation_id})"


class ProviderPolicy(models.Model):
    """What a provider asks of requests for its datasets, beyond the common blocks."""

    provider = models.OneToOneField(
        Provider, on_delete=models.CASCADE, related_name="habilitation_policy"
    )
    requires_security_approval = models.BooleanField("homologation de sécurité exigée")
    requires_sandbox_stage = models.BooleanField("étape de bac à sable exigée")

    class Meta:
        verbose_name_plural = "provider policies"

    def __str__(self) -> str:
        return f"Exigences de {self.provider}"


class Solution(models.Model):
    """A software vendor's solution, habilitated once for a use case through its own request.

    The dataset, scopes, purpose, legal basis and security approval live on ``request``, which
    follows the common workflow; client organisations then join the approved solution.
    """

    vendor = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="solutions")
    request = models.OneToOneField(
        AuthorizationRequest, on_delete=models.PROTECT, related_name="solution"
    )
    name = models.CharField("nom de la solution", max_length=255)
    version = models.CharField("version", max_length=50)
    use_case = models.TextField("cas d'usage")
    security_description = models.TextField("mesures de sécurité")
    hosting = models.TextField("hébergement")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

    def is_approved(self, at: datetime | None = None) -> bool:
        """Validated, and its habilitation still active (a later amendment keeps it approved)."""
        habilitation = self.request.habilitation
        return (
            self.request.state in (RequestState.VALIDATED, RequestState.SUPERSEDED)
            and habilitation is not None
            and habilitation.is_active(at)
        )


class SolutionAdhesion(models.Model):
    """A client organisation's request to use an approved solution (a lighter request)."""

    solution = models.ForeignKey(Solution, on_delete=models.PROTECT, related_name="adhesions")
    request = models.OneToOneField(
        AuthorizationRequest, on_delete=models.PROTECT, related_name="solution_adhesion"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Adhésion de {self.request.organisation} à {self.solution}"


class RequestSubmission(HabilitationHistory):
    """What the applicant sent at one submission: the request's fields as they stood, so that
    any two submissions can be compared. Attachments appear by name, never by content."""

    request = models.ForeignKey(
        AuthorizationRequest, on_delete=models.PROTECT, related_name="submissions"
    )
    number = models.PositiveIntegerField()
    submitted_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    values = models.JSONField()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["request", "number"], name="unique_submission_number")
        ]

    def __str__(self) -> str:
        return f"Soumission n° {self.number} de la demande {self.request_id}"


class RequestFieldComment(HabilitationHistory):
    """An instructor's comment on one field or block, written with a request for changes.

    ``target`` is a field name or ``bloc:<section>``. The comment is about ``submission``; it is
    answered by the next submission (see ``dlnuf.habilitations.revisions``), so the row itself
    never changes.
    """

    request = models.ForeignKey(
        AuthorizationRequest, on_delete=models.PROTECT, related_name="field_comments"
    )
    transition = models.ForeignKey(
        RequestTransition, on_delete=models.PROTECT, related_name="field_comments"
    )
    submission = models.ForeignKey(
        RequestSubmission, on_delete=models.PROTECT, null=True, related_name="field_comments"
    )
    target = models.CharField(max_length=60)
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Commentaire sur {self.target} (demande {self.request_id})"


class CredentialDeliveryLink(models.Model):
    """A one-time link e-mailed to a request's technical contact, showing a new credential's
    secret once without an account: the token is the capability, so only its SHA-256 is kept.

    The secret itself stays sealed in the credential's ``CredentialReveal``: a single encrypted
    copy, erased by the first reveal, whether through this link or on the applicant's screen.
    """

    credential = models.ForeignKey(
        Credential, on_delete=models.CASCADE, related_name="delivery_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    recipient_name = models.CharField(max_length=255, blank=True)
    recipient_email = models.EmailField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when a newer link for the same credential is sent: only the latest one works.
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Lien d'affichage du jeton {self.credential_id} pour {self.recipient_email}"
