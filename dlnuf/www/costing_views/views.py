"""Pages of the cost review: the form (blank or from an earlier report), the report, its PDF.
Results are computed at once and stored with the report."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
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
from dlnuf.toolbox.perms import can_attach_to_mission
from dlnuf.toolbox.services import tool_report_create
from dlnuf.www.costing_views import charts
from dlnuf.www.costing_views.forms import CostingForm, initial_from_inputs
from dlnuf.www.toolbox_views.shared import (
    attach_form_for,
    finished_report_pdf,
    report_for,
    signed_in_user,
    toolbox_breadcrumb,
)

TITLE = "Revue d'un chiffrage"


@require_http_methods(["GET", "POST"])
def costing_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    can_attach = can_attach_to_mission(user)
    if request.method == "POST":
        form = CostingForm(request.POST, can_attach=can_attach)
        if form.is_valid():
            inputs = form.to_inputs()
            try:
                results = evaluate(inputs)
            except CostingInputError as error:
                form.add_error(None, str(error))
            else:
                report = tool_report_create(
                    kind=ToolKind.COSTING,
                    actor=user,
                    title=inputs["title"],
                    inputs=inputs,
                    results=results,
                    mission=form.cleaned_data.get("mission"),
                )
                return redirect("www:costing_report", pk=report.pk)
    else:
        initial: dict[str, Any] = {}
        source = request.GET.get("depuis", "")
        if source.isdigit():
            earlier = report_for(request, int(source), ToolKind.COSTING)
            initial = initial_from_inputs(earlier.inputs)
            if can_attach and earlier.mission_id:
                initial["mission"] = earlier.mission_id
        form = CostingForm(initial=initial, can_attach=can_attach)
    return render(
        request,
        "www/toolbox/costing/form.html",
        {
            "title": f"{TITLE} : confirmer ou réviser",
            "breadcrumb_data": toolbox_breadcrumb(TITLE),
            "form": form,
        },
    )


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
