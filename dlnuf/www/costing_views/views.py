"""Pages of the cost review: the form (blank or from an earlier report), the report, its PDF.
Results are computed at once and stored with the report."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from dlnuf.toolbox.costing import cocomo
from dlnuf.toolbox.costing.review import (
    CREDIBLE_FROM,
    OPTIMISTIC_FROM,
    CostingInputError,
    evaluate,
)
from dlnuf.toolbox.models import ToolKind, ToolReport
from dlnuf.www.costing_views import charts
from dlnuf.www.costing_views.forms import CostingForm, initial_from_inputs
from dlnuf.www.toolbox_views.shared import (
    QuickTool,
    attach_form_for,
    finished_report_pdf,
    quick_tool_new,
    report_for,
    toolbox_breadcrumb,
)

TITLE = "Revue d'un chiffrage"


QUICK_TOOL = QuickTool(
    kind=ToolKind.COSTING,
    form_class=CostingForm,
    evaluate=evaluate,
    input_error=CostingInputError,
    initial_from_inputs=initial_from_inputs,
    template="www/toolbox/costing/form.html",
    title=TITLE,
    page_title=f"{TITLE} : confirmer ou réviser",
)


@require_http_methods(["GET", "POST"])
def costing_new(request: HttpRequest) -> HttpResponse:
    return quick_tool_new(request, QUICK_TOOL)


def report_context(report: ToolReport) -> dict[str, Any]:
    results = report.results
    estimate = results["estimate"]
    reference = results["reference"]
    tables = cocomo.tables()
    ratings = results["cocomo"].get("ratings", {}) if results["cocomo"] else {}
    distribution = results["three_point"]["monte_carlo"] if results["three_point"] else None
    return {
        "title": report.title,
        "report": report,
        "results": results,
        "inputs": report.inputs,
        "estimate": estimate,
        "reference": reference,
        "uplift": {key: value * 100 for key, value in reference["cost_uplift"].items()},
        "schedule_uplift": {
            key: value * 100 for key, value in reference["schedule_uplift"].items()
        },
        "reference_percentile": next(
            method["percentile"] for method in results["methods"] if method["key"] == "reference"
        ),
        "reference_chart": charts.histogram(reference["histogram"], estimate["cost"]),
        "monte_carlo_chart": (
            charts.histogram(distribution["histogram"], estimate["cost"]) if distribution else None
        ),
        "methods_chart": charts.method_bars(results["methods"], estimate["cost"]),
        "cocomo_ratings": [
            (f"{tables[group][name]['label']} ({name})", tables["rating_labels"][rating])
            for group in ("scale_factors", "effort_multipliers")
            for name, rating in ratings.items()
            if name in tables[group]
        ],
        "cocomo_source": tables["source"],
        "credible_from": CREDIBLE_FROM,
        "optimistic_from": OPTIMISTIC_FROM,
        "pdf_url": reverse("www:costing_pdf", args=[report.pk]),
        "modify_url": f"{reverse('www:costing_new')}?depuis={report.pk}",
    }


@require_GET
def costing_report(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk, ToolKind.COSTING)
    context = report_context(report)
    context["breadcrumb_data"] = toolbox_breadcrumb(report.title)
    context["attach_form"] = attach_form_for(request, report)
    return render(request, "www/toolbox/costing/report.html", context)


@require_GET
def costing_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk, ToolKind.COSTING)
    return finished_report_pdf(
        request,
        report,
        template="www/toolbox/costing/report_pdf.html",
        context=report_context(report),
        filename=f"revue-chiffrage-{report.pk}.pdf",
        report_route="www:costing_report",
    )
