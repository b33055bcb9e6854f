from typing import Any

from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport


def code_quality_key_figures(*, exclude_pk: int | None = None) -> list[dict[str, Any]]:
    """The key figures of every finished code quality report, for the comparison between
    projects (every report counts, whoever made it: only figures leave this function)."""
    reports = ToolReport.objects.filter(kind=ToolKind.CODE_QUALITY, status=ReportStatus.DONE)
    if exclude_pk is not None:
        reports = reports.exclude(pk=exclude_pk)
    figures = []
    for results in reports.values_list("results", flat=True).iterator():
        if isinstance(results, dict) and isinstance(results.get("key_figures"), dict):
            figures.append(results["key_figures"])
    return figures
