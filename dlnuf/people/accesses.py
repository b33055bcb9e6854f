"""What a person or a company sees of the accesses to their data on « Mes données ».

Every read starts from the viewer's subject keys (index ``journal_subject_idx``): no query here
reaches an entry keyed for someone else, whatever the filters say.

Deferred visibility: a habilitation may carry a delay set with its legal reference (an
investigation the person must not learn about too early). Its entries stay hidden until
``occurred_at + delay``; the viewer learns only how many are hidden at the moment, never which,
and that count ignores the filters, so that narrowing the period cannot tell when they happened.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dlnuf.catalogue.models import Dataset, Provider
from dlnuf.french import date_fr
from dlnuf.habilitations.models import (
    AuthorizationRequest,
    Habilitation,
    LegalBasisNature,
    RequestState,
)
from dlnuf.journal.models import EPOCH, JournalEntry
from dlnuf.journal.outcomes import Outcome, exchange_outcome
from dlnuf.organisations.models import Organisation
from dlnuf.people.viewers import Viewer

# The answer code of a provider that does not know the person or company asked about.
SUBJECT_NOT_FOUND_CODE = "subject_not_found"
# A field the provider sent that no scope of the catalogue describes (never its name: it would
# mean nothing to the person).
UNDESCRIBED_FIELD_LABEL = "information non décrite au catalogue"
# Requests whose legal basis was checked by the provider's instructor.
_DECIDED_STATES = (RequestState.VALIDATED, RequestState.SUPERSEDED, RequestState.REVOKED)


class AccessOutcome(StrEnum):
    TRANSMITTED = "transmitted"
    NOT_FOUND = "not_found"
    REFUSED = "refused"
    FAILED = "failed"


OUTCOME_LABELS = {
    AccessOutcome.TRANSMITTED: "Données transmises",
    AccessOutcome.NOT_FOUND: "Introuvable chez le fournisseur : rien n'a été transmis",
    AccessOutcome.REFUSED: "Demande refusée : rien n'a été transmis",
    AccessOutcome.FAILED: "Incident technique : rien n'a été transmis",
}


def access_outcome(*, status: int, code: str) -> AccessOutcome:
    """The journal's outcome in the terms of the person concerned: what matters to them is
    whether their data left, and if not, why."""
    outcome = exchange_outcome(status=status, code=code)
    if outcome is Outcome.SUCCEEDED:
        return AccessOutcome.TRANSMITTED
    if outcome is Outcome.REFUSED:
        if code == SUBJECT_NOT_FOUND_CODE:
            return AccessOutcome.NOT_FOUND
        return AccessOutcome.REFUSED
    return AccessOutcome.FAILED


@dataclass(frozen=True)
class AccessFilters:
    start: date | None = None
    # Included: the whole day counts.
    end: date | None = None
    consumer_siret: str = ""
    dataset_slug: str = ""

    def is_set(self) -> bool:
        return bool(self.start or self.end or self.consumer_siret or self.dataset_slug)


@dataclass(frozen=True)
class Access:
    """One line of the page, with nothing a person could not read: no subject key, no value."""

    index: int
    occurred_at: datetime
    consumer_siret: str
    # Empty when the portal does not know the organisation behind the SIRET.
    consumer_name: str
    context: str
    # Empty unless the habilitation lets the person see the case reference.
    case_reference: str
    dataset_title: str
    provider_name: str
    fields_transmitted: tuple[str, ...]
    # Empty when neither the habilitation request nor the catalogue gives one.
    legal_basis: str
    legal_basis_url: str
    # True when the text is the catalogue's general frame of the dataset, for want of the
    # habilitation request's own.
    legal_basis_from_catalogue: bool
    outcome: AccessOutcome

    @property
    def occurred_at_display(self) -> str:
        """« 4 décembre 2026 à 14 h 05 », Paris time."""
        return date_fr(self.occurred_at, with_time=True)

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]

    @property
    def consumer_siret_display(self) -> str:
        return siret_display(self.consumer_siret)


@dataclass(frozen=True)
class AccessSummary:
    consultations: int
    administrations: int
    # Transmitted consultations of a dataset that replaces a supporting document in the
    # catalogue: each spared the person one document.
    documents_spared: int


@dataclass(frozen=True)
class FilterChoice:
    value: str
    label: str


def siret_display(number: str) -> str:
    """« 130 025 265 00013 » for a SIRET (SIREN by threes, then the establishment's five
    digits), « 130 025 265 » for a SIREN; anything else as it is."""
    if not number.isdigit() or len(number) not in (9, 14):
        return number
    return " ".join((number[0:3], number[3:6], number[6:9], number[9:])).strip()


def _microseconds(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _viewer_entries(viewer: Viewer) -> QuerySet[JournalEntry]:
    return JournalEntry.objects.filter(subject_key__in=viewer.subject_keys)


def _deferred(now: datetime) -> Q | None:
    """Entries still inside their habilitation's delay at ``now``; None when no habilitation
    has a delay. Grouped by delay, so the condition stays short however many habilitations
    share one."""
    by_delay: dict[int, list[int]] = defaultdict(list)
    delayed = Habilitation.objects.filter(subject_visibility_delay_days__isnull=False)
    for habilitation_id, days in delayed.values_list("id", "subject_visibility_delay_days"):
        if days is not None:
            by_delay[days].append(habilitation_id)
    condition: Q | None = None
    for days, habilitation_ids in sorted(by_delay.items()):
        cutoff = _microseconds(now - timedelta(days=days))
        part = Q(habilitation_id__in=habilitation_ids, occurred_at_us__gt=cutoff)
        condition = part if condition is None else condition | part
    return condition


def accesses_visible(viewer: Viewer, *, now: datetime) -> QuerySet[JournalEntry]:
    """The viewer's entries they may see at ``now``, newest first."""
    entries = _viewer_entries(viewer)
    deferred = _deferred(now)
    if deferred is not None:
        entries = entries.exclude(deferred)
    return entries.order_by("-index")


