"""The knowledge base of experience sharing: problems met and solutions used.

Each closed mission and each diagnosed procedure whose diagnostic found datasets to replace what
it asks gives one entry, with the administration behind it as contact (shared only through an
accepted introduction, ``introductions.py``).

How entries stay current without touching the other apps:

- closing a mission writes its entry (``mission_transition`` calls
  ``knowledge_entry_sync_mission``);
- procedures have no hook: ``knowledge_sync_stale`` writes the entries that are missing or older
  than their procedure or its latest diagnostic, and the experience pages call it when they
  open; ``manage.py rebuild_knowledge`` (``knowledge_rebuild``) rewrites everything.

Writing an entry never encodes it (closing a mission must stay quick): a changed text only
empties the entry's vector, which the next similarity searches compute again, a few at a time
(``manage.py rebuild_knowledge`` computes them all).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from dlnuf.catalogue.models import Dataset
from dlnuf.procedures.models import Diagnostic, DiagnosticMatch, Procedure
from dlnuf.procedures.scoring import REPLACEABLE
from dlnuf.support.models import KnowledgeEntry, KnowledgeSource, Mission, MissionState
from dlnuf.support.similarity import entry_text, knowledge_embeddings_refresh, similarity_method


class Outcome(StrEnum):
    """What an entry can truthfully be said to teach."""

    RESOLVED = "resolved"  # a closed mission of the guichet that wrote down its solution
    DIAGNOSED = "diagnosed"  # a procedure whose diagnostic found data to replace what it asks
    MET = "met"  # a closed mission that wrote no solution: the problem only


def knowledge_outcome(entry: KnowledgeEntry) -> Outcome:
    if entry.source == KnowledgeSource.DIAGNOSTIC:
        return Outcome.DIAGNOSED
    return Outcome.RESOLVED if entry.solution.strip() else Outcome.MET


def knowledge_entries(*, source: str = "") -> QuerySet[KnowledgeEntry]:
    """The knowledge base, from one source or all, in title order."""
    entries = KnowledgeEntry.objects.order_by("title", "pk")
    return entries.filter(source=source) if source else entries


def _dataset_facts(slugs: Iterable[str]) -> dict[str, list[str]]:
    """The tools and legal texts behind the datasets an entry used."""
    datasets = Dataset.objects.filter(slug__in=list(slugs)).select_related("connector")
    tools: set[str] = set()
    legal_texts: set[str] = set()
    for dataset in datasets.prefetch_related("legal_bases"):
        tools.add(dataset.connector.name)
        legal_texts.update(basis.title for basis in dataset.legal_bases.all())
    return {"tools": sorted(tools), "legal_texts": sorted(legal_texts)}


def _write(lookup: Mapping[str, Any], values: Mapping[str, Any]) -> KnowledgeEntry:
    """Create or rewrite the entry; its vector is emptied only when its text changed."""
    entry = KnowledgeEntry.objects.select_for_update().filter(**lookup).first()
    before = entry_text(entry) if entry is not None else None
    if entry is None:
        entry = KnowledgeEntry(**lookup)
    for field, value in values.items():
        setattr(entry, field, value)
    if entry_text(entry) != before:
        entry.embedding = []
        entry.embedding_model = ""
    entry.updated_at = timezone.now()
    entry.save()
    return entry


def _remove(entry: KnowledgeEntry | None) -> bool:
    """Remove an entry whose source no longer teaches anything, unless an introduction was
    proposed from it (its history stays readable)."""
    if entry is None or entry.introductions.exists():
        return False
    entry.delete()
    return True


@transaction.atomic
def knowledge_entry_sync_mission(*, mission: Mission) -> KnowledgeEntry:
    """Write (or rewrite) the entry of a closed mission."""
    request = mission.request
    slugs = sorted(mission.datasets.values_list("slug", flat=True))
    return _write(
        {"mission": mission},
        {
            "source": KnowledgeSource.MISSION,
            "organisation_name": request.administration,
            "contact_name": mission.project_lead_name or request.requester_name,
            "contact_email": mission.project_lead_email or request.requester_email,
            "title": mission.title,
            "problem": mission.problem or f"{request.context}\n\n{request.need}".strip(),
            "solution": mission.solution or mission.closing_summary,
            "dataset_slugs": slugs,
            **_dataset_facts(slugs),
        },
    )


def _latest_diagnostic(procedure: Procedure) -> Diagnostic | None:
    return procedure.diagnostics.order_by("-run_at", "-pk").first()


def _quoted(labels: Iterable[str]) -> str:
    return ", ".join(f"« {label} »" for label in labels)


@transaction.atomic
def knowledge_entry_sync_procedure(*, procedure: Procedure) -> KnowledgeEntry | None:
    """Write (or rewrite) the entry of a procedure from its latest diagnostic.

    The problem is what the procedure asks people for, the solution the datasets that replace
    it; the organisation is the administration behind it and the agent who described it the
    contact. A procedure never diagnosed, or whose diagnostic found nothing to replace, has no
    entry (one written before is removed).
    """
    procedure = Procedure.objects.select_related("organisation", "created_by").get(pk=procedure.pk)
    existing = KnowledgeEntry.objects.filter(procedure=procedure).first()
    diagnostic = _latest_diagnostic(procedure)
    if diagnostic is None:
        _remove(existing)
        return None
    items = list(diagnostic.items.order_by("position", "pk"))
    matches = (
        DiagnosticMatch.objects.filter(item__diagnostic=diagnostic, confidence__in=REPLACEABLE)
        .select_related("dataset__provider", "item")
        .order_by("item__position", "position", "pk")
    )
    replaced: dict[str, tuple[Dataset, list[str]]] = {}
    for match in matches:
        _, labels = replaced.setdefault(match.dataset.slug, (match.dataset, []))
        if match.item.label not in labels:
            labels.append(match.item.label)
    if not replaced:
        _remove(existing)
        return None
    organisation = procedure.organisation
    agent = procedure.created_by
    volume = f" ({procedure.yearly_volume} dossiers par an)" if procedure.yearly_volume else ""
    problem = (
        f"La démarche « {procedure.name} »{volume} demande aux usagers : "
        f"{_quoted(item.label for item in items)}."
    )
    solution_lines = [
        f"Les données « {dataset.title} » ({dataset.provider}) remplacent {_quoted(labels)}."
        for dataset, labels in replaced.values()
    ]
    obtained = [item.label for item in items if not item.still_asked]
    if obtained:
        solution_lines.append(f"Déjà obtenus sans les demander aux usagers : {_quoted(obtained)}.")
    slugs = sorted(replaced)
    return _write(
        {"procedure": procedure},
        {
            "source": KnowledgeSource.DIAGNOSTIC,
            "organisation_name": organisation.name or f"SIRET {organisation.siret}",
            "contact_name": agent.get_full_name() or agent.email,
            "contact_email": agent.email,
            "title": procedure.name,
            "problem": problem,
            "solution": "\n".join(solution_lines),
            "dataset_slugs": slugs,
            **_dataset_facts(slugs),
        },
    )


def _stale_procedures() -> list[Procedure]:
    """Procedures whose entry is missing (while their latest diagnostic found something to
    replace) or older than the procedure or that diagnostic."""
    latest = Diagnostic.objects.filter(procedure=OuterRef("pk")).order_by("-run_at", "-pk")
    return list(
        Procedure.objects.annotate(
            last_run=Subquery(latest.values("run_at")[:1]),
            last_replaceable=Subquery(
                latest.annotate(found=F("replaceable_count") + F("prefilled_count")).values(
                    "found"
                )[:1]
            ),
        )
        .filter(last_run__isnull=False)
        .filter(
            Q(knowledge__isnull=True, last_replaceable__gt=0)
            | Q(knowledge__updated_at__lt=F("last_run"))
            | Q(knowledge__updated_at__lt=F("updated_at"))
        )
    )


def knowledge_sync_stale() -> int:
    """Write the entries missing or out of date; the number of sources looked at again."""
    missions = list(Mission.objects.filter(state=MissionState.CLOSED, knowledge__isnull=True))
    for mission in missions:
        knowledge_entry_sync_mission(mission=mission)
    procedures = _stale_procedures()
    for procedure in procedures:
        knowledge_entry_sync_procedure(procedure=procedure)
    return len(missions) + len(procedures)


@dataclass(frozen=True)
class RebuildReport:
    missions: int  # entries written from closed missions
    procedures: int  # entries written from diagnosed procedures
    removed: int  # entries whose source no longer gives one
    kept_for_introductions: int  # such entries kept because an introduction names them
    embedded: int  # vectors computed
    method: str  # the similarity that will run


def knowledge_rebuild() -> RebuildReport:
    """Rewrite every entry from its source, remove those without one, compute missing vectors.

    Running it again writes the same entries; the vectors of unchanged texts are kept.
    """
    with transaction.atomic():
        before = set(KnowledgeEntry.objects.values_list("pk", flat=True))
        missions = [
            knowledge_entry_sync_mission(mission=mission)
            for mission in Mission.objects.filter(state=MissionState.CLOSED)
        ]
        diagnosed = Procedure.objects.filter(diagnostics__isnull=False).distinct()
        procedures = [knowledge_entry_sync_procedure(procedure=p) for p in diagnosed]
        written = {entry.pk for entry in [*missions, *procedures] if entry is not None}
        orphans = list(KnowledgeEntry.objects.exclude(pk__in=written))
        for entry in orphans:
            _remove(entry)
        remaining = set(KnowledgeEntry.objects.values_list("pk", flat=True))
    embedded = knowledge_embeddings_refresh(entries=KnowledgeEntry.objects.all())
    return RebuildReport(
        missions=len(missions),
        procedures=len(written) - len(missions),
        removed=len(before - remaining),
        kept_for_introductions=len(remaining - written),
        embedded=embedded,
        method=similarity_method(),
    )
