"""Pages of the value calculator: the form (blank, example, or from an earlier report), the
report, and its PDF. Results are computed at once and stored with the report."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from dlnuf.toolbox.mareva.compute import (
    AXES,
    CRITERIA,
    DEFAULT_WEIGHTS,
    GRADE_THRESHOLDS,
    PI_FOR_MAX,
    PI_FOR_ZERO,
    QUADRANT_SPLIT,
    YEAR_ROWS,
    YEAR_ZERO_CHOICES,
    MarevaInputError,
    evaluate,
    example_inputs,
)
from dlnuf.toolbox.models import ToolKind, ToolReport
from dlnuf.www.mareva_views import charts
from dlnuf.www.mareva_views.forms import MarevaForm, initial_from_inputs
from dlnuf.www.numbers import NARROW_NO_BREAK_SPACE
from dlnuf.www.templatetags.french import nombre
from dlnuf.www.toolbox_views.shared import (
    QuickTool,
    attach_form_for,
    finished_report_pdf,
    quick_tool_new,
    report_for,
    toolbox_breadcrumb,
)

TITLE = "Valeur du projet"


QUICK_TOOL = QuickTool(
    kind=ToolKind.MAREVA,
    form_class=MarevaForm,
    evaluate=evaluate,
    input_error=MarevaInputError,
    initial_from_inputs=initial_from_inputs,
    template="www/toolbox/mareva/form.html",
    title=TITLE,
    page_title=f"{TITLE} : nouveau calcul",
    example=example_inputs,
)


@require_http_methods(["GET", "POST"])
def mareva_new(request: HttpRequest) -> HttpResponse:
    return quick_tool_new(request, QUICK_TOOL)


def report_context(report: ToolReport) -> dict[str, Any]:
    results = report.results
    inputs = report.inputs
    assumptions = inputs["assumptions"]
    axes = results["axes"]
    sensitivity = results["sensitivity"]
    return {
        "title": report.title,
        "report": report,
        "results": results,
        "inputs": inputs,
        "assumptions": assumptions,
        "discount_percent": assumptions["discount_rate"] * 100,
        "payback_years": _years(results["payback_years"]),
        "sensitivity": [
            {
                **row,
                "percent": row["rate"] * 100,
                "payback_rounded": _years(row["payback_years"]),
            }
            for row in sensitivity
        ],
        "year_zero_label": YEAR_ZERO_CHOICES[assumptions["year_zero"]],
        "weights": [
            {"label": AXES[axis], "percent": assumptions["weights"][axis] * 100}
            for axis in DEFAULT_WEIGHTS
        ],
        "criteria": [
            {
                "axis": axis,
                "rows": [(label, inputs["scores"][key]) for key, label in rows],
            }
            for axis, rows in CRITERIA.items()
        ],
        "year_rows": [
            {"label": label, "unit": unit, "values": inputs["years"][key]}
            for key, label, unit, _ in YEAR_ROWS
        ],
        "radar": charts.radar([(axis["label"], axis["score"]) for axis in axes]),
        "quadrant_chart": charts.quadrant(results["value_index"], results["risk_score"]),
        "sensitivity_chart": charts.signed_bars(
            [("Sans dépassement", results["npv"])]
            + [
                (
                    f"{row['label']} (+{nombre(row['rate'] * 100)}{NARROW_NO_BREAK_SPACE}%)",
                    row["npv"],
                )
                for row in sensitivity
            ]
        ),
        "grade_thresholds": GRADE_THRESHOLDS,
        "pi_for_zero": PI_FOR_ZERO,
        "pi_for_max": PI_FOR_MAX,
        "quadrant_split": QUADRANT_SPLIT,
        "pdf_url": reverse("www:mareva_pdf", args=[report.pk]),
        "modify_url": f"{reverse('www:mareva_new')}?depuis={report.pk}",
    }


def _years(value: float | None) -> float | None:
    # A payback is read to the tenth of a year; more digits would claim a precision it lacks.
    return None if value is None else round(value, 1)


@require_GET
def mareva_report(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk, ToolKind.MAREVA)
    context = report_context(report)
    context["breadcrumb_data"] = toolbox_breadcrumb(report.title)
    context["attach_form"] = attach_form_for(request, report)
    return render(request, "www/toolbox/mareva/report.html", context)


@require_GET
def mareva_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk, ToolKind.MAREVA)
    return finished_report_pdf(
        request,
        report,
        template="www/toolbox/mareva/report_pdf.html",
        context=report_context(report),
        filename=f"valeur-projet-{report.pk}.pdf",
        report_route="www:mareva_report",
    )
