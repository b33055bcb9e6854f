"""Writes on procedures: describe a procedure and its items, run a diagnostic, ask for the data.

Only applicants of the procedure's organisation change it (``ProcedureForbidden`` otherwise);
every service runs in one transaction, so a refused or failing step leaves nothing behind.
"""

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from dlnuf.catalogue.models import Dataset
from dlnuf.habilitations.models import AuthorizationRequest
from dlnuf.habilitations.services import authorization_request_create
from dlnuf.organisations.models import Organisation, User
from dlnuf.organisations.perms import is_applicant_for
from dlnuf.procedures.matching import ItemMatch, Matcher
from dlnuf.procedures.models import (
    Confidence,
    Diagnostic,
    DiagnosticItem,
    DiagnosticMatch,
    ItemSource,
    Procedure,
    ProcedureItem,
)
from dlnuf.procedures.perms import can_edit_procedure
from dlnuf.procedures.scoring import (
    FULL_SHARE,
    REPLACEABLE,
    ItemOutcome,
    documents_per_year,
    procedure_score,
)
from dlnuf.procedures.selectors import catalogue_matcher

MAX_ITEMS_PER_PROCEDURE = 200
LABEL_MAX_LENGTH = 255


class ProcedureForbidden(Exception):
    """The user may not change this procedure (the message is French)."""


class ProcedureRefused(Exception):
    """The change cannot be made as asked (the message is French)."""


def _check_editor(user: User, procedure: Procedure) -> None:
    if not can_edit_procedure(user, procedure):
        raise ProcedureForbidden(
            "Seuls les demandeurs de l'organisation peuvent modifier cette démarche."
        )


@transaction.atomic
def procedure_create(
    *, organisation: Organisation, name: str, url: str, yearly_volume: int, created_by: User
) -> Procedure:
    if not is_applicant_for(created_by, organisation):
        raise ProcedureForbidden(
            "Seuls les demandeurs de l'organisation peuvent décrire une de ses démarches."
        )
    return Procedure.objects.create(
        organisation=organisation,
        name=name.strip(),
        url=url.strip(),
        yearly_volume=yearly_volume,
        created_by=created_by,
    )


@transaction.atomic
def procedure_update(
    *, procedure: Procedure, name: str, url: str, yearly_volume: int, updated_by: User
) -> Procedure:
    _check_editor(updated_by, procedure)
    procedure.name = name.strip()
    procedure.url = url.strip()
    procedure.yearly_volume = yearly_volume
    procedure.updated_at = timezone.now()
    procedure.save(update_fields=["name", "url", "yearly_volume", "updated_at"])
    return procedure


def _touch(procedure: Procedure) -> None:
    procedure.updated_at = timezone.now()
    procedure.save(update_fields=["updated_at"])


@transaction.atomic
def procedure_items_add(
    *,
    procedure: Procedure,
    labels: Sequence[str],
    source: ItemSource,
    added_by: User,
    common_items: Sequence[str] | None = None,
) -> list[ProcedureItem]:
    """Append items in order; ``common_items`` gives the list slug of each picked item."""
    _check_editor(added_by, procedure)
    # Lock the procedure so that concurrent additions keep distinct positions.
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
    cleaned = [" ".join(label.split()) for label in labels]
    if any(not label for label in cleaned):
        raise ProcedureRefused("Un élément sans libellé ne peut pas être ajouté.")
    too_long = [label for label in cleaned if len(label) > LABEL_MAX_LENGTH]
    if too_long:
        raise ProcedureRefused(
            f"Libellé trop long ({len(too_long[0])} caractères, {LABEL_MAX_LENGTH} au plus)."
        )
    slugs = list(common_items) if common_items is not None else [""] * len(cleaned)
    if len(slugs) != len(cleaned):
        raise ValueError("one common item slug per label")
    present = procedure.items.count()
    if present + len(cleaned) > MAX_ITEMS_PER_PROCEDURE:
        raise ProcedureRefused(
            f"Une démarche compte au plus {MAX_ITEMS_PER_PROCEDURE} éléments ; elle en a déjà "
            f"{present}."
        )
    start = (procedure.items.aggregate(last=Max("position"))["last"] or 0) + 1
    items = ProcedureItem.objects.bulk_create(
        ProcedureItem(
            procedure=procedure,
            label=label,
            source=source,
            common_item=slug,
            position=start + offset,
        )
        for offset, (label, slug) in enumerate(zip(cleaned, slugs, strict=True))
    )
    _touch(procedure)
    return items


