"""The guichet's desk: support requests, missions, experts, irritants and the mail they come by.

A ``SupportRequest`` arrives by the public form or by e-mail, with no account. Experts qualify it,
and when they take it on they open a ``Mission`` (one per request) that follows the framing
checklist. Everything said or decided is kept in append-only history rows attached to the
request. An ``Irritant`` records a blocking point between administrations and who it was
escalated to. ``InboundMail`` keeps every received message, raw, before anything reads it.
"""

import secrets
import uuid
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from dlnuf.append_only import AppendOnlyModel, AppendOnlyViolation
from dlnuf.catalogue.models import Dataset, Provider
from dlnuf.organisations.models import Organisation


class AppendOnlyError(AppendOnlyViolation):
    """Raised on any attempt to change or remove the history of the guichet."""


class SupportHistory(AppendOnlyModel):
    append_only_error = AppendOnlyError
    append_only_name = "L'historique du guichet"

    class Meta:
        abstract = True


# --- vocabularies ------------------------------------------------------------------------------


class HelpKind(models.TextChoices):
    FRAMING = "framing", "Cadrage du projet"
    EXPERIENCE = "experience", "Partage d'expérience"
    BLOCKING_POINT = "blocking_point", "Point de blocage"


class Urgency(models.TextChoices):
    LOW = "low", "Pas d'urgence"
    NORMAL = "normal", "Dans les semaines qui viennent"
    HIGH = "high", "Urgent (échéance proche)"


class Priority(models.TextChoices):
    LOW = "low", "Basse"
    NORMAL = "normal", "Normale"
    HIGH = "high", "Haute"


class Ministry(models.TextChoices):
    """Who the requesting administration reports to; the dashboard counts requests by it."""

    ECONOMY = "economie", "Économie et finances"
    INTERIOR = "interieur", "Intérieur"
    SOCIAL = "solidarites", "Travail, santé et solidarités"
    EDUCATION = "education", "Éducation nationale"
    HIGHER_EDUCATION = "enseignement_superieur", "Enseignement supérieur et recherche"
    JUSTICE = "justice", "Justice"
    ECOLOGY = "ecologie", "Transition écologique"
    AGRICULTURE = "agriculture", "Agriculture"
    CULTURE = "culture", "Culture"
    ARMED_FORCES = "armees", "Armées"
    FOREIGN_AFFAIRS = "affaires_etrangeres", "Europe et affaires étrangères"
    PUBLIC_SERVICE = "fonction_publique", "Transformation et fonction publiques"
    PRIME_MINISTER = "premier_ministre", "Services du Premier ministre"
    LOCAL_AUTHORITY = "collectivite", "Collectivité territoriale"
    SOCIAL_SECURITY = "securite_sociale", "Organisme de sécurité sociale"
    OPERATOR = "operateur", "Opérateur ou établissement public"
    OTHER = "autre", "Autre ou inconnu"


class Skill(models.TextChoices):
    """What an expert knows; a mission's team is chosen by the skills its help needs."""

    ARCHITECTURE = "architecture", "Architecture"
    LEGAL = "legal", "Juridique"
    DATA_API = "data_api", "Données et API"
    ACCESSIBILITY = "accessibility", "Accessibilité"
    CODE_QUALITY = "code_quality", "Qualité du code"
    COSTING = "costing", "Chiffrage"
    PROJECT_MANAGEMENT = "project_management", "Gestion de projet"
    VALUE = "value", "Valeur (MAREVA 2)"
    SECURITY = "security", "Sécurité"


class Channel(models.TextChoices):
    FORM = "form", "Formulaire"
    EMAIL = "email", "Courriel"


# --- experts -----------------------------------------------------------------------------------


