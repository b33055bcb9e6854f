"""Writes of the accessibility tool: an expert's decision on a criterion, on one page of the
sample or on all of them."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dlnuf.organisations.models import User
from dlnuf.toolbox.accessibility.criteria import grid
from dlnuf.toolbox.accessibility.scoring import DECISIONS, assess, decided_pages
from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from dlnuf.toolbox.perms import can_read_report

MAX_NOTE = 2000


@transaction.atomic
def accessibility_decision_record(
    *,
    report: ToolReport,
    actor: User,
    criterion: str,
    status: str,
    note: str = "",
    page: str = "",
) -> ToolReport:
    """Record (or, with an empty status, withdraw) a person's decision on one criterion of the
    report's grid, on the sample page ``page`` (its address) or, with no page, on every page of
    the sample; then recompute the rate. The row is locked: two experts deciding at once must
    not lose each other's decisions."""
    locked = ToolReport.objects.select_for_update().get(pk=report.pk)
    if locked.kind != ToolKind.ACCESSIBILITY or not can_read_report(actor, locked):
        raise PermissionDenied("Vous ne pouvez pas modifier ce rapport.")
    if locked.status != ReportStatus.DONE:
        raise ValidationError("L'audit n'est pas terminé : attendez la fin de l'analyse.")
    results = dict(locked.results)
    if criterion not in grid(results.get("grid", "full")):
        raise ValidationError(f"Le critère {criterion} ne fait pas partie de la grille de l'audit.")
    if status and status not in DECISIONS:
        raise ValidationError("Choisissez conforme, non conforme ou non applicable.")
    sample = [entry["url"] for entry in results.get("pages", [])]
    if page and page not in sample:
        raise ValidationError("Cette page ne fait pas partie de l'échantillon de l'audit.")
    decisions = dict(results.get("decisions", {}))
    previous = decisions.get(criterion)
    verdicts = decided_pages(previous, sample)
    for url in [page] if page else sample:
        if status:
            verdicts[url] = status
        else:
            verdicts.pop(url, None)
    if verdicts:
        decisions[criterion] = {
            "pages": verdicts,
            "note": note.strip()[:MAX_NOTE] or (previous or {}).get("note", ""),
            "by": str(actor),
            "at": timezone.now().isoformat(),
        }
    else:
        decisions.pop(criterion, None)
    results["decisions"] = decisions
    results["summary"] = assess(results).summary()
    locked.results = results
    locked.save(update_fields=["results"])
    return locked
