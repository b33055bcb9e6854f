"""Reads on procedures and diagnostics, always through what the user may see."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet

from dlnuf.catalogue.models import Dataset, Scope, SupportingDocument
from dlnuf.habilitations.models import AuthorizationRequest
from dlnuf.organisations.perms import AnyUser, organisations_of, sees_everything
from dlnuf.procedures.matching import CatalogueDocument, Matcher, matching_table
from dlnuf.procedures.models import (
    Diagnostic,
    DiagnosticItem,
    DiagnosticMatch,
    Procedure,
    ProcedureItem,
)
from dlnuf.procedures.perms import can_view_procedure
from dlnuf.procedures.scoring import REPLACEABLE


def procedures_for_user(user: AnyUser) -> QuerySet[Procedure]:
    """Procedures of the user's organisations; every procedure for experts and administrators."""
    queryset = Procedure.objects.select_related("organisation").annotate(
        items_total=Count("items", distinct=True)
    )
    if sees_everything(user):
        return queryset.order_by("organisation__name", "name", "pk")
    return queryset.filter(organisation__in=organisations_of(user)).order_by(
        "organisation__name", "name", "pk"
    )


def procedure_for_user(user: AnyUser, pk: int) -> Procedure | None:
    """The procedure, or None when it does not exist or the user may not see it."""
    procedure = Procedure.objects.select_related("organisation", "created_by").filter(pk=pk).first()
    if procedure is None or not can_view_procedure(user, procedure):
        return None
    return procedure


def procedure_items(procedure: Procedure) -> list[ProcedureItem]:
    return list(procedure.items.order_by("position", "pk"))


def latest_diagnostics(procedures: list[Procedure]) -> dict[int, Diagnostic]:
    """The latest diagnostic of each procedure, by procedure id."""
    latest: dict[int, Diagnostic] = {}
    for diagnostic in Diagnostic.objects.filter(procedure__in=procedures).order_by(
        "procedure_id", "-run_at", "-pk"
    ):
        latest.setdefault(diagnostic.procedure_id, diagnostic)
    return latest


def procedure_diagnostics(procedure: Procedure) -> list[Diagnostic]:
    """The history, oldest first."""
    return list(procedure.diagnostics.order_by("run_at", "pk"))


def diagnostic_with_matches(procedure: Procedure, pk: int) -> Diagnostic | None:
    matches = DiagnosticMatch.objects.select_related("dataset", "dataset__provider").order_by(
        "position", "pk"
    )
    items = DiagnosticItem.objects.order_by("position", "pk").prefetch_related(
        Prefetch("matches", queryset=matches)
    )
    return (
        procedure.diagnostics.filter(pk=pk)
        .select_related("run_by")
        .prefetch_related(Prefetch("items", queryset=items))
        .first()
    )


def is_latest_diagnostic(diagnostic: Diagnostic) -> bool:
    latest = diagnostic.procedure.diagnostics.order_by("-run_at", "-pk").first()
    return latest is not None and latest.pk == diagnostic.pk


def catalogue_matcher() -> Matcher:
    """A matcher over the catalogue as it is now (active datasets only)."""
    active = Dataset.objects.filter(is_active=True)
    dataset_scopes: dict[str, list[str]] = {
        slug: [] for slug in active.values_list("slug", flat=True)
    }
    for dataset_slug, scope_slug in (
        Scope.objects.filter(dataset__in=active)
        .order_by("dataset__slug", "position", "slug")
        .values_list("dataset__slug", "slug")
    ):
        dataset_scopes[dataset_slug].append(scope_slug)
    documents = {}
    for document in SupportingDocument.objects.prefetch_related(
        Prefetch("datasets", queryset=active.order_by("slug"))
    ):
        documents[document.slug] = CatalogueDocument(
            slug=document.slug,
            name=document.name,
            dataset_slugs=tuple(dataset.slug for dataset in document.datasets.all()),
        )
    return Matcher(matching_table(), documents, dataset_scopes)


@dataclass(frozen=True)
class Suggestion:
    """A dataset worth asking for: the items still asked that it replaces, and their scopes."""

    dataset: Dataset
    item_labels: tuple[str, ...]
    scope_slugs: tuple[str, ...]


def diagnostic_suggestions(diagnostic: Diagnostic) -> list[Suggestion]:
    """From a diagnostic loaded by ``diagnostic_with_matches``: datasets replacing the most
    items first."""
    grouped: dict[int, tuple[Dataset, list[str], dict[str, None]]] = {}
    for item in diagnostic.items.all():
        if not item.still_asked:
            continue
        for match in item.matches.all():
            if match.confidence not in REPLACEABLE:
                continue
            _, labels, scopes = grouped.setdefault(match.dataset_id, (match.dataset, [], {}))
            labels.append(item.label)
            scopes.update(dict.fromkeys(match.scope_slugs))
    suggestions = [
        Suggestion(dataset, tuple(labels), tuple(scopes))
        for dataset, labels, scopes in grouped.values()
    ]
    suggestions.sort(key=lambda s: (-len(s.item_labels), s.dataset.title))
    return suggestions


@dataclass(frozen=True)
class ItemCoverage:
    """A replaceable item of a diagnostic: the share of the public counted for it, the matching
    table's default for its best match, and where that default comes from."""

    item_id: int  # the procedure's item
    label: str
    share: Decimal
    default_share: Decimal
    set_by_agent: bool
    basis: str


def diagnostic_coverage(diagnostic: Diagnostic) -> list[ItemCoverage]:
    """From a diagnostic loaded by ``diagnostic_with_matches``: its replaceable items still part
    of the procedure, in order."""
    present = set(diagnostic.procedure.items.values_list("pk", flat=True))
    rows = []
    for item in diagnostic.items.all():
        matches = list(item.matches.all())
        if item.confidence not in REPLACEABLE or not matches:
            continue
        if item.procedure_item_id is None or item.procedure_item_id not in present:
            continue
        rows.append(
            ItemCoverage(
                item_id=item.procedure_item_id,
                label=item.label,
                share=item.covered_share,
                default_share=matches[0].covered_share,
                set_by_agent=item.share_set_by_agent,
                basis=matches[0].coverage_basis,
            )
        )
    return rows


def procedure_requests(procedure: Procedure) -> list[AuthorizationRequest]:
    """Habilitation requests made for this procedure."""
    return list(
        AuthorizationRequest.objects.filter(procedure=procedure)
        .select_related("dataset")
        .order_by("-created_at", "-pk")
    )
