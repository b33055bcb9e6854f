"""Pages of the vendor path: the vendors' solutions, the public list of approved solutions, the
client's joining request and the page where instructors decide on it. Objects are looked up
among those the user may see (404 otherwise); the services check every action again."""

from collections.abc import Callable
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dlnuf.catalogue.models import Dataset, TermsVersion
from dlnuf.catalogue.selectors import current_terms
from dlnuf.habilitations import services
from dlnuf.habilitations.models import (
    AuthorizationRequest,
    RequestState,
    Solution,
    SolutionAdhesion,
)
from dlnuf.habilitations.perms import can_take
from dlnuf.habilitations.selectors import request_history
from dlnuf.habilitations.solutions import (
    JOIN_FIELDS,
    adhesions_of_organisations,
    adhesions_to_decide,
    approved_solutions,
    can_follow_adhesion,
    can_manage_solution,
    can_read_adhesion,
    solution_adhesions,
    solution_declare,
    solution_join,
    solution_scopes,
    solution_update,
    solutions_managed_by,
    solutions_visible_to,
)
from dlnuf.habilitations.transitions import EDITABLE_STATES, TRANSITIONS
from dlnuf.organisations.models import Organisation, User
from dlnuf.organisations.perms import organisations_of
from dlnuf.www.requests_views.views import badge_class
from dlnuf.www.solutions_views.forms import DecisionForm, JoinForm, SolutionForm

# What an instructor decides on a joining request, in the order of the buttons.
DECISIONS = ("validate", "request_changes", "refuse")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _breadcrumb(current: str, *links: tuple[str, str]) -> dict[str, Any]:
    return {"links": [{"url": url, "title": title} for url, title in links], "current": current}


def _solutions_link() -> tuple[str, str]:
    return (reverse("www:solutions"), "Solutions d'éditeurs")


def _catalogue_link() -> tuple[str, str]:
    return (reverse("www:solution_catalogue"), "Solutions habilitées")


def _datasets() -> QuerySet[Dataset]:
    return Dataset.objects.filter(is_active=True).select_related("provider").order_by("title")


def _client_organisations(user: User, solution: Solution) -> QuerySet[Organisation]:
    return organisations_of(user).exclude(pk=solution.vendor_id).order_by("name")


def solution_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    managed = list(solutions_managed_by(user))
    followed = solutions_visible_to(user).exclude(pk__in=[solution.pk for solution in managed])
    return render(
        request,
        "www/solutions/list.html",
        {
            "title": "Solutions d'éditeurs",
            "breadcrumb_data": _breadcrumb("Solutions d'éditeurs"),
            "managed": [(solution, badge_class(solution.request.state)) for solution in managed],
            "followed": [(solution, badge_class(solution.request.state)) for solution in followed],
            "to_decide": adhesions_to_decide(user),
            "adhesions": [
                (adhesion, badge_class(adhesion.request.state))
                for adhesion in adhesions_of_organisations(user)
            ],
            "can_declare": organisations_of(user).exists(),
        },
    )


@login_not_required
def solution_catalogue(request: HttpRequest) -> HttpResponse:
    """Public: the solutions a client may join, by dataset."""
    solutions = approved_solutions().order_by("request__dataset__title", "name", "version")
    clients = set(organisations_of(request.user).values_list("pk", flat=True))
    by_dataset = [
        (
            dataset,
            [
                (solution, list(solution_scopes(solution)), bool(clients - {solution.vendor_id}))
                for solution in group
            ],
        )
        for dataset, group in groupby(solutions, key=lambda solution: solution.request.dataset)
    ]
    return render(
        request,
        "www/solutions/catalogue.html",
        {
            "title": "Solutions d'éditeurs habilitées",
            "breadcrumb_data": _breadcrumb("Solutions habilitées"),
            "by_dataset": by_dataset,
        },
    )