class Expert(models.Model):
    """A guichet expert's skills and how many missions they can lead or join at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expert_profile"
    )
    skills = models.JSONField("compétences", default=list, blank=True)
    capacity = models.PositiveSmallIntegerField(
        "missions en parallèle", default=4, validators=[MinValueValidator(1)]
    )
    is_available = models.BooleanField("disponible", default=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name", "user__email"]

    def __str__(self) -> str:
        return str(self.user)

    def skill_labels(self) -> list[str]:
        return [Skill(skill).label for skill in self.skills if skill in Skill.values]


# --- requests ----------------------------------------------------------------------------------


class RequestState(models.TextChoices):
    NEW = "new", "Nouvelle"
    QUALIFIED = "qualified", "Qualifiée"
    REDIRECTED = "redirected", "Réorientée"
    IN_MISSION = "in_mission", "En mission"
    CLOSED = "closed", "Close"


class Qualification(models.TextChoices):
    IN_SCOPE = "in_scope", "Dans le périmètre du guichet"
    REDIRECTED = "redirected", "Hors périmètre, réorientée"


def _new_reference() -> str:
    return f"G-{uuid.uuid4().hex[:8].upper()}"


def _new_follow_key() -> str:
    return secrets.token_hex(16)


class SupportRequest(models.Model):
    """A request to the guichet, from the form or by e-mail, with its triage."""

    reference = models.CharField("référence", max_length=20, unique=True, default=_new_reference)
    channel = models.CharField("canal", max_length=10, choices=Channel.choices)
    state = models.CharField(
        "état", max_length=20, choices=RequestState.choices, default=RequestState.NEW
    )
    # Who asks: the administration (known in the portal when its SIRET matches) and the person.
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="support_requests",
    )
    organisation_name = models.CharField("administration", max_length=255, blank=True)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    ministry = models.CharField(
        "ministère de rattachement",
        max_length=30,
        choices=Ministry.choices,
        default=Ministry.OTHER,
    )
    requester_name = models.CharField("nom du demandeur", max_length=200, blank=True)
    requester_role = models.CharField("fonction du demandeur", max_length=200, blank=True)
    requester_email = models.EmailField("adresse électronique du demandeur")
    subject = models.CharField("objet", max_length=255)
    context = models.TextField("contexte", blank=True)
    need = models.TextField("besoin", blank=True)
    help_kinds = models.JSONField("types d'aide", default=list, blank=True)
    urgency = models.CharField(
        "urgence", max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    created_at = models.DateTimeField("reçue le", default=timezone.now)
    # Triage.
    priority = models.CharField(
        "priorité", max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    qualification = models.CharField(
        "qualification", max_length=20, choices=Qualification.choices, blank=True
    )
    redirect_explanation = models.TextField("explication de la réorientation", blank=True)
    first_answer_due = models.DateTimeField("première réponse attendue le")
    first_answered_at = models.DateTimeField("première réponse le", null=True, blank=True)
    closed_at = models.DateTimeField("close le", null=True, blank=True)
    lead_expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_support_requests",
        verbose_name="expert référent",
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="support_requests",
        verbose_name="équipe",
    )
    # Signs the requester's follow link together with the secret key; changing it revokes links.
    follow_key = models.CharField(max_length=32, default=_new_follow_key, editable=False)
    # The Message-ID of the first e-mail of the thread (or of our acknowledgement for the form):
    # replies name it in In-Reply-To or References.
    thread_message_id = models.CharField(max_length=998, blank=True, db_index=True)
    # Set when this request was opened by an e-mail that answered another request's thread but
    # came from someone neither its requester nor the guichet's team: the team sees both sides.
    linked_request = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="linked_requests",
        verbose_name="demande liée",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "demande d'accompagnement"
        verbose_name_plural = "demandes d'accompagnement"

    def __str__(self) -> str:
        return f"{self.reference} — {self.subject}"

    def help_kind_labels(self) -> list[str]:
        return [HelpKind(kind).label for kind in self.help_kinds if kind in HelpKind.values]

    def is_overdue(self, at: datetime | None = None) -> bool:
        """No first answer yet and the deadline has passed."""
        now = at or timezone.now()
        return self.first_answered_at is None and self.first_answer_due < now

    @property
    def administration(self) -> str:
        if self.organisation_id and self.organisation and self.organisation.name:
            return self.organisation.name
        return self.organisation_name or "Administration non précisée"


def _support_upload_path(instance: models.Model, filename: str) -> str:
    # Stored under a random name; the name people gave the file is kept apart, for display only.
    return f"support/{uuid.uuid4().hex}"


class MessageKind(models.TextChoices):
    FROM_REQUESTER = "from_requester", "Message du demandeur"
    TO_REQUESTER = "to_requester", "Réponse au demandeur"
    NOTE = "note", "Note interne"


class SupportMessage(SupportHistory):
    """One message of a request's thread: from the requester, to the requester, or an internal
    note of the team (never sent)."""

    request = models.ForeignKey(SupportRequest, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author_email = models.EmailField(blank=True)
    body = models.TextField("message")
    # RFC 5322 Message-ID of the e-mail this message came in or went out as.
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    inbound_mail = models.ForeignKey(
        "InboundMail", on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "pk"]

    def __str__(self) -> str:
        return f"Message {self.pk} sur {self.request_id}"


class SupportAttachment(SupportHistory):
    """A file received with a request or a message, or a deliverable of a mission."""

    request = models.ForeignKey(
        SupportRequest, on_delete=models.PROTECT, related_name="attachments"
    )
    message = models.ForeignKey(
        SupportMessage, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=_support_upload_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set for mission deliverables: which checklist topic the file answers.
    framing_topic = models.CharField(max_length=20, blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class SupportTransition(SupportHistory):
    """One change of state of a request or of its mission: who, from, to, when, why.

    ``actor`` is empty when the change came from the requester (e-mail, follow link) or from the
    system itself.
    """

    request = models.ForeignKey(
        SupportRequest, on_delete=models.PROTECT, related_name="transitions"
    )
    mission = models.ForeignKey(
        "Mission", on_delete=models.PROTECT, null=True, blank=True, related_name="transitions"
    )
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_state or '∅'} → {self.to_state}"


# --- inbound mail ------------------------------------------------------------------------------


class MailStatus(models.TextChoices):
    RECEIVED = "received", "Reçu, à traiter"
    PROCESSED = "processed", "Traité"
    FAILED = "failed", "Illisible, à examiner"


class InboundMail(models.Model):
    """A message received at the guichet's address, stored raw before it is read.

    A message that cannot be parsed stays here as ``failed`` and is shown to the team; nothing
    received is ever dropped. ``sha256`` of the raw bytes makes a second delivery of the same
    message a no-op.
    """

    raw = models.BinaryField()
    sha256 = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    source = models.CharField(max_length=20)  # "imap", "stdin", …
    # IMAP: the mailbox's UIDVALIDITY and the message UID, to fetch each message once.
    mailbox_uid = models.CharField(max_length=100, blank=True, db_index=True)
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=20, choices=MailStatus.choices, default=MailStatus.RECEIVED
    )
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    request = models.ForeignKey(
        SupportRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_mails",
    )

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"Courriel {self.pk} ({self.get_status_display()})"


# --- missions ----------------------------------------------------------------------------------


class MissionState(models.TextChoices):
    PROPOSED = "proposed", "Proposée"
    AGREED = "agreed", "Convenue"
    IN_PROGRESS = "in_progress", "En cours"
    SUSPENDED = "suspended", "Suspendue"
    CLOSED = "closed", "Close"
    CANCELLED = "cancelled", "Abandonnée"


class Mission(models.Model):
    """The support the guichet gives on one request, framed by an agreement note."""

    request = models.OneToOneField(SupportRequest, on_delete=models.PROTECT, related_name="mission")
    state = models.CharField(
        "état", max_length=20, choices=MissionState.choices, default=MissionState.PROPOSED
    )
    title = models.CharField("intitulé", max_length=255)
    help_kinds = models.JSONField("types d'aide", default=list, blank=True)
    director_name = models.CharField("directeur ou directrice", max_length=200, blank=True)
    director_email = models.EmailField("adresse du directeur ou de la directrice", blank=True)
    project_lead_name = models.CharField("chef de projet", max_length=200, blank=True)
    project_lead_email = models.EmailField("adresse du chef de projet", blank=True)
    # The only paperwork: who, what, until when.
    agreement_note = models.TextField("note d'accord", blank=True)
    agreed_until = models.DateField("jusqu'au", null=True, blank=True)
    lead_expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="led_missions",
        verbose_name="expert référent",
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="missions", verbose_name="équipe"
    )
    # What the knowledge base keeps from the mission.
    datasets = models.ManyToManyField(
        Dataset, blank=True, related_name="missions", verbose_name="données utilisées"
    )
    problem = models.TextField("problème rencontré", blank=True)
    solution = models.TextField("solution retenue", blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_summary = models.TextField("bilan", blank=True)
    satisfaction_requested_at = models.DateTimeField(null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        "satisfaction (1 à 5)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    satisfaction_comment = models.TextField("commentaire du demandeur", blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class FramingTopic(models.TextChoices):
    SCOPE = "scope", "Périmètre"
    BUDGET = "budget", "Estimation budgétaire"
    GOVERNANCE = "governance", "Gouvernance"
    TEAM = "team", "Organisation et dimensionnement de l'équipe"
    VALUE = "value", "Valeur (MAREVA 2)"
    METHOD = "method", "Méthode par composant"
    ARCHITECTURE = "architecture", "Choix d'architecture"
    LEGAL = "legal", "Questions juridiques"


class FramingStatus(models.TextChoices):
    TODO = "todo", "À faire"
    IN_PROGRESS = "in_progress", "En cours"
    DONE = "done", "Fait"
    NOT_APPLICABLE = "not_applicable", "Sans objet"


class FramingItem(models.Model):
    """One topic of the framing checklist of a mission."""

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="framing_items")
    topic = models.CharField(max_length=20, choices=FramingTopic.choices)
    status = models.CharField(
        "statut", max_length=20, choices=FramingStatus.choices, default=FramingStatus.TODO
    )
    notes = models.TextField("notes", blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mission", "topic"], name="one_framing_item_per_topic")
        ]

    def __str__(self) -> str:
        return f"{self.mission_id}: {self.get_topic_display()}"


class Meeting(SupportHistory):
    mission = models.ForeignKey(Mission, on_delete=models.PROTECT, related_name="meetings")
    held_on = models.DateField("date")
    title = models.CharField("objet", max_length=255)
    participants = models.TextField("participants", blank=True)
    notes = models.TextField("compte rendu", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        return self.title


class Decision(SupportHistory):
    mission = models.ForeignKey(Mission, on_delete=models.PROTECT, related_name="decisions")
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    decided_on = models.DateField("date")
    text = models.TextField("décision")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decided_on", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class TimeEntry(SupportHistory):
    mission = models.ForeignKey(Mission, on_delete=models.PROTECT, related_name="time_entries")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    worked_on = models.DateField("date")
    hours = models.DecimalField(
        "heures",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("24"))],
    )
    note = models.CharField("objet", max_length=255, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["worked_on", "pk"]

    def __str__(self) -> str:
        return f"{self.hours} h le {self.worked_on}"


class ConsultantCost(SupportHistory):
    """External consultants: the only part of a mission that is not free."""

    mission = models.ForeignKey(Mission, on_delete=models.PROTECT, related_name="consultant_costs")
    supplier = models.CharField("prestataire", max_length=200)
    description = models.CharField("prestation", max_length=255)
    amount_eur = models.DecimalField(
        "montant (€ TTC)",
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    incurred_on = models.DateField("date")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["incurred_on", "pk"]

    def __str__(self) -> str:
        return f"{self.supplier} : {self.amount_eur} €"


# --- experience sharing ------------------------------------------------------------------------


class KnowledgeSource(models.TextChoices):
    MISSION = "mission", "Mission du guichet"
    DIAGNOSTIC = "diagnostic", "Démarche diagnostiquée"


class KnowledgeEntry(models.Model):
    """A problem met and the solution used, by an administration the guichet can introduce.

    Rebuilt from closed missions and diagnosed procedures; ``embedding`` is the text's vector
    from the offline model named in ``embedding_model`` (empty when only lexical matching runs).
    """

    source = models.CharField(max_length=20, choices=KnowledgeSource.choices)
    mission = models.OneToOneField(
        Mission, on_delete=models.CASCADE, null=True, blank=True, related_name="knowledge"
    )
    procedure = models.OneToOneField(
        "procedures.Procedure",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="knowledge",
    )
    organisation_name = models.CharField(max_length=255)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    title = models.CharField(max_length=255)
    problem = models.TextField(blank=True)
    solution = models.TextField(blank=True)
    dataset_slugs = models.JSONField(default=list, blank=True)
    tools = models.JSONField(default=list, blank=True)
    legal_texts = models.JSONField(default=list, blank=True)
    embedding = models.JSONField(default=list, blank=True)
    embedding_model = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name_plural = "knowledge entries"
        # Every similarity search reads the base's version (similarity.knowledge_version): the
        # latest write and the number of vectors, from these indexes rather than from the rows,
        # whose vectors make a scan slow.
        indexes = [
            models.Index(fields=["updated_at"], name="knowledge_updated_at"),
            models.Index(fields=["embedding_model"], name="knowledge_embedding_model"),
        ]

    def __str__(self) -> str:
        return self.title


class IntroductionState(models.TextChoices):
    PROPOSED = "proposed", "Proposée, en attente des deux accords"
    ACCEPTED = "accepted", "Acceptée par les deux parties"
    DECLINED = "declined", "Déclinée"


class Introduction(models.Model):
    """An expert's proposal to put a requester in touch with the administration behind a past
    case. Contact details are shared only once both sides have agreed."""

    request = models.ForeignKey(
        SupportRequest, on_delete=models.PROTECT, related_name="introductions"
    )
    knowledge = models.ForeignKey(
        KnowledgeEntry, on_delete=models.PROTECT, related_name="introductions"
    )
    reason = models.TextField("pourquoi ce rapprochement")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        max_length=20, choices=IntroductionState.choices, default=IntroductionState.PROPOSED
    )
    requester_agreed_at = models.DateTimeField(null=True, blank=True)
    peer_agreed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.CharField(max_length=20, blank=True)  # "requester" or "peer"

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "knowledge"], name="one_introduction_per_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id} ↔ {self.knowledge_id}"


# --- irritants ---------------------------------------------------------------------------------


class IrritantKind(models.TextChoices):
    PROVIDER_SILENT = "provider_silent", "Fournisseur qui ne répond pas"
    LEGAL_READING = "legal_reading", "Lecture juridique bloquante"
    MISSING_API = "missing_api", "API manquante"
    TECHNICAL = "technical", "Obstacle technique"
    OTHER = "other", "Autre"


class IrritantState(models.TextChoices):
    OPEN = "open", "Ouvert"
    ESCALATED = "escalated", "Escaladé"
    RESOLVED = "resolved", "Résolu"
    ABANDONED = "abandoned", "Abandonné"


class Irritant(models.Model):
    """A blocking point between administrations, its impact, escalation and resolution."""

    title = models.CharField("intitulé", max_length=255)
    kind = models.CharField("nature", max_length=20, choices=IrritantKind.choices)
    description = models.TextField("description")
    state = models.CharField(
        "état", max_length=20, choices=IrritantState.choices, default=IrritantState.OPEN
    )
    # The parties: who is blocked, and who blocks (a provider of the catalogue, or named).
    blocked_party = models.CharField("administration bloquée", max_length=255)
    blocking_provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="irritants",
        verbose_name="fournisseur en cause",
    )
    blocking_party = models.CharField("partie en cause", max_length=255, blank=True)
    request = models.ForeignKey(
        SupportRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="irritants",
    )
    # Impact.
    procedures = models.ManyToManyField(
        "procedures.Procedure", blank=True, related_name="irritants"
    )
    procedures_affected = models.PositiveIntegerField("démarches touchées", default=0)
    people_affected_per_year = models.PositiveIntegerField("usagers touchés par an", default=0)
    escalated_to = models.CharField("escaladé auprès de", max_length=255, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField("résolution", blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-people_affected_per_year", "opened_at", "pk"]

    def __str__(self) -> str:
        return self.title


class IrritantEvent(SupportHistory):
    """One step of an irritant: opened, escalated, note, resolved, abandoned."""

    irritant = models.ForeignKey(Irritant, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.irritant_id}: {self.action}"
