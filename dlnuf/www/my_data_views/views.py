"""« Mes données »: the accesses to a person's or a company's data, with filters, a summary and
the same lines as CSV or JSON.

The page is open without a portal account (a person signs in with FranceConnect); each request
finds its viewer itself and reads the journal only through the viewer's subject keys.
"""

import csv
import dataclasses
from collections.abc import Iterator
from datetime import date, datetime
from itertools import islice
from typing import Any

import orjson
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dlnuf.french import date_fr, plural
from dlnuf.journal.models import JournalEntry
from dlnuf.people.accesses import (
    Access,
    AccessFilters,
    AccessSummary,
    FilterChoice,
    access_filter_choices,
    accesses_deferred_count,
    accesses_described,
    accesses_filtered,
    accesses_summary,
    siret_display,
)
from dlnuf.people.viewers import Viewer, company_viewers, person_viewer
from dlnuf.www.my_data_views.access_filters import AccessFilterForm

PAGE_SIZE = 50
# Entries described per round of catalogue and organisation look-ups while exporting.
EXPORT_CHUNK = 500
EXPORT_FORMATS = ("csv", "json")
CSV_HEADERS = [
    "Numéro dans le journal",
    "Date et heure (heure de Paris)",
    "Administration",
    "SIRET de l'administration",
    "Démarche",
    "Référence du dossier",
    "Donnée consultée",
    "Fournisseur",
    "Informations transmises",
    "Cadre juridique",
    "Résultat",
]
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _viewer_for(request: HttpRequest) -> tuple[Viewer | None, list[Viewer]]:
    """The viewer this request reads as, and the organisations an agent may switch between.

    A person signed in for « Mes données » comes first; otherwise an agent reads as one of
    their organisations, chosen with ``pour`` among their own (anything else is a 404)."""
    person = person_viewer(request)
    if person is not None:
        return person, []
    # Two establishments of one company are one SIREN: one viewer.
    companies = list({viewer.siren: viewer for viewer in company_viewers(request)}.values())
    if not companies:
        return None, []
    chosen = request.GET.get("pour", "")
    if not chosen:
        return companies[0], companies
    for viewer in companies:
        if viewer.siren == chosen:
            return viewer, companies
    raise Http404


def _period_label(filters: AccessFilters, today: date) -> str:
    start, end = filters.start, filters.end
    if start == date(today.year, 1, 1) and (end is None or end >= today):
        return " cette année"
    if start and end:
        return f" du {date_fr(start)} au {date_fr(end)}"
    if start:
        return f" depuis le {date_fr(start)}"
    if end:
        return f" jusqu'au {date_fr(end)}"
    return ""


def summary_sentence(summary: AccessSummary, period: str) -> str:
    """« 12 consultations par 3 administrations cette année, autant de justificatifs que vous
    n'avez pas eu à fournir. »; a document is claimed only where the catalogue says the
    dataset replaces one."""
    count = summary.consultations
    if not count:
        return f"Aucune consultation{period}."
    administrations = (
        "une administration"
        if summary.administrations == 1
        else plural(summary.administrations, "administration", "administrations")
    )
    sentence = f"{plural(count, 'consultation', 'consultations')} par {administrations}{period}"
    spared = summary.documents_spared
    if spared == count:
        if count == 1:
            return sentence + ", soit un justificatif que vous n'avez pas eu à fournir."
        return sentence + ", autant de justificatifs que vous n'avez pas eu à fournir."
    if spared:
        return (
            f"{sentence} ; {plural(spared, 'justificatif', 'justificatifs')} que vous n'avez "
            "pas eu à fournir."
        )
    return sentence + "."


def _deferred_sentence(count: int) -> str:
    if not count:
        return "Aucune consultation de vos données n'est différée en ce moment."
    if count == 1:
        return "En ce moment, 1 consultation de vos données est différée."
    counted = plural(count, "consultation", "consultations")
    return f"En ce moment, {counted} de vos données sont différées."


def _filter_form(
    request: HttpRequest, viewer: Viewer, companies: list[Viewer], now: datetime
) -> AccessFilterForm:
    administrations, datasets = access_filter_choices(viewer, now=now)
    return AccessFilterForm(
        request.GET,
        organisations=[
            FilterChoice(
                company.siren, f"{company.display_name} (SIREN {siret_display(company.siren)})"
            )
            for company in companies
        ],
        administrations=administrations,
        datasets=datasets,
    )