def accesses_deferred_count(viewer: Viewer, *, now: datetime) -> int:
    deferred = _deferred(now)
    if deferred is None:
        return 0
    return _viewer_entries(viewer).filter(deferred).count()


def accesses_filtered(
    viewer: Viewer, filters: AccessFilters, *, now: datetime
) -> QuerySet[JournalEntry]:
    entries = accesses_visible(viewer, now=now)
    if filters.start:
        entries = entries.filter(occurred_at_us__gte=_microseconds(_day_start(filters.start)))
    if filters.end:
        next_day = _day_start(filters.end + timedelta(days=1))
        entries = entries.filter(occurred_at_us__lt=_microseconds(next_day))
    if filters.consumer_siret:
        entries = entries.filter(consumer_siret=filters.consumer_siret)
    if filters.dataset_slug:
        entries = entries.filter(dataset_slug=filters.dataset_slug)
    return entries


def access_filter_choices(
    viewer: Viewer, *, now: datetime
) -> tuple[list[FilterChoice], list[FilterChoice]]:
    """The administrations and the datasets of the viewer's own visible entries, by name: a
    choice never names an organisation that did not consult this viewer's data."""
    visible = accesses_visible(viewer, now=now).order_by()
    sirets = sorted(set(visible.values_list("consumer_siret", flat=True).distinct()))
    slugs = sorted(set(visible.values_list("dataset_slug", flat=True).distinct()))
    names = dict(Organisation.objects.filter(siret__in=sirets).values_list("siret", "name"))
    titles = dict(Dataset.objects.filter(slug__in=slugs).values_list("slug", "title"))
    administrations = [
        FilterChoice(
            siret,
            f"{names[siret]} (SIRET {siret_display(siret)})"
            if names.get(siret)
            else f"SIRET {siret_display(siret)}",
        )
        for siret in sirets
    ]
    datasets = [FilterChoice(slug, titles.get(slug) or slug) for slug in slugs]
    return (
        sorted(administrations, key=lambda choice: choice.label.casefold()),
        sorted(datasets, key=lambda choice: choice.label.casefold()),
    )


def accesses_summary(entries: QuerySet[JournalEntry]) -> AccessSummary:
    replacing = Dataset.objects.filter(supporting_documents__isnull=False).values("slug")
    figures = entries.order_by().aggregate(
        consultations=Count("index"),
        administrations=Count("consumer_siret", distinct=True),
        documents_spared=Count(
            "index", filter=Q(status__lt=400, dataset_slug__in=replacing.distinct())
        ),
    )
    return AccessSummary(
        consultations=figures["consultations"],
        administrations=figures["administrations"],
        documents_spared=figures["documents_spared"],
    )


@dataclass(frozen=True)
class ScopeLabel:
    label: str
    fields: tuple[str, ...]


def _covers(field: str, returned: str) -> bool:
    """Whether a scope naming ``field`` explains the returned path ``returned``: the path
    itself, something inside it, or its container left empty (``admissions`` for a scope
    naming ``admissions[].est_inscrit``)."""
    if field == "*" or returned == field:
        return True
    for separator in (".", "[]"):
        if returned.startswith(field + separator) or field.startswith(returned + separator):
            return True
    return False


