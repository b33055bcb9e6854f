"""Technology review: the form that starts a review, the report (progress while it runs), its
PDF."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from dlnuf.toolbox.services import tool_report_create
from dlnuf.toolbox.tech_review.review import DISTRIBUTIONS
from dlnuf.www.guichet_reporting_views.charts import horizontal_chart
from dlnuf.www.tech_review_views.forms import TechReviewForm
from dlnuf.www.toolbox_views.shared import (
    attach_form_for,
    bounded,
    finished_report_pdf,
    report_for,
    signed_in_user,
    toolbox_breadcrumb,
)

TITLE = "Revue des technologies"
SEVERITY_CLASSES = {"alerte": "error", "attention": "warning", "information": "info"}
STATUS_LABELS = {
    "eol": "En fin de vie",
    "soon": "Fin de vie dans l'année",
    "ok": "Maintenus",
    "unknown": "Cycle inconnu",
}
ECOSYSTEM_LABELS = {
    "pypi": "Python (PyPI)",
    "npm": "JavaScript (npm)",
    "maven": "Java (Maven)",
    "gradle-plugin": "Greffon Gradle",
    "packagist": "PHP (Packagist)",
    "rubygems": "Ruby (RubyGems)",
    "go": "Go",
    "nuget": ".NET (NuGet)",
    "runtime": "Environnement d'exécution",
    "docker": "Image Docker",
}


@require_http_methods(["GET", "POST"])
def tech_review_new(request: HttpRequest) -> HttpResponse:
    form = TechReviewForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        inputs = form.inputs()
        report = tool_report_create(
            kind=ToolKind.TECH_REVIEW,
            actor=signed_in_user(request),
            title=form.cleaned_data["title"] or form.default_title(),
            inputs=inputs,
            source_file=form.cleaned_data.get("archive") if inputs["source"] == "archive" else None,
        )
        return redirect("www:tech_review_report", pk=report.pk)
    return render(
        request,
        "www/toolbox/tech_review/form.html",
        {"title": TITLE, "breadcrumb_data": toolbox_breadcrumb(TITLE), "form": form},
        status=400 if form.is_bound else 200,
    )


def _with_left_out(part: dict[str, Any], key: str) -> dict[str, Any]:
    """``part`` whose ``<key>_more`` (items stored but not drawn) also counts the items the
    stored review left out (``<key>_left_out``, absent from reviews stored before lists were
    cut): the page says "et N autres" once, whatever the reason."""
    left_out = part.get(f"{key}_left_out")
    if not isinstance(left_out, int) or left_out <= 0:
        return part
    return {**part, f"{key}_more": int(part.get(f"{key}_more") or 0) + left_out}


def _body_context(report: ToolReport) -> dict[str, Any]:
    results = bounded(report.results) if report.status == ReportStatus.DONE else {}
    results = _with_left_out(_with_left_out(results, "manifests"), "warnings")
    context: dict[str, Any] = {
        "results": results,
        "distribution_label": DISTRIBUTIONS.get(str(report.inputs.get("distribution")), ""),
    }
    if results:
        summary = results.get("summary", {})
        statuses = [(label, int(summary.get(key, 0))) for key, label in STATUS_LABELS.items()]
        context.update(
            statuses=statuses,
            status_chart=horizontal_chart(statuses),
            status_table={"slug": "cycles", "title": "Composants par état de leur cycle de vie"},
            findings=[
                {
                    **_with_left_out(finding, "components"),
                    "css": SEVERITY_CLASSES.get(finding.get("severity", ""), "info"),
                }
                for finding in results.get("findings", [])
            ],
            components=[
                {**row, "ecosystem_label": ECOSYSTEM_LABELS.get(row["ecosystem"], row["ecosystem"])}
                for row in results.get("components", [])
            ],
            components_more=results.get("components_more", 0),
            components_left_out=results.get("components_left_out", 0),
        )
    return context


@require_GET
def tech_review_report(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk, ToolKind.TECH_REVIEW)
    context = {
        "title": report.title,
        "breadcrumb_data": toolbox_breadcrumb(report.title),
        "report": report,
        "pdf_url": reverse("www:tech_review_pdf", args=[report.pk]),
        "attach_form": attach_form_for(request, report),
        **_body_context(report),
    }
    return render(request, "www/toolbox/tech_review/report.html", context)


@require_GET
def tech_review_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk, ToolKind.TECH_REVIEW)
    return finished_report_pdf(
        request,
        report,
        template="www/toolbox/tech_review/pdf.html",
        context={"title": report.title, "report": report, **_body_context(report)},
        filename=f"revue-des-technologies-{report.pk}.pdf",
        report_route="www:tech_review_report",
    )