def solution_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    organisations = organisations_of(user).order_by("name")
    if not organisations.exists():
        raise PermissionDenied("Seuls les membres d'un éditeur peuvent déclarer une solution.")
    form = SolutionForm(request.POST or None, organisations=organisations, datasets=_datasets())
    if request.method == "POST" and form.is_valid():
        try:
            solution = solution_declare(
                vendor=form.cleaned_data["organisation"],
                dataset=form.cleaned_data["dataset"],
                actor=user,
                values={name: form.cleaned_data[name] for name in _DESCRIPTION_FIELDS},
                purpose=form.cleaned_data["purpose"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                "La solution est déclarée. Complétez sa demande d'habilitation (données, cadre "
                "juridique, contacts) puis soumettez-la.",
            )
            return redirect("www:request_edit", pk=solution.request_id)
    return render(
        request,
        "www/solutions/form.html",
        {
            "title": "Déclarer une solution",
            "breadcrumb_data": _breadcrumb("Déclarer une solution", _solutions_link()),
            "form": form,
            "solution": None,
        },
    )


_DESCRIPTION_FIELDS = ("name", "version", "use_case", "security_description", "hosting")


def _visible_solution(request: HttpRequest, pk: int) -> Solution:
    return get_object_or_404(solutions_visible_to(_user(request)), pk=pk)


def solution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    solution = _visible_solution(request, pk)
    if not can_manage_solution(user, solution) or solution.request.state not in EDITABLE_STATES:
        raise PermissionDenied("Cette solution ne peut pas être modifiée.")
    initial = {name: getattr(solution, name) for name in _DESCRIPTION_FIELDS}
    form = SolutionForm(
        request.POST or None,
        initial=initial,
        organisations=Organisation.objects.none(),
        datasets=Dataset.objects.none(),
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            solution_update(
                solution=solution,
                actor=user,
                values={name: form.cleaned_data[name] for name in _DESCRIPTION_FIELDS},
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "La description de la solution est enregistrée.")
            return redirect("www:solution_detail", pk=solution.pk)
    return render(
        request,
        "www/solutions/form.html",
        {
            "title": f"Modifier la solution {solution}",
            "breadcrumb_data": _breadcrumb(
                "Modifier",
                _solutions_link(),
                (reverse("www:solution_detail", args=[solution.pk]), str(solution)),
            ),
            "form": form,
            "solution": solution,
        },
    )


def solution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    solution = _visible_solution(request, pk)
    adhesions = [
        (adhesion, badge_class(adhesion.request.state)) for adhesion in solution_adhesions(solution)
    ]
    return render(
        request,
        "www/solutions/detail.html",
        {
            "title": f"Solution {solution}",
            "breadcrumb_data": _breadcrumb(str(solution), _solutions_link()),
            "solution": solution,
            "item": solution.request,
            "badge": badge_class(solution.request.state),
            "approved": solution.is_approved(),
            "scopes": solution_scopes(solution),
            "adhesions": adhesions,
            "can_manage": can_manage_solution(user, solution),
            "editable": solution.request.state in EDITABLE_STATES,
        },
    )


def solution_join_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    solution = get_object_or_404(approved_solutions(), pk=pk)
    organisations = _client_organisations(user, solution)
    if not organisations.exists():
        raise PermissionDenied(
            "Seuls les demandeurs d'une organisation cliente peuvent adhérer à une solution."
        )
    scopes = solution_scopes(solution)
    dataset = solution.request.dataset
    form = JoinForm(
        request.POST or None,
        request.FILES or None,
        organisations=organisations,
        scopes=scopes,
        dataset=dataset,
        terms=current_terms(dataset),
        initial={"organisation": organisations.first()},
    )
    problems: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            outcome = _join(form, solution, user)
            if isinstance(outcome, AuthorizationRequest):
                messages.success(
                    request,
                    "Votre demande d'adhésion est transmise aux instructeurs de "
                    f"{solution.request.dataset.provider}.",
                )
                return redirect("www:adhesion_detail", pk=outcome.pk)
            problems = outcome
        if form.files.get("legal_basis_upload"):
            form.add_error(
                None,
                "Le fichier joint n'a pas été enregistré à cause des erreurs : joignez-le de "
                "nouveau après les avoir corrigées.",
            )
    return render(
        request,
        "www/solutions/join.html",
        {
            "title": f"Adhérer à la solution {solution}",
            "breadcrumb_data": _breadcrumb("Adhérer", _catalogue_link()),
            "solution": solution,
            "source": solution.request,
            "scopes": scopes,
            "form": form,
            "problems": problems,
        },
    )


def _join(form: JoinForm, solution: Solution, user: User) -> AuthorizationRequest | list[str]:
    """The submitted joining request, or what prevents it (also added to the form)."""
    values = {name: form.cleaned_data[name] for name in JOIN_FIELDS}
    accepted = form.cleaned_data.get("terms_version")
    terms = TermsVersion.objects.filter(pk=accepted).first() if accepted else None
    try:
        return solution_join(
            solution=solution,
            organisation=form.cleaned_data["organisation"],
            actor=user,
            values=values,
            scope_slugs=[scope.slug for scope in form.cleaned_data["scopes"]],
            legal_basis_document=form.cleaned_data.get("legal_basis_upload"),
            terms_version=terms,
        )
    except ValidationError as error:
        _add_errors(form, error)
        return []
    except services.ActionForbidden as forbidden:
        form.add_error(None, str(forbidden))
        return []
    except services.TransitionRefused as refused:
        form.add_error(None, refused.message)
        return refused.problems


def _add_errors(form: SolutionForm | JoinForm, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for name, messages_ in error.message_dict.items():
        for message in messages_:
            form.add_error(name if name in form.fields else None, message)


def _followed_adhesion(request: HttpRequest, pk: int) -> SolutionAdhesion:
    adhesion = (
        SolutionAdhesion.objects.select_related(
            "solution__vendor",
            "solution__request__dataset__provider",
            "solution__request__habilitation__granted_by",
            "request__organisation",
            "request__dataset__provider",
            "request__habilitation",
        )
        .filter(request_id=pk)
        .first()
    )
    if adhesion is None or not can_follow_adhesion(_user(request), adhesion):
        raise Http404("Aucune adhésion de ce numéro ne vous est visible.")
    return adhesion


def adhesion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_adhesion(request, _followed_adhesion(request, pk), DecisionForm())


def _render_adhesion(
    request: HttpRequest, adhesion: SolutionAdhesion, form: DecisionForm, status: int = 200
) -> HttpResponse:
    user = _user(request)
    item = adhesion.request
    full = can_read_adhesion(user, item)
    decisions = [TRANSITIONS[action] for action in DECISIONS if can_take(user, action, item)]
    return render(
        request,
        "www/solutions/adhesion.html",
        {
            "title": f"Adhésion n° {item.pk} à la solution {adhesion.solution}",
            "breadcrumb_data": _breadcrumb(f"Adhésion n° {item.pk}", _solutions_link()),
            "adhesion": adhesion,
            "solution": adhesion.solution,
            "source": adhesion.solution.request,
            "item": item,
            "badge": badge_class(item.state),
            "solution_approved": adhesion.solution.is_approved(),
            "solution_scopes": list(solution_scopes(adhesion.solution)),
            "scopes": item.requested_scopes.order_by("position", "slug"),
            "full": full,
            "history": [(row, TRANSITIONS[row.action].past) for row in request_history(item)]
            if full
            else [],
            "decisions": decisions,
            "form": form,
            "is_refused": item.state == RequestState.REFUSED,
        },
        status=status,
    )


@require_POST
def adhesion_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    adhesion = _followed_adhesion(request, pk)
    if not can_read_adhesion(user, adhesion.request):
        raise Http404("Aucune adhésion de ce numéro ne vous est visible.")
    action = request.POST.get("action", "")
    if action not in DECISIONS:
        raise Http404("Décision inconnue.")
    form = DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    deciders: dict[str, Callable[..., AuthorizationRequest]] = {
        "validate": services.authorization_request_validate,
        "request_changes": services.authorization_request_request_changes,
        "refuse": services.authorization_request_refuse,
    }
    try:
        deciders[action](request=adhesion.request, actor=user, comment=comment)
    except services.ActionForbidden as forbidden:
        raise PermissionDenied(str(forbidden)) from forbidden
    except services.TransitionRefused as refused:
        form.add_error(None, refused.message)
        adhesion.request.refresh_from_db()
        return _render_adhesion(request, adhesion, form, status=400)
    messages.success(request, f"{TRANSITIONS[action].past}.")
    return redirect("www:adhesion_detail", pk=adhesion.request_id)
