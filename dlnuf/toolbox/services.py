"""Writes of the toolbox: create a report, run it now or in the background, record progress.

A tool validates its inputs before ``tool_report_create`` is called: a report row always holds
inputs the tool accepts. Background runs are enqueued after the commit, so the worker never looks
for a row that does not exist yet.
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from dlnuf.organisations.models import User
from dlnuf.support.models import Mission
from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from dlnuf.toolbox.perms import can_attach_to_mission, can_use_toolbox


@transaction.atomic
def tool_report_create(
    *,
    kind: ToolKind,
    actor: User,
    title: str,
    inputs: Mapping[str, Any],
    results: Mapping[str, Any] | None = None,
    mission: Mission | None = None,
    source_file: UploadedFile | None = None,
) -> ToolReport:
    """Record a run of a tool. With ``results`` the report is finished at once; without, it is
    enqueued as a background job."""
    if not can_use_toolbox(actor):
        raise PermissionDenied("Connectez-vous pour utiliser la boîte à outils.")
    if mission is not None and not can_attach_to_mission(actor):
        raise PermissionDenied("Seuls les experts du guichet rattachent un rapport à une mission.")
    now = timezone.now()
    report = ToolReport(
        kind=kind,
        title=title.strip() or ToolKind(kind).label,
        created_by=actor,
        mission=mission,
        inputs=dict(inputs),
    )
    if source_file is not None:
        report.source_name = (source_file.name or "fichier")[:255]
        report.source_file.save("source", source_file, save=False)
    if results is not None:
        report.results = dict(results)
        report.status = ReportStatus.DONE
        report.progress = 100
        report.started_at = report.finished_at = now
    report.save()
    if results is None:
        report_id = report.pk
        transaction.on_commit(lambda: _enqueue(report_id))
    return report


def _enqueue(report_id: int) -> None:
    from dlnuf.toolbox.jobs import run_tool_report

    run_tool_report.enqueue(report_id)


def tool_report_progress(*, report_id: int, percent: int, message: str) -> None:
    """Progress of a background run, written at once so that the report's page sees it."""
    ToolReport.objects.filter(pk=report_id).update(
        status=ReportStatus.RUNNING,
        progress=max(0, min(100, percent)),
        progress_message=message[:255],
    )


def tool_report_start(*, report_id: int) -> bool:
    """Claim a pending report for this run; False when another run already took it."""
    claimed = ToolReport.objects.filter(pk=report_id, status=ReportStatus.PENDING).update(
        status=ReportStatus.RUNNING, started_at=timezone.now(), progress=0
    )
    return claimed == 1


def tool_report_finish(*, report_id: int, results: Mapping[str, Any]) -> None:
    ToolReport.objects.filter(pk=report_id).update(
        status=ReportStatus.DONE,
        results=dict(results),
        progress=100,
        progress_message="Terminé",
        finished_at=timezone.now(),
    )


def tool_report_fail(*, report_id: int, error: str) -> None:
    ToolReport.objects.filter(pk=report_id).update(
        status=ReportStatus.FAILED, error=error, finished_at=timezone.now()
    )


@transaction.atomic
def tool_report_attach(*, report: ToolReport, actor: User, mission: Mission | None) -> ToolReport:
    if not can_attach_to_mission(actor):
        raise PermissionDenied("Seuls les experts du guichet rattachent un rapport à une mission.")
    report.mission = mission
    report.save(update_fields=["mission"])
    return report