@transaction.atomic
def procedure_items_pick(
    *, procedure: Procedure, slugs: Iterable[str], added_by: User, matcher: Matcher | None = None
) -> list[ProcedureItem]:
    """Add items picked from the list of common supporting documents."""
    matcher = matcher or catalogue_matcher()
    offered = dict(matcher.picklist())
    chosen = list(dict.fromkeys(slugs))
    unknown = [slug for slug in chosen if slug not in offered]
    if unknown:
        raise ProcedureRefused("Élément inconnu dans la liste : " + ", ".join(unknown) + ".")
    return procedure_items_add(
        procedure=procedure,
        labels=[offered[slug] for slug in chosen],
        source=ItemSource.PICKED,
        added_by=added_by,
        common_items=chosen,
    )


@transaction.atomic
def procedure_items_add_together(
    *,
    procedure: Procedure,
    typed: Sequence[str],
    picked: Iterable[str],
    imported: Sequence[str],
    added_by: User,
    matcher: Matcher | None = None,
) -> list[ProcedureItem]:
    """Lines typed, common items picked and labels imported in one go: all are added, in that
    order, or none (a refusal of one part leaves the procedure as it was)."""
    added: list[ProcedureItem] = []
    if typed:
        added += procedure_items_add(
            procedure=procedure, labels=typed, source=ItemSource.TYPED, added_by=added_by
        )
    slugs = list(picked)
    if slugs:
        added += procedure_items_pick(
            procedure=procedure, slugs=slugs, added_by=added_by, matcher=matcher
        )
    if imported:
        added += procedure_items_add(
            procedure=procedure, labels=imported, source=ItemSource.IMPORTED, added_by=added_by
        )
    if not added:
        raise ProcedureRefused("Saisissez, cochez ou importez au moins un élément.")
    return added


@transaction.atomic
def procedure_item_set_asked(*, item: ProcedureItem, still_asked: bool, changed_by: User) -> None:
    _check_editor(changed_by, item.procedure)
    item.still_asked = still_asked
    item.save(update_fields=["still_asked"])
    _touch(item.procedure)


@transaction.atomic
def procedure_item_remove(*, item: ProcedureItem, removed_by: User) -> None:
    _check_editor(removed_by, item.procedure)
    procedure = item.procedure
    item.delete()
    _touch(procedure)


@transaction.atomic
def procedure_coverage_update(
    *, procedure: Procedure, shares: Mapping[int, Decimal | None], changed_by: User
) -> Diagnostic:
    """Set the agent's share of the public covered for some items (None: back to the table's
    default), then diagnose again so the documents per year count with those shares."""
    _check_editor(changed_by, procedure)
    items = procedure.items.in_bulk(list(shares))
    unknown = [pk for pk in shares if pk not in items]
    if unknown:
        raise ProcedureRefused(
            "Cet élément ne fait plus partie de la démarche ; rechargez la page."
        )
    for pk, share in shares.items():
        if share is not None and not Decimal(0) <= share <= FULL_SHARE:
            raise ProcedureRefused(
                f"La part couverte de « {items[pk].label} » doit être comprise entre 0 et 100 %."
            )
        items[pk].covered_share = share
    ProcedureItem.objects.bulk_update(list(items.values()), ["covered_share"])
    _touch(procedure)
    return diagnostic_run(procedure=procedure, run_by=changed_by)


def _item_share(item: ProcedureItem, result: ItemMatch) -> tuple[Decimal, bool]:
    """The share counted for an item, and whether the agent set it; only a replaceable item
    has a share, taken from its best match unless the agent gave the procedure's own."""
    if result.confidence not in REPLACEABLE:
        return FULL_SHARE, False
    if item.covered_share is not None:
        return item.covered_share, True
    return result.candidates[0].covered_share, False