def fields_in_plain_french(
    returned: Sequence[str], scopes: Sequence[ScopeLabel]
) -> tuple[str, ...]:
    """The catalogue's names of the scopes whose fields left, in the catalogue's order."""
    labels: dict[str, None] = {}
    for scope in scopes:
        if any(_covers(field, path) for path in returned for field in scope.fields):
            labels[scope.label] = None
    if any(not any(_covers(f, path) for s in scopes for f in s.fields) for path in returned):
        labels[UNDESCRIBED_FIELD_LABEL] = None
    return tuple(labels)


@dataclass(frozen=True)
class _LegalBasis:
    text: str
    url: str
    from_catalogue: bool


def _request_legal_bases(habilitation_ids: Iterable[int]) -> dict[int, _LegalBasis]:
    """The legal basis the instructor checked, from the latest decided request of each
    habilitation."""
    found: dict[int, _LegalBasis] = {}
    requests = (
        AuthorizationRequest.objects.filter(
            habilitation_id__in=habilitation_ids, state__in=_DECIDED_STATES
        )
        .exclude(legal_basis_nature="")
        .order_by("-decided_at", "-pk")
        .values_list(
            "habilitation_id", "legal_basis_nature", "legal_basis_article", "legal_basis_url"
        )
    )
    for habilitation_id, nature, article, url in requests:
        if habilitation_id in found:
            continue
        text = str(LegalBasisNature(nature).label) if nature in LegalBasisNature else nature
        if article:
            text = f"{text} — {article}"
        found[habilitation_id] = _LegalBasis(text, url, from_catalogue=False)
    return found


def accesses_described(entries: Iterable[JournalEntry]) -> list[Access]:
    """The lines a person reads for these entries, looked up in a few queries whatever their
    number (the catalogue, the organisations and the habilitations of the entries only)."""
    rows = list(entries)
    slugs = {entry.dataset_slug for entry in rows}
    datasets = {
        dataset.slug: dataset
        for dataset in Dataset.objects.filter(slug__in=slugs)
        .select_related("provider")
        .prefetch_related("scopes", "legal_bases")
    }
    provider_names = dict(
        Provider.objects.filter(slug__in={entry.provider for entry in rows}).values_list(
            "slug", "name"
        )
    )
    consumer_names = dict(
        Organisation.objects.filter(siret__in={entry.consumer_siret for entry in rows}).values_list(
            "siret", "name"
        )
    )
    habilitation_ids = {entry.habilitation_id for entry in rows if entry.habilitation_id}
    shows_case_reference = dict(
        Habilitation.objects.filter(id__in=habilitation_ids).values_list(
            "id", "subject_sees_case_reference"
        )
    )
    request_bases = _request_legal_bases(habilitation_ids)
    scopes_of = {
        slug: [ScopeLabel(scope.label, tuple(scope.fields)) for scope in dataset.scopes.all()]
        for slug, dataset in datasets.items()
    }
    catalogue_bases = {
        slug: _LegalBasis(
            "; ".join(
                f"{basis.title} ({basis.reference})" if basis.reference else basis.title
                for basis in dataset.legal_bases.all()
            ),
            "",
            from_catalogue=True,
        )
        for slug, dataset in datasets.items()
    }
    accesses = []
    for entry in rows:
        dataset = datasets.get(entry.dataset_slug)
        legal_basis = request_bases.get(entry.habilitation_id or 0) or catalogue_bases.get(
            entry.dataset_slug
        )
        if legal_basis is not None and not legal_basis.text:
            legal_basis = None
        shows_reference = shows_case_reference.get(entry.habilitation_id or 0, False)
        accesses.append(
            Access(
                index=entry.index,
                occurred_at=entry.occurred_at,
                consumer_siret=entry.consumer_siret,
                consumer_name=consumer_names.get(entry.consumer_siret, ""),
                context=entry.context,
                case_reference=entry.object if shows_reference else "",
                dataset_title=dataset.title if dataset else entry.dataset_slug,
                provider_name=provider_names.get(entry.provider)
                or (dataset.provider.name if dataset else entry.provider),
                fields_transmitted=fields_in_plain_french(
                    entry.fields_returned, scopes_of.get(entry.dataset_slug, [])
                ),
                legal_basis=legal_basis.text if legal_basis else "",
                legal_basis_url=legal_basis.url if legal_basis else "",
                legal_basis_from_catalogue=legal_basis.from_catalogue if legal_basis else False,
                outcome=access_outcome(status=entry.status, code=entry.code),
            )
        )
    return accesses
