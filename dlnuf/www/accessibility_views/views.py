"""The accessibility audit: the form, the report (with the expert's decisions), its PDF and the
draft accessibility statement. Reports are read by their author and the guichet's experts;
everybody else gets a 404."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dlnuf.toolbox.accessibility.criteria import GRID_LABELS, grid
from dlnuf.toolbox.accessibility.scoring import IMPACT_LABELS, IMPACTS, assess, issues_by_page
from dlnuf.toolbox.accessibility.services import accessibility_decision_record
from dlnuf.toolbox.accessibility.statement import (
    Statement,
    build_statement,
    coverage_text,
    rate_text,
)
from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from dlnuf.toolbox.services import tool_report_create
from dlnuf.www.accessibility_views.forms import AccessibilityAuditForm, DecisionForm
from dlnuf.www.guichet_reporting_views.charts import horizontal_chart
from dlnuf.www.toolbox_views.shared import (
    attach_form_for,
    finished_report_pdf,
    report_for,
    signed_in_user,
    toolbox_breadcrumb,
)

KIND = ToolKind.ACCESSIBILITY


@require_http_methods(["GET", "POST"])
def accessibility_new(request: HttpRequest) -> HttpResponse:
    form = AccessibilityAuditForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = tool_report_create(
            kind=KIND,
            actor=signed_in_user(request),
            title=data["site_name"],
            inputs={
                "site_name": data["site_name"],
                "organisation": data["organisation"],
                "contact_email": data["contact_email"],
                "grid": data["grid"],
                "pages": data["pages"],
            },
        )
        return redirect("www:accessibility_report", pk=report.pk)
    title = "Audit d'accessibilité (RGAA)"
    return render(
        request,
        "www/toolbox/accessibility/form.html",
        {"title": title, "breadcrumb_data": toolbox_breadcrumb(title), "form": form},
    )


def _statement(report: ToolReport) -> Statement:
    return build_statement(
        inputs=report.inputs,
        results=report.results,
        assessment=assess(report.results),
        audited_on=timezone.localdate(report.finished_at or report.created_at),
    )


def _report_context(report: ToolReport) -> dict[str, Any]:
    context: dict[str, Any] = {
        "report": report,
        "title": f"Audit d'accessibilité — {report.title}",
        "inputs": report.inputs,
        "grid_label": GRID_LABELS.get(report.inputs.get("grid", ""), ""),
    }
    if report.status != ReportStatus.DONE:
        return context
    assessment = assess(report.results)
    impacts = [
        (IMPACT_LABELS[impact], assessment.issues_by_impact.get(impact, 0)) for impact in IMPACTS
    ]
    context.update(
        {
            "assessment": assessment,
            "coverage": coverage_text(assessment),
            "rate": "" if assessment.rate is None else rate_text(assessment.rate),
            "pages": issues_by_page(report.results.get("pages", [])),
            "refused": report.results.get("refused_requests", []),
            "impacts": impacts,
            "impact_chart": horizontal_chart(impacts),
            "impact_table": {"slug": "impacts", "title": "Occurrences d'erreurs par gravité"},
            "statement": _statement(report),
        }
    )
    return context


def _decision_form(report: ToolReport, data: Any = None) -> DecisionForm:
    results = report.results
    return DecisionForm(
        data,
        criteria=grid(results.get("grid", "full")),
        pages=[(page["url"], page["label"]) for page in results.get("pages", [])],
    )


@require_GET
def accessibility_report(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk, KIND)
    context = _report_context(report)
    context["breadcrumb_data"] = toolbox_breadcrumb(report.title)
    context["pdf_url"] = reverse("www:accessibility_pdf", args=[report.pk])
    context["attach_form"] = attach_form_for(request, report)
    if report.status == ReportStatus.DONE:
        context["decision_form"] = _decision_form(report)
    return render(request, "www/toolbox/accessibility/report.html", context)


@require_GET
def accessibility_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk, KIND)
    return finished_report_pdf(
        request,
        report,
        template="www/toolbox/accessibility/pdf.html",
        context=_report_context(report),
        filename=f"audit-accessibilite-{report.pk}.pdf",
        report_route="www:accessibility_report",
    )


@require_POST
def accessibility_decision(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk, KIND)
    if report.status != ReportStatus.DONE:
        messages.error(request, "L'audit n'est pas terminé : attendez la fin de l'analyse.")
        return redirect("www:accessibility_report", pk=report.pk)
    form = _decision_form(report, request.POST)
    if not form.is_valid():
        messages.error(request, "Choisissez un critère de la grille et une décision.")
        return redirect("www:accessibility_report", pk=report.pk)
    data = form.cleaned_data
    try:
        accessibility_decision_record(
            report=report,
            actor=signed_in_user(request),
            criterion=data["criterion"],
            status=data["status"],
            note=data["note"],
            page=data["page"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("www:accessibility_report", pk=report.pk)
    messages.success(request, f"La décision sur le critère {data['criterion']} est enregistrée.")
    return redirect(reverse("www:accessibility_report", args=[report.pk]) + "#criteres")


def _finished(request: HttpRequest, pk: int) -> ToolReport:
    report = report_for(request, pk, KIND)
    if report.status != ReportStatus.DONE:
        raise Http404("La déclaration sera disponible à la fin de l'audit.")
    return report


@require_GET
def accessibility_statement(request: HttpRequest, pk: int) -> HttpResponse:
    report = _finished(request, pk)
    html = render_to_string(
        "www/toolbox/accessibility/statement_download.html",
        {"statement": _statement(report)},
        request=request,
    )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="declaration-{report.pk}.html"'
    return response


@require_GET
def accessibility_statement_text(request: HttpRequest, pk: int) -> HttpResponse:
    report = _finished(request, pk)
    response = HttpResponse(_statement(report).as_text(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="declaration-{report.pk}.txt"'
    return response