@transaction.atomic
def diagnostic_run(
    *, procedure: Procedure, run_by: User, matcher: Matcher | None = None
) -> Diagnostic:
    """Match every item against the catalogue, score the procedure, keep the snapshot."""
    _check_editor(run_by, procedure)
    items = list(procedure.items.order_by("position", "pk"))
    if not items:
        raise ProcedureRefused("Ajoutez d'abord les éléments que la démarche demande aux usagers.")
    matcher = matcher or catalogue_matcher()
    results = [matcher.match(item.label, common_item=item.common_item) for item in items]
    shares = [_item_share(item, result) for item, result in zip(items, results, strict=True)]
    score = procedure_score(
        (
            ItemOutcome(
                confidence=result.confidence, still_asked=item.still_asked, covered_share=share
            )
            for item, result, (share, _) in zip(items, results, shares, strict=True)
        ),
        yearly_volume=procedure.yearly_volume,
    )
    diagnostic = Diagnostic.objects.create(
        procedure=procedure,
        run_by=run_by,
        yearly_volume=procedure.yearly_volume,
        items_count=score.items_count,
        replaceable_count=score.replaceable_count,
        prefilled_count=score.prefilled_count,
        to_check_count=score.to_check_count,
        level=score.level,
        documents_avoidable_per_year=score.documents_avoidable_per_year,
        documents_avoided_per_year=score.documents_avoided_per_year,
    )
    datasets = Dataset.objects.in_bulk(
        {c.dataset_slug for result in results for c in result.candidates}, field_name="slug"
    )
    snapshots = DiagnosticItem.objects.bulk_create(
        DiagnosticItem(
            diagnostic=diagnostic,
            procedure_item_id=item.pk,
            label=item.label,
            source=item.source,
            still_asked=item.still_asked,
            confidence=result.confidence,
            note=result.note[:500],
            covered_share=share,
            share_set_by_agent=set_by_agent,
            documents_per_year=(
                documents_per_year(procedure.yearly_volume, share)
                if result.confidence in REPLACEABLE
                else 0
            ),
            position=position,
        )
        for position, (item, result, (share, set_by_agent)) in enumerate(
            zip(items, results, shares, strict=True)
        )
    )
    DiagnosticMatch.objects.bulk_create(
        DiagnosticMatch(
            item=snapshot,
            dataset=datasets[candidate.dataset_slug],
            confidence=candidate.confidence,
            reason=candidate.reason,
            scope_slugs=list(candidate.scope_slugs),
            covered_share=candidate.covered_share,
            coverage_basis=candidate.coverage_basis,
            uncovered_note=candidate.uncovered_note,
            position=index,
        )
        for snapshot, result in zip(snapshots, results, strict=True)
        for index, candidate in enumerate(result.candidates)
    )
    return diagnostic


def _purpose(procedure: Procedure, labels: Sequence[str]) -> str:
    asked = ", ".join(f"« {label} »" for label in labels)
    return (
        f"Démarche « {procedure.name} » ({procedure.yearly_volume} dossiers par an) : ne plus "
        f"demander aux usagers {asked}, en obtenant les données directement auprès de "
        "l'administration qui les détient."
    )


@transaction.atomic
def procedure_requests_create(
    *, procedure: Procedure, diagnostic: Diagnostic, match_ids: Iterable[int], created_by: User
) -> list[AuthorizationRequest]:
    """One draft habilitation request per dataset among the chosen matches, with the minimal
    scopes of those matches ticked and the procedure linked. All or nothing."""
    _check_editor(created_by, procedure)
    if diagnostic.procedure_id != procedure.pk:
        raise ProcedureRefused("Ce diagnostic ne concerne pas cette démarche.")
    chosen = list(
        DiagnosticMatch.objects.filter(item__diagnostic=diagnostic, pk__in=list(match_ids))
        .exclude(confidence=Confidence.NONE)
        .select_related("dataset", "item")
        .order_by("item__position", "position")
    )
    if not chosen:
        raise ProcedureRefused("Choisissez au moins une donnée à demander.")
    by_dataset: dict[int, list[DiagnosticMatch]] = {}
    for match in chosen:
        by_dataset.setdefault(match.dataset_id, []).append(match)
    created = []
    for matches in by_dataset.values():
        dataset = matches[0].dataset
        if not dataset.is_active:
            raise ProcedureRefused(f"Le jeu de données « {dataset.title} » n'est plus proposé.")
        known = list(dataset.scopes.order_by("position", "slug").values_list("slug", flat=True))
        wanted = {slug for match in matches for slug in match.scope_slugs}
        created.append(
            authorization_request_create(
                organisation=procedure.organisation,
                dataset=dataset,
                scope_slugs=[slug for slug in known if slug in wanted],
                created_by=created_by,
                procedure=procedure,
                purpose=_purpose(procedure, [match.item.label for match in matches]),
            )
        )
    return created
