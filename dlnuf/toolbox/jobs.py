"""The background runs of the toolbox, as django-tasks tasks.

``make run`` starts a database worker next to the web server (``manage.py db_worker``); tests use
the immediate backend. Each long tool exposes ``run(report, progress) -> results``: it reads the
report's inputs and returns its results as JSON-ready data, calling ``progress(percent, message)``
as it goes. A failure is written on the report in French, never lost in a log only.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string
from django_tasks import task

from dlnuf.toolbox.models import ToolKind, ToolReport
from dlnuf.toolbox.services import (
    tool_report_fail,
    tool_report_finish,
    tool_report_progress,
    tool_report_start,
)

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]

# Imported when a run starts: the web process never loads the analysers it does not use.
RUNNERS = {
    ToolKind.CODE_QUALITY: "dlnuf.toolbox.code_quality.runner.run",
    ToolKind.ACCESSIBILITY: "dlnuf.toolbox.accessibility.runner.run",
    ToolKind.TECH_REVIEW: "dlnuf.toolbox.tech_review.runner.run",
}


class ToolError(Exception):
    """A failure to tell the person, in French (unreachable address, refused archive…)."""


@task()
def run_tool_report(report_id: int) -> None:
    if not tool_report_start(report_id=report_id):
        return
    report = ToolReport.objects.get(pk=report_id)

    def progress(percent: int, message: str) -> None:
        tool_report_progress(report_id=report_id, percent=percent, message=message)

    try:
        runner: Callable[[ToolReport, Progress], dict[str, Any]] = import_string(
            RUNNERS[ToolKind(report.kind)]
        )
        results = runner(report, progress)
    except ToolError as error:
        tool_report_fail(report_id=report_id, error=str(error))
        return
    except Exception:
        logger.exception("Toolbox run %s failed", report_id)
        tool_report_fail(
            report_id=report_id,
            error="L'analyse s'est arrêtée sur une erreur inattendue ; l'équipe technique est "
            "prévenue. Vous pouvez relancer l'analyse.",
        )
        return
    tool_report_finish(report_id=report_id, results=results)
