"""What every tool's pages share: finding a report the person may read, its progress."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from dlnuf.organisations.models import User
from dlnuf.toolbox.models import ReportStatus, ToolReport
from dlnuf.toolbox.perms import can_attach_to_mission, can_read_report
from dlnuf.www.toolbox_views.forms import MissionChoiceForm
from dlnuf.www.toolbox_views.pdf import pdf_response


def report_for(request: HttpRequest, pk: int, kind: str) -> ToolReport:
    """The report of this tool, or 404 when it does not exist or is someone else's (existence
    must not leak)."""
    report = (
        ToolReport.objects.select_related("created_by", "mission__request")
        .filter(pk=pk, kind=kind)
        .first()
    )
    if report is None or not can_read_report(request.user, report):
        raise Http404("Rapport introuvable.")
    return report


def signed_in_user(request: HttpRequest) -> User:
    """The person behind a toolbox page (login is required for all of them)."""
    user = request.user
    assert isinstance(user, User)
    return user


def toolbox_breadcrumb(current: str) -> dict[str, Any]:
    return {
        "links": [{"url": reverse("www:toolbox"), "title": "Boîte à outils"}],
        "current": current,
    }


def attach_form_for(request: HttpRequest, report: ToolReport) -> MissionChoiceForm | None:
    """The form that attaches a report to a mission, for the guichet's experts only."""
    if not can_attach_to_mission(request.user):
        return None
    return MissionChoiceForm(initial={"mission": report.mission_id})


def finished_report_pdf(
    request: HttpRequest,
    report: ToolReport,
    *,
    template: str,
    context: dict[str, Any],
    filename: str,
    report_route: str,
) -> HttpResponse:
    """The PDF of a finished report; while the analysis runs, back to the report's page."""
    if report.status != ReportStatus.DONE:
        return redirect(report_route, pk=report.pk)
    return pdf_response(template, context, request, filename=filename)
