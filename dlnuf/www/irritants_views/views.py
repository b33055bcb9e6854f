"""Irritants: the list by impact, the form to record one (possibly from a request), the page of
one irritant with its history, and its actions. Guichet experts and administrators only."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dlnuf.organisations.models import User
from dlnuf.support.irritants import (
    ACTIVE_STATES,
    IRRITANT_TRANSITIONS,
    age_in_days,
    irritant_abandon,
    irritant_actions,
    irritant_detail,
    irritant_escalate,
    irritant_event_label,
    irritant_history,
    irritant_note,
    irritant_open,
    irritant_reopen,
    irritant_resolve,
    irritant_update,
    irritants_listed,
    procedures_outside_portal,
)
from dlnuf.support.models import Irritant, IrritantState, SupportRequest
from dlnuf.support.perms import can_work_on_support
from dlnuf.support.services import TransitionRefused
from dlnuf.www.irritants_views.forms import (
    IN_PROGRESS,
    AbandonForm,
    EscalateForm,
    IrritantFilterForm,
    IrritantForm,
    NoteForm,
    ReopenForm,
    ResolveForm,
)

LIST_TITLE = "Irritants"
# The action forms of an irritant's page: the URL name, the form and its prefix.
ACTION_FORMS: dict[str, tuple[str, type[forms.Form], str]] = {
    "escalate": ("www:irritant_escalate", EscalateForm, "escalade"),
    "resolve": ("www:irritant_resolve", ResolveForm, "resolution"),
    "abandon": ("www:irritant_abandon", AbandonForm, "abandon"),
    "reopen": ("www:irritant_reopen", ReopenForm, "reouverture"),
    "note": ("www:irritant_note", NoteForm, "note"),
}
STATE_BADGES = {
    IrritantState.OPEN: "fr-badge--warning",
    IrritantState.ESCALATED: "fr-badge--error",
    IrritantState.RESOLVED: "fr-badge--success",
    IrritantState.ABANDONED: "",
}


def _desk_link() -> dict[str, str]:
    return {"url": reverse("www:desk"), "title": "Guichet"}


def _expert(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not can_work_on_support(user):
        raise PermissionDenied("Les irritants sont réservés aux experts du guichet.")
    return user


def _irritant(pk: int) -> Irritant:
    irritant = irritant_detail(pk)
    if irritant is None:
        raise Http404("Irritant inconnu")
    return irritant


def _breadcrumb(current: str, irritant: Irritant | None = None) -> dict[str, Any]:
    links = [_desk_link(), {"url": reverse("www:irritants"), "title": LIST_TITLE}]
    if irritant is not None:
        links.append(
            {
                "url": reverse("www:irritant_detail", kwargs={"pk": irritant.pk}),
                "title": irritant.title,
            }
        )
    return {"links": links, "current": current}


def _request_url(support_request: SupportRequest | None) -> str | None:
    if support_request is None:
        return None
    return reverse("www:desk_request", kwargs={"pk": support_request.pk})


def irritants(request: HttpRequest) -> HttpResponse:
    _expert(request)
    form = IrritantFilterForm(request.GET or None)
    chosen: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    state = chosen.get("etat") or IN_PROGRESS
    states = [state] if state else list(ACTIVE_STATES)
    listed = irritants_listed(
        states=states, kind=chosen.get("nature") or "", provider=chosen.get("fournisseur")
    )
    return render(
        request,
        "www/irritants/index.html",
        {
            "title": LIST_TITLE,
            "breadcrumb_data": {"links": [_desk_link()], "current": LIST_TITLE},
            "form": form,
            "rows": [(row, STATE_BADGES[IrritantState(row.irritant.state)]) for row in listed],
            "in_progress": state in (IN_PROGRESS, *ACTIVE_STATES),
            "state_label": dict(IrritantState.choices).get(state, ""),
            "filtered": bool(chosen.get("nature") or chosen.get("fournisseur")),
        },
    )


def _source_request(request: HttpRequest) -> SupportRequest | None:
    """The request the irritant is recorded from (``?demande=<pk>``), or None."""
    value = request.GET.get("demande", "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404("Demande inconnue")
    source = SupportRequest.objects.select_related("organisation").filter(pk=int(value)).first()
    if source is None:
        raise Http404("Demande inconnue")
    return source


def _impact_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data["title"],
        "kind": data["kind"],
        "description": data["description"],
        "blocked_party": data["blocked_party"],
        "blocking_provider": data["blocking_provider"],
        "blocking_party": data["blocking_party"],
        "procedures": list(data.get("procedures") or ()),
        "procedures_affected": data["procedures_outside"],
        "people_affected_per_year": data["people_affected_per_year"],
    }


@require_http_methods(["GET", "POST"])
def irritant_new(request: HttpRequest) -> HttpResponse:
    user = _expert(request)
    source = _source_request(request)
    initial = {"blocked_party": source.administration} if source else {}
    form = IrritantForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            irritant = irritant_open(
                actor=user, request=source, **_impact_values(form.cleaned_data)
            )
        except TransitionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, "Irritant enregistré.")
            return redirect("www:irritant_detail", pk=irritant.pk)
    return render(
        request,
        "www/irritants/irritant_form.html",
        {
            "title": "Signaler un irritant",
            "breadcrumb_data": _breadcrumb("Signaler un irritant"),
            "form": form,
            "source": source,
            "source_url": _request_url(source),
        },
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def irritant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _expert(request)
    irritant = _irritant(pk)
    if irritant.state not in ACTIVE_STATES:
        messages.error(request, "Rouvrez l'irritant avant de le modifier.")
        return redirect("www:irritant_detail", pk=irritant.pk)
    form = IrritantForm(
        request.POST or None,
        initial={
            "title": irritant.title,
            "kind": irritant.kind,
            "description": irritant.description,
            "blocked_party": irritant.blocked_party,
            "blocking_provider": irritant.blocking_provider,
            "blocking_party": irritant.blocking_party,
            "procedures": list(irritant.procedures.all()),
            "procedures_outside": procedures_outside_portal(irritant),
            "people_affected_per_year": irritant.people_affected_per_year,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            irritant_update(irritant=irritant, actor=user, **_impact_values(form.cleaned_data))
        except TransitionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, "Irritant modifié.")
            return redirect("www:irritant_detail", pk=irritant.pk)
    return render(
        request,
        "www/irritants/irritant_form.html",
        {
            "title": f"Modifier « {irritant.title} »",
            "breadcrumb_data": _breadcrumb("Modifier", irritant),
            "form": form,
            "irritant": irritant,
        },
        status=400 if form.is_bound else 200,
    )


def _detail_page(
    request: HttpRequest,
    irritant: Irritant,
    *,
    bound: tuple[str, forms.Form] | None = None,
) -> HttpResponse:
    possible = {row.action for row in irritant_actions(irritant)} | {"note"}
    action_forms = []
    for action, (url_name, form_class, prefix) in ACTION_FORMS.items():
        # A refused action keeps its form on the page, to show why it was refused.
        if action not in possible and not (bound and bound[0] == action):
            continue
        form = bound[1] if bound and bound[0] == action else form_class(prefix=prefix)
        row = IRRITANT_TRANSITIONS.get(action)
        action_forms.append(
            {
                "action": action,
                "prefix": prefix,
                "url": reverse(url_name, kwargs={"pk": irritant.pk}),
                "form": form,
                "label": row.label if row else "Ajouter une note",
                "open": bound is not None and bound[0] == action,
            }
        )
    states = dict(IrritantState.choices)
    history = [
        (event, irritant_event_label(event.action), states.get(event.to_state, event.to_state))
        for event in irritant_history(irritant)
    ]
    linked = list(irritant.procedures.all())
    return render(
        request,
        "www/irritants/irritant_detail.html",
        {
            "title": irritant.title,
            "breadcrumb_data": _breadcrumb(irritant.title),
            "irritant": irritant,
            "badge": STATE_BADGES.get(IrritantState(irritant.state), ""),
            "age_days": age_in_days(irritant),
            "linked_procedures": linked,
            "outside_portal": procedures_outside_portal(irritant),
            "request_url": _request_url(irritant.request),
            "history": history,
            "action_forms": action_forms,
            "can_edit": irritant.state in ACTIVE_STATES,
        },
        status=400 if bound else 200,
    )


def irritant_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    _expert(request)
    return _detail_page(request, _irritant(pk))


def _action(
    action: str,
    apply: Callable[[Irritant, User, dict[str, Any]], object],
    done: str,
) -> Callable[[HttpRequest, int], HttpResponse]:
    """A POST-only view that validates the action's form, applies it, and says what happened;
    the page comes back with the form's errors when the input or the state refuses it."""
    _, form_class, prefix = ACTION_FORMS[action]

    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        user = _expert(request)
        irritant = _irritant(pk)
        form = form_class(request.POST, prefix=prefix)
        if form.is_valid():
            try:
                apply(irritant, user, form.cleaned_data)
            except TransitionRefused as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(request, done)
                return redirect(
                    reverse("www:irritant_detail", kwargs={"pk": irritant.pk}) + "#historique"
                )
        return _detail_page(request, irritant, bound=(action, form))

    view.__name__ = f"irritant_{action}"
    return view


irritant_escalate_view = _action(
    "escalate",
    lambda irritant, user, data: irritant_escalate(
        irritant=irritant, actor=user, escalated_to=data["escalated_to"], comment=data["comment"]
    ),
    "Irritant escaladé.",
)
irritant_resolve_view = _action(
    "resolve",
    lambda irritant, user, data: irritant_resolve(
        irritant=irritant, actor=user, resolution=data["resolution"]
    ),
    "Irritant marqué comme résolu.",
)
irritant_abandon_view = _action(
    "abandon",
    lambda irritant, user, data: irritant_abandon(
        irritant=irritant, actor=user, comment=data["comment"]
    ),
    "Irritant abandonné.",
)
irritant_reopen_view = _action(
    "reopen",
    lambda irritant, user, data: irritant_reopen(
        irritant=irritant, actor=user, comment=data["comment"]
    ),
    "Irritant rouvert.",
)
irritant_note_view = _action(
    "note",
    lambda irritant, user, data: irritant_note(
        irritant=irritant, actor=user, comment=data["comment"]
    ),
    "Note ajoutée à l'historique.",
)