@login_not_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    viewer, companies = _viewer_for(request)
    if viewer is None:
        return redirect("www:my_data_sign_in")
    now = timezone.now()
    form = _filter_form(request, viewer, companies, now)
    filters = form.filters()
    found = accesses_filtered(viewer, filters, now=now)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    summary = accesses_summary(found)
    export_query = request.GET.copy()
    export_query.pop("page", None)
    return render(
        request,
        "www/my_data/page.html",
        {
            "title": "Mes données : qui les a consultées",
            "breadcrumb_data": {"links": [], "current": "Mes données"},
            "viewer": viewer,
            "several_organisations": len(companies) > 1,
            "form": form,
            "filtered": form.is_filtered(),
            "summary_sentence": summary_sentence(
                summary, _period_label(filters, timezone.localdate(now))
            ),
            "deferred_sentence": _deferred_sentence(accesses_deferred_count(viewer, now=now)),
            "page_obj": page,
            "accesses": accesses_described(page.object_list),
            "export_query": export_query.urlencode(),
        },
    )


def _spreadsheet_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _described_in_chunks(entries: Iterator[JournalEntry]) -> Iterator[Access]:
    while chunk := list(islice(entries, EXPORT_CHUNK)):
        yield from accesses_described(chunk)


def _administration(access: Access) -> str:
    return access.consumer_name or "Organisation non référencée au guichet"


def _legal_basis(access: Access) -> str:
    if not access.legal_basis:
        return "non renseigné"
    if access.legal_basis_from_catalogue:
        return f"{access.legal_basis} (cadre général de la donnée)"
    return access.legal_basis


def _csv_row(access: Access) -> list[str]:
    cells = [
        _administration(access),
        access.consumer_siret_display,
        access.context,
        access.case_reference,
        access.dataset_title,
        access.provider_name,
        ", ".join(access.fields_transmitted) or "aucune",
        _legal_basis(access),
        access.outcome_label,
    ]
    return [
        str(access.index),
        access.occurred_at_display,
        *(_spreadsheet_safe(cell) for cell in cells),
    ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(accesses: Iterator[Access]) -> Iterator[bytes]:
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    # The byte order mark makes spreadsheet software read the file as UTF-8.
    yield "\ufeff".encode()
    yield writer.writerow(CSV_HEADERS).encode()
    for access in accesses:
        yield writer.writerow(_csv_row(access)).encode()


def access_json(access: Access) -> dict[str, Any]:
    return {
        "index": access.index,
        "occurred_at": timezone.localtime(access.occurred_at).isoformat(),
        "administration": {"name": access.consumer_name, "siret": access.consumer_siret},
        "procedure": access.context,
        "case_reference": access.case_reference or None,
        "dataset": {"title": access.dataset_title, "provider": access.provider_name},
        "fields_transmitted": list(access.fields_transmitted),
        "legal_basis": {
            "text": access.legal_basis or None,
            "url": access.legal_basis_url or None,
            "from_catalogue": access.legal_basis_from_catalogue,
        },
        "outcome": {"code": access.outcome.value, "label": access.outcome_label},
    }


def _json_chunks(
    accesses: Iterator[Access], head: dict[str, Any], generated_at: datetime
) -> Iterator[bytes]:
    """One JSON document, written as it is read, so that a large export stays small in memory."""
    opening = orjson.dumps({**head, "generated_at": generated_at.isoformat()})
    yield opening[:-1] + b',"accesses":['
    for position, access in enumerate(accesses):
        yield (b"," if position else b"") + orjson.dumps(access_json(access))
    yield b"]}"


@login_not_required
@require_GET
def my_data_export(
    request: HttpRequest, export_format: str
) -> HttpResponse | StreamingHttpResponse:
    if export_format not in EXPORT_FORMATS:
        raise Http404
    viewer, companies = _viewer_for(request)
    if viewer is None:
        return redirect("www:my_data_sign_in")
    now = timezone.now()
    form = _filter_form(request, viewer, companies, now)
    filters = form.filters()
    if form.errors:
        # Never a file that silently leaves a criterion out: the page says which one is wrong.
        page = my_data(request)
        page.status_code = 400
        return page
    filtered = accesses_filtered(viewer, filters, now=now)
    found = filtered.iterator(chunk_size=EXPORT_CHUNK)
    accesses = _described_in_chunks(found)
    stamp = timezone.localdate().isoformat()
    response: StreamingHttpResponse
    if export_format == "csv":
        response = StreamingHttpResponse(
            _csv_lines(accesses), content_type="text/csv; charset=utf-8"
        )
    else:
        head = {
            "viewer": viewer.display_name,
            "filters": {
                "from": filters.start.isoformat() if filters.start else None,
                "to": filters.end.isoformat() if filters.end else None,
                "administration_siret": filters.consumer_siret or None,
                "dataset": form.cleaned_data.get("donnee") or None,
            },
            "summary": dataclasses.asdict(accesses_summary(filtered)),
            "deferred_count": accesses_deferred_count(viewer, now=now),
        }
        response = StreamingHttpResponse(
            _json_chunks(accesses, head, timezone.localtime(now)),
            content_type="application/json",
        )
    response["Content-Disposition"] = (
        f'attachment; filename="mes-donnees-consultations-{stamp}.{export_format}"'
    )
    response["Cache-Control"] = "no-store"
    return response
