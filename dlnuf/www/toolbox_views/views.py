from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from dlnuf.toolbox.models import ToolKind, ToolReport
from dlnuf.toolbox.perms import can_attach_to_mission, can_read_report
from dlnuf.toolbox.selectors import tool_reports_for
from dlnuf.toolbox.services import tool_report_attach
from dlnuf.www.toolbox_views.forms import MissionChoiceForm
from dlnuf.www.toolbox_views.shared import signed_in_user

# Each tool's page, and what it helps decide.
TOOLS = (
    (
        ToolKind.MAREVA,
        "www:mareva_new",
        "Ce projet vaut-il son coût ? Coût complet, VAN, retour "
        "sur investissement, indice de valeur et risques.",
    ),
    (
        ToolKind.COSTING,
        "www:costing_new",
        "Ce chiffrage est-il crédible ? PERT, COCOMO II et "
        "comparaison avec les grands projets de l'État.",
    ),
    (
        ToolKind.CODE_QUALITY,
        "www:code_quality_new",
        "Ce code est-il maintenable ? Taille, "
        "complexité, duplication, tests, dépendances, secrets.",
    ),
    (
        ToolKind.ACCESSIBILITY,
        "www:accessibility_new",
        "Ce service est-il accessible ? Audit "
        "automatique RGAA et projet de déclaration d'accessibilité.",
    ),
    (
        ToolKind.TECH_REVIEW,
        "www:tech_review_new",
        "Ces choix techniques tiennent-ils ? Versions, "
        "fins de vie, socle interministériel de logiciels libres, licences.",
    ),
)
# Each tool's report page, by kind.
REPORT_ROUTES = {
    ToolKind.MAREVA: "www:mareva_report",
    ToolKind.COSTING: "www:costing_report",
    ToolKind.CODE_QUALITY: "www:code_quality_report",
    ToolKind.ACCESSIBILITY: "www:accessibility_report",
    ToolKind.TECH_REVIEW: "www:tech_review_report",
}


def report_url(report: ToolReport) -> str:
    try:
        return reverse(REPORT_ROUTES[ToolKind(report.kind)], args=[report.pk])
    except NoReverseMatch:
        return ""


@require_GET
def toolbox(request: HttpRequest) -> HttpResponse:
    reports = [
        {"report": report, "url": report_url(report)}
        for report in tool_reports_for(signed_in_user(request))[:50]
    ]
    return render(
        request,
        "www/toolbox/index.html",
        {
            "title": "Boîte à outils",
            "breadcrumb_data": {"current": "Boîte à outils"},
            "tools": [
                {"kind": kind, "label": kind.label, "url_name": url_name, "description": text}
                for kind, url_name, text in TOOLS
            ],
            "reports": reports,
        },
    )


def _readable(request: HttpRequest, pk: int) -> ToolReport:
    report = ToolReport.objects.filter(pk=pk).first()
    if report is None or not can_read_report(request.user, report):
        raise Http404("Rapport introuvable.")
    return report


@require_GET
def report_status(request: HttpRequest, pk: int) -> JsonResponse:
    """How far a background run is, for the progress shown on the report's page."""
    report = _readable(request, pk)
    payload: dict[str, Any] = {
        "status": report.status,
        "status_label": report.get_status_display(),
        "progress": report.progress,
        "message": report.progress_message,
        "finished": report.is_finished,
        "notice": report.unclaimed_notice,
    }
    return JsonResponse(payload)


@require_POST
def report_attach(request: HttpRequest, pk: int) -> HttpResponse:
    report = _readable(request, pk)
    if not can_attach_to_mission(request.user):
        raise Http404("Rapport introuvable.")
    form = MissionChoiceForm(request.POST)
    if form.is_valid():
        tool_report_attach(
            report=report, actor=signed_in_user(request), mission=form.cleaned_data["mission"]
        )
        messages.success(request, "Le rattachement du rapport est enregistré.")
    else:
        messages.error(request, "Choisissez une mission de la liste.")
    return redirect(REPORT_ROUTES[ToolKind(report.kind)], pk=report.pk)
