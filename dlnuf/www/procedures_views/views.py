"""Procedures and their diagnostic. Applicants of the procedure's organisation change them;
guichet experts and administrators read them; everybody else gets a 404."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from dlnuf.french import date_fr, plural
from dlnuf.organisations.models import User
from dlnuf.organisations.perms import organisations_of
from dlnuf.procedures.imports import MAX_FILE_BYTES
from dlnuf.procedures.models import Diagnostic, Procedure, ProcedureItem, ScoreLevel
from dlnuf.procedures.perms import can_edit_procedure
from dlnuf.procedures.scoring import ADVICE, PARTIAL_FROM, REPLACEABLE, WEAK_FROM
from dlnuf.procedures.selectors import (
    catalogue_matcher,
    diagnostic_coverage,
    diagnostic_suggestions,
    diagnostic_with_matches,
    is_latest_diagnostic,
    latest_diagnostics,
    procedure_diagnostics,
    procedure_for_user,
    procedure_items,
    procedure_requests,
    procedures_for_user,
)
from dlnuf.procedures.services import (
    ProcedureForbidden,
    ProcedureRefused,
    diagnostic_run,
    procedure_coverage_update,
    procedure_create,
    procedure_item_remove,
    procedure_item_set_asked,
    procedure_items_add_together,
    procedure_requests_create,
    procedure_update,
)
from dlnuf.www.procedures_views.charts import score_chart
from dlnuf.www.procedures_views.forms import (
    CoverageForm,
    ItemsAddForm,
    ProcedureForm,
)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # every view here needs a signed-in user
    return user


def _visible(request: HttpRequest, pk: int) -> Procedure:
    procedure = procedure_for_user(request.user, pk)
    if procedure is None:
        raise Http404("Démarche inconnue")
    return procedure


def _editable(request: HttpRequest, pk: int) -> Procedure:
    procedure = _visible(request, pk)
    if not can_edit_procedure(request.user, procedure):
        raise PermissionDenied("Seuls les demandeurs de l'organisation modifient cette démarche.")
    return procedure


def _breadcrumb(current: str, procedure: Procedure | None = None) -> dict[str, Any]:
    links = [{"url": reverse("www:procedures"), "title": "Mes démarches"}]
    if procedure is not None:
        links.append(
            {
                "url": reverse("www:procedure_detail", kwargs={"pk": procedure.pk}),
                "title": procedure.name,
            }
        )
    return {"links": links, "current": current}


def _request_detail_url(pk: int) -> str | None:
    try:
        return reverse("www:request_detail", kwargs={"pk": pk})
    except NoReverseMatch:
        return None


def procedures(request: HttpRequest) -> HttpResponse:
    listed = list(procedures_for_user(request.user))
    latest = latest_diagnostics(listed)
    return render(
        request,
        "www/procedures/index.html",
        {
            "title": "Mes démarches",
            "breadcrumb_data": {"links": [], "current": "Mes démarches"},
            "rows": [(procedure, latest.get(procedure.pk)) for procedure in listed],
            "can_create": organisations_of(request.user).exists(),
        },
    )


@require_http_methods(["GET", "POST"])
def procedure_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    organisations = organisations_of(user)
    context: dict[str, Any] = {
        "title": "Décrire une démarche",
        "breadcrumb_data": _breadcrumb("Décrire une démarche"),
    }
    if not organisations.exists():
        return render(request, "www/procedures/procedure_form.html", context, status=403)
    form = ProcedureForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            procedure = procedure_create(
                organisation=data["organisation"],
                name=data["name"],
                url=data["url"],
                yearly_volume=data["yearly_volume"],
                created_by=user,
            )
        except ProcedureForbidden as error:
            raise PermissionDenied(str(error)) from error
        messages.success(
            request,
            "Démarche enregistrée. Indiquez maintenant ce qu'elle demande aux usagers.",
        )
        return redirect("www:procedure_items_add", pk=procedure.pk)
    context["form"] = form
    return render(request, "www/procedures/procedure_form.html", context)


@require_http_methods(["GET", "POST"])
def procedure_edit(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = _editable(request, pk)
    form = ProcedureForm(
        request.POST or None,
        initial={
            "name": procedure.name,
            "url": procedure.url,
            "yearly_volume": procedure.yearly_volume,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        procedure_update(
            procedure=procedure,
            name=data["name"],
            url=data["url"],
            yearly_volume=data["yearly_volume"],
            updated_by=_user(request),
        )
        messages.success(request, "Démarche modifiée.")
        return redirect("www:procedure_detail", pk=procedure.pk)
    return render(
        request,
        "www/procedures/procedure_form.html",
        {
            "title": f"Modifier « {procedure.name} »",
            "breadcrumb_data": _breadcrumb("Modifier", procedure),
            "form": form,
            "procedure": procedure,
        },
    )


def procedure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = _visible(request, pk)
    history = procedure_diagnostics(procedure)
    latest = history[-1] if history else None
    return render(
        request,
        "www/procedures/procedure_detail.html",
        {
            "title": procedure.name,
            "breadcrumb_data": _breadcrumb(procedure.name),
            "procedure": procedure,
            "items": procedure_items(procedure),
            "can_edit": can_edit_procedure(request.user, procedure),
            "latest": latest,
            "history": list(reversed(history)),
            "chart": score_chart(history),
            "requests": [
                (authorization_request, _request_detail_url(authorization_request.pk))
                for authorization_request in procedure_requests(procedure)
            ],
            "thresholds": {"partial": PARTIAL_FROM, "weak": WEAK_FROM},
        },
    )


@require_http_methods(["GET", "POST"])
def procedure_items_new(request: HttpRequest, pk: int) -> HttpResponse:
    """One form for the three ways to add items (type, pick, import), sent together so that
    what was entered in one part is never lost when another is sent."""
    procedure = _editable(request, pk)
    matcher = catalogue_matcher()
    sent = request.method == "POST"
    form = ItemsAddForm(
        request.POST if sent else None,
        request.FILES if sent else None,
        choices=matcher.picklist(),
    )
    if sent and form.is_valid():
        try:
            added = procedure_items_add_together(
                procedure=procedure,
                typed=form.cleaned_data["labels"],
                picked=form.cleaned_data["items"],
                imported=form.cleaned_data["export"],
                added_by=_user(request),
                matcher=matcher,
            )
        except ProcedureRefused as error:
            form.add_error(None, str(error))
        except ProcedureForbidden as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(
                request,
                f"{plural(len(added), 'élément ajouté', 'éléments ajoutés')}. "
                "Lancez le diagnostic quand la liste est complète.",
            )
            return redirect("www:procedure_detail", pk=procedure.pk)
    return render(
        request,
        "www/procedures/items_add.html",
        {
            "title": f"Ajouter des éléments à « {procedure.name} »",
            "breadcrumb_data": _breadcrumb("Ajouter des éléments", procedure),
            "procedure": procedure,
            "items": procedure_items(procedure),
            "form": form,
            # Browsers never fill a file input again: the person is told to choose it anew.
            "file_to_choose_again": sent and bool(request.FILES),
            "max_kilobytes": MAX_FILE_BYTES // 1024,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def procedure_item_update(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    procedure = _editable(request, pk)
    item = ProcedureItem.objects.filter(procedure=procedure, pk=item_pk).first()
    if item is None:
        raise Http404("Élément inconnu")
    item.procedure = procedure
    action = request.POST.get("action")
    user = _user(request)
    if action == "ne-plus-demander":
        procedure_item_set_asked(item=item, still_asked=False, changed_by=user)
        messages.success(request, f"« {item.label} » n'est plus demandé aux usagers.")
    elif action == "demander":
        procedure_item_set_asked(item=item, still_asked=True, changed_by=user)
        messages.success(request, f"« {item.label} » est de nouveau demandé aux usagers.")
    elif action == "retirer":
        procedure_item_remove(item=item, removed_by=user)
        messages.success(request, f"« {item.label} » a été retiré de la liste.")
    else:
        return HttpResponse(
            "Action inconnue.", status=400, content_type="text/plain; charset=utf-8"
        )
    return redirect(reverse("www:procedure_detail", kwargs={"pk": procedure.pk}) + "#elements")


@require_POST
def procedure_diagnose(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = _editable(request, pk)
    try:
        diagnostic = diagnostic_run(procedure=procedure, run_by=_user(request))
    except ProcedureRefused as error:
        messages.error(request, str(error))
        return redirect("www:procedure_detail", pk=procedure.pk)
    return redirect("www:diagnostic_detail", pk=procedure.pk, diagnostic_pk=diagnostic.pk)


def _diagnostic_page(
    request: HttpRequest, procedure: Procedure, diagnostic: Diagnostic
) -> HttpResponse:
    latest = is_latest_diagnostic(diagnostic)
    can_change = latest and can_edit_procedure(request.user, procedure)
    return render(
        request,
        "www/procedures/diagnostic_detail.html",
        {
            "title": f"Diagnostic de « {procedure.name} » du {date_fr(diagnostic.run_at)}",
            "breadcrumb_data": _breadcrumb("Diagnostic", procedure),
            "procedure": procedure,
            "diagnostic": diagnostic,
            "advice": ADVICE[ScoreLevel(diagnostic.level)],
            "suggestions": diagnostic_suggestions(diagnostic),
            "is_latest": latest,
            "can_request": can_change,
            "can_change_coverage": can_change and bool(diagnostic_coverage(diagnostic)),
            "replaceable": REPLACEABLE,
        },
    )


def diagnostic_detail(request: HttpRequest, pk: int, diagnostic_pk: int) -> HttpResponse:
    procedure = _visible(request, pk)
    diagnostic = diagnostic_with_matches(procedure, diagnostic_pk)
    if diagnostic is None:
        raise Http404("Diagnostic inconnu")
    return _diagnostic_page(request, procedure, diagnostic)


@require_http_methods(["GET", "POST"])
def procedure_coverage_edit(request: HttpRequest, pk: int, diagnostic_pk: int) -> HttpResponse:
    """The agent's shares of the public covered, on their own page (the diagnostic page keeps
    its own form for the requests to prepare), then a new diagnostic counting with them."""
    procedure = _editable(request, pk)
    diagnostic = diagnostic_with_matches(procedure, diagnostic_pk)
    if diagnostic is None:
        raise Http404("Diagnostic inconnu")
    latest = is_latest_diagnostic(diagnostic)
    if request.method == "POST" and not latest:
        messages.error(request, "Modifiez les hypothèses depuis le dernier diagnostic.")
        return redirect("www:diagnostic_detail", pk=procedure.pk, diagnostic_pk=diagnostic.pk)
    form = CoverageForm(
        request.POST if request.method == "POST" else None, rows=diagnostic_coverage(diagnostic)
    )
    if request.method == "POST" and form.is_valid():
        try:
            updated = procedure_coverage_update(
                procedure=procedure, shares=form.shares(), changed_by=_user(request)
            )
        except ProcedureRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, "Hypothèses enregistrées : le diagnostic a été relancé avec ces parts."
            )
            return redirect("www:diagnostic_detail", pk=procedure.pk, diagnostic_pk=updated.pk)
    return render(
        request,
        "www/procedures/coverage_edit.html",
        {
            "title": f"Hypothèses de couverture de « {procedure.name} »",
            "breadcrumb_data": _breadcrumb("Hypothèses de couverture", procedure),
            "procedure": procedure,
            "diagnostic": diagnostic,
            "is_latest": latest,
            "form": form if latest and form.rows else None,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def procedure_requests_new(request: HttpRequest, pk: int, diagnostic_pk: int) -> HttpResponse:
    procedure = _editable(request, pk)
    diagnostic = procedure.diagnostics.filter(pk=diagnostic_pk).first()
    if diagnostic is None:
        raise Http404("Diagnostic inconnu")
    match_ids = [int(value) for value in request.POST.getlist("matches") if value.isdigit()]
    try:
        created = procedure_requests_create(
            procedure=procedure,
            diagnostic=diagnostic,
            match_ids=match_ids,
            created_by=_user(request),
        )
    except ProcedureRefused as error:
        messages.error(request, str(error))
        return redirect("www:diagnostic_detail", pk=procedure.pk, diagnostic_pk=diagnostic.pk)
    titles = ", ".join(f"« {created_request.dataset.title} »" for created_request in created)
    messages.success(
        request,
        f"{len(created)} demande{'s' if len(created) > 1 else ''} d'habilitation préremplie"
        f"{'s' if len(created) > 1 else ''} en brouillon : {titles}. Complétez-les puis "
        "soumettez-les.",
    )
    return redirect(reverse("www:procedure_detail", kwargs={"pk": procedure.pk}) + "#demandes")
