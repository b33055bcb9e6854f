"""What every tool's pages share: finding a report the person may read, its progress."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from dlnuf.organisations.models import User
from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from dlnuf.toolbox.perms import can_attach_to_mission, can_read_report
from dlnuf.toolbox.services import tool_report_create
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


# What one table of a report page or PDF shows at most, and the longest text it quotes: a report
# of an archive with 60 000 entries or a manifest with 100 000 dependencies still draws quickly.
MAX_ROWS = 100
MAX_TEXT = 300


def bounded(value: Any, *, rows: int = MAX_ROWS) -> Any:
    """A copy of stored results fit to be drawn: each list keeps its first ``rows`` items, and
    for a list under a ``key`` of a mapping, ``<key>_more`` counts the items left out (adding to
    a count already stored there); each text keeps its first MAX_TEXT characters."""
    if isinstance(value, dict):
        copy = {key: bounded(item, rows=rows) for key, item in value.items()}
        for key, item in value.items():
            if isinstance(item, list) and len(item) > rows:
                already = value.get(f"{key}_more")
                copy[f"{key}_more"] = (already if isinstance(already, int) else 0) + (
                    len(item) - rows
                )
        return copy
    if isinstance(value, list):
        return [bounded(item, rows=rows) for item in value[:rows]]
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "…"
    return value


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


@dataclass(frozen=True)
class QuickTool:
    """A tool computed at once from a form: value and cost estimate review."""

    kind: ToolKind
    form_class: Any  # a PortalForm with ``can_attach`` and ``to_inputs()``
    evaluate: Callable[[Mapping[str, Any]], dict[str, Any]]
    input_error: type[Exception]
    initial_from_inputs: Callable[[Mapping[str, Any]], dict[str, Any]]
    template: str
    title: str
    page_title: str
    example: Callable[[], dict[str, Any]] | None = None


def quick_tool_new(request: HttpRequest, tool: QuickTool) -> HttpResponse:
    """The form of a quick tool: computed and stored on success, shown again with the refusal
    otherwise; prefilled from an earlier report (``?depuis=<pk>``) or the example (``?exemple``)."""
    user = signed_in_user(request)
    can_attach = can_attach_to_mission(user)
    if request.method == "POST":
        form = tool.form_class(request.POST, can_attach=can_attach)
        if form.is_valid():
            inputs = form.to_inputs()
            try:
                results = tool.evaluate(inputs)
            except tool.input_error as error:
                form.add_error(None, str(error))
            else:
                report = tool_report_create(
                    kind=tool.kind,
                    actor=user,
                    title=inputs["title"],
                    inputs=inputs,
                    results=results,
                    mission=form.cleaned_data.get("mission"),
                )
                return redirect(f"www:{tool.kind}_report", pk=report.pk)
    else:
        initial: dict[str, Any] = {}
        source = request.GET.get("depuis", "")
        if source.isdigit():
            earlier = report_for(request, int(source), tool.kind)
            initial = tool.initial_from_inputs(earlier.inputs)
            if can_attach and earlier.mission_id:
                initial["mission"] = earlier.mission_id
        elif tool.example is not None and request.GET.get("exemple"):
            initial = tool.initial_from_inputs(tool.example())
        form = tool.form_class(initial=initial, can_attach=can_attach)
    return render(
        request,
        tool.template,
        {
            "title": tool.page_title,
            "breadcrumb_data": toolbox_breadcrumb(tool.title),
            "form": form,
        },
    )
