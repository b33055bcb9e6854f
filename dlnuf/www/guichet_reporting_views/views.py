"""The guichet's steering page over a period, and each of its tables as a CSV file. Guichet
experts and administrators only."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format

from dlnuf.support.perms import can_work_on_support
from dlnuf.support.reporting import (
    TABLE_SLUGS,
    GuichetReport,
    Period,
    Table,
    guichet_report,
    plural,
    report_tables,
    tenth,
)
from dlnuf.www.guichet_reporting_views.charts import Chart, column_chart, horizontal_chart
from dlnuf.www.guichet_reporting_views.exports import table_csv
from dlnuf.www.guichet_reporting_views.forms import PeriodForm

TITLE = "Pilotage du guichet"


def _expert(request: HttpRequest) -> None:
    if not can_work_on_support(request.user):
        raise PermissionDenied("Le pilotage du guichet est réservé aux experts du guichet.")


def _period_form(request: HttpRequest) -> PeriodForm:
    default = Period.last_twelve_months(timezone.localdate())
    return PeriodForm(request.GET or None, default=default)


def _number(value: float | int | None, decimals: int = 0, unit: str = "") -> str:
    shown = tenth(value) if decimals else value
    if shown is None:
        return "—"
    text = number_format(shown, decimal_pos=decimals, use_l10n=True, force_grouping=True)
    return f"{text}{unit}"


def _days(value: float | None) -> str:
    if value is None:
        return "—"
    return _number(value, 1, " jour" if value < 2 else " jours")


@dataclass(frozen=True)
class Figure:
    value: str
    label: str
    detail: str = ""
    url: str = ""


def _counted(value: int, singular: str, plural: str) -> Figure:
    return Figure(_number(value), singular if value < 2 else plural)


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    figures: tuple[Figure, ...]
    tables: tuple[tuple[Table, Chart | None], ...]
    intro: str = ""


def _sections(report: GuichetReport, tables: dict[str, Table]) -> list[Section]:
    requests = report.requests
    delays = report.delays
    missions = report.missions
    satisfaction = report.satisfaction
    irritants = report.irritants
    avoided = report.avoided
    oldest = irritants.oldest
    return [
        Section(
            "demandes",
            "Demandes reçues",
            (
                _counted(
                    requests.total,
                    "demande reçue dans la période",
                    "demandes reçues dans la période",
                ),
                _counted(
                    len(requests.by_ministry),
                    "rattachement (ministère ou type d'organisme)",
                    "rattachements (ministères ou types d'organisme)",
                ),
            ),
            (
                (
                    tables["demandes-par-mois"],
                    column_chart([(f"{month:%m/%Y}", count) for month, count in requests.by_month]),
                ),
                (
                    tables["demandes-par-ministere"],
                    horizontal_chart([(row.ministry, row.total) for row in requests.by_ministry]),
                ),
            ),
        ),
        Section(
            "delais",
            "Délais",
            (
                Figure(_days(delays.first_answer_median), "délai médian de première réponse"),
                Figure(
                    _days(delays.first_answer_p90),
                    "délai de première réponse du 90e centile",
                    "9 demandes sur 10 ont reçu leur première réponse dans ce délai ou moins",
                ),
                Figure(
                    _number(delays.on_time_share, 1, " %"),
                    "des demandes ont reçu une réponse dans le délai",
                    f"{delays.on_time} sur {delays.judged}",
                ),
                Figure(_days(delays.closure_median), "délai médian de clôture"),
            ),
            ((tables["delais"], None),),
            "Délais en jours calendaires, week-ends compris.",
        ),
        Section(
            "missions",
            "Missions",
            (
                _counted(
                    missions.in_progress,
                    "mission en cours à ce jour",
                    "missions en cours à ce jour",
                ),
                _counted(
                    missions.opened,
                    "mission ouverte dans la période",
                    "missions ouvertes dans la période",
                ),
                _counted(
                    missions.closed,
                    "mission close dans la période",
                    "missions closes dans la période",
                ),
            ),
            ((tables["missions"], None),),
        ),
        Section(
            "satisfaction",
            "Satisfaction",
            (
                Figure(_number(satisfaction.mean, 1, " / 5"), "note moyenne"),
                _counted(
                    satisfaction.answers, "réponse au questionnaire", "réponses au questionnaire"
                ),
                Figure(
                    _number(satisfaction.response_rate, 1, " %"),
                    "taux de réponse",
                    "parmi "
                    + plural(satisfaction.closed_missions, "mission close", "missions closes")
                    + " dans la période",
                ),
            ),
            (
                (
                    tables["satisfaction"],
                    column_chart(
                        [(f"{score} sur 5", count) for score, count in satisfaction.distribution]
                    ),
                ),
            ),
        ),
        Section(
            "irritants",
            "Irritants",
            (
                _counted(irritants.open, "irritant ouvert", "irritants ouverts"),
                _counted(irritants.escalated, "irritant escaladé", "irritants escaladés"),
                _counted(
                    irritants.resolved,
                    "irritant résolu dans la période",
                    "irritants résolus dans la période",
                ),
                Figure(
                    _number(oldest.age_days, unit=" jours" if oldest.age_days > 1 else " jour")
                    if oldest
                    else "—",
                    "âge du plus ancien irritant en cours",
                    oldest.title if oldest else "",
                    reverse("www:irritant_detail", kwargs={"pk": oldest.pk}) if oldest else "",
                ),
            ),
            ((tables["irritants"], None), (tables["irritants-en-cours"], None)),
        ),
        Section(
            "pieces-evitees",
            "Pièces évitées",
            (
                Figure(
                    _number(avoided.documents_avoided_per_year),
                    "pièces évitées par an",
                    "par les démarches des organisations accompagnées",
                ),
                _counted(
                    avoided.organisations,
                    "organisation accompagnée en mission",
                    "organisations accompagnées en mission",
                ),
                Figure(
                    _number(avoided.total_exchanges),
                    "échanges dans la période",
                    f"dont {_number(avoided.total_successful)} réussis",
                ),
            ),
            ((tables["pieces-evitees"], None), (tables["echanges"], None)),
        ),
    ]


def guichet_reporting(request: HttpRequest) -> HttpResponse:
    _expert(request)
    form = _period_form(request)
    context: dict[str, Any] = {
        "title": TITLE,
        "breadcrumb_data": {
            "links": [{"url": reverse("www:desk"), "title": "Guichet"}],
            "current": TITLE,
        },
        "form": form,
    }
    if form.is_bound and not form.is_valid():
        return render(request, "www/guichet_reporting/index.html", context, status=400)
    period = form.period()
    report = guichet_report(period)
    tables = report_tables(report)
    context.update(
        {
            "period": period,
            "sections": _sections(report, tables),
            "query": urlencode({"du": period.start.isoformat(), "au": period.end.isoformat()}),
        }
    )
    return render(request, "www/guichet_reporting/index.html", context)


def guichet_reporting_csv(request: HttpRequest, table: str) -> HttpResponse:
    _expert(request)
    if table not in TABLE_SLUGS:
        raise Http404("Tableau inconnu")
    form = _period_form(request)
    if form.is_bound and not form.is_valid():
        errors = " ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponse(
            f"Période invalide : {errors}", status=400, content_type="text/plain; charset=utf-8"
        )
    period = form.period()
    content = table_csv(report_tables(guichet_report(period))[table])
    response = HttpResponse(content.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="guichet-{table}-{period.slug}.csv"'
    return response
