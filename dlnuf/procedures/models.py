"""Procedures (démarches) of consumer organisations, what they ask people for, and diagnostics.

A diagnostic is a dated snapshot: the items as they were, the datasets each could be obtained
from, and the score. Snapshots are never changed afterwards, so a procedure's history shows its
progress.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from dlnuf.append_only import AppendOnlyModel, AppendOnlyViolation


class DiagnosticHistoryLocked(AppendOnlyViolation):
    """Raised on any attempt to change or remove a stored diagnostic."""


class Procedure(models.Model):
    """An online procedure of a consumer organisation (inscription à la cantine…)."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="procedures"
    )
    name = models.CharField("nom de la démarche", max_length=255)
    url = models.URLField("adresse de la démarche en ligne", max_length=500, blank=True)
    yearly_volume = models.PositiveIntegerField("nombre de dossiers par an", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "démarche"

    def __str__(self) -> str:
        return self.name


class ItemSource(models.TextChoices):
    TYPED = "typed", "saisi"
    PICKED = "picked", "choisi dans la liste"
    IMPORTED = "imported", "importé d'un formulaire"


class ProcedureItem(models.Model):
    """Something the procedure asks people for: a supporting document or a form field.

    ``common_item`` is the slug of the list entry the agent picked (a supporting document of the
    catalogue or a common item of the matching table), empty for typed and imported items.
    ``still_asked`` turns false once the procedure obtains the item another way (by API).
    ``covered_share`` is the agent's own figure for the share of the procedure's public the
    matched data answers for (empty: the matching table's default).
    """

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="items")
    label = models.CharField("libellé", max_length=255)
    source = models.CharField("origine", max_length=10, choices=ItemSource.choices)
    common_item = models.SlugField("élément de la liste", blank=True)
    still_asked = models.BooleanField("encore demandé aux usagers", default=True)
    covered_share = models.DecimalField(
        "part du public couverte (%)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["procedure", "position", "pk"]
        verbose_name = "élément demandé"

    def __str__(self) -> str:
        return self.label


class Confidence(models.TextChoices):
    """How sure a match is, best first."""

    SURE = "sure", "sûr"
    LIKELY = "likely", "probable"
    POSSIBLE = "possible", "possible"
    NONE = "none", "aucune correspondance"


class ScoreLevel(models.TextChoices):
    """The State observatory's grading of the items asked that could have been pre-filled."""

    OPTIMAL = "optimal", "optimal"
    PARTIAL = "partial", "partiel"
    WEAK = "weak", "faible"


class _Frozen(AppendOnlyModel):
    """Rows of a diagnostic snapshot: written once, never changed nor removed one by one."""

    append_only_error = DiagnosticHistoryLocked
    append_only_name = "Un diagnostic enregistré"

    class Meta:
        abstract = True


class Diagnostic(_Frozen):
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="diagnostics")
    run_at = models.DateTimeField("date", default=timezone.now)
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    yearly_volume = models.PositiveIntegerField("dossiers par an au moment du diagnostic")
    items_count = models.PositiveIntegerField("éléments demandés")
    # The observatory's measure: items still asked that the catalogue can replace.
    replaceable_count = models.PositiveIntegerField("éléments encore demandés et remplaçables")
    prefilled_count = models.PositiveIntegerField("éléments remplaçables déjà obtenus par API")
    to_check_count = models.PositiveIntegerField("éléments à vérifier")
    level = models.CharField("niveau", max_length=10, choices=ScoreLevel.choices)
    documents_avoidable_per_year = models.PositiveBigIntegerField("pièces évitables par an")
    documents_avoided_per_year = models.PositiveBigIntegerField("pièces déjà évitées par an")

    class Meta:
        ordering = ["procedure", "-run_at", "-pk"]
        get_latest_by = ["run_at", "pk"]

    def __str__(self) -> str:
        return f"{self.procedure} — {self.run_at:%Y-%m-%d %H:%M}"


class DiagnosticItem(_Frozen):
    """An item as it was diagnosed. ``covered_share`` is the share of the public its best match
    answers for, as counted in the documents per year; ``procedure_item_id`` names the item it
    was taken from (no foreign key: removing an item never touches a snapshot)."""

    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="items")
    procedure_item_id = models.PositiveBigIntegerField("élément de la démarche", null=True)
    label = models.CharField("libellé", max_length=255)
    source = models.CharField("origine", max_length=10, choices=ItemSource.choices)
    still_asked = models.BooleanField("encore demandé")
    confidence = models.CharField(
        "meilleure correspondance", max_length=10, choices=Confidence.choices
    )
    note = models.CharField("remarque", max_length=500, blank=True)
    covered_share = models.DecimalField(
        "part du public couverte (%)", max_digits=5, decimal_places=2, default=100
    )
    share_set_by_agent = models.BooleanField("part saisie par l'agent", default=False)
    documents_per_year = models.PositiveBigIntegerField("pièces évitées par an", default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["diagnostic", "position", "pk"]

    def __str__(self) -> str:
        return self.label


class DiagnosticMatch(_Frozen):
    """A dataset that can replace an item, with how sure the match is, why, and the minimal
    scopes a habilitation needs for it."""

    item = models.ForeignKey(DiagnosticItem, on_delete=models.CASCADE, related_name="matches")
    dataset = models.ForeignKey(
        "catalogue.Dataset", on_delete=models.PROTECT, related_name="diagnostic_matches"
    )
    confidence = models.CharField("confiance", max_length=10, choices=Confidence.choices)
    reason = models.CharField("raison", max_length=255)
    scope_slugs = models.JSONField("périmètres minimaux", default=list)
    covered_share = models.DecimalField(
        "part du public couverte par défaut (%)", max_digits=5, decimal_places=2, default=100
    )
    coverage_basis = models.TextField("public couvert et origine de la part", blank=True)
    uncovered_note = models.TextField("ce que fournissent les autres usagers", blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["item", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.item} → {self.dataset_id}"
