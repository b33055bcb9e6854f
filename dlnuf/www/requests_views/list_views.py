"""The list of habilitation requests: search, filters, sorting, pages, and the same list as a
CSV file. Both read through ``requests_search``, so the export never holds a row the page would
not show."""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dlnuf.french import plural
from dlnuf.habilitations.models import AuthorizationRequest
from dlnuf.habilitations.selectors import (
    request_filter_choices,
    requests_search,
    requests_to_decide,
)
from dlnuf.organisations.perms import organisations_of
from dlnuf.www.requests_views.list_forms import RequestSearchForm
from dlnuf.www.requests_views.views import PAGE_SIZE, _breadcrumb, _user, badge_class

CSV_HEADERS = [
    "Numéro",
    "Intitulé",
    "Organisation",
    "SIRET",
    "Donnée",
    "Fournisseur",
    "État",
    "Créée le",
    "Soumise le",
    "Décidée le",
    "Mise à jour le",
]
# The oldest requests awaiting a decision, above the list; the list's filters give the rest.
TO_DECIDE_SHOWN = 10
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _search_form(request: HttpRequest) -> RequestSearchForm:
    datasets, organisations = request_filter_choices(_user(request))
    return RequestSearchForm(request.GET, datasets=datasets, organisations=organisations)


@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = _search_form(request)
    found = requests_search(user, form.filters())
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    count = page.paginator.count
    waiting = requests_to_decide(user)
    count_label = plural(count, "demande", "demandes")
    if form.is_filtered():
        count_label += " correspond" if count < 2 else " correspondent"
        count_label += " aux critères"
    return render(
        request,
        "www/requests/list.html",
        {
            "title": "Demandes d'habilitation",
            "breadcrumb_data": _breadcrumb("Habilitations"),
            "form": form,
            "filtered": form.is_filtered(),
            "count_label": count_label,
            "page_obj": page,
            "rows": [(item, badge_class(item.state)) for item in page],
            "to_decide": [(item, badge_class(item.state)) for item in waiting[:TO_DECIDE_SHOWN]],
            "to_decide_count": waiting.count(),
            "export_query": request.GET.urlencode(),
            "can_create": organisations_of(user).exists(),
        },
    )


def spreadsheet_safe(value: str) -> str:
    """The cell text, prefixed with an apostrophe when a spreadsheet would run it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _csv_row(item: AuthorizationRequest) -> list[str]:
    return [
        str(item.pk),
        spreadsheet_safe(item.title),
        spreadsheet_safe(item.organisation.name),
        item.organisation.siret,
        spreadsheet_safe(item.dataset.title),
        spreadsheet_safe(str(item.dataset.provider)),
        item.get_state_display(),
        _iso(item.created_at),
        _iso(item.submitted_at),
        _iso(item.decided_at),
        _iso(item.updated_at),
    ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterable[AuthorizationRequest]) -> Iterator[bytes]:
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    # The byte order mark makes Excel read the file as UTF-8.
    yield "\ufeff".encode()
    yield writer.writerow(CSV_HEADERS).encode()
    for item in rows:
        yield writer.writerow(_csv_row(item)).encode()


@require_GET
def request_list_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = _search_form(request)
    filters = form.filters()
    if form.errors:
        page = request_list(request)
        page.status_code = 400
        return page
    found = requests_search(_user(request), filters).iterator(chunk_size=1000)
    response = StreamingHttpResponse(_csv_lines(found), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="demandes-habilitation-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
