"""Code quality: the form that starts an analysis, the report (progress while it runs), its PDF."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from dlnuf.toolbox.code_quality.grades import comparison
from dlnuf.toolbox.code_quality.selectors import code_quality_key_figures
from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from dlnuf.toolbox.services import tool_report_create
from dlnuf.www.code_quality_views.forms import CodeQualityForm
from dlnuf.www.guichet_reporting_views.charts import horizontal_chart
from dlnuf.www.toolbox_views.shared import (
    MAX_ROWS,
    attach_form_for,
    bounded,
    finished_report_pdf,
    report_for,
    signed_in_user,
    toolbox_breadcrumb,
)


@require_http_methods(["GET", "POST"])
def code_quality_new(request: HttpRequest) -> HttpResponse:
    form = CodeQualityForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        inputs = form.inputs()
        report = tool_report_create(
            kind=ToolKind.CODE_QUALITY,
            actor=signed_in_user(request),
            title=form.cleaned_data["title"] or _default_title(form),
            inputs=inputs,
            source_file=form.cleaned_data.get("archive") if inputs["source"] == "archive" else None,
        )
        return redirect("www:code_quality_report", pk=report.pk)
    return render(
        request,
        "www/toolbox/code_quality/new.html",
        {
            "title": "Qualité du code",
            "breadcrumb_data": toolbox_breadcrumb("Qualité du code"),
            "form": form,
        },
        status=400 if form.is_bound else 200,
    )


def _default_title(form: CodeQualityForm) -> str:
    data = form.cleaned_data
    if data["source"] == "git":
        return str(data["url"]).rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    if data["source"] == "archive":
        return str(data["archive"].name)
    return str(data["path"]).rstrip("/").rsplit("/", 1)[-1]


def _dependencies_to_show(dependencies: dict[str, Any]) -> dict[str, Any]:
    """The manifests' tables hold MAX_ROWS components in all, not MAX_ROWS each."""
    remaining = MAX_ROWS
    manifests = []
    stored_left_out = dependencies.get("components_left_out")
    left_out = stored_left_out if isinstance(stored_left_out, int) else 0
    for manifest in dependencies.get("manifests", []):
        components = manifest.get("components", [])
        if remaining == 0:
            left_out += len(components)
            continue
        manifests.append({**manifest, "components": components[:remaining]})
        left_out += max(0, len(components) - remaining)
        remaining -= len(manifests[-1]["components"])
    return {**dependencies, "manifests": manifests, "components_left_out": left_out}


def _results_to_show(report: ToolReport) -> dict[str, Any]:
    if report.status != ReportStatus.DONE or not report.results:
        return {}
    results = dict(report.results)
    if isinstance(results.get("dependencies"), dict):
        results["dependencies"] = _dependencies_to_show(results["dependencies"])
    shown: dict[str, Any] = bounded(results)
    return shown


def _body_context(report: ToolReport) -> dict[str, Any]:
    results = _results_to_show(report)
    context: dict[str, Any] = {"results": results}
    if results:
        others = code_quality_key_figures(exclude_pk=report.pk)
        context["comparison"] = comparison(results.get("key_figures", {}), others)
        context["compared_projects"] = len(others)
        context["grades"] = [
            {"key": key, **grade} for key, grade in results.get("grades", {}).items()
        ]
        context["complexity_chart"] = horizontal_chart(
            [(bucket["label"], bucket["count"]) for bucket in results["complexity"]["distribution"]]
        )
        context["complexity_table"] = {
            "slug": "complexite",
            "title": "Fonctions par complexité cyclomatique",
        }
    return context


@require_GET
def code_quality_report(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk, ToolKind.CODE_QUALITY)
    context = {
        "title": report.title,
        "breadcrumb_data": toolbox_breadcrumb(report.title),
        "report": report,
        "pdf_url": reverse("www:code_quality_pdf", args=[report.pk]),
        "attach_form": attach_form_for(request, report),
        **_body_context(report),
    }
    return render(request, "www/toolbox/code_quality/report.html", context)


@require_GET
def code_quality_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk, ToolKind.CODE_QUALITY)
    return finished_report_pdf(
        request,
        report,
        template="www/toolbox/code_quality/pdf.html",
        context={"title": report.title, "report": report, **_body_context(report)},
        filename=f"qualite-du-code-{report.pk}.pdf",
        report_route="www:code_quality_report",
    )
